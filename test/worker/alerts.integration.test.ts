// Admin alerts on the real Worker against the emulators: a provider down raises ONE alert (not one
// per course) and closes it when the provider answers again; a failed run raises its alert with a
// link to the job; a suspended webhook raises one alert and clears when active again; the admin gets
// the email through Mailgun; no secret of the configuration appears in any alert, task or email.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, introspectWorkflow, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClickUpSettings } from "../../src/clickup/config.ts";
import type { ReconcileSummary } from "../../src/clickup/reconcile.ts";
import { reconcileInstanceId } from "../../src/services/scheduled.ts";
import type { AlertRecord } from "../../src/store/alerts.ts";
import worker from "../../src/worker.ts";
import { API_KEY, call, clearFaults, clickupComments, clickupTask, enrichAndWait, eventually, forgetCourse, injectFault, withDb } from "./helpers.ts";
import { mailsTo } from "./outreach-helpers.ts";

const LONG = 240_000;
const ADMIN_EMAIL = "ops-admin@golf-outreach.test";
const CLICKUP = String(env.CLICKUP_BASE_URL);
const TOKEN = String(env.CLICKUP_API_TOKEN);

async function settings(): Promise<ClickUpSettings> {
  const [row] = await withDb((sql) => sql`select value from settings where key = 'clickup'`);
  return row!.value as ClickUpSettings;
}

async function openAlerts(cause: string, subject?: string): Promise<AlertRecord[]> {
  const response = await call(`/api/alerts?status=open&cause=${cause}`, { headers: { "x-api-key": API_KEY } });
  expect(response.status).toBe(200);
  const { alerts } = (await response.json()) as { alerts: AlertRecord[] };
  return alerts.filter((a) => subject === undefined || a.subject === subject);
}

async function alertById(id: string): Promise<AlertRecord> {
  const rows = await withDb((sql) => sql`select public.list_alerts(${sql.json({ id })}::jsonb) as r`);
  return (rows[0]!.r as { alerts: AlertRecord[] }).alerts[0]!;
}

