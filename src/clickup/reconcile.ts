// The reconcile job's work: find what lost webhooks missed and hand each thing to the door that
// handles it (webhook health, intake tasks, lead-task changes, Supabase inserts). Plain functions:
// the Workflow (src/durable/reconcile.ts) gives them a durable ClickUp call, a durable step and the doors.
//
// Cost when nothing was missed: one Get Webhooks, and one Get Tasks page per list.
import { z } from "zod";
import { sha256Hex } from "../lib/crypto.ts";
import type { Logger } from "../lib/log.ts";
import { toStateCode } from "../lib/us-states.ts";
import { type AlertSink, possiblyOpen } from "../store/alerts.ts";
import type { DbFunction, Store } from "../store/index.ts";
import type { ClickUpCall } from "./call.ts";
import type { ClickUpSettings } from "./config.ts";
import { type Segment, SEGMENTS } from "../lib/segment.ts";
import type { ApplyCorrectionsParams } from "./corrections.types.ts";

/** Courses younger than this may still have their Supabase webhook (and their run) on the way. */
export const PENDING_COURSE_MINUTES = 10;
/** A list never reconciled is looked at this far back (its first run after setup or a list change). */
export const FIRST_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/**
 * Each read reaches this far behind the watermark: a change ClickUp's task search shows late
 * (indexing lag, clock skew) is still seen. Re-reading is harmless: every hand-off is named by
 * the task (and its date_updated), so one seen before starts nothing.
 */
export const READ_OVERLAP_MS = 2 * 60 * 1000;
/** Pages of 100 tasks per list and run; a longer backlog goes on in the next run. */
export const MAX_PAGES_PER_LIST = 50;
const COURSES_PER_RUN = 100;

// ---- the database (migrations/20261202000500_reconcile.sql) -----------------------------------

function rpc<S extends z.ZodType>(store: Store, fn: DbFunction, payload: unknown, schema: S): Promise<z.output<S>> {
  return store.call(fn, payload, schema);
}

const Watermarks = z.object({ watermarks: z.record(z.string(), z.coerce.number()) });
const TaskIds = z.object({ task_ids: z.array(z.string()) });
const ReplacedWebhook = z.object({ replaced: z.boolean(), webhook_id: z.string().nullable(), reason: z.string().optional() });
const PendingCourses = z.object({
  courses: z.array(z.object({ id: z.string(), course_name: z.string(), state: z.string(), source: z.string().nullable() })),
});

// ---- what the job is given ---------------------------------------------------------------------

