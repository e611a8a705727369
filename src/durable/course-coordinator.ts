/** The CourseCoordinator Durable Object: one per course, it dedupes triggers, keeps one run in flight and folds the rest into one follow-up. */
import { DurableObject } from "cloudflare:workers";
import { roundUsd } from "../lib/usd.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { type JobRow, jobView } from "./course-jobs.ts";
import { jobDirectoryShard } from "./job-directory.ts";
import { RunWatchdog } from "./run-watchdog.ts";
import { runSlots } from "./run-slots.ts";
import type {
  CourseRef,
  EnrichCourseParams,
  JobStatus,
  JobAudience,
  JobView,
  StepReport,
  RunOutcome,
  TriggerInput,
  TriggerResult,
} from "../pipeline/jobs.types.ts";
import { slotPriorityOf } from "../pipeline/jobs.types.ts";

/** Bump when the tables below change; `migrate()` brings older objects forward. */
const SCHEMA_VERSION = 3;
/** A job whose slot request failed asks again after this long. */
const ADMISSION_RETRY_MS = 2_000;

const ACTIVE: JobStatus[] = ["queued", "running"];

/**
 * One object per course. It orders work and keeps progress; the work itself runs in the
 * EnrichCourse workflow. Guarantees: a trigger seen before is a no-op; at most one run in flight;
 * triggers arriving during a run fold into one follow-up run that starts when the run ends.
 */
