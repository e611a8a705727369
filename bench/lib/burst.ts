// Burst against the ceiling (issue 16): N courses entered at once, under the ClickUp plan's limit,
// beside the ideal makespan that limit allows; and the same burst under a limit that does not bind
// (1,000/min, Business Plus), where each course should take no longer than its own critical path.
//
// The ideal makespan, in the issue's words: "the larger of the longest critical path and (total
// ClickUp requests ÷ rate) plus the shortest path to the first ClickUp write". Read as
//   max( longest critical path,  total ClickUp requests ÷ rate + shortest path to the first write )
// because that is a bound no implementation can beat: the burst cannot end before its longest
// course, nor before the plan has let every request through, which cannot begin (for the writes)
// before the earliest course can make its first write. (The other grouping, max(...) + path, adds
// the path twice when the critical path binds: it would not be a lower bound.) The rate is the
// plan's average (requests per window ÷ window); the emulator's fixed windows could let one full
// window through at once, which no client can count on (ClickUp documents a per-minute limit).

import type { PhaseFigures } from "./analyze.ts";
import type { RunRecord } from "./phase.ts";
import { percentile } from "./stats.ts";

export interface IdealMakespanInput {
  /** Every course's critical path (real ms). */
  criticalPathsMs: readonly number[];
  /** ClickUp requests the burst needed in all (the ones the limit counted: 429s are not). */
  clickupRequests: number;
  /** The plan's limit. */
  rate: { requests: number; windowMs: number };
  /** The shortest path from a course's entry to its first ClickUp write (real ms). */
  shortestPathToFirstWriteMs: number;
}

export interface IdealMakespan {
  ideal_ms: number;
  longest_critical_path_ms: number;
  /** total requests ÷ rate + the shortest path to the first write. */
  rate_bound_ms: number;
  binding: "critical_path" | "rate_limit";
}

export function idealMakespan(input: IdealMakespanInput): IdealMakespan {
  const longest = input.criticalPathsMs.length ? Math.max(...input.criticalPathsMs) : 0;
  const perMs = input.rate.requests / input.rate.windowMs;
  const rateBound = input.clickupRequests / perMs + input.shortestPathToFirstWriteMs;
  return { ideal_ms: Math.max(longest, rateBound), longest_critical_path_ms: longest, rate_bound_ms: rateBound, binding: rateBound > longest ? "rate_limit" : "critical_path" };
}

/**
 * The shortest path to a course's first ClickUp write, from the critical-path model: the intake
 * task is read (one ClickUp request), the course row found (database), then the first write (the
 * task's "enriching" status) can be sent. Real ms.
 */
export function pathToFirstClickUpWriteMs(opts: { clickupLatencyMs: number; dbRoundTripMs: number; timeScale: number }): number {
  return opts.clickupLatencyMs * opts.timeScale + opts.dbRoundTripMs;
}

/** From the first course's entry to the last job's end (real ms); null when a run did not finish. */
export function makespanMs(runs: ReadonlyArray<Pick<RunRecord, "created_at_ms" | "finished_at_ms">>): number | null {
  if (runs.length === 0 || runs.some((r) => r.finished_at_ms === null)) return null;
  return Math.max(...runs.map((r) => r.finished_at_ms!)) - Math.min(...runs.map((r) => r.created_at_ms));
}

/**
 * ClickUp's requests as the emulator's fixed windows counted them: a window opens with the first
 * request after the last one closed (sandbox/clickup/rate-limit.ts). Shows where a burst waited: a
 * window well under the limit followed by another means the gate held requests it could have sent.
 * `times` are arrival times (ms epoch); starts are ms after `origin`.
 */
export function fixedWindows(times: readonly number[], windowMs: number, origin: number): Array<{ start_ms: number; requests: number }> {
  const sorted = [...times].sort((a, b) => a - b);
  const out: Array<{ start_ms: number; requests: number }> = [];
  let end = -Infinity;
  for (const t of sorted) {
    if (t >= end) {
      out.push({ start_ms: t - origin, requests: 0 });
      end = t + windowMs;
    }
    out[out.length - 1]!.requests++;
  }
  return out;
}