/** A durable, retried, memoized step (a Workflow `step.do`); the result must be serializable. */
export type DurableStep = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Where the job hands what it found: the same doors the webhooks use (ResolveIntakeTask, the
 * course's coordinator, ApplyCorrections). Shapes as pipeline/jobs.types.ts has them, written out
 * here so this folder does not import the pipeline.
 */
export interface ReconcileDoors {
  resolveIntake(instanceId: string, params: { task_id: string; dedupe_key: string }): Promise<"accepted" | "duplicate">;
  startCorrections(instanceId: string, params: ApplyCorrectionsParams): Promise<"accepted" | "duplicate">;
  triggerCourse(
    courseId: string,
    input: { source: "cron"; dedupe_key: string; course: { course_id: string; course_name: string; state?: string } },
  ): Promise<{ job_id: string; outcome: string }>;
}

export interface ReconcileDeps {
  /** null when CLICKUP_API_TOKEN is not set. */
  call: ClickUpCall | null;
  step: DurableStep;
  store: () => Store;
  doors: ReconcileDoors;
  log: Logger;
  /** null when `npm run clickup:setup` has not run (or its settings are invalid): the reason. */
  settings: ClickUpSettings | null;
  settings_problem: string | null;
  /** CLICKUP_INTAKE_LIST_ID, which the webhook route prefers over the stored intake list. */
  intake_list_override?: string | undefined;
  /** CLICKUP_WEBHOOK_SECRET is set: a secret this job stores differs from it (a configuration error, see src/clickup/webhook-secret.ts). */
  env_webhook_secret: boolean;
  /** ms epoch of the tick: a list never reconciled starts FIRST_LOOKBACK_MS before it. */
  scheduled_at: number;
  pending_course_minutes?: number;
  /** Admin alerts: the webhook failing or suspended raises one, seeing it active again clears it. */
  alerts?: AlertSink | undefined;
}

/** The app has one webhook: its alert is about "the webhook" whatever id it has now. */
const WEBHOOK_ALERT_SUBJECT = "clickup webhook";

export type WebhookOutcome = "ok" | "reactivated" | "recreated" | "adopted" | "not_configured" | "not_set_up" | "failed";
export type ListRole = "intake" | Segment;

export interface ReconcileSummary {
  webhook: WebhookOutcome;
  intake_started: number;
  corrections_started: number;
  courses_started: number;
  /** Per list (by role): ClickUp's date_updated (ms) handled up to, after this run. */
  watermark: Partial<Record<ListRole, number>>;
  /** What failed (the rest still ran); empty on a clean run. */
  errors: string[];
}

/** The whole job, in order: webhook, missed ClickUp events, missed Supabase inserts. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { webhook: "ok", intake_started: 0, corrections_started: 0, courses_started: 0, watermark: {}, errors: [] };
  const fail = (what: string, error: unknown) => {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    summary.errors.push(message);
    deps.log.warn("reconcile_part_failed", { part: what, error: message });
  };

  const { call, settings } = deps;
  if (!call) summary.webhook = "not_configured";
  else if (!settings) summary.webhook = "not_set_up";
  else {
    try {
      summary.webhook = await checkWebhook(deps, call, settings);
    } catch (error) {
      summary.webhook = "failed";
      fail("webhook", error);
    }
    try {
      await reconcileLists(deps, call, settings, summary, fail);
    } catch (error) {
      fail("lists", error);
    }
  }
  if (!call || !settings) deps.log.warn("reconcile_clickup_skipped", { reason: call ? deps.settings_problem : "CLICKUP_API_TOKEN is not set" });

  try {
    summary.courses_started = await startMissedCourses(deps);
  } catch (error) {
    fail("courses", error);
  }
  return summary;
}

// ---- 1. webhook health -------------------------------------------------------------------------

export interface WebhookView {
  id: string;
  endpoint: string;
  events: string[];
  status: string;
  fail_count: number | null;
  /** Only for a webhook the job may adopt (ours under another id). */
  secret?: string;
}

/**
 * Ours (by the stored id) failing or suspended → reactivated; gone, but one posting to our endpoint
 * exists (an earlier create whose answer was lost, another clickup:setup) → adopted; gone → created
 * again with the stored endpoint and events. Reactivation and re-creation raise an admin alert.
 */