export class CourseCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly log: Logger;
  private readonly watchdog: RunWatchdog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.log = createLogger(configFor(env).env.LOG_LEVEL, { component: "course_coordinator" }, configFor(env).secrets);
    this.watchdog = new RunWatchdog({
      env, log: this.log, sql: this.sql, storage: ctx.storage,
      activeJob: () => this.activeJob(),
      finish: (jobId, outcome) => this.finish(jobId, outcome),
    });
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
    if (version < 3) {
      // Admission: a run starts only with one of the app's MAX_RUNS_IN_FLIGHT slots.
      this.sql.exec("ALTER TABLE jobs ADD COLUMN slot_id TEXT");
      this.sql.exec("ALTER TABLE jobs ADD COLUMN slot_position INTEGER");
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
      if (seenJob) {
        await this.releaseUnused(input.slot_id);
        return { job_id: seenJob.job_id, status: seenJob.status, outcome: "duplicate" };
      }
    }

    const active = this.activeJob();
    let result: TriggerResult;
    const intakeTask = input.source === "clickup" ? input.course.clickup_task_id : undefined;
    if (!active && intakeTask && input.link_if_enriched) {
      // Another rep asked for a course that is already enriched: link the task to its leads, no new run.
      const last = this.sql.exec<{ job_id: string }>("SELECT job_id FROM jobs ORDER BY created_at DESC LIMIT 1").toArray()[0];
      result = { job_id: last?.job_id ?? "", status: last ? (this.job(last.job_id)?.status ?? "succeeded") : "succeeded", outcome: "linked" };
      this.log.info("trigger_accepted", { source: input.source, job_id: result.job_id, outcome: result.outcome });
      await this.releaseUnused(input.slot_id);
      return result;
    }
    if (!active) {
      const job = this.insertJob(input, coordinatorKey);
      this.setMeta("current_job", job.job_id);
      this.remember(input.dedupe_key, job.job_id);
      await this.registerJob(job.job_id, coordinatorKey);
      await this.admit(job.job_id, input.slot_id);
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
    // The run in flight has its own slot; a follow-up asks for one when it starts.
    await this.releaseUnused(input.slot_id);
    return result;
  }

  /**
   * Admission: the job starts with a slot of the app's MAX_RUNS_IN_FLIGHT: the one its trigger holds
   * (an import row's), else one asked for now. Without a free slot it stays queued, no Workflow made,
   * until RunSlots calls `admitted` (a wait outside any step, so an hour in line times nothing out).
   */
  private async admit(jobId: string, heldSlot?: string): Promise<void> {
    const job = this.job(jobId);
    if (!job) return;
    const params = JSON.parse(job.params) as EnrichCourseParams;
    const slots = runSlots(this.env);
    let slotId: string | null = null;
    try {
      if (heldSlot && (await slots.bind(heldSlot, jobId, params.coordinator_key))) slotId = heldSlot;
      else {
        const grant = await slots.acquire({ job_id: jobId, coordinator_key: params.coordinator_key, priority: slotPriorityOf(job.source) });
        if (!grant.granted) {
          this.sql.exec("UPDATE jobs SET slot_position = ? WHERE job_id = ?", grant.position, jobId);
          this.log.info("run_waiting_for_slot", { job_id: jobId, source: job.source, position: grant.position });
          return;
        }
        slotId = grant.slot_id;
      }
    } catch (error) {
      // The slots object did not answer: the job stays queued and asks again shortly (the limit holds).
      this.log.warn("run_slot_unavailable", { job_id: jobId, error });
      this.setMeta("admission_retry", jobId);
      await this.ctx.storage.setAlarm(Date.now() + ADMISSION_RETRY_MS);
      return;
    }
    this.setMeta("admission_retry", null);
    this.sql.exec("UPDATE jobs SET slot_id = ?, slot_position = NULL WHERE job_id = ?", slotId, jobId);
    await this.startWorkflow(jobId);
  }

  /** RunSlots granted a waiting job a slot: it starts now (false: it no longer waits; the slot goes on). */
  async admitted(jobId: string, slotId: string): Promise<boolean> {
    const job = this.job(jobId);
    if (!job || job.status !== "queued" || job.started_at !== null || this.meta("current_job") !== jobId) return false;
    this.sql.exec("UPDATE jobs SET slot_id = ?, slot_position = NULL WHERE job_id = ?", slotId, jobId);
    await this.startWorkflow(jobId);
    return true;
  }

  /** RunSlots' audit: whether the job still runs with this slot. */
  holdsSlot(jobId: string, slotId: string): boolean {
    const job = this.job(jobId);
    return !!job && ACTIVE.includes(job.status) && job.slot_id === slotId;
  }

  /** A slot the trigger brought that no job of this course took: back to RunSlots. */
  private async releaseUnused(slotId: string | undefined): Promise<void> {
    if (!slotId) return;
    const owner = this.sql.exec<{ job_id: string }>("SELECT job_id FROM jobs WHERE slot_id = ?", slotId).toArray()[0];
    if (owner) return;
    await runSlots(this.env).release(slotId).catch((error: unknown) => this.log.warn("run_slot_release_failed", { slot_id: slotId, error }));
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
      await this.watchdog.arm();
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
      roundUsd(cost),
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
    // The slot goes to the next run in line (RunSlots' audit frees it if this call is lost).
    const slots = runSlots(this.env);
    await (job.slot_id ? slots.release(job.slot_id) : slots.cancel(jobId)).catch((error: unknown) =>
      this.log.warn("run_slot_release_failed", { job_id: jobId, slot_id: job.slot_id, error }),
    );
    if (this.meta("current_job") !== jobId) return;
    this.setMeta("current_job", null);
    await this.ctx.storage.deleteAlarm();
    const pending = this.pendingJob();
    if (pending) {
      this.setMeta("pending_job", null);
      this.setMeta("current_job", pending.job_id);
      await this.admit(pending.job_id);
    }
  }

  getJob(jobId: string): JobView | null {
    const job = this.job(jobId);
    if (!job) return null;
    const waiting = ACTIVE.includes(job.status) && job.started_at === null && this.meta("current_job") === jobId;
    return { ...jobView(job), ...(waiting ? { waiting_for_slot: { position: job.slot_position } } : {}) };
  }

  /** The watchdog's look (see run-watchdog.ts): a workflow that ended, died or stalled without reporting. */
  override async alarm(): Promise<void> {
    // A job whose admission could not be asked for (RunSlots did not answer) asks again.
    const retry = this.meta("admission_retry");
    const waiting = retry ? this.job(retry) : null;
    if (waiting && waiting.status === "queued" && waiting.started_at === null && this.meta("current_job") === retry) {
      await this.admit(waiting.job_id);
      return;
    }
    await this.watchdog.look();
  }

  /** Ids of this course's current and pending jobs (for tests and the admin view). */
  queueState(): { current: string | null; pending: string | null } {
    return { current: this.activeJob()?.job_id ?? null, pending: this.pendingJob()?.job_id ?? null };
  }
}

