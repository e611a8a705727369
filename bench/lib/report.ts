// The results file (bench/results/latest.json) and the table printed at the end of a run.

import { execFileSync } from "node:child_process";
import { cpus, platform, release, totalmem } from "node:os";
import type { AckFigures, AckSweepPoint } from "./ack.ts";
import { PRICE_TABLE, type PhaseFigures } from "./analyze.ts";
import { round } from "./stats.ts";
import { FRESHNESS_COST_TARGET_USD, type FreshnessFigures } from "./freshness.ts";
import type { BurstFigures } from "./burst.ts";
import type { ImportFigures } from "./import.ts";
import type { QualityFigures } from "./quality.ts";
import type { DashboardFigures } from "./dashboard.ts";

/** Issue 16's figures beside the first edition's: each null comes with its reason in `not_measured`. */
export interface SecondEdition {
  burst: BurstFigures | null;
  burst_unbound: BurstFigures | null;
  quality: QualityFigures | null;
  quality_clickup: QualityFigures | null;
  quality_left_out: string[];
  import: ImportFigures | null;
  not_measured: Record<string, string>;
}

export const TARGETS_16 = { makespan_over_ideal: 1.1, unbound_wall_over_cp_p50: 1.15, precision: 0.98, email_recall: 0.5, ack_p99_at_10_ms: 100, ack_max_at_100_ms: 1_000 } as const;

/** The seed's figures and the design brief's targets (DESIGN.md "Targets"). */
export const SEED = { sequential_wall_s: 180, parallel_goal_s: [20, 25], model_cost_usd: 0.155, courses_per_day: 500, concurrent_runs: [10, 20] } as const;