async function checkWebhook(deps: ReconcileDeps, call: ClickUpCall, settings: ClickUpSettings): Promise<WebhookOutcome> {
  const stored = settings.webhook;
  const found = await call("webhook_read", { priority: "background", requests: 1 }, async (client) => {
    const hooks = (await client.getWebhooks(settings.team_id)).map(webhookView);
    const ours = hooks.find((w) => w.id === stored.id) ?? null;
    const sameEndpoint = ours ? null : (hooks.find((w) => w.endpoint === stored.endpoint) ?? null);
    // Secrets stay out of the step's memo unless the job is about to store one.
    return { ours: ours ? withoutSecret(ours) : null, same_endpoint: sameEndpoint };
  });

  if (found.ours) {
    if (!isUnhealthy(found.ours.status)) {
      await clearWebhookAlert(deps);
      return "ok";
    }
    await raiseWebhookAlert(deps, found.ours.id, `ClickUp reports the app's webhook ${found.ours.status} (fail count ${found.ours.fail_count ?? "unknown"}): events were not delivered. The reconcile job reactivated it.`);
    await reactivateWebhook(call, found.ours);
    deps.log.error("clickup_webhook_reactivated", {
      alert: "admin", webhook_id: found.ours.id, was: found.ours.status, fail_count: found.ours.fail_count,
      note: "ClickUp stopped or was failing to deliver events; this job lists what changed meanwhile",
    });
    return "reactivated";
  }

  let hook: WebhookView;
  let outcome: WebhookOutcome;
  if (found.same_endpoint?.secret) {
    hook = found.same_endpoint;
    outcome = "adopted";
    if (isUnhealthy(hook.status)) await reactivateWebhook(call, hook);
  } else {
    hook = await call("webhook_create", { priority: "background", requests: 1 }, async (client, ctx) => {
      // An earlier attempt may have created it and lost the answer: Get Webhooks shows it, with its secret.
      if (ctx.retry) {
        const made = (await client.getWebhooks(settings.team_id)).map(webhookView).find((w) => w.endpoint === stored.endpoint && w.secret);
        if (made) return made;
      }
      const created = await client.createWebhook(settings.team_id, { endpoint: stored.endpoint, events: stored.events, space_id: Number(settings.space_id) });
      return { ...webhookView(created.webhook), id: created.webhook.id || created.id, secret: created.webhook.secret };
    });
    outcome = "recreated";
  }
  await raiseWebhookAlert(deps, hook.id, `The app's webhook ${stored.id} was gone from ClickUp: the reconcile job ${outcome === "adopted" ? "adopted the one posting to the same endpoint" : "created it again"} (${hook.id}).`);
  const secret = hook.secret;
  if (!secret) throw new Error(`ClickUp did not return the secret of webhook ${hook.id}`);
  const saved = await deps.step("webhook_store", () =>
    rpc(deps.store(), "replace_clickup_webhook", { expected_id: stored.id, webhook: { id: hook.id, secret, endpoint: hook.endpoint, events: hook.events } }, ReplacedWebhook),
  );
  deps.log.error(outcome === "adopted" ? "clickup_webhook_adopted" : "clickup_webhook_recreated", {
    alert: "admin",
    previous_webhook_id: stored.id,
    webhook_id: hook.id,
    stored: saved.replaced,
    ...(saved.reason ? { reason: saved.reason } : {}),
    note: deps.env_webhook_secret
      ? "CLICKUP_WEBHOOK_SECRET is set and differs from the new stored secret: the webhook route accepts the stored one within a minute (its cache), and /health reports the mismatch as an error until you delete it (wrangler secret delete CLICKUP_WEBHOOK_SECRET)"
      : "the webhook route takes the new secret from the settings within a minute (its cache)",
  });
  return outcome;
}

async function raiseWebhookAlert(deps: ReconcileDeps, webhookId: string, message: string): Promise<void> {
  const alerts = deps.alerts;
  if (!alerts) return;
  await deps.step("alert:webhook", async () => {
    await alerts.raise({
      cause: "clickup_webhook_failing",
      subject: WEBHOOK_ALERT_SUBJECT,
      message,
      retry: "this reconcile run lists the intake tasks, lead changes and courses the webhook missed and hands them on",
      details: { webhook_id: webhookId },
      occurrence: `reconcile:${deps.scheduled_at}`,
    });
    return true;
  });
}

/** Seen active: its alert (if one is open) clears. One cached look at the open alerts otherwise. */
async function clearWebhookAlert(deps: ReconcileDeps): Promise<void> {
  const alerts = deps.alerts;
  if (!alerts) return;
  try {
    await deps.step("alert:webhook_clear", async () => {
      const open = await possiblyOpen(deps.store(), [{ cause: "clickup_webhook_failing", subject: WEBHOOK_ALERT_SUBJECT }]);
      if (open.length) await alerts.clear("clickup_webhook_failing", [WEBHOOK_ALERT_SUBJECT], "ClickUp reports the webhook active again");
      return open.length;
    });
  } catch (error) {
    // The webhook is fine; an alert left open is closed by the next run.
    deps.log.warn("alert_not_cleared", { cause: "clickup_webhook_failing", error });
  }
}

function isUnhealthy(status: string): boolean {
  return status === "failing" || status === "suspended";
}

function webhookView(w: { id: string; endpoint: string; events: string[]; health?: { status: string; fail_count?: number | undefined } | undefined; secret?: string | undefined }): WebhookView {
  return { id: w.id, endpoint: w.endpoint, events: [...w.events], status: w.health?.status ?? "active", fail_count: w.health?.fail_count ?? null, ...(w.secret ? { secret: w.secret } : {}) };
}

function withoutSecret(w: WebhookView): WebhookView {
  const { secret: _secret, ...rest } = w;
  return rest;
}

