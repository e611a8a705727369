// The hourly reconcile job on the real Worker (cron handler → Reconcile workflow) against the ClickUp
// emulator: what lost webhooks missed is repaired by the next cron. The emulator's webhook posts to
// a closed port (see test/support/worker-test-env.ts), so every event it sends is lost, as when the
// Worker is down.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, introspectWorkflow, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { correctionFor, type ReconcileSummary } from "../../src/clickup/reconcile.ts";
import type { ClickUpSettings } from "../../src/clickup/config.ts";
import { sha256Hex } from "../../src/lib/crypto.ts";
import { reconcileInstanceId } from "../../src/services/scheduled.ts";
import worker from "../../src/worker.ts";
import { clearFaults, clickupTask, emulatorRequests, eventually, forgetCourse, injectFault, INTAKE_LIST_ID, type RecordedRequest, withDb } from "./helpers.ts";

const LONG = 180_000;
const CLICKUP = String(env.CLICKUP_BASE_URL);
const TOKEN = String(env.CLICKUP_API_TOKEN);

/** Distinct tick times per cron in this file (a tick's instance id comes from its time). */
let tick = Date.UTC(2026, 11, 2, 0, 0, 0) + Math.floor(Math.random() * 1e6) * 3_600_000;

/** Runs the Worker's scheduled handler for a tick and waits for its reconcile job's summary. */
async function runCron(scheduledTime = (tick += 3_600_000)): Promise<ReconcileSummary> {
  const controller = createScheduledController({ scheduledTime, cron: "0 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
  const instance = await env.RECONCILE.get(reconcileInstanceId(scheduledTime));
  return eventually(async () => {
    const status = await instance.status();
    if (status.status === "errored" || status.status === "terminated") throw new Error(`reconcile ${status.status}: ${JSON.stringify(status.error)}`);
    return status.status === "complete" ? (status.output as ReconcileSummary) : null;
  }, "the reconcile job to finish", 120_000);
}

async function settings(): Promise<ClickUpSettings> {
  const [row] = await withDb((sql) => sql`select value from settings where key = 'clickup'`);
  return row!.value as ClickUpSettings;
}

async function watermarks(): Promise<Record<string, number>> {
  const rows = await withDb((sql) => sql`select list_id, date_updated_ms from reconcile_watermarks`);
  return Object.fromEntries(rows.map((r) => [String(r.list_id), Number(r.date_updated_ms)]));
}

/** ClickUp's own API, as the token's user. */
async function clickup(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${CLICKUP}/api/v2${path}`, {
    method,
    headers: { authorization: TOKEN, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`ClickUp ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

type Hook = { id: string; endpoint: string; events: string[]; space_id: string | null; health: { status: string }; secret: string };
async function webhooks(teamId: string): Promise<Hook[]> {
  return (await clickup("GET", `/team/${teamId}/webhook`)).webhooks as Hook[];
}

/** A person's action in ClickUp (the emulator's control route): events go to the dead webhook. */
async function asRep(action: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${CLICKUP}/__emulator/clickup/as-user`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(action) });
  if (!response.ok) throw new Error(`as-user ${String(action.action)}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

async function courseOf(name: string, state: string) {
  const [row] = await withDb((sql) => sql`select id, status from courses where name_key = lower(${name}) || '|' || lower(${state})`);
  return row as { id: string; status: string } | undefined;
}

/** The output of an ApplyCorrections instance, once it has finished. */
async function correctionsOutput(instanceId: string): Promise<{ applied: number }> {
  return eventually(async () => {
    const { status, output } = await (await env.APPLY_CORRECTIONS.get(instanceId)).status();
    if (status === "errored") throw new Error(`corrections ${instanceId} errored`);
    return status === "complete" ? (output as { applied: number }) : null;
  }, `corrections ${instanceId}`, 90_000);
}

async function workflowExists(binding: { get(id: string): Promise<unknown> }, id: string): Promise<boolean> {
  return binding.get(id).then(() => true, () => false);
}

beforeAll(async () => {
  // Only what happens in this file counts: every list starts from now, and courses other files
  // left pending without a run are not this file's to enrich.
  const s = await settings();
  const lists = [INTAKE_LIST_ID, s.lead_lists["high-end"], s.lead_lists.budget, s.lead_lists.both];
  await withDb(async (sql) => {
    for (const list of lists) {
      await sql`insert into reconcile_watermarks (list_id, date_updated_ms) values (${list}, ${Date.now()})
                on conflict (list_id) do update set date_updated_ms = excluded.date_updated_ms`;
    }
    await sql`update courses c set created_at = now() where c.status = 'pending_enrichment'
              and not exists (select 1 from enrichment_runs r where r.course_id = c.id)`;
  });
});

afterEach(async () => {
  await clearFaults("clickup");
});

afterAll(async () => {
  await withDb((sql) => sql`delete from courses where course_name like 'Reconcile Young %'`);
  // Reps' corrections made here are rep-owned: other files enrich these world courses and expect the world's own values.
  await forgetCourse("Pine Valley Golf Club", "OH");
  await forgetCourse("Pine Valley Golf Club", "NJ");
});

describe("the reconcile cron (integration)", () => {
  it("reactivates our webhook when ClickUp has suspended it, and says so to the admin", { timeout: LONG }, async () => {
    const s = await settings();
    const ours = (await webhooks(s.team_id)).find((w) => w.id === s.webhook.id)!;
    await clickup("PUT", `/webhook/${ours.id}`, { endpoint: ours.endpoint, events: ours.events.join(","), status: "suspended" });
    expect((await webhooks(s.team_id)).find((w) => w.id === s.webhook.id)?.health.status).toBe("suspended");

    const since = Date.now();
    const summary = await runCron();
    expect(summary).toMatchObject({ webhook: "reactivated", errors: [] });
    const after = (await webhooks(s.team_id)).find((w) => w.id === s.webhook.id)!;
    // Active again: the emulator's webhook posts to a closed port, so a delivery right after the PUT
    // can already have made it "failing" (still delivered, not suspended); the PUT below is the proof.
    expect(["active", "failing"]).toContain(after.health.status);
    expect(after.events).toEqual(ours.events);
    expect(after.endpoint).toBe(ours.endpoint);
    const updates = (await emulatorRequests("clickup", since)).filter((r) => r.method === "PUT" && r.path === `/api/v2/webhook/${ours.id}`);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body).toMatchObject({ status: "active", endpoint: ours.endpoint });
    // The settings did not change: same webhook, same secret.
    expect((await settings()).webhook).toEqual(s.webhook);
  });

  it("creates our webhook again when it is gone, and the settings (id, secret) follow", { timeout: LONG }, async () => {
    const before = await settings();
    await clickup("DELETE", `/webhook/${before.webhook.id}`);
    expect((await webhooks(before.team_id)).some((w) => w.id === before.webhook.id)).toBe(false);

    const summary = await runCron();
    expect(summary).toMatchObject({ webhook: "recreated", errors: [] });
    const after = await settings();
    expect(after.webhook.id).not.toBe(before.webhook.id);
    const created = (await webhooks(before.team_id)).find((w) => w.id === after.webhook.id)!;
    expect(created).toBeDefined();
    expect(created).toMatchObject({ endpoint: before.webhook.endpoint, events: before.webhook.events, space_id: before.space_id });
    expect(after.webhook).toEqual({ id: created.id, endpoint: before.webhook.endpoint, events: before.webhook.events, secret: created.secret });
    // Everything else in the settings is as it was.
    expect({ ...after, webhook: null }).toEqual({ ...before, webhook: null });
    const [entity] = await withDb((sql) => sql`select clickup_id from clickup_entities where kind = 'webhook' and key = 'main'`);
    expect(entity?.clickup_id).toBe(created.id);

    // The next cron finds it (nothing created twice).
    const next = await runCron();
    expect(["ok", "reactivated"]).toContain(next.webhook);
    expect((await webhooks(before.team_id)).filter((w) => w.endpoint === before.webhook.endpoint)).toHaveLength(1);
  });

  it("an intake task created while the Worker was down (its webhook lost) is enriched after the next cron, once", { timeout: LONG }, async () => {
    await using runs = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Pine Valley Golf Club", "OH");
    const task = await asRep({ action: "createTask", list_id: INTAKE_LIST_ID, name: "Pine Valley Golf Club, OH" });
    const taskId = String(task.id);

    const summary = await runCron();
    expect(summary.intake_started).toBe(1);
    expect(summary.errors).toEqual([]);
    // Started the webhook's way: a ResolveIntakeTask instance for the task, named by the task.
    expect(await workflowExists(env.RESOLVE_INTAKE_TASK, `intake-${(await sha256Hex(`reconcile:${taskId}`)).slice(0, 40)}`)).toBe(true);

    const [run] = await eventually(async () => {
      const list = await runs.get();
      return list.length ? list : null;
    }, "the course's run to start");
    await run!.waitForStatus("complete");
    expect(await courseOf("Pine Valley Golf Club", "OH")).toMatchObject({ status: "enriched" });
    await eventually(async () => (await clickupTask(taskId)).status.status === "enriched", "the intake task to say enriched");

    // The next cron sees the task (the app updated it) but knows it: nothing starts again.
    const next = await runCron();
    expect(next.intake_started).toBe(0);
    expect(await runs.get()).toHaveLength(1);
  });

  it("a lead task a rep changed (its webhook lost) is handed to ApplyCorrections; an untouched one is not", { timeout: LONG }, async () => {
    const course = await courseOf("Pine Valley Golf Club", "OH");
    expect(course, "the previous test enriches Pine Valley (OH)").toBeDefined();
    const contacts = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${course!.id} and clickup_task_id is not null order by full_name`);
    expect(contacts.length).toBeGreaterThanOrEqual(2);
    const [edited, untouched] = [String(contacts[0]!.clickup_task_id), String(contacts[1]!.clickup_task_id)];
    await asRep({ action: "setField", task_id: edited, field: "Email", value: "fixed.by.rep@pinevalley-oh.example" });
    const editedAt = Number((await clickupTask(edited) as unknown as { date_updated: string }).date_updated);
    const untouchedAt = Number((await clickupTask(untouched) as unknown as { date_updated: string }).date_updated);

    const summary = await runCron();
    expect(summary.errors).toEqual([]);
    expect(summary.corrections_started).toBe(1);
    const expected = await correctionFor({ id: edited, date_updated: editedAt, status: "new lead" });
    expect(expected.params).toEqual({
      task_id: edited, source: "reconcile", event_id: `reconcile:${edited}:${editedAt}`, clickup_user_id: null, occurred_at: editedAt, fields: "all",
    });
    expect(expected.instance_id).toBe(`corr-${(await sha256Hex(`reconcile:${edited}:${editedAt}`)).slice(0, 40)}`);
    expect(await workflowExists(env.APPLY_CORRECTIONS, expected.instance_id)).toBe(true);
    // The app's own write (the create) is older than what it recorded: no correction for that task.
    expect(await workflowExists(env.APPLY_CORRECTIONS, (await correctionFor({ id: untouched, date_updated: untouchedAt, status: "new lead" })).instance_id)).toBe(false);
    // And ApplyCorrections saves the rep's value, as if its webhook had come (source reconcile).
    expect((await correctionsOutput(expected.instance_id)).applied).toBe(1);
    const [saved] = await withDb((sql) => sql`select e.email, e.email_source from contacts c join contact_enrichment e on e.contact_id = c.id where c.clickup_task_id = ${edited}`);
    expect(saved).toEqual({ email: "fixed.by.rep@pinevalley-oh.example", email_source: "rep" });
    const [audit] = await withDb((sql) => sql`select source, status from sync_audit_log where source_event_id = ${`reconcile:${edited}:${editedAt}`}`);
    expect(audit).toEqual({ source: "reconcile", status: "applied" });
  });

  it("a failing list keeps its watermark (nothing of it is taken as handled); the next cron picks the change up", { timeout: LONG }, async () => {
    await using jobs = await introspectWorkflow(env.RECONCILE);
    await jobs.modifyAll(async (m) => m.disableSleeps());
    const course = await courseOf("Pine Valley Golf Club", "OH");
    const [lead] = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${course!.id} and clickup_task_id is not null order by full_name desc limit 1`);
    const taskId = String(lead!.clickup_task_id);
    const task = (await clickupTask(taskId)) as unknown as { list: { id: string }; date_updated: string };
    const listId = task.list.id;
    await asRep({ action: "setField", task_id: taskId, field: "Phone", value: "+1 614 555 0142" });
    const changedAt = Number(((await clickupTask(taskId)) as unknown as { date_updated: string }).date_updated);
    const before = await watermarks();
    expect(before[listId]).toBeLessThan(changedAt);

    await injectFault("clickup", { route: `GET /api/v2/list/${listId}/task`, kind: "error", status: 503 });
    const failed = await runCron();
    expect(failed.errors).toEqual([expect.stringContaining(listId)]);
    expect(failed.corrections_started).toBe(0);
    expect((await watermarks())[listId]).toBe(before[listId]);

    await clearFaults("clickup");
    const next = await runCron();
    expect(next.errors).toEqual([]);
    expect(next.corrections_started).toBe(1);
    expect((await watermarks())[listId]).toBe(changedAt);
    const picked = (await correctionFor({ id: taskId, date_updated: changedAt, status: "" })).instance_id;
    expect(await workflowExists(env.APPLY_CORRECTIONS, picked)).toBe(true);
    expect((await correctionsOutput(picked)).applied).toBe(1);
  });

  it("a courses row inserted with no webhook call is enriched after the next cron; a younger one is left for its webhook", { timeout: LONG }, async () => {
    await using runs = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Pine Valley Golf Club", "NJ");
    const missed = crypto.randomUUID();
    const young = crypto.randomUUID();
    await withDb(async (sql) => {
      await sql`insert into courses (id, course_name, state, source, created_at) values (${missed}, 'Pine Valley Golf Club', 'NJ', 'manual', now() - interval '11 minutes')`;
      await sql`insert into courses (id, course_name, state, source) values (${young}, ${`Reconcile Young ${young.slice(0, 8)}`}, 'VA', 'manual')`;
    });

    const summary = await runCron();
    expect(summary.courses_started).toBe(1);
    const [run] = await eventually(async () => {
      const list = await runs.get();
      return list.length ? list : null;
    }, "the course's run to start");
    await run!.waitForStatus("complete");
    const [course] = await withDb((sql) => sql`select status from courses where id = ${missed}`);
    expect(course?.status).toBe("enriched");
    const missedRuns = await withDb((sql) => sql`select trigger_source from enrichment_runs where course_id = ${missed}`);
    expect(missedRuns).toEqual([{ trigger_source: "cron" }]);
    expect(await withDb((sql) => sql`select 1 from enrichment_runs where course_id = ${young}`)).toHaveLength(0);

    // The next cron: the course has its run, nothing starts again.
    expect((await runCron()).courses_started).toBe(0);
    expect(await runs.get()).toHaveLength(1);
  });

  it("a cron that finds nothing makes one request per list (and reads the webhooks); a repeated tick starts nothing", { timeout: LONG }, async () => {
    const s = await settings();
    const lists = [INTAKE_LIST_ID, s.lead_lists["high-end"], s.lead_lists.budget, s.lead_lists.both];
    // Earlier tests' own writes settle first; then a run that starts nothing is measured.
    let measured: { summary: ReconcileSummary; requests: RecordedRequest[] } | null = null;
    for (let i = 0; i < 3 && !measured; i++) {
      const since = Date.now();
      const summary = await runCron();
      const started = summary.intake_started + summary.corrections_started + summary.courses_started;
      if (started === 0 && summary.errors.length === 0) measured = { summary, requests: await emulatorRequests("clickup", since) };
    }
    expect(measured, "a cron that found nothing").not.toBeNull();
    const { summary, requests } = measured!;
    const isListRead = (r: RecordedRequest) => r.method === "GET" && /^\/api\/v2\/list\/[^/]+\/task$/.test(r.path);
    for (const list of lists) expect(requests.filter((r) => isListRead(r) && r.path === `/api/v2/list/${list}/task`), `Get Tasks of ${list}`).toHaveLength(1);
    const webhookCalls = requests.filter((r) => r.path.includes("/webhook"));
    expect(webhookCalls.filter((r) => r.method === "GET")).toHaveLength(1);
    expect(webhookCalls.filter((r) => r.method === "POST")).toHaveLength(0);
    // A reactivation is the one other request (the dead endpoint makes the webhook fail now and then).
    expect(webhookCalls.filter((r) => r.method === "PUT")).toHaveLength(summary.webhook === "reactivated" ? 1 : 0);

    // The same tick twice: one job.
    await using jobs = await introspectWorkflow(env.RECONCILE);
    const at = (tick += 3_600_000);
    await runCron(at);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "0 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await jobs.get()).toHaveLength(1);
  });
});
