// Admin alerts in the database: one open alert per cause and subject (bumped, not repeated), notified
// when it opens and at most once an hour after, closed when the cause clears; and who may call them.
import { describe, expect, it } from "vitest";
import { asRole } from "../../support/database.ts";
import { useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

type Fn = "raise_alert" | "clear_alert" | "list_alerts" | "record_alert_delivery";
type Alert = { id: string; cause: string; subject: string; status: string; count: number; notifications: number; closed_at: string | null; duration_seconds: number; clickup_task_id: string | null; emailed_at: string | null; cleared_by: string | null; link: string | null };

async function fn<T = Record<string, unknown>>(name: Fn, payload: Record<string, unknown>, role: "service_role" | "authenticated" | "anon" = "service_role"): Promise<T> {
  const rows = await asRole(database.sql, role, (tx) => tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload as never)]));
  return rows[0]!.result;
}

async function failure(name: Fn, payload: Record<string, unknown>, role: "service_role" | "authenticated" | "anon" = "service_role"): Promise<{ code: string; message: string }> {
  try {
    await fn(name, payload, role);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { code: e.code ?? "", message: e.message ?? "" };
  }
  throw new Error(`${name} did not fail`);
}

type Raised = { alert: Alert; created: boolean; notify: boolean; notification: number };
const hunterDown = (occurrence?: string) => ({
  cause: "provider_unavailable", subject: "hunter", severity: "critical", message: "Hunter answered 500 after 3 attempts", retry: "the runs finish without it", ...(occurrence ? { occurrence } : {}),
});

