// The admin dashboard's routes on the real Worker and database: nothing without a sign-in (not even
// counts), the session cookie's attributes, CSRF refused, and the JSON agreeing with the rows
// recorded (a run, its calls), the settings edits validated, audited and previewed.
import { beforeAll, describe, expect, it } from "vitest";
import { call, uniqueCourseName, withDb } from "./helpers.ts";

const ADMIN_KEY = "test-admin-api-key";
const ORIGIN = "http://golf.test";

/** Every admin route, with a body where it takes one. */
const ROUTES: { method: string; path: string; body?: unknown }[] = [
  { method: "GET", path: "/api/admin/session" },
  { method: "DELETE", path: "/api/admin/session" },
  { method: "GET", path: "/api/admin/overview?days=7" },
  { method: "GET", path: "/api/admin/agents?days=7" },
  { method: "GET", path: "/api/admin/quality?days=7" },
  { method: "GET", path: "/api/admin/outreach?days=7" },
  { method: "GET", path: "/api/admin/sync?days=7" },
  { method: "GET", path: "/api/admin/freshness?days=7" },
  { method: "GET", path: "/api/admin/runs" },
  { method: "GET", path: "/api/admin/runs/00000000-0000-4000-8000-000000000000" },
  { method: "GET", path: "/api/admin/routing-rules" },
  { method: "POST", path: "/api/admin/routing-rules", body: { priority: 1, segment: null, state: null, assignee_clickup_user_id: 1, active: true } },
  { method: "PUT", path: "/api/admin/routing-rules/00000000-0000-4000-8000-000000000000", body: { priority: 1, segment: null, state: null, assignee_clickup_user_id: 1, active: true } },
  { method: "DELETE", path: "/api/admin/routing-rules/00000000-0000-4000-8000-000000000000" },
  { method: "POST", path: "/api/admin/routing-rules/preview", body: { segment: "budget", state: "VA" } },
  { method: "GET", path: "/api/admin/templates" },
  { method: "PUT", path: "/api/admin/templates/budget/1", body: { subject: "x", body: "y", active: true } },
  { method: "POST", path: "/api/admin/templates/preview", body: { segment: "budget", step: 1, subject: "x", body: "y" } },
];