export interface BenchSettings {
  N: number;
  C: number;
  time_scale: number;
  quick: boolean;
  latency_profile: string;
  rate_limits: {
    clickup: { requests: number; window_ms: number; scaled_with_time_scale: boolean; equivalent_per_real_minute: number };
  };
  price_table: typeof PRICE_TABLE;
  database: string;
  db_round_trip_ms_on_critical_path: number;
  hunter_verify_poll_ms: number;
  ack_burst: { ignored: number; task_created: number; sweep: number[] };
  burst?: { courses: number; unbound_limit_per_window: number; reused_parallel_phase: boolean } | null;
  world_courses: string[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
  note?: string;
}

export function commitId(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpu_model: cpu[0]?.model ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

function r(value: number | null | undefined, digits = 1): number | null {
  return value === null || value === undefined ? null : round(value, digits);
}

/** Strips the per-run rows from a phase for the summary (the runs go to `courses`). */
function phaseSummary(p: PhaseFigures): Record<string, unknown> {
  const { runs: _runs, ...rest } = p;
  return rest;
}

export function targetChecks(parallel: PhaseFigures, ack: AckFigures | null, settings: BenchSettings, sweep: AckSweepPoint[] = []): TargetCheck[] {
  const pc = parallel.per_course;
  const apply = pc.db_round_trips_by_function.apply_enrichment ?? 0;
  const n = Math.max(1, parallel.runs.length);
  const rateBound = parallel.clickup_429s > 0 || parallel.clickup_rate_floor_ms > 0.5 * parallel.duration_ms;
  const wallNotes = [
    `to the result in the database (before the ClickUp writes): p50 ${r(parallel.to_db.wall_over_critical_path.p50, 2)}, p95 ${r(parallel.to_db.wall_over_critical_path.p95, 2)}, max ${r(parallel.to_db.wall_over_critical_path.max, 2)}`,
    ...(rateBound
      ? [`ClickUp's limit sets the pace: the phase's ${parallel.requests_total.clickup} ClickUp requests need at least ${r(parallel.clickup_rate_floor_ms / 1000, 0)} s under ${settings.rate_limits.clickup.requests} per ${settings.rate_limits.clickup.window_ms / 1000} s (the phase took ${r(parallel.duration_ms / 1000, 0)} s)`]
      : []),
    ...(settings.time_scale < 1
      ? [`at time scale ${settings.time_scale} the Worker's own per-step costs (real ms) weigh ${round(1 / settings.time_scale, 1)}× more against the critical path than at provider speed`]
      : []),
  ];
  return [
    {
      target: "per-course wall time within 1.15× of its critical path",
      measured: `wall/critical path p50 ${r(parallel.wall_over_critical_path.p50, 2)}, p95 ${r(parallel.wall_over_critical_path.p95, 2)}, max ${r(parallel.wall_over_critical_path.max, 2)}`,
      met: parallel.wall_over_critical_path.max <= 1.15,
      note: wallNotes.join("; "),
    },
    {
      target: "ClickUp requests per course ≤ contacts + 4",
      measured: `mean ${r(pc.clickup_requests, 2)} requests vs ${r(pc.contacts + 4, 2)} (contacts ${r(pc.contacts, 2)} + 4); ${parallel.clickup_over_budget_runs} of ${parallel.runs.length} runs over their own budget`,
      met: pc.clickup_requests <= pc.contacts + 4 && parallel.clickup_over_budget_runs === 0,
      ...(parallel.clickup_429s ? { note: `${parallel.clickup_429s} of the requests were answered 429 and sent again: without them, ${r((parallel.requests_total.clickup - parallel.clickup_429s) / n, 2)} per course` } : {}),
    },
    {
      target: "no ClickUp 429 at 20 concurrent courses under a 100/min limit",
      measured: `${parallel.clickup_429s} × 429 at C=${settings.C}, limit ${settings.rate_limits.clickup.requests} per ${settings.rate_limits.clickup.window_ms} ms`,
      met: settings.C >= 20 && settings.rate_limits.clickup.equivalent_per_real_minute <= 100 ? parallel.clickup_429s === 0 : null,
      ...(settings.C < 20 || settings.rate_limits.clickup.equivalent_per_real_minute > 100 ? { note: "not the target's load (C < 20 or a limit above 100/min): 429s are reported, the target is not judged" } : {}),
    },
    {
      target: "one database round trip for the enrichment result",
      measured: `apply_enrichment ${r(apply, 2)} round trips per course; all functions ${r(pc.db_round_trips, 2)}; connections ${r(pc.db_connections, 2)}`,
      met: apply <= 1,
    },
    {
      target: `estimated model spend per course well under the seed's $${SEED.model_cost_usd}`,
      measured: `$${r(pc.model_cost_usd, 4)} (Claude $${r(pc.model_breakdown.anthropic.cost_usd, 4)} + Perplexity $${r(pc.model_breakdown.perplexity.cost_usd, 4)})`,
      met: pc.model_cost_usd < SEED.model_cost_usd / 2,
      note: "\"well under\" read as less than half",
    },
    {
      target: "webhook acknowledgement p99 under 100 ms locally",
      measured: ack ? `p99 ${r(ack.p99, 1)} ms with ${ack.deliveries} deliveries at once (p50 ${r(ack.p50, 1)} ms)` : "not measured",
      met: ack ? ack.p99 < 100 && ack.non_2xx === 0 : null,
      ...(sweep.length ? { note: `ignored deliveries: ${sweep.map((p) => `${p.concurrent === 1 ? "one at a time" : `${p.concurrent} at once`} p99 ${r(p.p99, 1)} ms`).join(", ")}` } : {}),
    },
  ];
}

export function buildResults(input: {
  settings: BenchSettings;
  parallel: PhaseFigures;
  sequential: PhaseFigures | null;
  ack: AckFigures | null;
  sweep: AckSweepPoint[];
  ackDb: { sweep?: Record<string, number>; burst?: Record<string, number> };
  freshness?: FreshnessFigures | null;
  second?: SecondEdition;
  dashboard?: DashboardFigures | null;
  startedAt: Date;
  elapsedMs: number;
}): Record<string, unknown> {
  const { parallel, sequential, ack, settings } = input;
  const seqByIndex = new Map((sequential?.runs ?? []).map((run) => [run.index, run]));
  const pc = parallel.per_course;
  return {
    commit: commitId(),
    date: input.startedAt.toISOString(),
    machine: machine(),
    elapsed_s: r(input.elapsedMs / 1000, 1),
    settings,
    courses: parallel.runs.map((run) => ({
      index: run.index,
      course: run.course,
      world_course: run.world_course,
      state: run.state,
      status: run.status,
      ...(run.error ? { error: run.error } : {}),
      job_id: run.job_id,
      contacts: run.contacts,
      clickup_requests: run.clickup_requests,
      wall_ms: run.wall_ms,
      critical_path_ms: r(run.critical_path_ms, 1),
      critical_path_unscaled_ms: r(run.critical_path_unscaled_ms, 0),
      wall_over_critical_path: r(run.wall_over_critical_path, 3),
      wall_to_db_ms: run.wall_to_db_ms === null ? null : r(run.wall_to_db_ms, 0),
      critical_path_to_db_ms: r(run.critical_path_to_db_ms, 1),
      critical_chain: run.critical_chain,
      ...(run.unclassified_calls.length ? { unclassified_calls: run.unclassified_calls } : {}),
      sequential_status: seqByIndex.get(run.index)?.status ?? null,
      sequential_wall_ms: seqByIndex.get(run.index)?.wall_ms ?? null,
      sequential_job_id: seqByIndex.get(run.index)?.job_id ?? null,
    })),
    wall_ms: { p50: r(parallel.wall_ms.p50), p95: r(parallel.wall_ms.p95), mean: r(parallel.wall_ms.mean), min: r(parallel.wall_ms.min), max: r(parallel.wall_ms.max) },
    critical_path_ms: { p50: r(parallel.critical_path_ms.p50), p95: r(parallel.critical_path_ms.p95), unscaled_p50: r(parallel.critical_path_ms.unscaled_p50, 0) },
    wall_over_critical_path: { p50: r(parallel.wall_over_critical_path.p50, 3), p95: r(parallel.wall_over_critical_path.p95, 3), max: r(parallel.wall_over_critical_path.max, 3) },
    sequential_wall_ms: sequential ? { p50: r(sequential.wall_ms.p50), p95: r(sequential.wall_ms.p95) } : null,
    speedup_vs_sequential: sequential ? r(sequential.wall_ms.p50 / parallel.wall_ms.p50, 2) : null,
    to_database: {
      note: "from the intake task's creation to the result in the database, before the ClickUp writes (and their rate limit)",
      wall_ms: { p50: r(parallel.to_db.wall_ms.p50), p95: r(parallel.to_db.wall_ms.p95) },
      critical_path_ms: { p50: r(parallel.to_db.critical_path_ms.p50) },
      wall_over_critical_path: { p50: r(parallel.to_db.wall_over_critical_path.p50, 3), p95: r(parallel.to_db.wall_over_critical_path.p95, 3), max: r(parallel.to_db.wall_over_critical_path.max, 3) },
      sequential_wall_ms: sequential ? { p50: r(sequential.to_db.wall_ms.p50), p95: r(sequential.to_db.wall_ms.p95) } : null,
      speedup_vs_sequential: sequential ? r(sequential.to_db.wall_ms.p50 / parallel.to_db.wall_ms.p50, 2) : null,
    },
    per_course: {
      contacts: r(pc.contacts, 2),
      model_calls: r(pc.model_calls, 2),
      input_tokens: r(pc.input_tokens, 0),
      output_tokens: r(pc.output_tokens, 0),
      model_cost_usd: r(pc.model_cost_usd, 5),
      clickup_requests: r(pc.clickup_requests, 2),
      hunter_requests: r(pc.hunter_requests, 2),
      jina_requests: r(pc.jina_requests, 2),
      perplexity_requests: r(pc.perplexity_requests, 2),
      db_round_trips: r(pc.db_round_trips, 2),
      anthropic_requests: r(pc.anthropic_requests, 2),
      model_breakdown: {
        anthropic: roundAll(pc.model_breakdown.anthropic),
        perplexity: roundAll(pc.model_breakdown.perplexity),
      },
      app_recorded_cost_usd: r(pc.app_recorded_cost_usd, 5),
      db_connections: r(pc.db_connections, 2),
      db_round_trips_by_function: Object.fromEntries(Object.entries(pc.db_round_trips_by_function).map(([k, v]) => [k, r(v, 2)])),
      clickup_writes: r(pc.clickup_writes, 2),
      webhook_deliveries: r(pc.webhook_deliveries, 2),
    },
    clickup_429s: parallel.clickup_429s,
    webhook_ack_ms: ack
      ? {
          p50: r(ack.p50, 1),
          p99: r(ack.p99, 1),
          p95: r(ack.p95, 1),
          max: r(ack.max, 1),
          concurrent: ack.deliveries,
          task_created: ack.task_created,
          non_2xx: ack.non_2xx,
          by_kind: Object.fromEntries(Object.entries(ack.by_kind).map(([k, v]) => [k, { n: v.n, p50: r(v.p50, 1), p99: r(v.p99, 1), max: r(v.max, 1) }])),
          by_burst: input.sweep.map((p) => ({
            concurrent: p.concurrent,
            n: p.n,
            p50: r(p.p50, 1),
            p99: r(p.p99, 1),
            max: r(p.max, 1),
            non_2xx: p.non_2xx,
            worker_cpu_ms_per_delivery: p.cpu ? r(p.cpu.worker_ms_per_delivery, 2) : null,
            all_workerd_cpu_ms_per_delivery: p.cpu ? r(p.cpu.all_workerd_ms_per_delivery, 2) : null,
          })),
          ...ackConcurrency(input.sweep),
          db_round_trips: input.ackDb,
        }
      : null,
    freshness: input.freshness ?? null,
    burst: input.second?.burst ?? null,
    burst_unbound: input.second?.burst_unbound ?? null,
    quality: input.second?.quality ?? null,
    quality_clickup: input.second?.quality_clickup ?? null,
    quality_left_out: input.second?.quality_left_out ?? [],
    import: input.second?.import ?? null,
    dashboard: input.dashboard ?? null,
    not_measured: input.second?.not_measured ?? {},
    targets: [...targetChecks(parallel, ack, settings, input.sweep), ...freshnessTargets(input.freshness ?? null), ...secondEditionTargets(input.second, input.sweep), dashboardTarget(input.dashboard ?? null, input.second)],
    seed: SEED,
    phases: { parallel: phaseSummary(parallel), sequential: sequential ? phaseSummary(sequential) : null },
  };
}

/**
 * Issue 16's webhook figures: p50/p99/max at 1, 10 and 100 deliveries at once (ignored events:
 * what a delivery costs the route itself) and the Worker's CPU per delivery over every sweep point.
 */
export function ackConcurrency(sweep: AckSweepPoint[]): { concurrency: Record<string, { p50: number | null; p99: number | null; max: number | null; n: number }>; worker_cpu_ms_per_delivery: number | null; all_workerd_cpu_ms_per_delivery: number | null } | null {
  if (sweep.length === 0) return null;
  const withCpu = sweep.filter((p) => p.cpu);
  const n = withCpu.reduce((s, p) => s + p.n, 0);
  return {
    concurrency: Object.fromEntries(sweep.map((p) => [String(p.concurrent), { n: p.n, p50: r(p.p50, 1), p99: r(p.p99, 1), max: r(p.max, 1) }])),
    worker_cpu_ms_per_delivery: n ? r(withCpu.reduce((s, p) => s + p.cpu!.worker_ms, 0) / n, 2) : null,
    all_workerd_cpu_ms_per_delivery: n ? r(withCpu.reduce((s, p) => s + p.cpu!.all_workerd_ms, 0) / n, 2) : null,
  };
}

const why = (second: SecondEdition | undefined, key: string) => second?.not_measured[key] ?? "not measured";

export function secondEditionTargets(second: SecondEdition | undefined, sweep: AckSweepPoint[]): TargetCheck[] {
  const b = second?.burst ?? null;
  const u = second?.burst_unbound ?? null;
  const q = second?.quality ?? null;
  const at = (c: number) => sweep.find((p) => p.concurrent === c);
  const at10 = at(10);
  const at100 = at(100);
  const acks = ackConcurrency(sweep);
  const precision = (label: string, v: number | null | undefined): TargetCheck => ({
    target: `${label} precision ≥ ${TARGETS_16.precision} against the fixture world`,
    measured: q ? `${v ?? "—"}` : why(second, "quality"),
    met: q && v !== null && v !== undefined ? v >= TARGETS_16.precision : null,
  });
  return [
    {
      target: `a burst of courses within ${TARGETS_16.makespan_over_ideal}× of the ideal makespan the plan's limit allows`,
      measured: b
        ? `${b.courses} at once under ${b.limit.per_real_minute}/min: makespan ${r((b.makespan_ms ?? Number.NaN) / 1000, 1)} s, ideal ${r(b.ideal_makespan_ms / 1000, 1)} s (${b.ideal.binding === "rate_limit" ? `${b.clickup_requests} requests ÷ rate + ${b.ideal.shortest_path_to_first_write_ms} ms` : "longest critical path"}): ${b.makespan_over_ideal ?? "—"}×`
        : why(second, "burst"),
      met: b && b.makespan_over_ideal !== null ? b.makespan_over_ideal <= TARGETS_16.makespan_over_ideal && b.completed === b.courses : null,
      ...(b && b.clickup_429s ? { note: `${b.clickup_429s} × 429` } : {}),
    },
    {
      target: `per-course wall ≤ ${TARGETS_16.unbound_wall_over_cp_p50}× its critical path (p50) when the plan's limit does not bind`,
      measured: u ? `${u.courses} at once under ${u.limit.per_real_minute}/min: wall/critical path p50 ${u.wall_over_critical_path.p50 ?? "—"}, p95 ${u.wall_over_critical_path.p95 ?? "—"}, max ${u.wall_over_critical_path.max ?? "—"}` : why(second, "burst_unbound"),
      met: u && u.wall_over_critical_path.p50 !== null ? u.wall_over_critical_path.p50 <= TARGETS_16.unbound_wall_over_cp_p50 : null,
    },
    {
      target: `an import within ${IMPORT_TARGETS.makespan_over_ceiling}× its ceiling, a rep's course mid-import within ${IMPORT_TARGETS.interactive_wall_over_critical_path}× its critical path, no 429, in flight ≤ the limit`,
      measured: second?.import
        ? `${second.import.rows} rows: makespan/ceiling ${second.import.makespan_over_ceiling ?? "—"}, rep ${second.import.interactive_wall_over_critical_path ?? "—"}, ${second.import.clickup_429s} × 429, max in flight ${second.import.max_in_flight}/${second.import.limit}`
        : why(second, "import"),
      met: second?.import
        ? (second.import.makespan_over_ceiling ?? Infinity) <= IMPORT_TARGETS.makespan_over_ceiling &&
          (second.import.interactive_wall_over_critical_path ?? Infinity) <= IMPORT_TARGETS.interactive_wall_over_critical_path &&
          second.import.clickup_429s === 0 &&
          second.import.max_in_flight <= second.import.limit
        : null,
    },
    precision("people", q?.people_precision),
    precision("email", q?.email_precision),
    precision("phone", q?.phone_precision),
    precision("LinkedIn URL", q?.linkedin_precision),
    {
      target: `email recall ≥ ${TARGETS_16.email_recall} (the seed's "50% of emails found")`,
      measured: q ? `${q.email_recall ?? "—"} (people recall ${q.people_recall ?? "—"}, segment accuracy ${q.segment_accuracy ?? "—"}, over ${q.courses} courses)` : why(second, "quality"),
      met: q && q.email_recall !== null ? q.email_recall >= TARGETS_16.email_recall : null,
    },
    {
      target: `webhook ack p99 < ${TARGETS_16.ack_p99_at_10_ms} ms at 10 concurrent deliveries`,
      measured: at10 ? `p99 ${r(at10.p99, 1)} ms (p50 ${r(at10.p50, 1)} ms, ${at10.non_2xx} non-2xx)` : "not measured (10 is not in --ack-sweep)",
      met: at10 ? at10.p99 < TARGETS_16.ack_p99_at_10_ms && at10.non_2xx === 0 : null,
    },
    {
      target: `no webhook delivery over ${TARGETS_16.ack_max_at_100_ms} ms at 100 concurrent`,
      measured: at100 ? `max ${r(at100.max, 1)} ms (p50 ${r(at100.p50, 1)}, p99 ${r(at100.p99, 1)} ms, ${at100.non_2xx} non-2xx)` : "not measured (100 is not in --ack-sweep)",
      met: at100 ? at100.max <= TARGETS_16.ack_max_at_100_ms && at100.non_2xx === 0 : null,
    },
    {
      target: "Worker CPU time per webhook delivery reported",
      measured: acks?.worker_cpu_ms_per_delivery !== null && acks?.worker_cpu_ms_per_delivery !== undefined ? `${acks.worker_cpu_ms_per_delivery} ms (the Worker's workerd process; ${acks.all_workerd_cpu_ms_per_delivery} ms with the local harness's entry process)` : "not measured (no /proc)",
      met: acks?.worker_cpu_ms_per_delivery !== null && acks?.worker_cpu_ms_per_delivery !== undefined ? true : null,
    },
  ];
}

export function dashboardTarget(d: DashboardFigures | null, second?: SecondEdition): TargetCheck {
  const p95 = d ? Object.entries(d["dashboard.api_ms.p95"]).filter((e): e is [string, number] => e[1] !== null) : [];
  const slowest = p95.sort((a, b) => b[1] - a[1])[0];
  return {
    target: `every admin dashboard answer under ${d?.target_p95_ms ?? 300} ms p95 with 10,000 courses and 1,000,000 agent calls`,
    measured: d ? `slowest p95 ${slowest ? `${slowest[1]} ms (${slowest[0]})` : "—"} over ${p95.length} endpoints; seeded in ${r(d.seed.seed_ms / 1000, 1)} s` : why(second, "dashboard"),
    met: d ? d.over_target.length === 0 : null,
  };
}

/** Issue 14's cost target for the sweep (a benchmark figure, never a test). */
export function freshnessTargets(f: FreshnessFigures | null): TargetCheck[] {
  return [
    {
      target: `freshness sweep: paid calls per contact checked ≤ $${FRESHNESS_COST_TARGET_USD}`,
      measured: f ? `$${f.cost_per_contact_usd ?? "—"} over ${f.contacts_checked} contacts (${f.clickup_requests_per_contact ?? "—"} ClickUp requests each; sweep ${f.status})` : "not measured",
      met: f && f.cost_per_contact_usd !== null ? f.cost_per_contact_usd <= FRESHNESS_COST_TARGET_USD : null,
    },
  ];
}

function roundAll(o: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r(v, k.includes("cost") ? 5 : 2)]));
}

