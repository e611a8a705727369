import { DurableObject } from "cloudflare:workers";
import { configFor, type WorkerBindings } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { createStore } from "../store/index.ts";
import { FailRunResult } from "../store/records.ts";
import { jobDirectoryShard } from "./job-directory.ts";
import type {
  CourseRef,
  EnrichCourseParams,
  JobStatus,
  JobStep,
  JobAudience,
  JobView,
  StepReport,
  RunOutcome,
  TriggerInput,
  TriggerResult,
  TriggerSource,
} from "../pipeline/jobs.types.ts";

/** Bump when the tables below change; `migrate()` brings older objects forward. */
const SCHEMA_VERSION = 2;
/** Workflow instances the watchdog may re-create for one job before it gives the run up. */
const MAX_RESTARTS = 2;
/** Instance lookups the watchdog tries (with a short pause) before it counts a round as "no answer". */
const LOOKUP_TRIES = 3;
/** Rounds in a row without an answer from the Workflows engine after which the instance counts as lost. */
const MAX_SILENT_ROUNDS = 3;

interface JobRow extends Record<string, SqlStorageValue> {
  job_id: string;
  status: JobStatus;
  source: TriggerSource;
  course_id: string | null;
  params: string;
  steps: string;
  cost_usd: number;
  duration_ms: number | null;
  error: string | null;
  coalesced: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The workflow instance running the job (the job id, or `<job id>-r<n>` after a restart). */
  instance_id: string | null;
  restarts: number;
  /** Last sign of life from the workflow (a step began or ended), and a quiet time it announced (a rate-gate sleep). */
  last_progress_at: number | null;
  quiet_until: number | null;
  silent_rounds: number;
}

const ACTIVE: JobStatus[] = ["queued", "running"];

/**
 * One object per course. It orders work and keeps progress; the work itself runs in the
 * EnrichCourse workflow. Guarantees: a trigger seen before is a no-op; at most one run in flight;
 * triggers arriving during a run fold into one follow-up run that starts when the run ends.
 */
export class CourseCoordinator extends DurableObject<WorkerBindings> {
  private readonly sql: SqlStorage;
  private readonly log: Logger;