export interface BurstFigures {
  courses: number;
  limit: { requests: number; window_ms: number; per_real_minute: number };
  completed: number;
  makespan_ms: number | null;
  ideal_makespan_ms: number;
  makespan_over_ideal: number | null;
  ideal: IdealMakespan & { shortest_path_to_first_write_ms: number };
  clickup_requests: number;
  clickup_429s: number;
  /** The emulator's fixed windows over the burst (start ms after the first entry, requests in it). */
  clickup_windows: Array<{ start_ms: number; requests: number }>;
  wall_over_critical_path: { p50: number | null; p95: number | null; max: number | null };
  wall_ms: { p50: number | null; max: number | null };
  /** The busiest workerd process's CPU ÷ the burst's duration: near 1, the local Worker's one thread was the bottleneck. */
  busiest_workerd_utilization: number | null;
  /** The benchmark's own process (emulators, embedded database) CPU ÷ duration: it is one thread too. */
  bench_process_utilization: number | null;
  /** Mean database connect and apply_enrichment round trip (ms, at the proxy): the embedded database under load. */
  db_ms: { connect: number | null; apply_enrichment: number | null };
}

const r = (x: number | null, digits = 1): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);

const meanOf = (l: { n: number; total: number } | undefined): number | null => (l && l.n > 0 ? r(l.total / l.n, 1) : null);

export function burstFigures(
  runs: ReadonlyArray<Pick<RunRecord, "created_at_ms" | "finished_at_ms">>,
  figures: PhaseFigures,
  opts: { rate: { requests: number; windowMs: number }; timeScale: number; pathToFirstWriteMs: number; clickupTimes?: readonly number[] },
): BurstFigures {
  const requests = figures.requests_total.clickup - figures.clickup_429s;
  const done = figures.runs.filter((x) => x.status === "succeeded" || x.status === "partial");
  const ideal = idealMakespan({ criticalPathsMs: figures.runs.map((x) => x.critical_path_ms), clickupRequests: requests, rate: opts.rate, shortestPathToFirstWriteMs: opts.pathToFirstWriteMs });
  const makespan = makespanMs(runs);
  const ratios = done.map((x) => x.wall_over_critical_path ?? Number.NaN);
  return {
    courses: runs.length,
    limit: { requests: opts.rate.requests, window_ms: opts.rate.windowMs, per_real_minute: Math.round((opts.rate.requests * 60_000 * opts.timeScale) / opts.rate.windowMs) },
    completed: done.length,
    makespan_ms: r(makespan, 0),
    ideal_makespan_ms: r(ideal.ideal_ms, 0)!,
    makespan_over_ideal: makespan === null ? null : r(makespan / ideal.ideal_ms, 3),
    ideal: { ...ideal, ideal_ms: r(ideal.ideal_ms, 0)!, longest_critical_path_ms: r(ideal.longest_critical_path_ms, 0)!, rate_bound_ms: r(ideal.rate_bound_ms, 0)!, shortest_path_to_first_write_ms: r(opts.pathToFirstWriteMs, 0)! },
    clickup_requests: requests,
    clickup_429s: figures.clickup_429s,
    clickup_windows: fixedWindows(opts.clickupTimes ?? [], opts.rate.windowMs, runs.length ? Math.min(...runs.map((x) => x.created_at_ms)) : 0),
    wall_over_critical_path: { p50: r(percentile(ratios, 50), 3), p95: r(percentile(ratios, 95), 3), max: ratios.some(Number.isFinite) ? r(Math.max(...ratios.filter(Number.isFinite)), 3) : null },
    busiest_workerd_utilization: figures.cpu ? r(figures.cpu.workerd_busiest_utilization, 2) : null,
    bench_process_utilization: figures.cpu && figures.cpu.elapsed_ms > 0 ? r(figures.cpu.bench_process_ms / figures.cpu.elapsed_ms, 2) : null,
    db_ms: { connect: meanOf(figures.db.latency_ms?.["(connect)"]), apply_enrichment: meanOf(figures.db.latency_ms?.apply_enrichment) },
    wall_ms: { p50: r(percentile(done.map((x) => x.wall_ms ?? Number.NaN), 50), 0), max: done.length ? r(Math.max(...done.map((x) => x.wall_ms ?? 0)), 0) : null },
  };
}
