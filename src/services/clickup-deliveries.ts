// What a verified ClickUp delivery does, in one place for its two callers: the webhook route (at
// once) and ClickUpDeliveryRetry (a delivery the route stored because the database was down).
import { z } from "zod";
import type { ClickUpRunContext } from "../clickup/run-context.ts";
import { segmentOfLeadList } from "../clickup/config.ts";
import { fieldsNamedBy } from "../clickup/corrections.ts";
import type { AppConfig, Env } from "../env.ts";
import { sha256Hex } from "../lib/crypto.ts";
import type { Logger } from "../lib/log.ts";
import { createStore, StoreError } from "../store/index.ts";
import type { Coordinators } from "./coordinators.ts";
import { startCorrections } from "./corrections.ts";
import { createOutreach } from "./outreach.ts";

const statusOf = (side: unknown): string | null =>
  side && typeof side === "object" && typeof (side as { status?: unknown }).status === "string" ? (side as { status: string }).status : null;

/** The documented delivery envelope; unknown fields are kept, not refused. */
export const ClickUpDelivery = z.looseObject({
  webhook_id: z.string().min(1),
  event: z.string().min(1),
  task_id: z.string().min(1).optional(),
  history_items: z
    .array(
      z.looseObject({
        id: z.union([z.string(), z.number()]).transform(String),
        parent_id: z.union([z.string(), z.number()]).transform(String).nullish(),
        user: z.looseObject({ id: z.union([z.string(), z.number()]).transform(Number) }).nullish(),
        // A status change carries {status, ...} on both sides; a created task's `before` is null.
        before: z.unknown().optional(),
        after: z.unknown().optional(),
      }),
    )
    .default([]),
});
export type ClickUpDelivery = z.infer<typeof ClickUpDelivery>;

export interface DeliveryDeps {
  env: Env;
  config: AppConfig;
  log: Logger;
  coordinators: Coordinators;
  /** The stored ClickUp settings and routing rules; null without a database. */
  clickup: ClickUpRunContext | null;
}

/** The route's answer: `{received: true, action, ...}`. */
export type DeliveryResult = { received: true; action: string } & Record<string, unknown>;

/** A failure that says the database did not answer (retry later), not that the delivery is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof StoreError && error.retryable;
}

/**
 * A task created in the Intake list starts (or joins) its course's run; a person moving a lead task
 * to "contacted" starts its email sequence, and moving it anywhere else (or deleting it) stops a
 * sequence that is running; a rep's edit of a lead is applied; every other event is ignored.
 * Safe to repeat: every effect is keyed by the delivery (event ids, instance ids).
 */
