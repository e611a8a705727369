// The dashboard's read models and settings edits in SQL: the figures over seeded rows, the rollup
// agreeing with the raw agent_calls, the edits validated and audited, and service_role only.
import { describe, expect, it, vi } from "vitest";
import { seedDashboard } from "../../../scripts/seed-dashboard.ts";
import { asRole } from "../../support/database.ts";
import { type JsonObject, useMigratedDatabase } from "./helpers.ts";

// Starting the embedded database takes over ten seconds on a loaded 2-core machine.
vi.setConfig({ hookTimeout: 120_000 });
const database = useMigratedDatabase();

async function call<T = JsonObject>(name: string, payload: JsonObject): Promise<T> {
  const rows = await asRole(database.sql, "service_role", (tx) =>
    tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload)]),
  );
  return rows[0]!.result;
}

async function callError(name: string, payload: JsonObject): Promise<string> {
  try {
    await call(name, payload);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${name} did not fail`);
}

describe("dashboard read models", () => {
  it("seeds set-based and answers every figure over the seeded rows", async () => {
    const seeded = await seedDashboard(database.sql, { courses: 200, contactsPerCourse: 3, calls: 8_000, days: 30 });
    expect(seeded.courses).toBe(200);
    expect(seeded.agent_calls).toBeGreaterThan(7_000);
    // Again: nothing is added twice.
    expect((await seedDashboard(database.sql, { courses: 200, contactsPerCourse: 3, calls: 8_000, days: 30 })).courses).toBe(0);

    const overview = await call<{ days: { runs: number }[]; totals: Record<string, number>; segments: { segment: string; courses: number }[] }>("admin_overview", { days: 30 });
    expect(overview.days).toHaveLength(30);
    expect(overview.totals.runs).toBe(200);
    expect(overview.totals.failed).toBe(10);
    expect(overview.days.reduce((n, d) => n + d.runs, 0)).toBe(200);
    expect(overview.totals.cost_per_qualified_lead_usd).toBeGreaterThan(0);
    expect(overview.segments.reduce((n, s) => n + s.courses, 0)).toBe(190);

    // Every call seeded is older than five minutes, so the rollup took them all; it agrees with agent_calls.
    const agents = await call<{ agents: { agent: string; calls: number; p50_ms: number; p95_ms: number; errors: { type: string; count: number }[]; success_rate: number }[] }>("admin_agents", { days: 30 });
    const [raw] = await database.sql<{ agent: string; n: number; p50: number; p95: number }[]>`
      select agent, count(*)::int as n, percentile_cont(0.5) within group (order by duration_ms) as p50,
             percentile_cont(0.95) within group (order by duration_ms) as p95
      from agent_calls where agent = 'A6' and created_at >= now() - interval '29 days' group by agent`;
    const a6 = agents.agents.find((a) => a.agent === "A6")!;
    expect(a6.calls).toBeGreaterThanOrEqual(raw!.n);
    expect(Math.abs(a6.p50_ms - raw!.p50) / raw!.p50).toBeLessThan(0.1);
    expect(Math.abs(a6.p95_ms - raw!.p95) / raw!.p95).toBeLessThan(0.1);
    expect(a6.errors.length).toBeGreaterThan(0);
    expect(a6.success_rate).toBeGreaterThan(0.9);

    // A call made now is in the live tail, counted once.
    const [run] = await database.sql<{ id: string; course_id: string }[]>`select id, course_id from enrichment_runs limit 1`;
    await database.sql`insert into agent_calls (run_id, course_id, agent, call_key, provider, status, duration_ms, cost_usd)
                       values (${run!.id}, ${run!.course_id}, 'A9', 'A9:now', 'test', 'succeeded', 1000, 0.5)`;
    const later = await call<{ agents: { agent: string; calls: number }[] }>("admin_agents", { days: 7 });
    expect(later.agents.find((a) => a.agent === "A9")?.calls).toBe(1);

    const quality = await call<{ contacts: number; rates: Record<string, number>; confidence: unknown[]; opportunities: { scores: number[] }[]; by_state: unknown[] }>("admin_quality", { days: 30 });
    expect(quality.contacts).toBe(570);
    expect(quality.rates.email_found).toBeGreaterThan(0.5);
    expect(quality.confidence).toHaveLength(10);
    expect(quality.opportunities).toHaveLength(6);
    expect(quality.opportunities[0]!.scores).toHaveLength(10);

    const runs = await call<{ runs: { id: string; status: string; calls: number }[] }>("admin_runs", { status: "failed", limit: 5 });
    expect(runs.runs).toHaveLength(5);
    expect(runs.runs.every((r) => r.status === "failed")).toBe(true);
    const detail = await call<{ run: { steps: unknown[]; calls: unknown[] } | null }>("admin_run", { run_id: runs.runs[0]!.id });
    expect(detail.run?.calls.length).toBe(runs.runs[0]!.calls);
    expect(detail.run?.steps.length).toBeGreaterThan(0);
    expect((await call<{ run: null }>("admin_run", { run_id: "00000000-0000-0000-0000-000000000000" })).run).toBeNull();
    expect(await callError("admin_runs", { status: "nope" })).toMatch(/status must be one of/);
    expect(await callError("admin_overview", { days: 0 })).toMatch(/days/);

    for (const name of ["admin_outreach", "admin_sync", "admin_freshness"]) {
      expect(await call(name, { days: 7 })).toMatchObject({ since: expect.any(String) });
    }
  }, 120_000);

  it("saves routing rules and templates validated and audited, and refuses other roles", async () => {
    const created = await call<{ rule: { id: string }; action: string }>("admin_save_routing_rule", { actor: "admin-key", priority: 10, segment: "budget", state: "tx", assignee_clickup_user_id: 42, active: true });
    expect(created.action).toBe("created");
    const same = await call<{ action: string }>("admin_save_routing_rule", { actor: "admin-key", id: created.rule.id, priority: 10, segment: "budget", state: "TX", assignee_clickup_user_id: 42, active: true });
    expect(same.action).toBe("unchanged");
    const updated = await call<{ rule: { assignee_clickup_user_id: number }; action: string }>("admin_save_routing_rule", { actor: "ann@example.com", id: created.rule.id, priority: 10, segment: "budget", state: "TX", assignee_clickup_user_id: 43, active: true });
    expect(updated).toMatchObject({ action: "updated", rule: { assignee_clickup_user_id: 43 } });
    expect(await callError("admin_save_routing_rule", { actor: "a", priority: 1, state: "Texas", assignee_clickup_user_id: 1, active: true })).toMatch(/two-letter/);
    const listed = await call<{ rules: unknown[]; audit: { action: string; actor: string }[] }>("admin_routing_rules", {});
    expect(listed.audit.map((a) => a.action)).toEqual(["update", "create"]);
    expect(listed.audit[0]!.actor).toBe("ann@example.com");
    expect(await call("admin_delete_routing_rule", { actor: "a", id: created.rule.id })).toEqual({ deleted: true });

    const saved = await call<{ action: string; template: { body: string } }>("admin_save_template", { actor: "a", segment: "budget", step: 2, subject: "Re: x", body: "Hi {{first_name}},\n\nNew body.", active: true });
    expect(saved.action).toBe("updated");
    expect(saved.template.body).toBe("Hi {{first_name}},\n\nNew body.");
    const templates = await call<{ templates: { segment: string; step: number; delay_business_days: number | null }[]; audit: unknown[] }>("admin_templates", {});
    expect(templates.templates.find((t) => t.segment === "budget" && t.step === 2)?.delay_business_days).toBe(3);
    expect(templates.audit).toHaveLength(1);
    const preview = await call<{ contact: { full_name: string; intel: unknown } | null; candidates: unknown[] }>("admin_preview_contact", { segment: "budget" });
    expect(preview.contact?.intel).not.toBeNull();
    expect(preview.candidates.length).toBeGreaterThan(0);

    for (const role of ["anon", "authenticated"] as const) {
      await expect(asRole(database.sql, role, (tx) => tx`select public.admin_overview('{}'::jsonb)`)).rejects.toThrow(/permission denied/);
      await expect(asRole(database.sql, role, (tx) => tx`select * from public.admin_audit_log`)).rejects.toThrow(/permission denied/);
    }
  });
});
