// `npm run bench` — speed, cost and API budget per course, measured side by side.
//
//   npm run bench                       N=40 courses, C=20, realistic latency at real speed (see bench/README.md)
//   npm run bench -- --quick            N=10, C=10, latencies × 0.5, smaller ack burst, no dashboard seed, a 20-row import: about three minutes (the budget)
//   npm run bench -- --courses 80 --concurrency 20 --time-scale 0.1 --no-sequential
//   npm run bench -- --import 500 --time-scale 0.2   the CSV import's figures alone (bench/lib/import.ts)
//
// Runs the courses through the real Worker (wrangler's harness: Durable Objects + Workflows)
// entering through the production door (signed ClickUp webhooks from the ClickUp emulator), first
// with the pipeline in parallel mode, then the same courses again with PIPELINE_MODE=sequential on a
// second Worker, and a burst of signed deliveries against the webhook route. Issue 16 adds a burst
// of courses at once under the plan's ClickUp limit beside its ideal makespan, the same burst on a
// third Worker with a limit that does not bind, data quality against the fixture world (read after
// each phase), webhook CPU per delivery, the dashboard at scale (full run) and the import hook
// (bench/lib/import.ts). Writes bench/results/latest.json and prints a table.

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { COURSES } from "../sandbox/world/index.ts";
import { webhookAckBurst, webhookAckSweep, type AckFigures, type AckSweepPoint } from "./lib/ack.ts";
import { analyzePhase, PRICE_TABLE, type PhaseFigures } from "./lib/analyze.ts";
import { clearCounters, setWorldLatency, startBenchWorker, startBenchWorld, type BenchWorld, type BenchWorker } from "./lib/app.ts";
import { runPhase, type BenchCourse, type PhaseResult } from "./lib/phase.ts";
import { type FreshnessFigures, measureFreshnessSweep } from "./lib/freshness.ts";
import { buildResults, commitId, machine, renderImportTable, renderTable, type BenchSettings, type SecondEdition } from "./lib/report.ts";
import { burstFigures, pathToFirstClickUpWriteMs, type BurstFigures } from "./lib/burst.ts";
import { measureImport, type ImportFigures } from "./lib/import.ts";
import { measureDashboard, type DashboardFigures } from "./lib/dashboard.ts";
import { landedInClickUp, landedInDatabase, QUALITY_LEFT_OUT, qualityFigures, type LandedCourse } from "./lib/quality.ts";
import { PROVIDER_LATENCY_MS } from "../sandbox/core/latency.ts";

const HERE = import.meta.dirname;

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    courses: { type: "string", short: "n" },
    concurrency: { type: "string", short: "c" },
    "time-scale": { type: "string" },
    "clickup-limit": { type: "string" },
    "clickup-window-ms": { type: "string" },
    "ack-ignored": { type: "string" },
    "ack-task-created": { type: "string" },
    "ack-sweep": { type: "string" },
    "db-round-trip-ms": { type: "string" },
    "no-sequential": { type: "boolean", default: false },
    "log-level": { type: "string" },
    out: { type: "string" },
    record: { type: "boolean", default: false },
    jitter: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
    dashboard: { type: "boolean", default: false },
    burst: { type: "string" },
    "no-burst": { type: "boolean", default: false },
    "no-dashboard": { type: "boolean", default: false },
    "burst-unbound-limit": { type: "string" },
    import: { type: "string" },
  },
});

// --dashboard: only the admin dashboard's scale figure (its own seeded database and Worker; bench/lib/dashboard.ts).
if (values.dashboard) {
  const { runDashboardBench } = await import("./lib/dashboard.ts");
  await runDashboardBench(values.out ?? resolve(HERE, "results", "dashboard.json"));
  process.exit(0);
}

