// One measured phase: N course runs at concurrency C, each entering through the production door
// (a rep creates "<Course>, <ST>" in the ClickUp Intake list; the ClickUp emulator delivers the
// signed taskCreated webhook to the Worker), each followed until its job is finished.
//
// A run is found by its trigger: the Worker stores the webhook delivery's id (webhook id + history
// item id) as the run's trigger_key in enrichment_runs, whose id is the job id. Its wall time runs
// from the moment the task is created to the moment the job's coordinator records it finished
// (GET /api/jobs/:id finished_at), so it includes webhook delivery, every step, and everything the
// run does after the database write (ClickUp writes, callbacks).

import { CLICKUP_SEED } from "../../sandbox/clickup/index.ts";
import type { RecordedRequest } from "../../sandbox/core/recorder.ts";
import { BENCH_API_KEY, type BenchWorld, type BenchWorker, webhookOf } from "./app.ts";
import { cpuBetween, sampleCpu, type CpuUse } from "./cpu.ts";
import type { PgCounts } from "./pg-proxy.ts";
import { cpus } from "node:os";

export interface BenchCourse {
  name: string;
  state: string;
  /** The fixture-world course it stands for, when the name is a variant ("<Course> 2"). */
  world?: string;
}

export interface AgentCallRow {
  call_key: string;
  agent: string;
  provider: string;
  model: string | null;
  status: string;
  attempts: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  contact_name: string | null;
  error: string | null;
}

export interface JobView {
  job_id: string;
  status: string;
  partial?: boolean;
  cost_usd: number;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error?: string;
  steps: Array<{ agent: string; status: string; duration_ms: number | null; cost_usd: number; calls?: number }>;
}

export interface RunRecord {
  index: number;
  course: BenchCourse;
  task_id: string;
  trigger_suffix: string;
  job_id: string | null;
  /** Job status (succeeded | failed | ...), `partial` kept apart; `timed_out` when it never finished. */
  status: string;
  error: string | null;
  created_at_ms: number;
  finished_at_ms: number | null;
  wall_ms: number | null;
  job: JobView | null;
  calls: AgentCallRow[];
  run_cost_usd: number | null;
  /** When the database took the result (enrichment_runs.finished_at, set by apply_enrichment). */
  applied_at_ms: number | null;
  /** Contacts of the run's course in the database (every run enriches a course of its own). */
  contacts: number | null;
}

export interface PhaseCounts {
  requests: Record<"anthropic" | "clickup" | "hunter" | "perplexity" | "jina", RecordedRequest[]>;
  db: PgCounts;
}

export interface PhaseResult {
  label: string;
  mode: "parallel" | "sequential";
  runs: RunRecord[];
  counts: PhaseCounts;
  /** Webhook deliveries the ClickUp emulator made to the Worker during the phase (every event). */
  webhook_deliveries: number;
  /** CPU the machine spent during the phase (Linux), null elsewhere. */
  cpu: CpuUse | null;
  started_at_ms: number;
  finished_at_ms: number;
}