export async function processClickUpDelivery(deps: DeliveryDeps, delivery: ClickUpDelivery): Promise<DeliveryResult> {
  const { env, config, log, clickup } = deps;
  const first = delivery.history_items[0];
  const ignore = (reason: string): DeliveryResult => {
    log.debug("clickup_event_ignored", { event: delivery.event, task_id: delivery.task_id, reason });
    return { received: true, action: "ignored", reason };
  };

  // The app's own writes (status changes, lead tasks, comments) come back as webhooks: never act on them.
  const appUserId = clickup?.settings?.app_user_id;
  // Every status a lead passes through (the app's too: new lead, replied, unsubscribed) is kept with its time, for the funnel.
  if (delivery.event === "taskStatusUpdated" && delivery.task_id && first && clickup?.settings && segmentOfLeadList(clickup.settings, first.parent_id ?? "")) {
    const status = statusOf(first.after);
    if (status) {
      await createStore(config).call(
        "record_lead_status",
        { task_id: delivery.task_id, status, previous_status: statusOf(first.before), clickup_user_id: first.user?.id ?? null, event_id: `clickup:${delivery.webhook_id}:${first.id}`, occurred_at: new Date(Number((first as { date?: unknown }).date) || Date.now()).toISOString() },
        z.unknown(),
      );
    }
  }
  if (appUserId !== undefined && first?.user?.id === appUserId) return ignore("the app's own write");
  if (delivery.event === "taskDeleted" && delivery.task_id) {
    // A lead task a rep deleted: its sequence stops, and it is forgotten, so the next run of its course creates it again.
    const store = createStore(config);
    const outreach = await createOutreach(env, () => store, log).record({ kind: "task_deleted", task_id: delivery.task_id, provider_event_id: `clickup:${delivery.webhook_id}:taskDeleted:${delivery.task_id}` });
    const { forgotten } = await store.call("forget_clickup_task", { task_id: delivery.task_id }, z.object({ forgotten: z.number() }));
    if (forgotten) log.info("clickup_lead_task_deleted", { task_id: delivery.task_id });
    return { received: true, action: forgotten ? "forgotten" : "ignored", sequences_stopped: outreach.stopped.length };
  }
  const settings = clickup?.settings;
  const leadSegment = settings && first ? segmentOfLeadList(settings, first.parent_id ?? "") : undefined;
  if (delivery.event === "taskUpdated" && delivery.task_id && first && settings) {
    if (!leadSegment) return ignore(first.parent_id === (config.env.CLICKUP_INTAKE_LIST_ID ?? settings.intake_list_id) ? "an intake task's edit (the run reads the task when it starts; later renames are ignored)" : "not a lead task");
    // A rep's edit of a lead: the fields it names (through the stored settings), applied by a workflow that reads the task once.
    const fields = [...new Set(delivery.history_items.flatMap((item) => fieldsNamedBy(settings, item as { field?: unknown; custom_field?: unknown })))];
    if (!fields.length) return ignore("no field the database keeps");
    const started = await startCorrections(env, {
      task_id: delivery.task_id,
      source: "webhook",
      event_id: `clickup:${delivery.webhook_id}:${first.id}`,
      clickup_user_id: first.user?.id ?? null,
      occurred_at: Number((first as { date?: unknown }).date) || Date.now(),
      fields,
    });
    log.info("clickup_lead_corrected", { task_id: delivery.task_id, fields, ...started });
    return { received: true, action: started.outcome, fields, corrections_id: started.instance_id };
  }
  if (delivery.event === "taskStatusUpdated" && delivery.task_id && first && settings && segmentOfLeadList(settings, first.parent_id ?? "")) {
    const before = statusOf(first.before);
    const after = statusOf(first.after);
    // Creating a task emits a status "change" from nothing: not a rep's decision.
    if (before === null || after === null) return ignore("a new task's first status");
    const dedupeKey = `clickup:${delivery.webhook_id}:${delivery.event}:${first.id}`;
    if (after.toLowerCase() === settings.statuses.leads.contacted.toLowerCase()) {
      const instanceId = `outreach-${(await sha256Hex(dedupeKey)).slice(0, 40)}`;
      const outcome = await createOutreach(env, () => createStore(config), log).start(instanceId, { task_id: delivery.task_id, source_event_id: dedupeKey, started_by: first.user?.id ?? null });
      log.info("outreach_requested", { task_id: delivery.task_id, instance_id: instanceId, outcome });
      return { received: true, action: outcome, sequence_instance_id: instanceId };
    }
    const recorded = await createOutreach(env, () => createStore(config), log).record({ kind: "status_change", task_id: delivery.task_id, new_status: after, provider_event_id: dedupeKey });
    return { received: true, action: recorded.stopped.length ? "sequence_stopped" : "ignored", reason: recorded.stopped.length ? undefined : "no sequence running for this task" };
  }
  if (delivery.event !== "taskCreated") return ignore(`event ${delivery.event} needs no action`);
  if (!delivery.task_id) return ignore("taskCreated without task_id");
  const intakeListId = config.env.CLICKUP_INTAKE_LIST_ID ?? clickup?.settings?.intake_list_id;
  if (!intakeListId) {
    log.warn("clickup_intake_list_not_configured", { task_id: delivery.task_id });
    return ignore("no Intake list configured (run npm run clickup:setup or set CLICKUP_INTAKE_LIST_ID)");
  }
  if (first?.parent_id !== intakeListId) return ignore("task is not in the Intake list");

  // The webhook names only the task: a first hop reads it and finds the course, so the trigger reaches
  // that course's one coordinator. Its instance id comes from the delivery, so a redelivery is a no-op.
  // The event is part of the key: ClickUp reuses one history item id for taskCreated and its taskStatusUpdated.
  const dedupeKey = `clickup:${delivery.webhook_id}:${delivery.event}:${first.id}`;
  const instanceId = `intake-${(await sha256Hex(dedupeKey)).slice(0, 40)}`;
  const outcome = await deps.coordinators.resolveIntake(instanceId, { task_id: delivery.task_id, dedupe_key: dedupeKey });
  log.info("clickup_intake_task_accepted", { task_id: delivery.task_id, instance_id: instanceId, outcome });
  return { received: true, action: outcome, resolver_id: instanceId };
}