if (values.help) {
  console.log(`npm run bench -- [options]
  --quick                 N=10, C=10, time scale 0.5, ack burst 45+5, sweep 1,10,100, no dashboard, 20 import rows (about three minutes)
  --courses, -n N         course runs per phase (default 40)
  --concurrency, -c C     runs in flight at once (default 20)
  --time-scale S          multiplies every emulator latency (default 1: real provider speed)
  --clickup-limit R       ClickUp requests per window (default 100)
  --clickup-window-ms W   rate-limit window (default 60000 × time scale: 100/min at provider speed)
  --ack-ignored K         ignored events in the webhook burst (default 90)
  --ack-task-created K    real intake taskCreated in the burst (default 10)
  --ack-sweep LIST        burst sizes of ignored deliveries also measured (default 1,10,50,100,200; --quick 1,10,100; "" for none)
  --db-round-trip-ms D    latency charged per database round trip on the critical path (default 0)
  --jitter                sample the latency distributions (default: every call takes the profile's mean)
  --no-sequential         skip the sequential-mode phase
  --log-level L           the Worker's LOG_LEVEL (default error)
  --out FILE              results file (default bench/results/latest.json)
  --record                also write bench/figures.json and bench/figures.md (committed figures)
  --burst B               courses entered at once for the burst figures (default N; with C ≥ N the parallel phase is the burst)
  --no-burst              skip both bursts (burst.* null)
  --burst-unbound-limit L ClickUp requests per window for the burst whose limit does not bind (default 1000: 1,000/min)
  --no-dashboard          skip the dashboard-at-scale figure on the full run (--quick always skips it)
  --dashboard             only the admin dashboard's figure: /api/admin/* p50/p95 on 10k courses / 1M agent calls
  --import N              only the CSV import's figures: an N-row import on its own world and Worker (with --quick:
                          the quick run with N import rows; the full run imports 500 rows, --quick 20; 0 skips it)`);
  process.exit(0);
}

function num(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean = (n) => n > 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) {
    console.error(`--${name}: invalid value "${value}"`);
    process.exit(2);
  }
  return n;
}

const quick = values.quick;
const N = num("courses", values.courses, quick ? 10 : 40, (n) => Number.isInteger(n) && n > 0);
const C = num("concurrency", values.concurrency, quick ? 10 : 20, (n) => Number.isInteger(n) && n > 0);
const timeScale = num("time-scale", values["time-scale"], quick ? 0.5 : 1);
const clickupLimit = num("clickup-limit", values["clickup-limit"], 100, (n) => Number.isInteger(n) && n > 0);
const clickupWindowMs = num("clickup-window-ms", values["clickup-window-ms"], Math.round(60_000 * timeScale));
const ackIgnored = num("ack-ignored", values["ack-ignored"], quick ? 45 : 90, (n) => Number.isInteger(n) && n >= 0);
const ackTaskCreated = num("ack-task-created", values["ack-task-created"], quick ? 5 : 10, (n) => Number.isInteger(n) && n >= 0);
const ackSweepSizes = (values["ack-sweep"] ?? (quick ? "1,10,100" : "1,10,50,100,200"))
  .split(",")
  .filter((x) => x.trim() !== "")
  .map((x) => num("ack-sweep", x, 1, (n) => Number.isInteger(n) && n > 0));
const dbRoundTripMs = num("db-round-trip-ms", values["db-round-trip-ms"], 0, (n) => n >= 0);
const logLevel = values["log-level"] ?? "error";
const burstN = values["no-burst"] ? 0 : num("burst", values.burst, N, (n) => Number.isInteger(n) && n > 0);
const unboundLimit = num("burst-unbound-limit", values["burst-unbound-limit"], 1_000, (n) => Number.isInteger(n) && n > 0);
/** The parallel phase enters all its courses at once when C ≥ N: it is then the burst itself (saves --quick a phase). */
const burstIsParallelPhase = burstN > 0 && burstN === N && C >= N;
const outFile = resolve(values.out ?? resolve(HERE, "results/latest.json"));
// --quick imports 20 rows, not 50: 50 rows under the plan's limit take about 80 s, past the three-minute budget.
const importRows = num("import", values.import, quick ? 20 : 500, (n) => Number.isInteger(n) && n >= 0);
/** `--import N` without --quick: the import figure alone (the full run takes a quarter of an hour). */
const importOnly = values.import !== undefined && !quick;
const analyzeSettings = { timeScale, dbRoundTripMs, clickupRateLimit: { requests: clickupLimit, windowMs: clickupWindowMs } };

