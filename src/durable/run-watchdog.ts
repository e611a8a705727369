/** The coordinator's watchdog (its alarm): finishes, fails or re-creates a run whose workflow ended, died or stalled without reporting. */
import { configFor, type Env } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import type { EnrichCourseParams, RunOutcome } from "../pipeline/jobs.types.ts";
import { createStore } from "../store/index.ts";
import { FailRunResult } from "../store/records.ts";
import type { JobRow } from "./course-jobs.ts";

/** Workflow instances the watchdog may re-create for one job before it gives the run up. */
const MAX_RESTARTS = 2;
/** Instance lookups the watchdog tries (with a short pause) before it counts a round as "no answer". */
const LOOKUP_TRIES = 3;
/** Rounds in a row without an answer from the Workflows engine after which the instance counts as lost. */
const MAX_SILENT_ROUNDS = 3;

/** What the watchdog needs of its coordinator: its storage, the job in flight, and how a job is finished. */
export interface WatchdogHost {
  env: Env;
  log: Logger;
  sql: SqlStorage;
  storage: DurableObjectStorage;
  activeJob(): JobRow | null;
  finish(jobId: string, outcome: RunOutcome): Promise<void>;
}

export class RunWatchdog {
  private readonly host: WatchdogHost;

  constructor(host: WatchdogHost) {
    this.host = host;
  }

  private watchdogMs(): number {
    return configFor(this.host.env).env.RUN_WATCHDOG_SECONDS * 1000;
  }

  /** The watchdog looks four times per RUN_WATCHDOG_SECONDS, so a stall is acted on within it. */
  async arm(): Promise<void> {
    await this.host.storage.setAlarm(Date.now() + Math.max(250, Math.floor(this.watchdogMs() / 4)));
  }

  /**
   * Watchdog. A finished workflow that did not report is finished here; a dead one (errored or
   * terminated without reporting) is failed in the database and here, and the follow-up starts. A
   * workflow that shows no sign of life for half of RUN_WATCHDOG_SECONDS (a crash or a redeploy left
   * it "running" with nothing running it) is terminated and re-created for the same job, at most
   * MAX_RESTARTS times: the new instance replays the calls already answered (recorded here) and
   * finishes the run. A lookup that errors is retried, and never taken as death on its own.
   */
  async look(): Promise<void> {
    const active = this.host.activeJob();
    if (!active || active.started_at === null) return;
    const instanceId = active.instance_id ?? active.job_id;
    const status = await this.instanceStatus(instanceId);
    if (status === "gone") {
      await this.recover(active, "the Workflows engine has no such instance (its state was lost)");
      return;
    }
    if (status === null) {
      const rounds = active.silent_rounds + 1;
      this.host.sql.exec("UPDATE jobs SET silent_rounds = ? WHERE job_id = ?", rounds, active.job_id);
      this.host.log.warn("watchdog_lookup_failed", { job_id: active.job_id, instance_id: instanceId, rounds });
      if (rounds >= MAX_SILENT_ROUNDS && this.stalled(active)) await this.recover(active, "the Workflows engine did not answer for the run's instance");
      else await this.arm();
      return;
    }
    if (status.status === "complete") {
      const output = status.output as RunOutcome | undefined;
      await this.host.finish(active.job_id, output?.status ? output : { status: "succeeded" });
      return;
    }
    if (status.status === "errored" || status.status === "terminated") {
      const reason = `workflow ${status.status}: ${status.error?.message ?? "no error reported"}`;
      await this.failInDatabase(active, reason);
      await this.host.finish(active.job_id, { status: "failed", error: reason });
      return;
    }
    if (this.stalled(active)) {
      await this.recover(active, `no progress for ${Math.round((Date.now() - (active.last_progress_at ?? active.started_at)) / 1000)} s while ${status.status}`);
      return;
    }
    await this.arm();
  }

  /** No sign of life for half the watchdog period, beyond any quiet time the workflow announced. */
  private stalled(job: JobRow): boolean {
    const lastSign = Math.max(job.last_progress_at ?? job.started_at ?? job.created_at, job.quiet_until ?? 0);
    return Date.now() - lastSign > this.watchdogMs() / 2;
  }

  /**
   * The instance's status; "gone" when the engine says, every time asked, that it has no such
   * instance; null when it did not answer in LOOKUP_TRIES tries (a transient error is never death).
   */
  private async instanceStatus(instanceId: string): Promise<InstanceStatus | "gone" | null> {
    let notFound = 0;
    for (let attempt = 1; attempt <= LOOKUP_TRIES; attempt++) {
      try {
        return await (await this.host.env.ENRICH_COURSE.get(instanceId)).status();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/not[_ ]found/i.test(message) && ++notFound === LOOKUP_TRIES) return "gone";
        this.host.log.warn("watchdog_lookup_error", { instance_id: instanceId, attempt, error: message });
        if (attempt < LOOKUP_TRIES) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    return null;
  }

  /** A stalled instance: terminated, then re-created for the same job; after MAX_RESTARTS the run is failed. */
  private async recover(job: JobRow, why: string): Promise<void> {
    const instanceId = job.instance_id ?? job.job_id;
    try {
      await (await this.host.env.ENRICH_COURSE.get(instanceId)).terminate();
    } catch (error) {
      // Already gone, or the engine lost it: either way it will not write again.
      this.host.log.warn("watchdog_terminate_failed", { job_id: job.job_id, instance_id: instanceId, error: error instanceof Error ? error.message : String(error) });
    }
    if (job.restarts >= MAX_RESTARTS) {
      const reason = `the run stalled ${job.restarts + 1} times (${why}); it was stopped`;
      this.host.log.error("run_stalled", { alert: "admin", job_id: job.job_id, reason });
      await this.failInDatabase(job, reason);
      await this.host.finish(job.job_id, { status: "failed", error: reason });
      return;
    }
    const restart = job.restarts + 1;
    const nextId = `${job.job_id}-r${restart}`;
    const params: EnrichCourseParams = { ...(JSON.parse(job.params) as EnrichCourseParams), restart };
    try {
      await this.host.env.ENRICH_COURSE.create({ id: nextId, params });
    } catch (error) {
      this.host.log.error("watchdog_restart_failed", { job_id: job.job_id, instance_id: nextId, error: error instanceof Error ? error.message : String(error) });
      await this.arm();
      return;
    }
    this.host.sql.exec(
      "UPDATE jobs SET instance_id = ?, restarts = ?, last_progress_at = ?, quiet_until = NULL, silent_rounds = 0 WHERE job_id = ?",
      nextId,
      restart,
      Date.now(),
      job.job_id,
    );
    this.host.log.warn("run_restarted", { job_id: job.job_id, instance_id: nextId, restart, why });
    await this.arm();
  }

  private async failInDatabase(job: JobRow, reason: string): Promise<void> {
    if (!job.course_id) return;
    try {
      await createStore(configFor(this.host.env)).call(
        "fail_enrichment_run",
        { run_id: job.job_id, course_id: job.course_id, error: reason },
        FailRunResult,
      );
    } catch (error) {
      this.host.log.error("watchdog_fail_write_failed", { job_id: job.job_id, error });
    }
  }
}