// ---------------------------------------------------------------------------------------------
// The printed table.

function fmt(value: unknown, digits = 1): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isFinite(value) ? value.toFixed(digits) : "—";
  return String(value);
}

export const IMPORT_TARGETS = { makespan_over_ceiling: 1.25, interactive_wall_over_critical_path: 1.5 } as const;

/** The import's lines of the table (the full table and `--import N` alone print the same). */
export function importRows(i: ImportFigures | null, reason?: string): Array<[string, string]> {
  if (!i) return [["import (CSV)", `— (${reason ?? "not measured"})`]];
  return [
    ["import: makespan / ceiling (real ms)", `${fmt(i.makespan_ms, 0)} / ${fmt(i.ceiling_ms, 0)} = ${fmt(i.makespan_over_ceiling, 3)}×  (${i.rows} rows, ${i.completed} done, ${i.failed} failed; binding: ${i.ceiling.binding})`],
    ["  ceiling terms: plan's window floor + first / Σ paths ÷ limit / longest path", `${fmt(i.ceiling.rate_bound_ms, 0)} / ${fmt(i.ceiling.work_bound_ms, 0)} / ${fmt(i.ceiling.longest_critical_path_ms, 0)}  (${i.clickup_requests} ClickUp requests; requests ÷ rate + first: ${fmt(i.ceiling.rate_average_ms, 0)})`],
    ["  rep's course mid-import: wall / critical path", i.interactive ? `${fmt(i.interactive.wall_ms, 0)} / ${fmt(i.interactive.critical_path_ms, 0)} = ${fmt(i.interactive_wall_over_critical_path, 3)}×  (entered at ${fmt(i.interactive.entered_at_ms / 1000, 1)} s, ${i.interactive.rows_done_at_entry} rows done; slot wait ${fmt(i.interactive.slot_wait_ms, 0)} ms, to result ${fmt(i.interactive.to_db_ms, 0)} / ${fmt(i.interactive.critical_path_to_db_ms, 0)} ms)` : "—"],
    ["  ClickUp 429s; max in flight / limit", `${i.clickup_429s}; ${i.max_in_flight} / ${i.limit}  (${i.admission_samples} samples of GET /api/admission; mean in flight ${fmt(i.slots_mean.in_flight, 1)}, reserved ${fmt(i.slots_mean.reserved, 1)})`],
    ["  ClickUp requests per emulator window (start s)", i.clickup_windows.map((w) => `${w.requests} (${fmt(w.start_ms / 1000, 0)})`).join(", ") || "—"],
    ["  busiest workerd / bench process CPU", `${fmt((i.busiest_workerd_utilization ?? Number.NaN) * 100, 0)}% / ${fmt((i.bench_process_utilization ?? Number.NaN) * 100, 0)}%`],
  ];
}