/** The world's courses a run can enrich (Cedar Ridge has no website and fails by design: it is left out). */
const WORLD: BenchCourse[] = COURSES.filter((c) => c.website !== null).map((c) => ({ name: c.name, state: c.state }));

/**
 * Every run enriches a course the app has never seen: the n-th use of a world course is named
 * "<Course> <n>". The emulators find the course by its name in free text (and by its domain), so
 * its site, staff and answers are the original's; the app sees a new course (new row, new contacts,
 * new lead tasks). Forty runs of the same ten names would be re-enrichments instead: contacts
 * updated in place and lead tasks left unchanged (4 ClickUp requests instead of contacts + 4).
 */
const uses = new Map<string, number>();
function freshCourse(base: BenchCourse): BenchCourse {
  // Keyed by name alone: Pine Valley Golf Club (NJ) and its Ohio namesake get different names too.
  const key = base.name;
  const n = (uses.get(key) ?? 0) + 1;
  uses.set(key, n);
  return { name: n === 1 ? base.name : `${base.name} ${n}`, state: base.state, world: base.name };
}
const freshCourses = (count: number): BenchCourse[] => Array.from({ length: count }, (_, i) => freshCourse(WORLD[i % WORLD.length]!));
/**
 * A run that has not finished after this long is recorded as timed out: five minutes of provider
 * time, plus the windows every course's ClickUp requests could have to wait for under the limit.
 */
const runTimeoutMs = Math.max(120_000, 300_000 * timeScale) + Math.ceil((N * 8) / clickupLimit) * clickupWindowMs;

const started = new Date();
const t0 = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);

const settings: BenchSettings = {
  N,
  C,
  time_scale: timeScale,
  quick,
  latency_profile: values.jitter ? "realistic (sandbox/core/latency.ts), sampled" : "realistic (sandbox/core/latency.ts), every call at its mean",
  rate_limits: {
    clickup: {
      requests: clickupLimit,
      window_ms: clickupWindowMs,
      scaled_with_time_scale: values["clickup-window-ms"] === undefined,
      equivalent_per_real_minute: Math.round((clickupLimit * 60_000 * timeScale) / clickupWindowMs),
    },
  },
  price_table: PRICE_TABLE,
  database: process.env.DATABASE_URL ? "server Postgres (DATABASE_URL, a fresh database)" : "embedded PGlite (in the benchmark's process)",
  db_round_trip_ms_on_critical_path: dbRoundTripMs,
  hunter_verify_poll_ms: Math.round(1_500 * timeScale),
  ack_burst: { ignored: ackIgnored, task_created: ackTaskCreated, sweep: ackSweepSizes },
  burst: burstN > 0 ? { courses: burstN, unbound_limit_per_window: unboundLimit, reused_parallel_phase: burstIsParallelPhase } : null,
  world_courses: WORLD.map((c) => `${c.name}, ${c.state}`),
};

async function warmUp(world: BenchWorld, worker: BenchWorker): Promise<void> {
  // The first run compiles the Worker and creates the first objects: not a course's cost. It runs
  // with the latencies shortened (nothing of it is measured).
  setWorldLatency(world, Math.min(timeScale, 0.01));
  const phase = await runPhase(world, worker, { label: "warm-up", courses: freshCourses(2), concurrency: 2, follow: { timeoutMs: runTimeoutMs } }).finally(() =>
    setWorldLatency(world, timeScale),
  );
  const run = phase.runs.find((r) => r.status !== "succeeded" && r.status !== "partial") ?? phase.runs[0]!;
  if (run.status !== "succeeded" && run.status !== "partial") throw new Error(`the warm-up run did not succeed: ${run.status} ${run.error ?? ""}`);
}

