import type { Env } from "../env.ts";
import { configFor } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { createStore } from "../store/index.ts";
import { createFreshness } from "./freshness.ts";

/** The instance id of a tick's reconcile job: one per scheduled time, so a repeated tick starts nothing. */
export function reconcileInstanceId(scheduledTime: number): string {
  return `cron-${Math.trunc(scheduledTime)}`;
}

/**
 * The Worker's cron entry (wrangler.toml [triggers] crons): FRESHNESS_CRON's tick starts the month's
 * freshness sweep, every other tick the hourly reconcile job (Workflows do the work, durably).
 * `wrangler dev --test-scheduled`'s /__scheduled lands here too.
 */
export async function onSchedule(controller: ScheduledController, env: Env): Promise<void> {
  const config = configFor(env);
  const log = createLogger(config.env.LOG_LEVEL, { component: "scheduled", cron: controller.cron }, config.secrets);
  if (controller.cron === config.env.FRESHNESS_CRON) {
    try {
      const { created, sweep } = await createFreshness(env, config, () => createStore(config), log).start({
        trigger: "cron",
        trigger_key: `cron-${Math.trunc(controller.scheduledTime)}`,
      });
      if (!created) log.info("freshness_sweep_already_started", { sweep_id: sweep.id });
    } catch (error) {
      log.error("freshness_sweep_not_started", { alert: "admin", error });
      throw error;
    }
    return;
  }
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