/** The `--import N` run alone: its settings line and the import's rows. */
export function renderImportTable(results: { date: string; commit: string; settings: Record<string, unknown>; import: ImportFigures | null; not_measured: Record<string, string> }): string {
  const rows = importRows(results.import, results.not_measured.import);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const i = results.import;
  const met = (ok: boolean | null) => (ok === null ? " ? " : ok ? "met" : "MISSED");
  return [
    `Golf Outreach benchmark (import only) — ${results.date} — commit ${results.commit}`,
    `settings: ${JSON.stringify(results.settings)}`,
    "",
    ...rows.map(([a, b]) => `${a.padEnd(w0)}  ${b}`),
    "",
    "targets:",
    `  [${met(i?.makespan_over_ceiling != null ? i.makespan_over_ceiling <= IMPORT_TARGETS.makespan_over_ceiling : null)}] makespan ≤ ${IMPORT_TARGETS.makespan_over_ceiling}× the ceiling`,
    `  [${met(i?.interactive_wall_over_critical_path != null ? i.interactive_wall_over_critical_path <= IMPORT_TARGETS.interactive_wall_over_critical_path : null)}] a rep's course mid-import ≤ ${IMPORT_TARGETS.interactive_wall_over_critical_path}× its critical path`,
    `  [${met(i ? i.clickup_429s === 0 : null)}] no ClickUp 429`,
    `  [${met(i ? i.max_in_flight <= i.limit : null)}] runs in flight ≤ the limit`,
  ].join("\n");
}

