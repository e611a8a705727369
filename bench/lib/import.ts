// The Import figures of issue 16: a CSV of `rows` new courses through `POST /api/imports`, on the
// parallel Worker, under the plan's ClickUp limit and the app's MAX_RUNS_IN_FLIGHT run slots.
//
// What `measureImport` returns (the targets and why, in bench/README.md "The import"):
//   import.rows                                  rows imported (500 on the full run, 20 on --quick)
//   import.makespan_ms                           POST → the last row's job finished (or the import's
//                                                finished_at, whichever is later)
//   import.ceiling_ms                            the bound no implementation can beat (importCeiling)
//   import.makespan_over_ceiling                 measured ÷ ceiling: lower is better, target ≤ 1.25
//                                                (the ClickUp gate leaves 5% headroom and a 10%
//                                                interactive reserve: background writes get 85% of
//                                                the plan, 1 ÷ 0.85 ≈ 1.18 before any slack)
//   import.interactive_wall_over_critical_path   a rep's course entered mid-import (target ≤ 1.5)
//   import.clickup_429s                          target 0
//   import.max_in_flight, import.limit           in_flight + reserved sampled from GET /api/admission (≤ limit)

import { CLICKUP_SEED } from "../../sandbox/clickup/index.ts";
import { COURSES } from "../../sandbox/world/index.ts";
import { analyzePhase, type AnalyzeSettings } from "./analyze.ts";
import { BENCH_API_KEY, clearCounters, type BenchWorker, type BenchWorld } from "./app.ts";
import { fixedWindows, type IdealMakespan } from "./burst.ts";
import { cpuBetween, sampleCpu } from "./cpu.ts";
import { cpus } from "node:os";
import { getJob, loadRunDetails, newRunRecord, RunTracker, type BenchCourse, type PhaseResult, type RunRecord } from "./phase.ts";

export interface ImportCeilingInput {
  /** Every run's critical path (real ms): the import's rows and the rep's course. */
  criticalPathsMs: readonly number[];
  /** ClickUp requests the limit counted over the import (429s are not). */
  clickupRequests: number;
  rate: { requests: number; windowMs: number };
  /** The earliest a run can make its first ClickUp request (real ms after the POST). */
  shortestPathToFirstRequestMs: number;
  /** MAX_RUNS_IN_FLIGHT. */
  limit: number;
}

export interface ImportCeiling extends Omit<IdealMakespan, "binding"> {
  /** Σ critical paths ÷ limit: at most `limit` runs at once, each for at least its critical path. */
  work_bound_ms: number;
  /** requests ÷ rate + the path: the plan's average, for reference (not a bound: a window can pass at once). */
  rate_average_ms: number;
  binding: "critical_path" | "rate_limit" | "run_slots";
}

/**
 * max(the plan's floor for the requests + the shortest path to the first request, Σ critical paths ÷
 * limit, the longest critical path): each term alone is a makespan nothing can beat, so the largest is.
 * The plan's floor is (⌈requests ÷ limit⌉ − 1) windows, not requests ÷ rate: no window of W holds more
 * than L requests, but one window's L may pass at once (a 20-row import's 58 requests fit in one
 * window, and the app ended it in 0.6 × requests ÷ rate).
 */
export function importCeiling(input: ImportCeilingInput): ImportCeiling {
  const longest = input.criticalPathsMs.length ? Math.max(...input.criticalPathsMs) : 0;
  const windows = Math.max(0, Math.ceil(input.clickupRequests / input.rate.requests) - 1);
  const rate = input.clickupRequests > 0 ? windows * input.rate.windowMs + input.shortestPathToFirstRequestMs : 0;
  const average = (input.clickupRequests * input.rate.windowMs) / input.rate.requests + input.shortestPathToFirstRequestMs;
  const work = input.criticalPathsMs.reduce((s, x) => s + x, 0) / Math.max(1, input.limit);
  const ceiling = Math.max(longest, rate, work);
  const binding = ceiling === rate ? "rate_limit" : ceiling === work && work > longest ? "run_slots" : "critical_path";
  return { ideal_ms: ceiling, longest_critical_path_ms: longest, rate_bound_ms: rate, rate_average_ms: average, work_bound_ms: work, binding };
}