/** Update Webhook with status "active", endpoint and events as ClickUp has them (its `events` is a string here). */
async function reactivateWebhook(call: ClickUpCall, hook: WebhookView): Promise<void> {
  await call("webhook_reactivate", { priority: "background", requests: 1 }, async (client) => {
    await client.updateWebhook(hook.id, { endpoint: hook.endpoint, events: hook.events.length ? hook.events.join(",") : "*", status: "active" });
    return true;
  });
}

// ---- 2. missed ClickUp events ------------------------------------------------------------------

export interface ReconcileList {
  role: ListRole;
  list_id: string;
}

/** The Intake list (CLICKUP_INTAKE_LIST_ID first, as the webhook route reads it) and the three lead lists. */
export function listsToReconcile(settings: ClickUpSettings, intakeOverride?: string): ReconcileList[] {
  return [{ role: "intake", list_id: intakeOverride ?? settings.intake_list_id }, ...SEGMENTS.map((s) => ({ role: s, list_id: settings.lead_lists[s] }))];
}

/** A task as the job needs it from Get Tasks. */
export interface ChangedTask {
  id: string;
  date_updated: number;
  status: string;
}

async function reconcileLists(
  deps: ReconcileDeps,
  call: ClickUpCall,
  settings: ClickUpSettings,
  summary: ReconcileSummary,
  fail: (what: string, error: unknown) => void,
): Promise<void> {
  const lists = listsToReconcile(settings, deps.intake_list_override);
  const stored = await deps.step("watermarks", async () => (await rpc(deps.store(), "get_reconcile_watermarks", {}, Watermarks)).watermarks);
  const advanced: Record<string, number> = {};
  for (const list of lists) {
    const since = stored[list.list_id] ?? deps.scheduled_at - FIRST_LOOKBACK_MS;
    summary.watermark[list.role] = since;
    try {
      const handled = await reconcileList(deps, call, settings, list, since, summary);
      // A list seen for the first time keeps its starting point even when nothing changed since.
      if (handled > since || stored[list.list_id] === undefined) {
        advanced[list.list_id] = handled;
        summary.watermark[list.role] = handled;
      }
    } catch (error) {
      // Nothing of this list is taken as handled: the next run lists it again from the old watermark.
      fail(`list ${list.role} (${list.list_id})`, error);
    }
  }
  if (Object.keys(advanced).length) await deps.step("watermarks_advance", () => rpc(deps.store(), "advance_reconcile_watermarks", { watermarks: advanced }, Watermarks));
}

/**
 * Every task of the list changed since `since`, oldest change first, page by page; each page's
 * tasks are handed on before the next is read. Answers the watermark this run may advance to.
 */
async function reconcileList(deps: ReconcileDeps, call: ClickUpCall, settings: ClickUpSettings, list: ReconcileList, since: number, summary: ReconcileSummary): Promise<number> {
  let newest = since;
  for (let page = 0; page < MAX_PAGES_PER_LIST; page++) {
    const read = await call(`tasks:${list.role}:${page}`, { priority: "background", requests: 1 }, async (client) => {
      // Oldest change first (reverse), so a backlog cut off at MAX_PAGES_PER_LIST still advances.
      const answer = await client.getTasksUpdatedSince(list.list_id, { date_updated_gt: Math.max(0, since - READ_OVERLAP_MS), page, order_by: "updated", reverse: true, include_closed: true });
      return { tasks: answer.tasks.flatMap(changedTask), last_page: answer.last_page || answer.tasks.length === 0 };
    });
    if (read.tasks.length) {
      if (list.role === "intake") summary.intake_started += await deps.step(`intake:${page}`, () => startUnknownIntakeTasks(deps, settings, read.tasks));
      else summary.corrections_started += await deps.step(`leads:${list.role}:${page}`, () => startLeadCorrections(deps, read.tasks));
      newest = Math.max(newest, ...read.tasks.map((t) => t.date_updated));
    }
    if (read.last_page) return newest;
  }
  // Cut off: a task of the next page may share the newest millisecond, so stop one short of it.
  deps.log.warn("reconcile_backlog_cut", { list: list.role, pages: MAX_PAGES_PER_LIST });
  return Math.max(since, newest - 1);
}