async function clickup(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${CLICKUP}/api/v2${path}`, { method, headers: { authorization: TOKEN, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`ClickUp ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

let tick = Date.UTC(2027, 0, 5, 0, 0, 0) + Math.floor(Math.random() * 1e6) * 3_600_000;
async function runCron(): Promise<ReconcileSummary> {
  const scheduledTime = (tick += 3_600_000);
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "0 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
  const instance = await env.RECONCILE.get(reconcileInstanceId(scheduledTime));
  return eventually(async () => {
    const status = await instance.status();
    if (status.status === "errored" || status.status === "terminated") throw new Error(`reconcile ${status.status}: ${JSON.stringify(status.error)}`);
    return status.status === "complete" ? (status.output as ReconcileSummary) : null;
  }, "the reconcile job", 120_000);
}

const touched: AlertRecord[] = [];

beforeAll(async () => {
  // A clean slate: alerts other files left open would be bumped instead of opened here.
  await withDb(async (sql) => {
    await sql`update alerts set status = 'closed', closed_at = now(), cleared_by = 'test setup' where status = 'open'`;
    await sql`insert into settings (key, value) values ('alerts', ${sql.json({ email_to: ADMIN_EMAIL })}) on conflict (key) do update set value = excluded.value`;
  });
});

afterAll(async () => {
  await clearFaults("hunter");
  await withDb((sql) => sql`delete from settings where key = 'alerts'`);
  await forgetCourse("Cedar Ridge Municipal Golf Course", "TX");
});

describe("admin alerts (integration)", () => {
  it("a provider answering 500 past its retries raises ONE alert whose count grows; it closes (task closed, with how long) when the provider answers again", { timeout: LONG }, async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableRetryDelays());
    await injectFault("hunter", { route: "GET /v2/domain-search", kind: "error", status: 500 });
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push(await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() }));
    expect(runs.map((r) => r.output.status)).toEqual(["partial", "partial"]);

    const [alert] = await openAlerts("provider_unavailable", "hunter");
    expect(await openAlerts("provider_unavailable", "hunter")).toHaveLength(1);
    expect(alert).toMatchObject({ severity: "critical", status: "open", notifications: 1, link: `/api/jobs/${runs[1]!.jobId}` });
    expect(alert!.count).toBeGreaterThanOrEqual(2);
    expect(alert!.message).toMatch(/hunter did not answer after 3 attempts/);
    touched.push(alert!);

    // One task in the Alerts list, assigned to the admin, created once.
    const s = await settings();
    const taskId = (await eventually(async () => (await alertById(alert!.id)).clickup_task_id, "the alert's ClickUp task"))!;
    const task = (await clickupTask(taskId)) as Awaited<ReturnType<typeof clickupTask>> & { list: { id: string }; assignees: { id: number }[] };
    expect(task.name).toBe("[critical] Provider unavailable: hunter");
    expect(task.list.id).toBe(s.alerts!.list_id);
    expect(task.assignees.map((a) => a.id)).toEqual([s.alerts!.admin_user_id]);
    expect(task.markdown_description).toContain(`https://golf-outreach.test/api/jobs/`);
    // Created once: the first raise notified, the second only counted (no second delivery, no second task).
    expect((await alertById(alert!.id)).notifications).toBe(1);
    // The admin's email, through Mailgun.
    const mails = await eventually(async () => {
      const found = (await mailsTo(ADMIN_EMAIL)).filter((m) => m.subject.startsWith("Alert: [critical] Provider unavailable: hunter"));
      return found.length ? found : null;
    }, "the alert email");
    expect(mails).toHaveLength(1);

    // Hunter answers again: the next run clears it, and the task is closed with a comment saying how long.
    await clearFaults("hunter");
    const recovered = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: crypto.randomUUID() });
    expect(recovered.output.status).toBe("succeeded");
    const closed = await eventually(async () => {
      const a = await alertById(alert!.id);
      return a.status === "closed" ? a : null;
    }, "the alert to close");
    expect(closed.cleared_by).toMatch(/answered again/);
    const closedTask = await eventually(async () => {
      const t = await clickupTask(taskId);
      return t.status.status === s.alerts!.statuses.closed ? t : null;
    }, "the alert task to close");
    expect(closedTask.id).toBe(taskId);
    const comments = (await clickupComments(taskId)).map((c) => c.comment_text);
    expect(comments.some((c) => /^Cleared at .* it lasted \d+/.test(c))).toBe(true);
    await eventually(async () => (await mailsTo(ADMIN_EMAIL)).some((m) => m.subject.startsWith("Cleared: [critical] Provider unavailable: hunter")), "the cleared email");
    expect(await openAlerts("provider_unavailable", "hunter")).toEqual([]);
  });

  it("a failed run raises its alert with a link to the job", { timeout: LONG }, async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableRetryDelays());
    await forgetCourse("Cedar Ridge Municipal Golf Course", "TX");
    const { jobId, output } = await enrichAndWait(workflows, { course_name: "Cedar Ridge Municipal Golf Course", state: "TX" });
    expect(output.status).toBe("failed");
    const [alert] = await openAlerts("run_failed", output.course_id);
    expect(alert).toMatchObject({ severity: "error", link: `/api/jobs/${jobId}`, count: 1 });
    expect(alert!.message).toContain("Cedar Ridge Municipal Golf Course");
    touched.push(alert!);
    const taskId = (await eventually(async () => (await alertById(alert!.id)).clickup_task_id, "the run-failed task"))!;
    const task = await clickupTask(taskId);
    expect(task.name).toBe(`[error] Enrichment run failed: ${output.course_id}`);
    expect(task.markdown_description).toContain(`https://golf-outreach.test/api/jobs/${jobId}`);
  });

  it("a suspended webhook raises one alert, and it clears when ClickUp reports the webhook active again", { timeout: LONG }, async () => {
    const s = await settings();
    const hooks = (await clickup("GET", `/team/${s.team_id}/webhook`)).webhooks as { id: string; endpoint: string; events: string[] }[];
    const ours = hooks.find((w) => w.id === s.webhook.id)!;
    await clickup("PUT", `/webhook/${ours.id}`, { endpoint: ours.endpoint, events: ours.events.join(","), status: "suspended" });
    try {
      expect((await runCron()).webhook).toBe("reactivated");
      const raised = await openAlerts("clickup_webhook_failing");
      expect(raised).toHaveLength(1);
      expect(raised[0]).toMatchObject({ subject: "clickup webhook", severity: "critical", count: 1 });
      expect(raised[0]!.message).toMatch(/suspended/);
      touched.push(raised[0]!);
      await eventually(async () => (await alertById(raised[0]!.id)).clickup_task_id, "the webhook alert's task");
      // ClickUp says active. The emulator's webhook posts to a closed port, so a delivery between the
      // PUT and the tick can make it failing again (the tick then reactivates it): set it until a tick sees it active.
      await eventually(async () => {
        await clickup("PUT", `/webhook/${ours.id}`, { endpoint: ours.endpoint, events: ours.events.join(","), status: "active" });
        return (await runCron()).webhook === "ok";
      }, "a cron tick to find the webhook active");
      const cleared = await eventually(async () => {
        const a = await alertById(raised[0]!.id);
        return a.status === "closed" ? a : null;
      }, "the webhook alert to clear");
      expect(cleared.cleared_by).toMatch(/active again/);
      await eventually(async () => (await clickupTask(cleared.clickup_task_id!)).status.status === s.alerts!.statuses.closed, "its task to close");
    } finally {
      await clickup("PUT", `/webhook/${ours.id}`, { endpoint: ours.endpoint, events: ours.events.join(","), status: "active" });
    }
  });

  it("no alert, alert task or alert email carries a secret of the configuration", { timeout: LONG }, async () => {
    expect(touched.length).toBeGreaterThanOrEqual(3);
    const s = await settings();
    const secrets = [
      env.AGENT_API_KEY, env.CLICKUP_API_TOKEN, env.CLICKUP_WEBHOOK_SECRET, env.SUPABASE_WEBHOOK_SECRET, env.UNSUBSCRIBE_SIGNING_SECRET,
      env.MAILGUN_API_KEY, env.MAILGUN_WEBHOOK_SIGNING_KEY, env.HUNTER_API_KEY, env.ANTHROPIC_API_KEY, env.PERPLEXITY_API_KEY, env.JINA_API_KEY,
      env.DATABASE_URL, s.webhook.secret,
    ].map(String).filter((v) => v && v !== "undefined" && v.length >= 6);
    expect(secrets.length).toBeGreaterThan(5);
    const rows = await withDb((sql) => sql`select to_jsonb(a)::text as row from alerts a`);
    const texts = rows.map((r) => String(r.row));
    for (const a of touched) {
      const id = (await alertById(a.id)).clickup_task_id;
      if (!id) continue;
      const task = await clickupTask(id);
      texts.push(task.name, task.markdown_description ?? "", task.description ?? "", ...(await clickupComments(id)).map((c) => c.comment_text));
    }
    for (const m of await mailsTo(ADMIN_EMAIL)) texts.push(m.subject, m.text ?? "", m.html ?? "", JSON.stringify(m.headers));
    for (const secret of secrets) for (const text of texts) expect(text.includes(secret), `a secret in: ${text.slice(0, 200)}`).toBe(false);
  });

  it("GET /api/alerts needs the API key and refuses a bad filter", async () => {
    expect((await call("/api/alerts")).status).toBe(401);
    expect((await call("/api/alerts?status=maybe", { headers: { "x-api-key": API_KEY } })).status).toBe(400);
    const response = await call("/api/alerts", { headers: { "x-api-key": API_KEY } });
    const body = (await response.json()) as { open: number; alerts: AlertRecord[] };
    expect(body.alerts.length).toBeGreaterThanOrEqual(3);
    expect(body.open).toBe(body.alerts.filter((a) => a.status === "open").length);
  });
});