export function renderTable(results: Record<string, unknown>, parallel: PhaseFigures, sequential: PhaseFigures | null): string {
  const s = results.settings as BenchSettings;
  const m = results.machine as { cpus: number; cpu_model: string; memory_gb: number; node: string };
  const ack = results.webhook_ack_ms as { p50: number; p99: number; concurrent: number; non_2xx: number; by_burst: AckSweepPoint[] } | null;
  const targets = results.targets as TargetCheck[];
  const rows: Array<[string, string, string]> = [];
  const add = (label: string, par: string, seq = "") => rows.push([label, par, seq]);
  const pp = parallel.per_course;
  const sp = sequential?.per_course;
  const scaleBack = (ms: number) => `${fmt(ms / s.time_scale / 1000, 1)} s`;
  add("runs completed / failed / timed out", `${parallel.completed} / ${parallel.failed} / ${parallel.timed_out}`, sequential ? `${sequential.completed} / ${sequential.failed} / ${sequential.timed_out}` : "");
  add("wall p50 / p95 (real ms)", `${fmt(parallel.wall_ms.p50, 0)} / ${fmt(parallel.wall_ms.p95, 0)}`, sequential ? `${fmt(sequential.wall_ms.p50, 0)} / ${fmt(sequential.wall_ms.p95, 0)}` : "");
  add("  same, at provider speed (÷ time scale)", `${scaleBack(parallel.wall_ms.p50)} / ${scaleBack(parallel.wall_ms.p95)}`, sequential ? `${scaleBack(sequential.wall_ms.p50)} / ${scaleBack(sequential.wall_ms.p95)}` : "");
  add("critical path p50 (real ms)", `${fmt(parallel.critical_path_ms.p50, 0)}  (${fmt(parallel.critical_path_ms.unscaled_p50 / 1000, 1)} s unscaled)`, sequential ? fmt(sequential.critical_path_ms.p50, 0) : "");
  add("wall / critical path p50 / p95", `${fmt(parallel.wall_over_critical_path.p50, 2)} / ${fmt(parallel.wall_over_critical_path.p95, 2)}`, sequential ? `${fmt(sequential.wall_over_critical_path.p50, 2)} / ${fmt(sequential.wall_over_critical_path.p95, 2)}` : "");
  add("speed-up vs sequential (p50)", sequential ? `${fmt(results.speedup_vs_sequential as number, 2)}×` : "—");
  add("to the result in the database:", "", "");
  add("  wall p50 / p95 (real ms)", `${fmt(parallel.to_db.wall_ms.p50, 0)} / ${fmt(parallel.to_db.wall_ms.p95, 0)}`, sequential ? `${fmt(sequential.to_db.wall_ms.p50, 0)} / ${fmt(sequential.to_db.wall_ms.p95, 0)}` : "");
  add("  critical path p50 (real ms)", fmt(parallel.to_db.critical_path_ms.p50, 0), sequential ? fmt(sequential.to_db.critical_path_ms.p50, 0) : "");
  add("  wall / critical path p50 / p95", `${fmt(parallel.to_db.wall_over_critical_path.p50, 2)} / ${fmt(parallel.to_db.wall_over_critical_path.p95, 2)}`, sequential ? `${fmt(sequential.to_db.wall_over_critical_path.p50, 2)} / ${fmt(sequential.to_db.wall_over_critical_path.p95, 2)}` : "");
  add("  speed-up vs sequential (p50)", sequential ? `${fmt(sequential.to_db.wall_ms.p50 / parallel.to_db.wall_ms.p50, 2)}×` : "—");
  add("per course (means):", "", "");
  add("  contacts", fmt(pp.contacts, 2), fmt(sp?.contacts, 2));
  add("  model calls (Claude + Perplexity)", `${fmt(pp.model_calls, 2)} (${fmt(pp.anthropic_requests, 2)} + ${fmt(pp.perplexity_requests, 2)})`, fmt(sp?.model_calls, 2));
  add("  input / output tokens", `${fmt(pp.input_tokens, 0)} / ${fmt(pp.output_tokens, 0)}`, sp ? `${fmt(sp.input_tokens, 0)} / ${fmt(sp.output_tokens, 0)}` : "");
  add("  model spend (USD, price table)", `$${fmt(pp.model_cost_usd, 4)} (app recorded $${fmt(pp.app_recorded_cost_usd, 4)})`, sp ? `$${fmt(sp.model_cost_usd, 4)}` : "");
  add("  ClickUp requests (writes)", `${fmt(pp.clickup_requests, 2)} (${fmt(pp.clickup_writes, 2)})`, sp ? `${fmt(sp.clickup_requests, 2)} (${fmt(sp.clickup_writes, 2)})` : "");
  add("  Hunter / Jina / Perplexity requests", `${fmt(pp.hunter_requests, 2)} / ${fmt(pp.jina_requests, 2)} / ${fmt(pp.perplexity_requests, 2)}`, sp ? `${fmt(sp.hunter_requests, 2)} / ${fmt(sp.jina_requests, 2)} / ${fmt(sp.perplexity_requests, 2)}` : "");
  add("  database round trips (connections)", `${fmt(pp.db_round_trips, 2)} (${fmt(pp.db_connections, 2)})`, sp ? `${fmt(sp.db_round_trips, 2)} (${fmt(sp.db_connections, 2)})` : "");
  const dbTime = (p: PhaseFigures | null) => {
    const l = p?.db.latency_ms;
    if (!l) return "—";
    const avg = (k: string) => (l[k] ? fmt(l[k]!.total / l[k]!.n, 1) : "—");
    return `connect ${avg("(connect)")}, apply ${avg("apply_enrichment")}`;
  };
  add("  database ms per round trip (mean)", dbTime(parallel), sequential ? dbTime(sequential) : "");
  add("  webhook deliveries to the Worker", fmt(pp.webhook_deliveries, 2), fmt(sp?.webhook_deliveries, 2));
  add("ClickUp 429s (phase total)", String(parallel.clickup_429s), sequential ? String(sequential.clickup_429s) : "");
  add("ClickUp rate-limit floor for the phase (ms)", fmt(parallel.clickup_rate_floor_ms, 0), sequential ? fmt(sequential.clickup_rate_floor_ms, 0) : "");
  const cpu = (p: PhaseFigures | null) => (p?.cpu ? `${fmt(p.cpu.workerd_ms_per_course, 0)} / ${fmt(p.cpu.bench_process_ms_per_course, 0)}  (busiest workerd ${fmt(p.cpu.workerd_busiest_utilization * 100, 0)}%)` : "—");
  add("CPU ms per course: workerd / bench process", cpu(parallel), sequential ? cpu(sequential) : "");
  add("phase duration (ms)", fmt(parallel.duration_ms, 0), sequential ? fmt(sequential.duration_ms, 0) : "");
  add("webhook ack p50 / p99 (ms)", ack ? `${fmt(ack.p50, 1)} / ${fmt(ack.p99, 1)}  (${ack.concurrent} at once, ${ack.non_2xx} non-2xx)` : "—");
  for (const p of ack?.by_burst ?? []) add(`  ignored deliveries, ${p.concurrent === 1 ? "one at a time" : `${p.concurrent} at once`}`, `${fmt(p.p50, 1)} / ${fmt(p.p99, 1)}`);
  const fr = results.freshness as FreshnessFigures | null;
  add("freshness sweep: contacts checked (left / replaced / emails dead / unknown)", fr ? `${fr.contacts_checked} (${fr.outcomes.left} / ${fr.outcomes.replaced} / ${fr.outcomes.emails_invalidated} / ${fr.outcomes.unknown})` : "—");
  add("  paid calls per contact (USD) / ClickUp requests per contact", fr ? `$${fmt(fr.cost_per_contact_usd, 5)} / ${fmt(fr.clickup_requests_per_contact, 2)}` : "—");
  add("  Claude / Perplexity / Hunter / Jina requests per contact", fr ? `${fmt(fr.requests_per_contact.anthropic, 2)} / ${fmt(fr.requests_per_contact.perplexity, 2)} / ${fmt(fr.requests_per_contact.hunter, 2)} / ${fmt(fr.requests_per_contact.jina, 2)}` : "—");
  add("  sweep duration (ms)", fr ? fmt(fr.duration_ms, 0) : "—");
  const nm = (results.not_measured ?? {}) as Record<string, string>;
  const burstRow = (label: string, key: "burst" | "burst_unbound") => {
    const b = results[key] as BurstFigures | null;
    add(
      label,
      b
        ? `${fmt(b.makespan_ms, 0)} / ${fmt(b.ideal_makespan_ms, 0)} = ${fmt(b.makespan_over_ideal, 2)}×  (${b.courses} at once, ${b.limit.per_real_minute}/min, ${b.clickup_requests} req, ${b.clickup_429s} × 429)`
        : `— (${nm[key] ?? "not measured"})`,
    );
    if (b) add("  per-course wall / critical path p50 / p95", `${fmt(b.wall_over_critical_path.p50, 2)} / ${fmt(b.wall_over_critical_path.p95, 2)}`);
    if (b) add("  ClickUp requests per emulator window (start s)", b.clickup_windows.map((w) => `${w.requests} (${fmt(w.start_ms / 1000, 0)})`).join(", ") || "—");
    if (b) add("  busiest workerd / bench process CPU; db connect ms", `${fmt((b.busiest_workerd_utilization ?? Number.NaN) * 100, 0)}% / ${fmt((b.bench_process_utilization ?? Number.NaN) * 100, 0)}%; ${fmt(b.db_ms.connect, 1)}`);
  };
  burstRow("burst: makespan / ideal (real ms)", "burst");
  burstRow("burst, limit not binding: makespan / ideal", "burst_unbound");
  const dash = results.dashboard as DashboardFigures | null;
  if (dash) {
    const worst = Object.entries(dash["dashboard.api_ms.p95"]).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))[0];
    add("dashboard at scale: slowest p95 (ms) / seeding (s)", `${fmt(worst?.[1] ?? null, 1)} (${worst?.[0] ?? "—"}) / ${fmt(dash.seed.seed_ms / 1000, 1)}`);
  } else add("dashboard at scale", `— (${nm.dashboard ?? "not measured"})`);
  for (const [label, value] of importRows(results.import as ImportFigures | null, nm.import)) add(label, value);
  const q = results.quality as QualityFigures | null;
  const qc = results.quality_clickup as QualityFigures | null;
  const pr = (x: QualityFigures | null, f: "people" | "email" | "phone" | "linkedin") =>
    x ? `${fmt(x[`${f}_precision` as const], 3)} / ${fmt(x[`${f}_recall` as const], 3)}` : "—";
  add("quality (precision / recall): database", q ? `${q.courses} courses` : `— (${nm.quality ?? "not measured"})`, qc ? "lead tasks in ClickUp" : "");
  for (const f of ["people", "email", "phone", "linkedin"] as const) add(`  ${f}`, pr(q, f), pr(qc, f));
  add("  segment accuracy", q ? fmt(q.segment_accuracy, 3) : "—", qc ? fmt(qc.segment_accuracy, 3) : "");
  const wc = results.webhook_ack_ms as { concurrency?: Record<string, { p50: number; p99: number; max: number }>; worker_cpu_ms_per_delivery?: number | null } | null;
  if (wc?.concurrency) for (const [c, v] of Object.entries(wc.concurrency)) if (["1", "10", "100"].includes(c)) add(`webhook ack at ${c} concurrent: p50 / p99 / max (ms)`, `${fmt(v.p50, 1)} / ${fmt(v.p99, 1)} / ${fmt(v.max, 1)}`);
  add("webhook: Worker CPU ms per delivery", wc?.worker_cpu_ms_per_delivery !== undefined ? fmt(wc.worker_cpu_ms_per_delivery, 2) : "—");

  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(12, ...rows.map((x) => x[1].length));
  const lines = [
    `Golf Outreach benchmark — ${results.date as string} — commit ${results.commit as string}`,
    `machine: ${m.cpus} × ${m.cpu_model}, ${m.memory_gb} GB, Node ${m.node}; database ${s.database}`,
    `N=${s.N} courses, C=${s.C}, realistic latency × ${s.time_scale}; ClickUp limit ${s.rate_limits.clickup.requests} req / ${s.rate_limits.clickup.window_ms} ms (${s.rate_limits.clickup.equivalent_per_real_minute}/min at provider speed)`,
    `models (requests): ${[...Object.entries(parallel.models.anthropic), ...Object.entries(parallel.models.perplexity)].map(([m, n]) => `${m} ${n}`).join(", ")}`,
    "",
    `${"".padEnd(w0)}  ${"parallel".padEnd(w1)}  sequential`,
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`),
    "",
    "targets (DESIGN.md):",
    ...targets.flatMap((t) => [`  [${t.met === null ? " ? " : t.met ? "met" : "MISSED"}] ${t.target}: ${t.measured}`, ...(t.note ? [`        ${t.note}`] : [])]),
  ];
  const checks = [parallel, ...(sequential ? [sequential] : [])].flatMap((p) => p.consistency.map((c) => ({ ...c, phase: p.label })));
  const bad = checks.filter((c) => !c.ok);
  if (bad.length) lines.push("", "WARNING: the app's agent_calls and the emulators' logs disagree:", ...bad.map((c) => `  ${c.phase} ${c.provider}: emulator ${c.emulator_requests}, agent_calls attempts ${c.agent_call_attempts} + explained ${c.explained_extra}`));
  const misrecorded = checks.filter((c) => c.agent_call_attempts_recorded !== c.agent_call_attempts);
  if (misrecorded.length) lines.push("", "note: agent_calls.attempts overstates failed calls (3 recorded for a permanent error that made one request):", ...misrecorded.map((c) => `  ${c.phase} ${c.provider}: recorded ${c.agent_call_attempts_recorded}, made ${c.agent_call_attempts}`));
  const unclassified = [...new Set(parallel.runs.flatMap((x) => x.unclassified_calls))];
  if (unclassified.length) lines.push("", `note: calls the critical-path graph does not know (left off the path): ${unclassified.join(", ")}`);
  return lines.join("\n");
}