function changedTask(task: { id: string; date_updated?: string | undefined; status: { status: string } }): ChangedTask[] {
  const updated = Number(task.date_updated);
  return Number.isFinite(updated) ? [{ id: task.id, date_updated: updated, status: task.status.status }] : [];
}

/**
 * Intake tasks no course knows: started the way the webhook starts them (ResolveIntakeTask), one
 * instance per task whatever the run. A task in a status the app sets (enriching, enriched, needs
 * attention) was answered already, so its webhook arrived: it is left alone.
 */
export async function startUnknownIntakeTasks(deps: Pick<ReconcileDeps, "store" | "doors" | "log">, settings: ClickUpSettings, tasks: ChangedTask[]): Promise<number> {
  const { enriching, enriched, needs_attention } = settings.statuses.intake;
  const answered = new Set([enriching, enriched, needs_attention].map((s) => s.toLowerCase()));
  const candidates = tasks.filter((t) => !answered.has(t.status.toLowerCase())).map((t) => t.id);
  if (!candidates.length) return 0;
  const { task_ids: unknown } = await rpc(deps.store(), "unknown_intake_tasks", { task_ids: candidates }, TaskIds);
  let started = 0;
  for (const taskId of unknown) {
    const dedupeKey = `reconcile:${taskId}`;
    const instanceId = `intake-${(await sha256Hex(dedupeKey)).slice(0, 40)}`;
    const outcome = await deps.doors.resolveIntake(instanceId, { task_id: taskId, dedupe_key: dedupeKey });
    deps.log.info("reconcile_intake_task", { task_id: taskId, resolver_id: instanceId, outcome });
    if (outcome === "accepted") started++;
  }
  return started;
}

/** The ApplyCorrections instance of one lead-task change the job found (an id seen before is the same change). */
export async function correctionFor(task: ChangedTask): Promise<{ instance_id: string; params: ApplyCorrectionsParams }> {
  const eventId = `reconcile:${task.id}:${task.date_updated}`;
  return {
    instance_id: `corr-${(await sha256Hex(eventId)).slice(0, 40)}`,
    params: { task_id: task.id, source: "reconcile", event_id: eventId, clickup_user_id: null, occurred_at: task.date_updated, fields: "all" },
  };
}

/**
 * Lead tasks changed after the app's own last write to them: each handed to ApplyCorrections,
 * which compares every mapped field and applies what a rep changed.
 */
export async function startLeadCorrections(deps: Pick<ReconcileDeps, "store" | "doors" | "log">, tasks: ChangedTask[]): Promise<number> {
  const { task_ids: changed } = await rpc(deps.store(), "lead_tasks_changed_since_sync", { tasks: tasks.map((t) => ({ task_id: t.id, date_updated: t.date_updated })) }, TaskIds);
  const wanted = new Set(changed);
  let started = 0;
  for (const task of tasks) {
    if (!wanted.has(task.id)) continue;
    wanted.delete(task.id);
    const { instance_id, params } = await correctionFor(task);
    const outcome = await deps.doors.startCorrections(instance_id, params);
    deps.log.info("reconcile_lead_task_changed", { task_id: task.id, corrections_id: instance_id, outcome });
    if (outcome === "accepted") started++;
  }
  return started;
}

// ---- 3. missed Supabase inserts ----------------------------------------------------------------

/** Courses still pending with no run at all, older than the minutes: their runs, through their coordinators. */
async function startMissedCourses(deps: ReconcileDeps): Promise<number> {
  const minutes = deps.pending_course_minutes ?? PENDING_COURSE_MINUTES;
  return deps.step("courses", async () => {
    const { courses } = await rpc(deps.store(), "courses_awaiting_first_run", { older_than_minutes: minutes, limit: COURSES_PER_RUN }, PendingCourses);
    let started = 0;
    for (const course of courses) {
      const state = toStateCode(course.state);
      const result = await deps.doors.triggerCourse(course.id, {
        source: "cron",
        dedupe_key: `reconcile:${course.id}`,
        course: { course_id: course.id, course_name: course.course_name, ...(state ? { state } : {}) },
      });
      deps.log.info("reconcile_course_started", { course_id: course.id, job_id: result.job_id, outcome: result.outcome });
      if (result.outcome !== "duplicate") started++;
    }
    return started;
  });
}