export interface ImportFigures {
  rows: number;
  completed: number;
  failed: number;
  makespan_ms: number | null;
  ceiling_ms: number;
  makespan_over_ceiling: number | null;
  ceiling: ImportCeiling & { shortest_path_to_first_request_ms: number };
  /** POST → the import's own finished_at (the import runner sees the end at its next poll). */
  import_finished_ms: number | null;
  clickup_requests: number;
  clickup_429s: number;
  interactive_wall_over_critical_path: number | null;
  /** The rep's run: where its wall time went (waiting for a slot, to its result, its ClickUp writes after). */
  interactive: { wall_ms: number | null; critical_path_ms: number | null; slot_wait_ms: number | null; to_db_ms: number | null; critical_path_to_db_ms: number | null; entered_at_ms: number; rows_done_at_entry: number; status: string } | null;
  max_in_flight: number;
  limit: number;
  admission_samples: number;
  /** Time-averaged GET /api/admission over the import: how full the slots were kept (bound runs, reservations in the queue). */
  slots_mean: { in_flight: number; reserved: number };
  /** The emulator's fixed windows over the import (start s after the POST, requests in it): where ClickUp sat idle. */
  clickup_windows: Array<{ start_ms: number; requests: number }>;
  /** Busiest workerd process's CPU ÷ the import's duration, and the benchmark's own process (emulators, PGlite). */
  busiest_workerd_utilization: number | null;
  bench_process_utilization: number | null;
  critical_path_ms: { p50: number | null; sum: number };
}

export const IMPORT_NOT_MEASURED = "the import did not run";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const r = (x: number | null, digits = 0): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);

interface ImportView {
  finished_at: string | null;
  status: string;
  progress: Record<"queued" | "running" | "succeeded" | "partial" | "failed" | "invalid" | "duplicate" | "skipped", number>;
  rows: Array<{ line: number; status: string; course_name: string; state: string; job_id: string | null }>;
}