/** What landed for every followed run, read right after its phase (the freshness sweep changes contacts later). */
const landedDb: LandedCourse[] = [];
const landedClickUp: LandedCourse[] = [];
async function snapshotQuality(world: BenchWorld, phase: PhaseResult): Promise<void> {
  const runs = phase.runs.map((r) => ({ job_id: r.job_id, status: r.status, world: `${r.course.world ?? r.course.name}, ${r.course.state}`, course: r.course.name }));
  const db = await landedInDatabase(world.sql, runs);
  landedDb.push(...db.map(({ course_id: _c, contact_tasks: _t, ...landed }) => landed));
  landedClickUp.push(...landedInClickUp(world.sandbox.servers.clickup, db));
}

/** Issue 16's figures, and the reason for each one left null. */
const second: SecondEdition = { burst: null, burst_unbound: null, quality: null, quality_clickup: null, quality_left_out: QUALITY_LEFT_OUT, import: null, not_measured: {} };
const firstWriteMs = pathToFirstClickUpWriteMs({ clickupLatencyMs: PROVIDER_LATENCY_MS.clickup, dbRoundTripMs, timeScale });
const burstOf = (phase: PhaseResult, limitPerWindow: number): BurstFigures => {
  const rate = { requests: limitPerWindow, windowMs: clickupWindowMs };
  return burstFigures(phase.runs, analyzePhase(phase, { ...analyzeSettings, clickupRateLimit: rate }), { rate, timeScale, pathToFirstWriteMs: firstWriteMs, clickupTimes: phase.counts.requests.clickup.filter((x) => x.status !== 429).map((x) => x.time) });
};
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** `count` courses entered at once on this Worker (its limit: `limitPerWindow` per window), followed to their end. */
async function runBurst(world: BenchWorld, worker: BenchWorker, label: string, count: number, limitPerWindow: number): Promise<BurstFigures> {
  clearCounters(world);
  log(`${label}: ${count} courses at once under ${limitPerWindow} ClickUp requests per ${clickupWindowMs} ms`);
  const timeoutMs = Math.max(120_000, 300_000 * timeScale) + Math.ceil((count * 8) / limitPerWindow) * clickupWindowMs;
  const phase = await runPhase(world, worker, { label, courses: freshCourses(count), concurrency: count, follow: { timeoutMs } });
  await snapshotQuality(world, phase);
  const figures = burstOf(phase, limitPerWindow);
  log(`${label}: makespan ${figures.makespan_ms} ms, ideal ${figures.ideal_makespan_ms} ms (${figures.makespan_over_ideal}×), wall/critical path p50 ${figures.wall_over_critical_path.p50}`);
  return figures;
}