  constructor(ctx: DurableObjectState, env: WorkerBindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.log = createLogger(configFor(env).env.LOG_LEVEL, { component: "course_coordinator" }, configFor(env).secrets);
    ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)");
    const version = Number(this.meta("schema_version") ?? 0);
    if (version < 1) {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
        job_id TEXT PRIMARY KEY, status TEXT NOT NULL, source TEXT NOT NULL, course_id TEXT,
        params TEXT NOT NULL, steps TEXT NOT NULL DEFAULT '[]', cost_usd REAL NOT NULL DEFAULT 0,
        duration_ms INTEGER, error TEXT, coalesced INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER)`);
      this.sql.exec(
        "CREATE TABLE IF NOT EXISTS triggers (dedupe_key TEXT PRIMARY KEY, job_id TEXT NOT NULL, received_at INTEGER NOT NULL)",
      );
    }
    if (version < 2) {
      for (const column of [
        "instance_id TEXT",
        "restarts INTEGER NOT NULL DEFAULT 0",
        "last_progress_at INTEGER",
        "quiet_until INTEGER",
        "silent_rounds INTEGER NOT NULL DEFAULT 0",
      ]) {
        this.sql.exec(`ALTER TABLE jobs ADD COLUMN ${column}`);
      }
      this.sql.exec("UPDATE jobs SET instance_id = job_id WHERE started_at IS NOT NULL");
      // Answers of the job's provider calls and ClickUp writes: a re-created instance replays them instead of paying again.
      this.sql.exec("CREATE TABLE IF NOT EXISTS calls (job_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (job_id, key))");
    }
    this.setMeta("schema_version", String(SCHEMA_VERSION));
  }

  private meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row?.value ?? null;
  }

  private setMeta(key: string, value: string | null): void {
    if (value === null) this.sql.exec("DELETE FROM meta WHERE key = ?", key);
    else this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  private job(jobId: string): JobRow | null {
    return this.sql.exec<JobRow>("SELECT * FROM jobs WHERE job_id = ?", jobId).toArray()[0] ?? null;
  }

  private activeJob(): JobRow | null {
    const id = this.meta("current_job");
    const job = id ? this.job(id) : null;
    return job && ACTIVE.includes(job.status) ? job : null;
  }

  private pendingJob(): JobRow | null {
    const id = this.meta("pending_job");
    return id ? this.job(id) : null;
  }

  /** Accepts a trigger: dedupes it, starts a run, joins the run in flight, or queues one follow-up. */
  async trigger(input: TriggerInput, coordinatorKey: string): Promise<TriggerResult> {
    if (input.dedupe_key) {
      const seen = this.sql
        .exec<{ job_id: string }>("SELECT job_id FROM triggers WHERE dedupe_key = ?", input.dedupe_key)
        .toArray()[0];
      const seenJob = seen ? this.job(seen.job_id) : null;
      if (seenJob) return { job_id: seenJob.job_id, status: seenJob.status, outcome: "duplicate" };
    }

    const active = this.activeJob();
    let result: TriggerResult;
    const intakeTask = input.source === "clickup" ? input.course.clickup_task_id : undefined;
    if (!active && intakeTask && input.link_if_enriched) {
      // Another rep asked for a course that is already enriched: link the task to its leads, no new run.
      const last = this.sql.exec<{ job_id: string }>("SELECT job_id FROM jobs ORDER BY created_at DESC LIMIT 1").toArray()[0];
      result = { job_id: last?.job_id ?? "", status: last ? (this.job(last.job_id)?.status ?? "succeeded") : "succeeded", outcome: "linked" };
      this.log.info("trigger_accepted", { source: input.source, job_id: result.job_id, outcome: result.outcome });
      return result;
    }
    if (!active) {
      const job = this.insertJob(input, coordinatorKey);
      this.setMeta("current_job", job.job_id);
      this.remember(input.dedupe_key, job.job_id);
      await this.registerJob(job.job_id, coordinatorKey);
      await this.startWorkflow(job.job_id);
      const started = this.job(job.job_id);
      return { job_id: job.job_id, status: started?.status ?? "queued", outcome: "new" };
    }
    if (input.source === "api" || intakeTask) {
      // A repeated API request for a course in flight gets that run's job id (and its callback is kept);
      // a second intake task for it is written back by that run.
      this.mergeInto(active, input);
      result = { job_id: active.job_id, status: active.status, outcome: "joined" };
    } else {
      const pending = this.pendingJob();
      if (pending) {
        this.mergeInto(pending, input);
        this.sql.exec("UPDATE jobs SET coalesced = coalesced + 1 WHERE job_id = ?", pending.job_id);
        result = { job_id: pending.job_id, status: "queued", outcome: "follow_up" };
      } else {
        const job = this.insertJob(input, coordinatorKey);
        this.setMeta("pending_job", job.job_id);
        await this.registerJob(job.job_id, coordinatorKey);
        result = { job_id: job.job_id, status: "queued", outcome: "follow_up" };
      }
    }
    this.remember(input.dedupe_key, result.job_id);
    this.log.info("trigger_accepted", { source: input.source, job_id: result.job_id, outcome: result.outcome });
    return result;
  }

  private insertJob(input: TriggerInput, coordinatorKey: string): JobRow {
    const jobId = crypto.randomUUID();
    const params: EnrichCourseParams = {
      job_id: jobId,
      coordinator_key: coordinatorKey,
      source: input.source,
      trigger_key: input.dedupe_key ?? null,
      course: input.course,
      callback_urls: input.callback_url ? [input.callback_url] : [],
    };
    this.sql.exec(
      "INSERT INTO jobs (job_id, status, source, course_id, params, created_at) VALUES (?, 'queued', ?, ?, ?, ?)",
      jobId,
      input.source,
      input.course.course_id ?? null,
      JSON.stringify(params),
      Date.now(),
    );
    const row = this.job(jobId);
    if (!row) throw new Error("job insert failed");
    return row;
  }

  /** Folds a later trigger into a job: newer course facts win, callbacks accumulate. */
  private mergeInto(job: JobRow, input: TriggerInput): void {
    const params = JSON.parse(job.params) as EnrichCourseParams;
    const course: CourseRef = { ...params.course };
    for (const [k, v] of Object.entries(input.course) as [keyof CourseRef, string | undefined][]) {
      // Intake tasks are handled below: the job's own stays, later ones are extra.
      if (k === "clickup_task_id") continue;
      if (v !== undefined && (job.status === "queued" || course[k] === undefined)) course[k] = v;
    }
    const callbacks = new Set(params.callback_urls);
    if (input.callback_url) callbacks.add(input.callback_url);
    const intake = new Set(params.intake_task_ids ?? []);
    const asked = input.course.clickup_task_id;
    // A queued job starts with its intake task in its params; a running one reads extra ones at its write-back.
    if (asked && job.status === "queued" && course.clickup_task_id === undefined) course.clickup_task_id = asked;
    else if (asked && asked !== course.clickup_task_id) intake.add(asked);
    const merged: EnrichCourseParams = { ...params, course, callback_urls: [...callbacks], intake_task_ids: [...intake] };
    this.sql.exec("UPDATE jobs SET params = ? WHERE job_id = ?", JSON.stringify(merged), job.job_id);
  }

  private remember(dedupeKey: string | undefined, jobId: string): void {
    if (!dedupeKey) return;
    this.sql.exec(
      "INSERT OR IGNORE INTO triggers (dedupe_key, job_id, received_at) VALUES (?, ?, ?)",
      dedupeKey,
      jobId,
      Date.now(),
    );
  }

  private async registerJob(jobId: string, coordinatorKey: string): Promise<void> {
    const directory = this.env.JOB_DIRECTORY.get(this.env.JOB_DIRECTORY.idFromName(jobDirectoryShard(jobId)));
    await directory.register(jobId, coordinatorKey);
  }

  private async startWorkflow(jobId: string): Promise<void> {
    const job = this.job(jobId);
    if (!job) return;
    const params = JSON.parse(job.params) as EnrichCourseParams;
    try {
      await this.env.ENRICH_COURSE.create({ id: jobId, params });
      const now = Date.now();
      this.sql.exec("UPDATE jobs SET started_at = ?, instance_id = ?, last_progress_at = ? WHERE job_id = ?", now, jobId, now, jobId);
      await this.armWatchdog();
      this.log.info("run_started", { job_id: jobId, source: job.source });
    } catch (error) {
      const message = `could not start the enrichment workflow: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error("run_start_failed", { job_id: jobId, error: message });
      await this.finish(jobId, { status: "failed", error: message });
    }
  }

  /** Called by the workflow as each step or provider call ends (replays send the same report again). */
  recordStep(jobId: string, report: StepReport, courseId?: string): void {
    const job = this.job(jobId);
    if (!job || !ACTIVE.includes(job.status)) return;
    const reports = (JSON.parse(job.steps) as StepReport[]).filter((r) => r.key !== report.key);
    reports.push(report);
    const cost = reports.reduce((sum, r) => sum + r.cost_usd, 0);
    this.sql.exec(
      "UPDATE jobs SET steps = ?, cost_usd = ?, status = 'running', course_id = COALESCE(?, course_id), last_progress_at = ?, silent_rounds = 0 WHERE job_id = ?",
      JSON.stringify(reports),
      Math.round(cost * 1e6) / 1e6,
      courseId ?? null,
      Date.now(),
      jobId,
    );
  }

  /** A sign of life from the workflow: a step began, or it is about to sleep until `quietUntil` (a rate-gate slot). */
  progress(jobId: string, quietUntil?: number): void {
    this.sql.exec(
      "UPDATE jobs SET last_progress_at = ?, quiet_until = MAX(COALESCE(quiet_until, 0), ?), silent_rounds = 0 WHERE job_id = ? AND status IN ('queued', 'running')",
      Date.now(),
      quietUntil ?? 0,
      jobId,
    );
  }

  /** The callbacks and extra intake tasks of a job as they are now (joins after the start add to them). */
  audience(jobId: string): JobAudience {
    const job = this.job(jobId);
    if (!job) return { callback_urls: [], intake_task_ids: [] };
    const params = JSON.parse(job.params) as EnrichCourseParams;
    return { callback_urls: params.callback_urls, intake_task_ids: params.intake_task_ids ?? [] };
  }

  /** A recorded answer of the job's call `key` (a provider call or a ClickUp write), or null. */
  recordedCall(jobId: string, key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM calls WHERE job_id = ? AND key = ?", jobId, key).toArray()[0]?.value ?? null;
  }

  recordCall(jobId: string, key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO calls (job_id, key, value) VALUES (?, ?, ?)", jobId, key, value);
  }

  /** Called by the workflow when the run ends (or by the watchdog when the workflow died). */
  async runFinished(jobId: string, outcome: RunOutcome, instanceId?: string): Promise<void> {
    // A replaced instance that wakes up late must not finish the job its successor is running.
    const job = this.job(jobId);
    if (instanceId && job?.instance_id && job.instance_id !== instanceId) {
      this.log.warn("stale_instance_report_ignored", { job_id: jobId, instance_id: instanceId });
      return;
    }
    await this.finish(jobId, outcome);
  }

  private async finish(jobId: string, outcome: RunOutcome): Promise<void> {
    const job = this.job(jobId);
    if (!job || !ACTIVE.includes(job.status)) return;
    const now = Date.now();
    this.sql.exec(
      `UPDATE jobs SET status = ?, error = ?, finished_at = ?, course_id = COALESCE(?, course_id),
         cost_usd = COALESCE(?, cost_usd), duration_ms = COALESCE(?, ?) WHERE job_id = ?`,
      outcome.status,
      outcome.error ?? null,
      now,
      outcome.course_id ?? null,
      outcome.cost_usd ?? null,
      outcome.duration_ms ?? null,
      now - (job.started_at ?? job.created_at),
      jobId,
    );
    this.log.info("run_finished", { job_id: jobId, status: outcome.status, error: outcome.error });
    this.sql.exec("DELETE FROM calls WHERE job_id = ?", jobId);
    if (this.meta("current_job") !== jobId) return;
    this.setMeta("current_job", null);
    await this.ctx.storage.deleteAlarm();
    const pending = this.pendingJob();
    if (pending) {
      this.setMeta("pending_job", null);
      this.setMeta("current_job", pending.job_id);
      await this.startWorkflow(pending.job_id);
    }
  }

  private watchdogMs(): number {
    return configFor(this.env).env.RUN_WATCHDOG_SECONDS * 1000;
  }

  /** The watchdog looks four times per RUN_WATCHDOG_SECONDS, so a stall is acted on within it. */
  private async armWatchdog(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + Math.max(250, Math.floor(this.watchdogMs() / 4)));
  }

  /**
   * Watchdog. A finished workflow that did not report is finished here; a dead one (errored or
   * terminated without reporting) is failed in the database and here, and the follow-up starts. A
   * workflow that shows no sign of life for half of RUN_WATCHDOG_SECONDS (a crash or a redeploy left
   * it "running" with nothing running it) is terminated and re-created for the same job, at most
   * MAX_RESTARTS times: the new instance replays the calls already answered (recorded here) and
   * finishes the run. A lookup that errors is retried, and never taken as death on its own.
   */
  override async alarm(): Promise<void> {
    const active = this.activeJob();
    if (!active || active.started_at === null) return;
    const instanceId = active.instance_id ?? active.job_id;
    const status = await this.instanceStatus(instanceId);
    if (status === "gone") {
      await this.recover(active, "the Workflows engine has no such instance (its state was lost)");
      return;
    }
    if (status === null) {
      const rounds = active.silent_rounds + 1;
      this.sql.exec("UPDATE jobs SET silent_rounds = ? WHERE job_id = ?", rounds, active.job_id);
      this.log.warn("watchdog_lookup_failed", { job_id: active.job_id, instance_id: instanceId, rounds });
      if (rounds >= MAX_SILENT_ROUNDS && this.stalled(active)) await this.recover(active, "the Workflows engine did not answer for the run's instance");
      else await this.armWatchdog();
      return;
    }
    if (status.status === "complete") {
      const output = status.output as RunOutcome | undefined;
      await this.finish(active.job_id, output?.status ? output : { status: "succeeded" });
      return;
    }
    if (status.status === "errored" || status.status === "terminated") {
      const reason = `workflow ${status.status}: ${status.error?.message ?? "no error reported"}`;
      await this.failInDatabase(active, reason);
      await this.finish(active.job_id, { status: "failed", error: reason });
      return;
    }
    if (this.stalled(active)) {
      await this.recover(active, `no progress for ${Math.round((Date.now() - (active.last_progress_at ?? active.started_at)) / 1000)} s while ${status.status}`);
      return;
    }
    await this.armWatchdog();
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
        return await (await this.env.ENRICH_COURSE.get(instanceId)).status();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (/not[_ ]found/i.test(message) && ++notFound === LOOKUP_TRIES) return "gone";
        this.log.warn("watchdog_lookup_error", { instance_id: instanceId, attempt, error: message });
        if (attempt < LOOKUP_TRIES) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    return null;
  }

  /** A stalled instance: terminated, then re-created for the same job; after MAX_RESTARTS the run is failed. */
  private async recover(job: JobRow, why: string): Promise<void> {
    const instanceId = job.instance_id ?? job.job_id;
    try {
      await (await this.env.ENRICH_COURSE.get(instanceId)).terminate();
    } catch (error) {
      // Already gone, or the engine lost it: either way it will not write again.
      this.log.warn("watchdog_terminate_failed", { job_id: job.job_id, instance_id: instanceId, error: error instanceof Error ? error.message : String(error) });
    }
    if (job.restarts >= MAX_RESTARTS) {
      const reason = `the run stalled ${job.restarts + 1} times (${why}); it was stopped`;
      this.log.error("run_stalled", { alert: "admin", job_id: job.job_id, reason });
      await this.failInDatabase(job, reason);
      await this.finish(job.job_id, { status: "failed", error: reason });
      return;
    }
    const restart = job.restarts + 1;
    const nextId = `${job.job_id}-r${restart}`;
    const params: EnrichCourseParams = { ...(JSON.parse(job.params) as EnrichCourseParams), restart };
    try {
      await this.env.ENRICH_COURSE.create({ id: nextId, params });
    } catch (error) {
      this.log.error("watchdog_restart_failed", { job_id: job.job_id, instance_id: nextId, error: error instanceof Error ? error.message : String(error) });
      await this.armWatchdog();
      return;
    }
    this.sql.exec(
      "UPDATE jobs SET instance_id = ?, restarts = ?, last_progress_at = ?, quiet_until = NULL, silent_rounds = 0 WHERE job_id = ?",
      nextId,
      restart,
      Date.now(),
      job.job_id,
    );
    this.log.warn("run_restarted", { job_id: job.job_id, instance_id: nextId, restart, why });
    await this.armWatchdog();
  }

  private async failInDatabase(job: JobRow, reason: string): Promise<void> {
    if (!job.course_id) return;
    try {
      await createStore(configFor(this.env)).call(
        "fail_enrichment_run",
        { run_id: job.job_id, course_id: job.course_id, error: reason },
        FailRunResult,
      );
    } catch (error) {
      this.log.error("watchdog_fail_write_failed", { job_id: job.job_id, error });
    }
  }

  getJob(jobId: string): JobView | null {
    const job = this.job(jobId);
    if (!job) return null;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      job_id: job.job_id,
      course_id: job.course_id,
      status: job.status,
      source: job.source,
      steps: summarizeSteps(JSON.parse(job.steps) as StepReport[]),
      cost_usd: job.cost_usd,
      duration_ms: job.duration_ms,
      created_at: new Date(job.created_at).toISOString(),
      started_at: iso(job.started_at),
      finished_at: iso(job.finished_at),
      ...(job.error ? { error: job.error } : {}),
      coalesced_triggers: job.coalesced,
      restarts: job.restarts ?? 0,
    };
  }

  /** Ids of this course's current and pending jobs (for tests and the admin view). */
  queueState(): { current: string | null; pending: string | null } {
    return { current: this.activeJob()?.job_id ?? null, pending: this.pendingJob()?.job_id ?? null };
  }
}