async function api<T>(worker: BenchWorker, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, worker.url), { ...init, headers: { "x-api-key": BENCH_API_KEY, ...(init.headers ?? {}) } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** The world's courses a run can enrich (Cedar Ridge has no website and fails by design). */
const WORLD = COURSES.filter((c) => c.website !== null);

export async function measureImport(
  world: BenchWorld,
  worker: BenchWorker,
  opts: { rows: number; timeScale: number; analyze: AnalyzeSettings; log?: (line: string) => void },
): Promise<{ figures: ImportFigures | null; reason?: string }> {
  const log = opts.log ?? (() => {});
  if (opts.rows <= 0) return { figures: null, reason: "--import 0" };
  clearCounters(world);
  // "<Course> imp<tag> <n>": a course the app has never seen (no duplicate, no 30-day skip); the
  // emulators find the world course by its name inside the free text.
  const tag = `imp${crypto.randomUUID().slice(0, 4)}`;
  const courses: BenchCourse[] = Array.from({ length: opts.rows }, (_, i) => {
    const c = WORLD[i % WORLD.length]!;
    return { name: `${c.name} ${tag} ${i + 1}`, state: c.state, world: c.name };
  });
  const csv = `course,state\n${courses.map((c) => `"${c.name.replace(/"/g, '""')}",${c.state}`).join("\n")}\n`;
  const limit = (await api<{ limit: number }>(worker, "/api/admission")).body.limit;

  const cpuStart = sampleCpu();
  const postedAt = Date.now();
  const accepted = await api<{ import_id: string; valid: number }>(worker, "/api/imports?filename=bench.csv", { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
  if (accepted.status !== 202 || accepted.body.valid !== opts.rows) return { figures: null, reason: `POST /api/imports answered ${accepted.status} ${JSON.stringify(accepted.body).slice(0, 200)}` };
  const importId = accepted.body.import_id;
  log(`${opts.rows} rows accepted (import ${importId}), run slots ${limit}`);

  // Admission sampled every 250 ms: a slot held briefly between samples may be missed, so this is a lower bound on the peak.
  let maxInFlight = 0;
  let samples = 0;
  let sumInFlight = 0;
  let sumReserved = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await api<{ in_flight: number; reserved: number }>(worker, "/api/admission").catch(() => null);
      if (s?.status === 200) {
        maxInFlight = Math.max(maxInFlight, s.body.in_flight + s.body.reserved);
        sumInFlight += s.body.in_flight;
        sumReserved += s.body.reserved;
        samples++;
      }
      await sleep(250);
    }
  })();

  // A rep's course, through the production door (intake task + signed webhook), once a tenth of the
  // rows are done: the import is in its steady state (slots full, ClickUp busy) and rows still wait.
  const timeoutMs = Math.max(600_000, opts.rows * 20_000 * Math.max(opts.timeScale, 0.05));
  const tracker = new RunTracker(world, worker, { timeoutMs });
  let rep: RunRecord | null = null;
  let repDone: Promise<void> | null = null;
  let repRowsDone = 0;
  let view: ImportView | null = null;
  const deadline = postedAt + timeoutMs;
  let lastLogged = 0;
  for (;;) {
    const v = await api<ImportView>(worker, `/api/imports/${importId}`).catch(() => null);
    if (v?.status === 200) {
      view = v.body;
      const p = view.progress;
      const done = p.succeeded + p.partial + p.failed;
      if (!rep && !view.finished_at && done >= Math.max(1, Math.round(opts.rows / 10))) {
        const repCourse: BenchCourse = { name: `${WORLD[0]!.name} ${tag} rep`, state: WORLD[0]!.state, world: WORLD[0]!.name };
        const createdAtMs = Date.now();
        const task = world.sandbox.servers.clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${repCourse.name}, ${repCourse.state}` });
        rep = newRunRecord(world, opts.rows, repCourse, String(task.id), createdAtMs);
        repRowsDone = done;
        repDone = tracker.follow(rep);
        log(`a rep's course entered with ${done}/${opts.rows} rows done (${p.queued} queued, ${p.running} running)`);
      }
      if (done - lastLogged >= Math.max(1, Math.floor(opts.rows / 5))) {
        lastLogged = done;
        log(`${done}/${opts.rows} rows done after ${((Date.now() - postedAt) / 1000).toFixed(0)} s`);
      }
      if (view.finished_at) break;
    }
    if (Date.now() > deadline) break;
    await sleep(1_000);
  }
  await repDone;
  sampling = false;
  await sampler;
  const cpu = cpuBetween(cpuStart, sampleCpu(), cpus().length);
  if (!view?.finished_at) return { figures: null, reason: `the import did not finish within ${timeoutMs} ms (${JSON.stringify(view?.progress ?? null)})` };

  // Every row's job, to its end (the job's finished_at is after its lead-task writes; the import's
  // finished_at only needs every run's result in the database).
  const all = (await api<ImportView>(worker, `/api/imports/${importId}?rows=all`)).body;
  const runs: RunRecord[] = all.rows.map((row, i) => ({
    index: i,
    course: courses[row.line - 2] ?? { name: row.course_name, state: row.state },
    task_id: "(import row: no intake task)",
    trigger_suffix: `csv:${importId}:${row.line}`,
    job_id: row.job_id,
    status: row.status,
    error: null,
    created_at_ms: postedAt,
    finished_at_ms: null,
    wall_ms: null,
    job: null,
    calls: [],
    run_cost_usd: null,
    applied_at_ms: null,
    contacts: null,
  }));
  for (let pass = 0; pass < 30 && runs.some((x) => x.job_id && x.finished_at_ms === null); pass++) {
    const open = runs.filter((x) => x.job_id && x.finished_at_ms === null);
    for (let i = 0; i < open.length; i += 4) {
      await Promise.all(
        open.slice(i, i + 4).map(async (run) => {
          const job = await getJob(worker, run.job_id!).catch(() => null);
          if (!job?.finished_at) return;
          run.job = job;
          run.status = job.partial ? "partial" : job.status;
          run.error = job.error ?? null;
          run.finished_at_ms = Date.parse(job.finished_at);
          run.wall_ms = run.finished_at_ms - postedAt;
        }),
      );
    }
    if (runs.some((x) => x.job_id && x.finished_at_ms === null)) await sleep(1_000);
  }
  await world.sandbox.servers.clickup.flushWebhooks();
  const followed = rep ? [...runs, rep] : runs;
  await loadRunDetails(world, followed);
  const servers = world.sandbox.servers;
  const phase: PhaseResult = {
    label: "import",
    mode: worker.mode,
    runs: followed,
    counts: {
      requests: { anthropic: servers.anthropic.recorder.list(), clickup: servers.clickup.recorder.list(), hunter: servers.hunter.recorder.list(), perplexity: servers.perplexity.recorder.list(), jina: servers.jina.recorder.list() },
      db: world.proxy.counts(),
    },
    webhook_deliveries: 0,
    cpu: null,
    started_at_ms: postedAt,
    finished_at_ms: Date.now(),
  };
  const figures = analyzePhase(phase, opts.analyze);
  const importFigures = figures.runs.slice(0, runs.length);
  const repFigures = rep ? figures.runs[runs.length]! : null;

  const clickup = phase.counts.requests.clickup;
  const counted = clickup.filter((x) => x.status !== 429);
  // An import row reads nothing from ClickUp before its result: its first request is a lead-task
  // write after apply_enrichment, so no ClickUp request can come before the shortest path to a result.
  const shortestToFirst = Math.min(...importFigures.map((x) => x.critical_path_to_db_ms));
  const ceiling = importCeiling({ criticalPathsMs: figures.runs.map((x) => x.critical_path_ms), clickupRequests: counted.length, rate: opts.analyze.clickupRateLimit, shortestPathToFirstRequestMs: shortestToFirst, limit });
  const ends = runs.map((x) => x.finished_at_ms);
  const importFinished = Date.parse(view.finished_at);
  const makespan = ends.some((x) => x === null) ? null : Math.max(importFinished, ...(ends as number[])) - postedAt;
  const paths = importFigures.map((x) => x.critical_path_ms).sort((a, b) => a - b);
  const out: ImportFigures = {
    rows: opts.rows,
    completed: importFigures.filter((x) => x.status === "succeeded" || x.status === "partial").length,
    failed: importFigures.filter((x) => x.status === "failed").length,
    makespan_ms: r(makespan),
    ceiling_ms: r(ceiling.ideal_ms)!,
    makespan_over_ceiling: makespan === null ? null : r(makespan / ceiling.ideal_ms, 3),
    ceiling: { ...ceiling, ideal_ms: r(ceiling.ideal_ms)!, longest_critical_path_ms: r(ceiling.longest_critical_path_ms)!, rate_bound_ms: r(ceiling.rate_bound_ms)!, rate_average_ms: r(ceiling.rate_average_ms)!, work_bound_ms: r(ceiling.work_bound_ms)!, shortest_path_to_first_request_ms: r(shortestToFirst)! },
    import_finished_ms: importFinished - postedAt,
    clickup_requests: counted.length,
    clickup_429s: clickup.length - counted.length,
    interactive_wall_over_critical_path: repFigures?.wall_over_critical_path != null ? r(repFigures.wall_over_critical_path, 3) : null,
    interactive: rep
      ? {
          wall_ms: rep.wall_ms,
          critical_path_ms: r(repFigures?.critical_path_ms ?? null),
          slot_wait_ms: rep.job?.started_at ? Date.parse(rep.job.started_at) - rep.created_at_ms : null,
          to_db_ms: repFigures?.wall_to_db_ms ?? null,
          critical_path_to_db_ms: r(repFigures?.critical_path_to_db_ms ?? null),
          entered_at_ms: rep.created_at_ms - postedAt, rows_done_at_entry: repRowsDone, status: rep.status }
      : null,
    max_in_flight: maxInFlight,
    limit,
    admission_samples: samples,
    slots_mean: { in_flight: r(sumInFlight / Math.max(1, samples), 1)!, reserved: r(sumReserved / Math.max(1, samples), 1)! },
    clickup_windows: fixedWindows(counted.map((x) => x.time), opts.analyze.clickupRateLimit.windowMs, postedAt),
    busiest_workerd_utilization: cpu ? r(cpu.workerd_busiest_utilization, 2) : null,
    bench_process_utilization: cpu && cpu.elapsed_ms > 0 ? r(cpu.bench_process_ms / cpu.elapsed_ms, 2) : null,
    critical_path_ms: { p50: r(paths[Math.floor(paths.length / 2)] ?? null), sum: r(paths.reduce((s, x) => s + x, 0))! },
  };
  // The check behind shortestToFirst: a request earlier than it would mean a row reads ClickUp first.
  const firstRequest = counted.length ? Math.min(...counted.map((x) => x.time)) - postedAt : null;
  if (firstRequest !== null && firstRequest < shortestToFirst) log(`note: the first ClickUp request came ${firstRequest} ms after the POST, before the shortest path to a result (${Math.round(shortestToFirst)} ms)`);
  return { figures: out };
}