describe("raise_alert / clear_alert", () => {
  it("keeps one open alert per cause and subject: the count grows, it notifies once, then at most once an hour", async () => {
    const first = await fn<Raised>("raise_alert", hunterDown("job-1:A3"));
    expect(first).toMatchObject({ created: true, notify: true, notification: 1, alert: { status: "open", count: 1, notifications: 1 } });
    const second = await fn<Raised>("raise_alert", hunterDown("job-2:A3"));
    const third = await fn<Raised>("raise_alert", hunterDown("job-3:A3"));
    expect([second.created, second.notify, third.notify]).toEqual([false, false, false]);
    expect(third.alert).toMatchObject({ id: first.alert.id, count: 3, notifications: 1 });
    // The same occurrence raised again (a retried step) is not counted twice.
    const repeat = await fn<Raised>("raise_alert", hunterDown("job-3:A3"));
    expect(repeat).toMatchObject({ notify: false, alert: { count: 3 } });
    // Another subject is another alert.
    const other = await fn<Raised>("raise_alert", { ...hunterDown(), subject: "perplexity" });
    expect(other.created).toBe(true);
    expect(other.alert.id).not.toBe(first.alert.id);

    // An hour after the last notification, the next occurrence notifies again (a reminder, #2).
    await database.sql`update alerts set last_notified_at = now() - interval '61 minutes' where id = ${first.alert.id}`;
    const later = await fn<Raised>("raise_alert", hunterDown("job-4:A3"));
    expect(later).toMatchObject({ created: false, notify: true, notification: 2, alert: { count: 4, notifications: 2 } });
    expect((await fn<Raised>("raise_alert", hunterDown("job-5:A3"))).notify).toBe(false);
    const open = await database.sql`select count(*)::int as n from alerts where cause = 'provider_unavailable' and subject = 'hunter' and status = 'open'`;
    expect(open[0]!.n).toBe(1);
  });

  it("concurrent raises of one cause open one alert and count every occurrence", async () => {
    const raised = await Promise.all(Array.from({ length: 8 }, (_, i) => fn<Raised>("raise_alert", { cause: "spend_cap_reached", subject: "enrichment", severity: "warning", message: "cap", occurrence: `job-${i}` })));
    expect(raised.filter((r) => r.created)).toHaveLength(1);
    expect(raised.filter((r) => r.notify)).toHaveLength(1);
    expect(new Set(raised.map((r) => r.alert.id)).size).toBe(1);
    const rows = await database.sql`select count from alerts where cause = 'spend_cap_reached' and subject = 'enrichment' and status = 'open'`;
    expect(rows.map((r) => r.count)).toEqual([8]);
  });

  it("clear closes the open alert with how long it lasted; the next occurrence opens a new one", async () => {
    const raised = await fn<Raised>("raise_alert", { cause: "clickup_webhook_failing", subject: "wh-1", severity: "critical", message: "suspended" });
    await database.sql`update alerts set first_seen_at = now() - interval '90 minutes' where id = ${raised.alert.id}`;
    const cleared = await fn<{ cleared: Alert[] }>("clear_alert", { cause: "clickup_webhook_failing", subject: "wh-1", cleared_by: "the webhook is active again" });
    expect(cleared.cleared).toHaveLength(1);
    expect(cleared.cleared[0]).toMatchObject({ id: raised.alert.id, status: "closed", cleared_by: "the webhook is active again", closed_at: expect.any(String) });
    expect(cleared.cleared[0]!.duration_seconds).toBeGreaterThanOrEqual(90 * 60);
    // Clearing again clears nothing.
    expect((await fn<{ cleared: Alert[] }>("clear_alert", { cause: "clickup_webhook_failing", subject: "wh-1" })).cleared).toEqual([]);
    const again = await fn<Raised>("raise_alert", { cause: "clickup_webhook_failing", subject: "wh-1", severity: "critical", message: "failing" });
    expect(again).toMatchObject({ created: true, notify: true, notification: 1 });
    expect(again.alert.id).not.toBe(raised.alert.id);
    // Several subjects at once (the providers a run heard from).
    await fn("raise_alert", { cause: "provider_unavailable", subject: "jina", severity: "critical", message: "down" });
    const many = await fn<{ cleared: Alert[] }>("clear_alert", { cause: "provider_unavailable", subjects: ["jina", "anthropic"] });
    expect(many.cleared.map((a) => a.subject)).toEqual(["jina"]);
  });

  it("lists open alerts first, one by id, and records the delivery (the first task id wins)", async () => {
    const raised = await fn<Raised>("raise_alert", { cause: "run_failed", subject: "course-x", severity: "error", message: "no website", link: "/api/jobs/abc" });
    const listed = await fn<{ alerts: Alert[] }>("list_alerts", {});
    expect(listed.alerts.length).toBeGreaterThan(1);
    const firstClosed = listed.alerts.findIndex((a) => a.status === "closed");
    expect(listed.alerts.slice(0, firstClosed).every((a) => a.status === "open")).toBe(true);
    expect(listed.alerts.slice(firstClosed).every((a) => a.status === "closed")).toBe(true);
    const one = await fn<{ alerts: Alert[] }>("list_alerts", { id: raised.alert.id });
    expect(one.alerts).toEqual([expect.objectContaining({ id: raised.alert.id, link: "/api/jobs/abc" })]);
    expect((await fn<{ alerts: Alert[] }>("list_alerts", { status: "open", cause: "run_failed" })).alerts.map((a) => a.id)).toEqual([raised.alert.id]);

    const recorded = await fn<{ alert: Alert }>("record_alert_delivery", { id: raised.alert.id, clickup_task_id: "task-1", emailed: true });
    expect(recorded.alert).toMatchObject({ clickup_task_id: "task-1", emailed_at: expect.any(String) });
    expect((await fn<{ alert: Alert }>("record_alert_delivery", { id: raised.alert.id, clickup_task_id: "task-2" })).alert.clickup_task_id).toBe("task-1");
  });

  it("refuses an unknown cause or severity with the field named, and every role but service_role", async () => {
    expect(await failure("raise_alert", { ...hunterDown(), cause: "something" })).toMatchObject({ code: "22023", message: "cause must be a known alert cause" });
    expect(await failure("raise_alert", { ...hunterDown(), severity: "info" })).toMatchObject({ code: "22023" });
    expect(await failure("raise_alert", { cause: "run_failed", severity: "error", message: "x" })).toMatchObject({ code: "22023", message: "subject is required" });
    for (const role of ["authenticated", "anon"] as const) {
      expect((await failure("raise_alert", hunterDown(), role)).code).toBe("42501");
      expect((await failure("list_alerts", {}, role)).code).toBe("42501");
    }
    const readable = await asRole(database.sql, "authenticated", (tx) => tx`select count(*)::int as n from alerts`).catch((e: { code?: string }) => e.code);
    expect(readable).toBe("42501");
  });
});
