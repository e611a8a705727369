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
  JobView,
  StepReport,
  RunOutcome,
  TriggerInput,
  TriggerResult,
  TriggerSource,
} from "./jobs.ts";

/** Bump when the tables below change; `migrate()` brings older objects forward. */
const SCHEMA_VERSION = 1;

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
    this.log = createLogger(configFor(env).env.LOG_LEVEL, { component: "course_coordinator" });
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
    if (!active) {
      const job = this.insertJob(input, coordinatorKey);
      this.setMeta("current_job", job.job_id);
      this.remember(input.dedupe_key, job.job_id);
      await this.registerJob(job.job_id, coordinatorKey);
      await this.startWorkflow(job.job_id);
      const started = this.job(job.job_id);
      return { job_id: job.job_id, status: started?.status ?? "queued", outcome: "new" };
    }
    if (input.source === "api") {
      // A repeated API request for a course in flight gets that run's job id (and its callback is kept).
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
      if (v !== undefined && (job.status === "queued" || course[k] === undefined)) course[k] = v;
    }
    const callbacks = new Set(params.callback_urls);
    if (input.callback_url) callbacks.add(input.callback_url);
    const merged: EnrichCourseParams = { ...params, course, callback_urls: [...callbacks] };
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
      this.sql.exec("UPDATE jobs SET started_at = ? WHERE job_id = ?", Date.now(), jobId);
      await this.ctx.storage.setAlarm(Date.now() + configFor(this.env).env.RUN_WATCHDOG_SECONDS * 1000);
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
      "UPDATE jobs SET steps = ?, cost_usd = ?, status = 'running', course_id = COALESCE(?, course_id) WHERE job_id = ?",
      JSON.stringify(reports),
      Math.round(cost * 1e6) / 1e6,
      courseId ?? null,
      jobId,
    );
  }

  /** Called by the workflow when the run ends (or by the watchdog when the workflow died). */
  async runFinished(jobId: string, outcome: RunOutcome): Promise<void> {
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

  /**
   * Watchdog: if the workflow of the run in flight has died without reporting (terminated, or an
   * error its own handler could not record), the run is failed in the database and here, and the
   * follow-up run (if any) starts. A course is never left `enriching`.
   */
  override async alarm(): Promise<void> {
    const active = this.activeJob();
    if (!active || active.started_at === null) return;
    let status: InstanceStatus;
    try {
      status = await (await this.env.ENRICH_COURSE.get(active.job_id)).status();
    } catch (error) {
      status = { status: "unknown", error: { name: "Error", message: String(error) } };
    }
    if (status.status === "errored" || status.status === "terminated" || status.status === "unknown") {
      const reason = `workflow ${status.status}: ${status.error?.message ?? "no error reported"}`;
      await this.failInDatabase(active, reason);
      await this.finish(active.job_id, { status: "failed", error: reason });
      return;
    }
    if (status.status === "complete") {
      const output = status.output as RunOutcome | undefined;
      await this.finish(active.job_id, output?.status ? output : { status: "succeeded" });
      return;
    }
    await this.ctx.storage.setAlarm(Date.now() + configFor(this.env).env.RUN_WATCHDOG_SECONDS * 1000);
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