async function measure(world: BenchWorld, mode: "parallel" | "sequential", withAck: boolean): Promise<{ phase: PhaseResult; ack: AckFigures | null; sweep: AckSweepPoint[]; freshness: FreshnessFigures | null }> {
  log(`starting the Worker (PIPELINE_MODE=${mode})`);
  const worker = await startBenchWorker(world, mode);
  try {
    await warmUp(world, worker);
    clearCounters(world);
    log(`${mode}: ${N} courses at concurrency ${C}`);
    let done = 0;
    const phase = await runPhase(world, worker, {
      label: mode,
      courses: freshCourses(N),
      concurrency: C,
      follow: { timeoutMs: runTimeoutMs },
      onRunDone: (run) => {
        done++;
        if (done % Math.max(1, Math.floor(N / 4)) === 0 || run.status !== "succeeded") log(`${mode}: ${done}/${N} done (last: ${run.course.name} ${run.status}${run.wall_ms !== null ? ` in ${run.wall_ms} ms` : ""}${run.error ? `: ${run.error}` : ""})`);
      },
    });
    await snapshotQuality(world, phase);
    // The webhook door alone, last, on the last Worker (the route does not depend on the pipeline
    // mode): the runs the burst's taskCreated start are not followed (nothing is counted after it).
    let ack: AckFigures | null = null;
    let sweep: AckSweepPoint[] = [];
    if (withAck && ackSweepSizes.length) {
      log(`webhook door: ignored deliveries ${ackSweepSizes.map((n) => (n === 1 ? "one at a time" : `${n} at once`)).join(", ")}`);
      world.proxy.reset();
      sweep = await webhookAckSweep(world, worker, ackSweepSizes);
      ackDb.sweep = world.proxy.counts().by_function;
    }
    if (withAck && ackIgnored + ackTaskCreated > 0) {
      log(`webhook door: ${ackIgnored} ignored + ${ackTaskCreated} taskCreated deliveries at once`);
      world.proxy.reset();
      ack = await webhookAckBurst(world, worker, { ignored: ackIgnored, taskCreated: ackTaskCreated, courses: freshCourses(ackTaskCreated) });
      ackDb.burst = world.proxy.counts().by_function;
    }
    // Agent 8 over the phase's contacts, on the parallel Worker: cost and ClickUp requests per contact checked.
    let freshness: FreshnessFigures | null = null;
    if (mode === "parallel") {
      log("freshness sweep: the world advances a month; every contact is 40 days stale");
      freshness = await measureFreshnessSweep(world, worker, runTimeoutMs * 2).catch((error: unknown) => {
        log(`freshness sweep failed: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
      if (freshness) log(`freshness sweep: ${freshness.contacts_checked} contacts checked, $${freshness.cost_per_contact_usd ?? "—"} and ${freshness.clickup_requests_per_contact ?? "—"} ClickUp requests per contact`);
      // Issue 16's burst under the plan's limit, on this Worker, after the sweep (so the sweep checks
      // the phase's contacts only); with C ≥ N the phase above was already that burst.
      if (burstN > 0 && !burstIsParallelPhase) {
        second.burst = await runBurst(world, worker, "burst", burstN, clickupLimit).catch((error: unknown) => {
          second.not_measured.burst = `the burst failed: ${errorText(error)}`;
          return null;
        });
      }
      // The import figures: the hook the CSV import (issue 13) fills (bench/lib/import.ts).
      log(`import: ${importRows} rows through POST /api/imports`);
      const imported = await measureImport(world, worker, { rows: importRows, timeScale, analyze: analyzeSettings, log: (line) => log(`import: ${line}`) });
      second.import = imported.figures;
      if (!imported.figures) second.not_measured.import = imported.reason ?? "not measured";
    }
    return { phase, ack, sweep, freshness };
  } finally {
    await worker.close();
  }
}

if (importOnly) {
  // The import figure alone: its own world and parallel Worker, warmed up, then the import.
  let importWorld: BenchWorld | undefined;
  const result = { commit: commitId(), date: started.toISOString(), machine: machine(), elapsed_s: 0, settings: { time_scale: timeScale, latency_profile: settings.latency_profile, rate_limits: settings.rate_limits, database: settings.database, hunter_verify_poll_ms: settings.hunter_verify_poll_ms, import_rows: importRows, import_only: true }, import: null as ImportFigures | null, not_measured: {} as Record<string, string> };
  try {
    log(`import only: ${importRows} rows; time scale ${timeScale}; ClickUp ${clickupLimit} req per ${clickupWindowMs} ms`);
    importWorld = await startBenchWorld({ timeScale, latency: "realistic", jitter: values.jitter, clickupRateLimitPerWindow: clickupLimit, clickupRateLimitWindowMs: clickupWindowMs, logLevel });
    const worker = await startBenchWorker(importWorld, "parallel");
    try {
      await warmUp(importWorld, worker);
      const imported = await measureImport(importWorld, worker, { rows: importRows, timeScale, analyze: analyzeSettings, log: (line) => log(`import: ${line}`) });
      result.import = imported.figures;
      if (!imported.figures) result.not_measured.import = imported.reason ?? "not measured";
    } finally {
      await worker.close();
    }
  } catch (error) {
    result.not_measured.import = `the import failed: ${errorText(error)}`;
  } finally {
    await importWorld?.close();
  }
  result.elapsed_s = Math.round((performance.now() - t0) / 100) / 10;
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(renderImportTable(result));
  log(`results written to ${outFile}`);
  process.exit(result.import ? 0 : 1);
}

let world: BenchWorld | undefined;
let parallel: PhaseFigures;
let sequential: PhaseFigures | null = null;
let ack: AckFigures | null = null;
let sweep: AckSweepPoint[] = [];
let freshness: FreshnessFigures | null = null;
/** Database round trips by function while the webhook door was measured (the route reads ClickUp settings on a cache miss). */
const ackDb: { sweep?: Record<string, number>; burst?: Record<string, number> } = {};
try {
  log(`N=${N} C=${C} time scale ${timeScale}; ClickUp ${clickupLimit} req per ${clickupWindowMs} ms`);
  world = await startBenchWorld({ timeScale, latency: "realistic", jitter: values.jitter, clickupRateLimitPerWindow: clickupLimit, clickupRateLimitWindowMs: clickupWindowMs, logLevel });
  const withSequential = !values["no-sequential"];
  const first = await measure(world, "parallel", !withSequential);
  parallel = analyzePhase(first.phase, analyzeSettings);
  ({ ack, sweep, freshness } = first);
  if (burstIsParallelPhase) second.burst = burstOf(first.phase, clickupLimit);
  if (withSequential) {
    clearCounters(world);
    const secondPhase = await measure(world, "sequential", true);
    sequential = analyzePhase(secondPhase.phase, analyzeSettings);
    ({ ack, sweep } = secondPhase);
  }
  // The same burst on a Worker whose plan's limit does not bind: each course against its own critical path.
  if (burstN > 0) {
    clearCounters(world);
    log(`starting the Worker (PIPELINE_MODE=parallel, ClickUp ${unboundLimit} per ${clickupWindowMs} ms)`);
    try {
      const worker = await startBenchWorker(world, "parallel", { clickupRateLimitPerWindow: unboundLimit });
      try {
        await warmUp(world, worker);
        second.burst_unbound = await runBurst(world, worker, "burst, limit not binding", burstN, unboundLimit);
      } finally {
        await worker.close();
        world.sandbox.servers.clickup.limiter.limit = clickupLimit;
      }
    } catch (error) {
      second.not_measured.burst_unbound = `the burst failed: ${errorText(error)}`;
    }
  }
} finally {
  await world?.close();
}

// The dashboard at scale (its own seeded database and Worker, bench/lib/dashboard.ts): on the full run only.
let dashboard: DashboardFigures | null = null;
if (quick || values["no-dashboard"]) {
  second.not_measured.dashboard = `${quick ? "--quick" : "--no-dashboard"}: seeding 10,000 courses and 1,000,000 agent calls takes about a minute alone; npm run bench (or -- --dashboard) measures it`;
} else {
  log("dashboard at scale: seeding 10,000 courses, 30,000 contacts, 1,000,000 agent calls");
  dashboard = await measureDashboard({ log: (line) => log(`dashboard: ${line}`) }).catch((error: unknown) => {
    second.not_measured.dashboard = `the dashboard measurement failed: ${errorText(error)}`;
    return null;
  });
  if (dashboard) await writeFile(resolve(HERE, "results", "dashboard.json"), `${JSON.stringify(dashboard, null, 2)}\n`);
}
if (burstN === 0) second.not_measured.burst = second.not_measured.burst_unbound = "--no-burst";
try {
  second.quality = landedDb.length ? qualityFigures(landedDb, "the database (active contacts, contact_enrichment, business_intelligence)") : null;
  second.quality_clickup = landedClickUp.length ? qualityFigures(landedClickUp, "the ClickUp lead tasks (Email, Phone, LinkedIn URL, Segment fields)") : null;
  if (!second.quality) second.not_measured.quality = "no run landed";
} catch (error) {
  second.not_measured.quality = `scoring failed: ${errorText(error)}`;
}
const results = buildResults({ settings, parallel, sequential, ack, sweep, ackDb, freshness, second, dashboard, startedAt: started, elapsedMs: performance.now() - t0 });
const table = renderTable(results, parallel, sequential);
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, `${JSON.stringify(results, null, 2)}\n`);
if (values.record) {
  await writeFile(resolve(HERE, "figures.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(resolve(HERE, "figures.md"), `# Benchmark figures\n\nRecorded with \`npm run bench -- --record\` (the raw file is \`bench/figures.json\`).\n\n\`\`\`\n${table}\n\`\`\`\n`);
}
console.log(table);
log(`results written to ${outFile}${values.record ? " (and bench/figures.json, bench/figures.md)" : ""}`);
