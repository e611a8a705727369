import type { WorkerBindings } from "../env.ts";
import { configFor } from "../env.ts";
import { createLogger } from "../lib/log.ts";

/** The instance id of a tick's reconcile job: one per scheduled time, so a repeated tick starts nothing. */
export function reconcileInstanceId(scheduledTime: number): string {
  return `cron-${Math.trunc(scheduledTime)}`;
}

/**
 * The Worker's cron entry (wrangler.toml [triggers] crons): starts the tick's reconcile job (a
 * Workflow does the work, durably). `wrangler dev --test-scheduled`'s /__scheduled lands here too.
 */
export async function onSchedule(controller: ScheduledController, env: WorkerBindings): Promise<void> {
  const log = createLogger(configFor(env).env.LOG_LEVEL, { component: "scheduled", cron: controller.cron });
  const id = reconcileInstanceId(controller.scheduledTime);
  try {
    await env.RECONCILE.create({ id, params: { scheduled_at: controller.scheduledTime, trigger: "cron" } });
    log.info("reconcile_started", { instance_id: id });
  } catch (error) {
    // Creating an id that exists fails: this tick's job was started before.
    const existing = await env.RECONCILE.get(id).catch(() => null);
    if (existing) {
      log.info("reconcile_already_started", { instance_id: id });
      return;
    }
    log.error("reconcile_not_started", { alert: "admin", instance_id: id, error });
    throw error;
  }
}
