import type { WorkerBindings } from "../env.ts";

/** The Worker's cron entry (wrangler.toml [triggers] crons): starts the reconcile job. Filled in by the reconcile work. */
export async function onSchedule(controller: ScheduledController, env: WorkerBindings): Promise<void> {
  void controller;
  void env;
}