function request(route: { method: string; path: string; body?: unknown }, headers: Record<string, string> = {}) {
  return call(route.path, {
    method: route.method,
    headers: { ...(route.body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
  });
}

async function signIn(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await call("/api/admin/session", { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN }, body: JSON.stringify({ key: ADMIN_KEY }) });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const body = (await response.json()) as { csrf_token: string };
  return { cookie: setCookie.split(";")[0]!, csrf: body.csrf_token, setCookie };
}

describe("admin routes: authentication and CSRF", () => {
  it("serves the page shell (no data in it) without a sign-in, with a strict CSP", async () => {
    const page = await call("/admin");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('id="signin-form"');
    expect((await call("/admin/assets/uplot.js")).status).toBe(200);
  });

  it("refuses every admin route without auth, and with a wrong key, a forged cookie or a wrong Access assertion (401)", async () => {
    for (const route of ROUTES) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: "Bearer wrong-key" },
        { "x-api-key": "test-agent-api-key" },
        { cookie: "__Host-golf_admin=v1.9999999999.00000000000000000000000000000000." + "0".repeat(64) },
        { "cf-access-jwt-assertion": "e30.e30.e30" },
      ]) {
        const response = await request(route, headers);
        expect(response.status, `${route.method} ${route.path} with ${JSON.stringify(headers)}`).toBe(401);
        const body = (await response.json()) as { error: { code: string } };
        expect(body.error.code).toBe("UNAUTHORIZED");
        expect(JSON.stringify(body)).not.toMatch(/"(runs|totals|rules|templates)"/);
      }
    }
  });

  it("signs in with the key: a wrong key is 401, the right one sets an HttpOnly, Secure, SameSite=Strict cookie", async () => {
    const wrong = await call("/api/admin/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: "nope" }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const { cookie, csrf, setCookie } = await signIn();
    expect(setCookie).toMatch(/^__Host-golf_admin=/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    const session = await call("/api/admin/session", { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ signed_in: true, via: "session", csrf_token: csrf });
    // A sign-in posted from another site is refused (login CSRF).
    const crossSite = await call("/api/admin/session", { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example" }, body: JSON.stringify({ key: ADMIN_KEY }) });
    expect(crossSite.status).toBe(403);
  });

  it("refuses a state-changing request without the CSRF token, with a wrong one, or from another origin (403)", async () => {
    const { cookie, csrf } = await signIn();
    const writes = ROUTES.filter((r) => r.method !== "GET");
    for (const route of writes) {
      for (const headers of [{ cookie } as Record<string, string>, { cookie, "x-csrf-token": "0".repeat(48) }, { cookie, "x-csrf-token": csrf, origin: "https://evil.example" }, { cookie, "x-csrf-token": csrf, "sec-fetch-site": "cross-site" }]) {
        const response = await request(route, headers);
        expect(response.status, `${route.method} ${route.path} with ${Object.keys(headers).join(",")}`).toBe(403);
      }
    }
    const ok = await request({ method: "POST", path: "/api/admin/routing-rules/preview", body: { segment: "budget", state: "VA" } }, { cookie, "x-csrf-token": csrf, origin: ORIGIN });
    expect(ok.status).toBe(200);
    // A tool with the key as a bearer token needs no CSRF token (a browser never sends that header by itself).
    const bearer = await request({ method: "POST", path: "/api/admin/routing-rules/preview", body: { segment: "budget", state: "VA" } }, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(bearer.status).toBe(200);
  });
});

describe("admin routes: the JSON", () => {
  let auth: Record<string, string>;
  const courseName = uniqueCourseName("Dashboard");
  let runId = "";

  beforeAll(async () => {
    const { cookie, csrf } = await signIn();
    auth = { cookie, "x-csrf-token": csrf };
    // A run recorded the way apply_enrichment leaves it: the course, its intel, a contact, two agent calls.
    await withDb(async (sql) => {
      const [course] = await sql<{ id: string }[]>`insert into courses (course_name, state, status, enriched_at, source) values (${courseName}, 'VA', 'enriched', now(), 'api') returning id`;
      const [run] = await sql<{ id: string }[]>`insert into enrichment_runs (course_id, trigger_source, status, cost_usd, duration_ms, finished_at)
                                                values (${course!.id}, 'api', 'succeeded', 0.0312, 21500, now()) returning id`;
      runId = run!.id;
      await sql`insert into business_intelligence (course_id, segment, segment_confidence, opportunities, conversation_starters, run_id)
                values (${course!.id}, 'budget', 8, '{"range_ball_lease": 9, "range_ball_buy": 4}', '[{"text": "Your new range lights look great.", "score": 9}]', ${runId})`;
      const [contact] = await sql<{ id: string }[]>`insert into contacts (course_id, full_name, title, clickup_task_id) values (${course!.id}, 'Dana Whitfield', 'General Manager', ${`dash-${runId}`}) returning id`;
      await sql`insert into contact_enrichment (contact_id, email, email_status, phone, phone_type) values (${contact!.id}, 'dana@example.com', 'valid', '+15555550100', 'direct')`;
      await sql`insert into agent_calls (run_id, course_id, agent, call_key, provider, model, status, duration_ms, cost_usd, error) values
                (${runId}, ${course!.id}, 'A1', 'A1', 'perplexity', 'perplexity/sonar', 'succeeded', 4100, 0.0051, null),
                (${runId}, ${course!.id}, 'A6', 'A6', 'anthropic', 'claude-sonnet-4-6', 'failed', 60000, 0.0, 'request timed out after 60000 ms')`;
    });
  });

  const get = async <T>(path: string): Promise<T> => {
    const response = await call(path, { headers: auth });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  it("lists the run and opens it into its steps and provider calls", async () => {
    const list = await get<{ runs: { id: string; course_name: string; calls: number; failed_calls: number; cost_usd: number }[] }>("/api/admin/runs?status=succeeded&source=api");
    const row = list.runs.find((r) => r.id === runId);
    expect(row).toMatchObject({ course_name: courseName, calls: 2, failed_calls: 1, cost_usd: 0.0312 });
    const detail = await get<{ run: { steps: { step: string; status: string }[]; calls: { call_key: string; error: string | null }[] }; job: unknown }>(`/api/admin/runs/${runId}`);
    expect(detail.run.steps.map((s) => [s.step, s.status])).toEqual([["A1", "succeeded"], ["A6", "failed"]]);
    expect(detail.run.calls[1]).toMatchObject({ call_key: "A6", error: "request timed out after 60000 ms" });
    expect((await call("/api/admin/runs/00000000-0000-4000-8000-000000000000", { headers: auth })).status).toBe(404);
    expect((await call("/api/admin/runs?status=bogus", { headers: auth })).status).toBe(400);
  });

  it("counts the run in the overview, the agents (live tail) and data quality", async () => {
    const overview = await get<{ days: { day: string; runs: number }[]; totals: { runs: number; qualified_leads: number }; segments: { segment: string }[] }>("/api/admin/overview?days=7");
    expect(overview.days).toHaveLength(7);
    expect(overview.totals.runs).toBeGreaterThanOrEqual(1);
    expect(overview.totals.qualified_leads).toBeGreaterThanOrEqual(1);
    expect(overview.days.reduce((n, d) => n + d.runs, 0)).toBe(overview.totals.runs);
    expect(overview.segments.map((s) => s.segment)).toContain("budget");
    const agents = await get<{ agents: { agent: string; errors: { type: string; count: number }[] }[] }>("/api/admin/agents?days=7");
    expect(agents.agents.find((a) => a.agent === "A6")?.errors).toContainEqual({ type: "timeout", count: expect.any(Number) });
    const quality = await get<{ contacts: number; by_state: { state: string }[] }>("/api/admin/quality?days=7");
    expect(quality.contacts).toBeGreaterThanOrEqual(1);
    expect(quality.by_state.map((s) => s.state)).toContain("VA");
    for (const path of ["/api/admin/outreach?days=30", "/api/admin/sync?days=30", "/api/admin/freshness?days=30"]) await get(path);
    expect((await call("/api/admin/overview?days=0", { headers: auth })).status).toBe(400);
  });

  it("saves a routing rule (validated, audited) and the preview names it", async () => {
    const bad = await call("/api/admin/routing-rules", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ priority: 1, segment: "luxury", state: "Narnia", assignee_clickup_user_id: 0, active: true }) });
    expect(bad.status).toBe(400);
    const created = await call("/api/admin/routing-rules", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ priority: 0, segment: "budget", state: "Virginia", assignee_clickup_user_id: 987654, active: true }) });
    expect(created.status).toBe(201);
    const { rule } = (await created.json()) as { rule: { id: string; state: string } };
    expect(rule.state).toBe("VA");
    const preview = await call("/api/admin/routing-rules/preview", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ segment: "budget", state: "va" }) });
    expect(await preview.json()).toMatchObject({ assignee_clickup_user_id: 987654, rule: { id: rule.id } });
    const listed = await get<{ audit: { action: string; entity_id: string; actor: string }[] }>("/api/admin/routing-rules");
    expect(listed.audit[0]).toMatchObject({ action: "create", entity_id: rule.id, actor: "admin-key" });
    const removed = await call(`/api/admin/routing-rules/${rule.id}`, { method: "DELETE", headers: auth });
    expect(removed.status).toBe(200);
  });

  it("previews a template edit for a real contact and saves it audited", async () => {
    const { contact_id } = await withDb(async (sql) => {
      const [row] = await sql<{ contact_id: string }[]>`select c.id as contact_id from contacts c join courses k on k.id = c.course_id where k.course_name = ${courseName}`;
      return row!;
    });
    const preview = await call("/api/admin/templates/preview", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ segment: "budget", step: 1, subject: "Lower cost per bucket at {{course_name}}", body: "Hi {{first_name}},\n\n{{top_starter}}\n\n{{rep_signature}}", contact_id }),
    });
    expect(preview.status).toBe(200);
    const shown = (await preview.json()) as { preview: { subject: string; text: string } };
    expect(shown.preview.subject).toBe(`Lower cost per bucket at ${courseName}`);
    expect(shown.preview.text).toContain("Hi Dana,");
    expect(shown.preview.text).toContain("Your new range lights look great.");
    const broken = await call("/api/admin/templates/budget/1", { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ subject: "Hi {{#oops}}", body: "x", active: true }) });
    expect(broken.status).toBe(400);
    const before = await get<{ templates: { segment: string; step: number; subject: string; body: string; active: boolean }[] }>("/api/admin/templates");
    const original = before.templates.find((t) => t.segment === "budget" && t.step === 3)!;
    const saved = await call("/api/admin/templates/budget/3", { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ subject: original.subject, body: `${original.body}\n`, active: true, delay_business_days: 5 }) });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({ action: "updated", template: { delay_business_days: 5 } });
    const after = await get<{ audit: { entity_id: string }[] }>("/api/admin/templates");
    expect(after.audit[0]!.entity_id).toBe("budget/3");
    // Put it back for the other files (they share this database).
    await call("/api/admin/templates/budget/3", { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ subject: original.subject, body: original.body, active: original.active, delay_business_days: 4 }) });
  });
});