const TERMINAL = new Set(["succeeded", "partial", "failed"]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function getJob(worker: BenchWorker, jobId: string): Promise<JobView | null> {
  const response = await fetch(new URL(`/api/jobs/${jobId}`, worker.url), { headers: { "x-api-key": BENCH_API_KEY } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET /api/jobs/${jobId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobView;
}

/** The trigger the Worker records for the taskCreated delivery of this task (webhook id + history item id). */
export function triggerSuffixFor(world: BenchWorld, taskId: string): string {
  const delivery = world.sandbox.servers.clickup.webhookDeliveries({ task_id: taskId, event: "taskCreated", webhook_id: webhookOf(world).id })[0];
  if (!delivery) throw new Error(`the ClickUp emulator sent no taskCreated for task ${taskId}: is the webhook registered?`);
  const payload = JSON.parse(delivery.body) as { history_items?: Array<{ id: string | number }> };
  const historyId = payload.history_items?.[0]?.id;
  if (historyId === undefined) throw new Error(`taskCreated for ${taskId} carries no history item`);
  return `${webhookOf(world).id}:taskCreated:${historyId}`;
}

/** A fresh record for a run triggered by this intake task. */
export function newRunRecord(world: BenchWorld, index: number, course: BenchCourse, taskId: string, createdAtMs: number): RunRecord {
  return {
    index,
    course,
    task_id: taskId,
    trigger_suffix: triggerSuffixFor(world, taskId),
    job_id: null,
    status: "running",
    error: null,
    created_at_ms: createdAtMs,
    finished_at_ms: null,
    wall_ms: null,
    job: null,
    calls: [],
    run_cost_usd: null,
    applied_at_ms: null,
    contacts: null,
  };
}

/** A rep creates "<Course>, <ST>" in the Intake list; the emulator sends the signed taskCreated at once. */
function createIntakeTask(world: BenchWorld, index: number, course: BenchCourse): RunRecord {
  const createdAtMs = Date.now();
  const task = world.sandbox.servers.clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${course.name}, ${course.state}` });
  return newRunRecord(world, index, course, String(task.id), createdAtMs);
}

export interface FollowOptions {
  /** A run not finished after this long is recorded as timed_out. */
  timeoutMs: number;
  pollMs?: number;
}

/**
 * Follows runs to their end with one database query per tick for all of them (the benchmark must not
 * load the machine it measures), then the job API only for runs the database reports finished.
 */
export class RunTracker {
  readonly #world: BenchWorld;
  readonly #worker: BenchWorker;
  readonly #opts: FollowOptions;
  readonly #waiting = new Map<RunRecord, () => void>();
  /** Per run: when to ask the job API next, and the current back-off. */
  readonly #jobPolls = new Map<RunRecord, { at: number; delay: number }>();
  #loop: Promise<void> | undefined;
  /** The last error a look-up met, if any. */
  lastError: string | undefined;

  constructor(world: BenchWorld, worker: BenchWorker, opts: FollowOptions) {
    this.#world = world;
    this.#worker = worker;
    this.#opts = opts;
  }

  /** Resolves when the run has finished (or timed out); the record is filled in. */
  follow(run: RunRecord): Promise<void> {
    const done = new Promise<void>((resolve) => this.#waiting.set(run, resolve));
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
    return done;
  }

  #settle(run: RunRecord): void {
    this.#waiting.get(run)?.();
    this.#waiting.delete(run);
    this.#jobPolls.delete(run);
  }

  async #run(): Promise<void> {
    const poll = this.#opts.pollMs ?? 50;
    while (this.#waiting.size > 0) {
      await sleep(poll);
      try {
        await this.#tick();
      } catch (error) {
        // A failed look-up (the job API or the database busy) is tried again next tick; runs that
        // never finish time out below.
        this.lastError = error instanceof Error ? error.message : String(error);
      }
      const now = Date.now();
      for (const run of this.#waiting.keys()) {
        if (now > run.created_at_ms + this.#opts.timeoutMs) {
          run.status = "timed_out";
          run.error = `not finished within ${this.#opts.timeoutMs} ms${this.lastError ? ` (last look-up error: ${this.lastError})` : ""}`;
          this.#settle(run);
        }
      }
    }
  }

  async #tick(): Promise<void> {
    const runs = [...this.#waiting.keys()];
    const unknown = runs.filter((r) => !r.job_id);
    if (unknown.length) {
      const rows = await this.#world.sql<{ id: string; trigger_key: string }[]>`
        select id, trigger_key from enrichment_runs where trigger_key like any(${unknown.map((r) => `%${r.trigger_suffix}`)}::text[])`;
      for (const run of unknown) run.job_id = rows.find((row) => row.trigger_key.endsWith(run.trigger_suffix))?.id ?? null;
    }
    const known = runs.filter((r) => r.job_id);
    const rows = known.length
      ? await this.#world.sql<{ id: string; status: string }[]>`select id, status from enrichment_runs where id = any(${known.map((r) => r.job_id!)}::uuid[])`
      : [];
    const now0 = Date.now();
    const ended = known.filter((r) => TERMINAL.has(rows.find((row) => row.id === r.job_id)?.status ?? "") && (this.#jobPolls.get(r)?.at ?? 0) <= now0);
    await Promise.all(
      ended.map(async (run) => {
        // The database has the result; the job is finished once the run's last steps (ClickUp) are
        // done too. The job's own finished_at is the measurement, so asking late loses no accuracy:
        // the job API is asked with a back-off (100 ms doubling to 1 s), not every tick, so the
        // benchmark does not load the Worker it measures.
        const poll = this.#jobPolls.get(run) ?? { at: 0, delay: 50 };
        poll.delay = Math.min(poll.delay * 2, 1_000);
        poll.at = Date.now() + poll.delay;
        this.#jobPolls.set(run, poll);
        const job = await getJob(this.#worker, run.job_id!);
        if (!job?.finished_at) return;
        run.job = job;
        run.status = job.partial ? "partial" : job.status;
        run.error = job.error ?? null;
        run.finished_at_ms = Date.parse(job.finished_at);
        run.wall_ms = run.finished_at_ms - run.created_at_ms;
        this.#settle(run);
      }),
    );
  }
}

export async function loadRunDetails(world: BenchWorld, runs: RunRecord[]): Promise<void> {
  const ids = runs.map((r) => r.job_id).filter((id): id is string => id !== null);
  if (ids.length === 0) return;
  const calls = await world.sql<(AgentCallRow & { run_id: string })[]>`
    select run_id, call_key, agent, provider, model, status, attempts, input_tokens, output_tokens, cost_usd::float8 as cost_usd, contact_name, error
    from agent_calls where run_id = any(${ids}::uuid[]) order by id`;
  const rows = await world.sql<{ id: string; cost_usd: number | null; finished_ms: number | null; contacts: number }[]>`
    select r.id, r.cost_usd::float8 as cost_usd, (extract(epoch from r.finished_at) * 1000)::float8 as finished_ms,
           (select count(*) from contacts c where c.course_id = r.course_id)::int as contacts
    from enrichment_runs r where r.id = any(${ids}::uuid[])`;
  for (const run of runs) {
    run.calls = calls.filter((c) => c.run_id === run.job_id).map(({ run_id: _r, ...c }) => c);
    const row = rows.find((c) => c.id === run.job_id);
    run.run_cost_usd = row?.cost_usd ?? null;
    run.applied_at_ms = row?.finished_ms ?? null;
    run.contacts = row?.contacts ?? null;
  }
}

/** Runs `courses` through the door at this concurrency and follows each run to its end. */
export async function runPhase(
  world: BenchWorld,
  worker: BenchWorker,
  opts: { label: string; courses: BenchCourse[]; concurrency: number; follow: FollowOptions; onRunDone?: (run: RunRecord) => void },
): Promise<PhaseResult> {
  const started_at_ms = Date.now();
  const cpuStart = sampleCpu();
  const runs: RunRecord[] = [];
  const tracker = new RunTracker(world, worker, opts.follow);
  let next = 0;
  const slot = async () => {
    while (next < opts.courses.length) {
      const index = next++;
      const course = opts.courses[index]!;
      const run = createIntakeTask(world, index, course);
      runs.push(run);
      await tracker.follow(run);
      opts.onRunDone?.(run);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, slot));
  const finished_at_ms = Date.now();
  const cpu = cpuBetween(cpuStart, sampleCpu(), cpus().length);
  // Deliveries still in flight (the taskStatusUpdated of the last tasks, lead-task events) settle first.
  await world.sandbox.servers.clickup.flushWebhooks();
  runs.sort((a, b) => a.index - b.index);
  await loadRunDetails(world, runs);
  const servers = world.sandbox.servers;
  return {
    label: opts.label,
    mode: worker.mode,
    runs,
    counts: {
      requests: {
        anthropic: servers.anthropic.recorder.list(),
        clickup: servers.clickup.recorder.list(),
        hunter: servers.hunter.recorder.list(),
        perplexity: servers.perplexity.recorder.list(),
        jina: servers.jina.recorder.list(),
      },
      db: world.proxy.counts(),
    },
    cpu,
    webhook_deliveries: servers.clickup.webhookDeliveries({ webhook_id: webhookOf(world).id }).filter((d) => d.created_at >= started_at_ms).length,
    started_at_ms,
    finished_at_ms,
  };
}
