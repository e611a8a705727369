import type { AppConfig, Env } from "../env.ts";
import { StartedSweep, SweepRecord, SweepView } from "../freshness/freshness.types.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";
import { type Store, StoreError } from "../store/index.ts";
import { z } from "zod";

export interface SweepRequest {
  trigger: "cron" | "api" | "cli";
  /** cron-<scheduledTime>: a repeated tick finds its sweep instead of starting another. */
  trigger_key?: string;
  older_than_days?: number;
  course_id?: string;
  contact_id?: string;
  /** Lower than the configured cap for this sweep only (a higher one is clipped to it). */
  spend_cap_usd?: number;
}

/** Instance states in which a sweep's workflow is still at work (anything else can be resumed). */
const ALIVE = new Set(["queued", "running", "waiting", "paused", "waitingForPause"]);

/** Routes, the cron and scripts reach the freshness sweep only through this service. */
export function createFreshness(env: Env, config: AppConfig, store: () => Store, log: Logger) {
  const bind = (sweepId: string, instanceId: string) =>
    store().call("set_freshness_sweep_instance", { sweep_id: sweepId, workflow_instance_id: instanceId }, z.object({ sweep: SweepRecord }));
  return {
    /** Creates the sweep row (the database validates the selection), then its workflow. */
    async start(request: SweepRequest): Promise<{ created: boolean; sweep: SweepRecord }> {
      const started = await store().call(
        "start_freshness_sweep",
        {
          trigger: request.trigger,
          trigger_key: request.trigger_key ?? null,
          older_than_days: request.older_than_days ?? config.env.FRESHNESS_OLDER_THAN_DAYS,
          course_id: request.course_id ?? null,
          contact_id: request.contact_id ?? null,
          spend_cap_usd: Math.min(request.spend_cap_usd ?? config.env.FRESHNESS_SPEND_CAP_USD, config.env.FRESHNESS_SPEND_CAP_USD),
        },
        StartedSweep,
      ).catch((error: unknown) => {
        // 22023: the database refused the selection (no such course or contact): the caller's mistake, said plainly.
        if (error instanceof StoreError && error.sqlState === "22023") throw new AppError("BAD_REQUEST", error.message.replace(/^start_freshness_sweep: /, ""));
        throw error;
      });
      const instanceId = `fresh-${started.sweep.id}-p0`;
      if (started.created || !started.sweep.workflow_instance_id) {
        await createInstanceOnce(env.FRESHNESS_SWEEP, instanceId, { sweep_id: started.sweep.id, part: 0 });
        const bound = await bind(started.sweep.id, instanceId);
        log.info("freshness_sweep_started", { sweep_id: started.sweep.id, trigger: request.trigger, instance_id: instanceId, older_than_days: started.sweep.older_than_days });
        return { created: started.created, sweep: bound.sweep };
      }
      return started;
    },
    get: (sweepId: string) => store().call("get_freshness_sweep", { sweep_id: sweepId }, SweepView),
    /** A sweep whose workflow was killed (terminated, errored) goes on where it stopped: nobody checked twice. */
    async resume(sweepId: string): Promise<SweepRecord> {
      const found = await store().call("get_freshness_sweep", { sweep_id: sweepId, followup_pending: true }, SweepView);
      if (!found) throw new AppError("NOT_FOUND", `no freshness sweep ${sweepId}`);
      const current = found.sweep.workflow_instance_id;
      const state = current ? await env.FRESHNESS_SWEEP.get(current).then((i) => i.status()).then((s) => s.status as string).catch(() => "unknown") : "unknown";
      if (found.sweep.status === "running" && ALIVE.has(state)) throw new AppError("CONFLICT", `sweep ${sweepId} is still running (workflow ${state})`);
      if (found.sweep.status === "succeeded" && found.checks.length === 0) throw new AppError("CONFLICT", `sweep ${sweepId} has finished; start a new one`);
      const instanceId = `fresh-${sweepId}-r${Date.now().toString(36)}`;
      // Running again before the instance starts: it goes on only with a running sweep.
      const bound = await bind(sweepId, instanceId);
      await createInstanceOnce(env.FRESHNESS_SWEEP, instanceId, { sweep_id: sweepId, part: 0 });
      log.info("freshness_sweep_resumed", { sweep_id: sweepId, instance_id: instanceId, previous_instance: current, previous_state: state });
      return bound.sweep;
    },
  };
}