const STATUS_RANK: Record<JobStep["status"], number> = { succeeded: 0, skipped: 1, running: 2, failed: 3 };

/** Merges step reports per agent label, in the order the labels first appeared. */
export function summarizeSteps(reports: StepReport[]): JobStep[] {
  const byLabel = new Map<string, StepReport[]>();
  for (const report of [...reports].sort((a, b) => a.started_at - b.started_at)) {
    const list = byLabel.get(report.label) ?? [];
    list.push(report);
    byLabel.set(report.label, list);
  }
  return [...byLabel.entries()].map(([agent, list]) => {
    const status = list.reduce<JobStep["status"]>((worst, r) => (STATUS_RANK[r.status] > STATUS_RANK[worst] ? r.status : worst), "succeeded");
    const finished = list.every((r) => r.finished_at !== null) ? Math.max(...list.map((r) => r.finished_at ?? 0)) : null;
    const error = list.find((r) => r.error)?.error;
    return {
      agent,
      status,
      duration_ms: finished === null ? null : finished - Math.min(...list.map((r) => r.started_at)),
      cost_usd: Math.round(list.reduce((sum, r) => sum + r.cost_usd, 0) * 1e6) / 1e6,
      calls: list.filter((r) => r.provider_call).length,
      ...(error ? { error } : {}),
    };
  });
}
