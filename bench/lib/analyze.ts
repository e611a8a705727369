// Turns a phase's raw material (run records with their agent_calls rows, the emulators' request
// logs, the database proxy's counters) into the benchmark's figures.

import { CLICKUP_SEED } from "../../sandbox/clickup/index.ts";
import type { RecordedRequest } from "../../sandbox/core/recorder.ts";
import { COURSES } from "../../sandbox/world/index.ts";
import { MODEL_PRICES_PER_MTOK, PERPLEXITY_PRICES, modelCostUsd } from "../../src/providers/pricing.ts";
import { isRetryableStatus } from "../../src/providers/provider-error.ts";
import type { CpuUse } from "./cpu.ts";
import { criticalPath, type CriticalPath } from "./critical-path.ts";
import type { PgCounts } from "./pg-proxy.ts";
import type { AgentCallRow, PhaseResult, RunRecord } from "./phase.ts";
import { mean, percentile } from "./stats.ts";

export type Provider = "anthropic" | "clickup" | "hunter" | "perplexity" | "jina";
export const PROVIDERS: readonly Provider[] = ["anthropic", "clickup", "hunter", "perplexity", "jina"];

export interface AnalyzeSettings {
  timeScale: number;
  dbRoundTripMs: number;
  /** ClickUp's limit as the emulator applies it (requests per window). */
  clickupRateLimit: { requests: number; windowMs: number };
}

export interface RunFigures {
  index: number;
  course: string;
  world_course: string;
  state: string;
  task_id: string;
  job_id: string | null;
  status: string;
  error: string | null;
  wall_ms: number | null;
  critical_path_ms: number;
  critical_path_unscaled_ms: number;
  wall_over_critical_path: number | null;
  /** From the intake task's creation to the result in the database (before the ClickUp writes). */
  wall_to_db_ms: number | null;
  critical_path_to_db_ms: number;
  wall_to_db_over_critical_path: number | null;
  critical_chain: string[];
  unclassified_calls: string[];
  contacts: number;
  agent_calls: number;
  /** ClickUp requests attributed to this run (its intake task, its course's lead tasks). */
  clickup_requests: number;
  /** contacts + 4 (DESIGN.md target). */
  clickup_budget: number;
  run_cost_usd: number | null;
}

export interface PhaseFigures {
  label: string;
  mode: string;
  runs: RunFigures[];
  /** Runs that ended succeeded or partial (the figures below are over these, except the means of requests). */
  completed: number;
  failed: number;
  timed_out: number;
  duration_ms: number;
  wall_ms: { p50: number; p95: number; mean: number; min: number; max: number };
  critical_path_ms: { p50: number; p95: number; unscaled_p50: number };
  wall_over_critical_path: { p50: number; p95: number; max: number };
  /** The same, up to the result in the database (what the agents and the orchestration take, before ClickUp). */
  to_db: { wall_ms: { p50: number; p95: number }; critical_path_ms: { p50: number }; wall_over_critical_path: { p50: number; p95: number; max: number } };
  per_course: PerCourse;
  requests_total: Record<Provider, number>;
  clickup_429s: number;
  /** When each 429 arrived, ms after the phase started. */
  clickup_429_at_ms: number[];
  /** Runs that made more ClickUp requests than their contacts + 4. */
  clickup_over_budget_runs: number;
  /** ClickUp requests the per-run attribution found, against the emulator's total. */
  clickup_attributed: { attributed: number; total: number };
  /** The least time the phase's ClickUp requests need under the limit (fixed windows). */
  clickup_rate_floor_ms: number;
  db: PgCounts;
  /** The app's own agent_calls rows against the emulators' logs (should match). */
  consistency: ConsistencyCheck[];
  /** Models the app asked for, as the emulators received them. */
  models: { anthropic: Record<string, number>; perplexity: Record<string, number> };
  /** How busy the machine was during the phase (Linux only). */
  cpu: (CpuUse & { workerd_ms_per_course: number; bench_process_ms_per_course: number }) | null;
}

export interface PerCourse {
  contacts: number;
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
  model_cost_usd: number;
  clickup_requests: number;
  hunter_requests: number;
  jina_requests: number;
  perplexity_requests: number;
  db_round_trips: number;
  /** Added: the same figures split by provider, and other counters. */
  anthropic_requests: number;
  model_breakdown: Record<"anthropic" | "perplexity", { calls: number; input_tokens: number; output_tokens: number; cost_usd: number }>;
  app_recorded_cost_usd: number;
  db_connections: number;
  db_round_trips_by_function: Record<string, number>;
  clickup_writes: number;
  webhook_deliveries: number;
}

export interface ConsistencyCheck {
  provider: string;
  emulator_requests: number;
  /** Requests the agent_calls rows account for (failed calls with a permanent error: one request). */
  agent_call_attempts: number;
  /** The sum of agent_calls.attempts as the app recorded it. */
  agent_call_attempts_recorded: number;
  /** Requests the emulator saw that no agent_calls attempt accounts for (e.g. Hunter verifier polls). */
  explained_extra: number;
  ok: boolean;
}

/**
 * Requests a call made. `attempts` is what the app recorded; for a failed call the app records 3
 * whatever happened, while an error it treats as permanent (a 4xx other than 408/409/425/429) stops
 * after the first request: such a call made one request.
 */
export function requestsOf(call: AgentCallRow & { error?: string | null }): number {
  if (call.status === "failed") {
    const status = /HTTP (\d{3})/.exec(call.error ?? "")?.[1];
    if (status !== undefined && !isRetryableStatus(Number(status))) return 1;
  }
  return Math.max(1, call.attempts);
}

/** The staff email a contact name stands for in the fixture world (for Hunter verifier polls). */
function staffEmails(): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of COURSES) for (const s of c.staff) if (s.email) out.set(s.email.toLowerCase(), s.full_name);
  return out;
}

/** Requests per model, from the request bodies an emulator received. */
function modelsIn(requests: RecordedRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const model = (r.body as { model?: unknown } | undefined)?.model;
    if (typeof model === "string") out[model] = (out[model] ?? 0) + 1;
  }
  return out;
}

/** `max_tokens` the app sends per model, as the Anthropic emulator received it. */
export function maxTokensByModel(requests: RecordedRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const body = r.body as { model?: unknown; max_tokens?: unknown } | undefined;
    if (typeof body?.model === "string" && typeof body.max_tokens === "number") out[body.model] = Math.max(out[body.model] ?? 0, body.max_tokens);
  }
  return out;
}

/**
 * Hunter verifier polls (202 "still verifying") are extra requests inside one agent call: each is
 * given to the run of that contact whose window contains it.
 */
function verifierPolls(runs: RunRecord[], hunter: RecordedRequest[]): Map<RunRecord, Record<string, number>> {
  const emails = staffEmails();
  const out = new Map<RunRecord, Record<string, number>>();
  for (const r of hunter) {
    if (!r.path.endsWith("/v2/email-verifier") || r.status !== 202) continue;
    const name = emails.get(String(r.query.email ?? "").toLowerCase());
    const run = runs.find(
      (run) => run.created_at_ms <= r.time && r.time <= (run.finished_at_ms ?? Infinity) && run.calls.some((c) => c.call_key.startsWith("A3.hunter.verify:") && c.contact_name === name),
    );
    if (!run) continue;
    const key = run.calls.find((c) => c.call_key.startsWith("A3.hunter.verify:") && c.contact_name === name)!.call_key;
    const extra = out.get(run) ?? {};
    extra[key] = (extra[key] ?? 0) + 1;
    out.set(run, extra);
  }
  return out;
}

const INTAKE_LIST = CLICKUP_SEED.intake.listId;

export interface RunClickUp {
  requests: RecordedRequest[];
  /** The intake task was read before the agents could start. */
  readBefore: boolean;
  /** Lead tasks written after the result was in the database. */
  leadWritesAfter: number;
  /** Intake task written back after the result was in the database. */
  intakeWritesAfter: number;
}

/** The course a lead-task write is for: its name ends with the course, or a custom field holds it exactly. */
function namesCourse(body: unknown, course: string): boolean {
  if (!body || typeof body !== "object") return false;
  const b = body as { name?: unknown; custom_fields?: unknown };
  if (typeof b.name === "string" && (b.name === course || b.name.endsWith(`| ${course}`) || b.name.endsWith(` ${course}`))) return true;
  return Array.isArray(b.custom_fields) && b.custom_fields.some((f) => (f as { value?: unknown } | null)?.value === course);
}

/**
 * The ClickUp requests of one run: every request on its intake task (read, status, write-back,
 * comment), and the lead tasks created for its course. Every run enriches a differently named
 * course, and a lead task names its course exactly (task name, "Course" field), so a lead task is
 * never counted for two runs (a lead's description may mention other clubs: it is not read).
 */
export function clickupOfRun(run: RunRecord, clickup: RecordedRequest[]): RunClickUp {
  const onIntake = (r: RecordedRequest) => r.path === `/api/v2/task/${run.task_id}` || r.path.startsWith(`/api/v2/task/${run.task_id}/`);
  const isLeadWrite = (r: RecordedRequest) =>
    r.method !== "GET" && /^\/api\/v2\/list\/[^/]+\/task$/.test(r.path) && r.path !== `/api/v2/list/${INTAKE_LIST}/task` && namesCourse(r.body, run.course.name);
  const requests = clickup.filter((r) => onIntake(r) || isLeadWrite(r));
  const applied = run.applied_at_ms ?? Infinity;
  return {
    requests,
    readBefore: requests.some((r) => r.method === "GET" && onIntake(r) && r.time < applied),
    leadWritesAfter: requests.filter((r) => isLeadWrite(r) && r.time >= applied).length,
    intakeWritesAfter: requests.filter((r) => r.method !== "GET" && onIntake(r) && r.time >= applied).length,
  };
}

export function analyzePhase(phase: PhaseResult, settings: AnalyzeSettings): PhaseFigures {
  const req = phase.counts.requests;
  const maxTokens = maxTokensByModel(req.anthropic);
  const polls = verifierPolls(phase.runs, req.hunter);
  const runs: RunFigures[] = phase.runs.map((run) => {
    const clickup = clickupOfRun(run, req.clickup);
    const path: CriticalPath = criticalPath({
      calls: run.calls.map((c) => ({ ...c, attempts: requestsOf(c) })),
      maxTokensByModel: maxTokens,
      extraRequests: polls.get(run) ?? {},
      clickupBefore: clickup.readBefore ? 1 : 0,
      // Lead tasks (all at once), then the intake write-back that links them (its update and comment at once).
      clickupAfterStages: (clickup.leadWritesAfter > 0 ? 1 : 0) + (clickup.intakeWritesAfter > 0 ? 1 : 0),
      // The course row before the agents (the run's identity), the result before ClickUp (Supabase first).
      dbBefore: 1,
      dbAfter: 1,
      dbRoundTripMs: settings.dbRoundTripMs,
      timeScale: settings.timeScale,
    });
    const contacts = run.contacts ?? new Set(run.calls.map((c) => c.contact_name).filter((n): n is string => !!n)).size;
    return {
      index: run.index,
      course: run.course.name,
      world_course: run.course.world ?? run.course.name,
      state: run.course.state,
      task_id: run.task_id,
      job_id: run.job_id,
      status: run.status,
      error: run.error,
      wall_ms: run.wall_ms,
      critical_path_ms: path.ms,
      critical_path_unscaled_ms: path.unscaled_ms,
      wall_over_critical_path: run.wall_ms !== null && path.ms > 0 ? run.wall_ms / path.ms : null,
      wall_to_db_ms: run.applied_at_ms !== null ? run.applied_at_ms - run.created_at_ms : null,
      critical_path_to_db_ms: path.to_result_ms,
      wall_to_db_over_critical_path: run.applied_at_ms !== null && path.to_result_ms > 0 ? (run.applied_at_ms - run.created_at_ms) / path.to_result_ms : null,
      critical_chain: path.chain,
      unclassified_calls: path.unclassified,
      contacts,
      agent_calls: run.calls.length,
      clickup_requests: clickup.requests.length,
      clickup_budget: contacts + 4,
      run_cost_usd: run.run_cost_usd,
    };
  });

  const done = runs.filter((r) => r.status === "succeeded" || r.status === "partial");
  const walls = done.map((r) => r.wall_ms ?? Number.NaN);
  const paths = done.map((r) => r.critical_path_ms);
  const ratios = done.map((r) => r.wall_over_critical_path ?? Number.NaN);
  const n = Math.max(1, phase.runs.length);
  const calls = phase.runs.flatMap((r) => r.calls);
  const sumOf = (provider: string, field: "input_tokens" | "output_tokens" | "attempts") =>
    calls.filter((c) => c.provider === provider).reduce((s, c) => s + (field === "attempts" ? requestsOf(c) : c.status === "succeeded" ? c[field] : 0), 0);
  const anthropicCost = calls
    .filter((c) => c.provider === "anthropic" && c.status === "succeeded" && c.model)
    .reduce((s, c) => s + modelCostUsd(c.model!, c.input_tokens, c.output_tokens), 0);
  // The Perplexity Agent API, priced with the app's table: tokens plus one web search per request.
  const perplexityCost =
    (sumOf("perplexity", "input_tokens") * PERPLEXITY_PRICES.inputPerMTok + sumOf("perplexity", "output_tokens") * PERPLEXITY_PRICES.outputPerMTok) / 1e6 +
    req.perplexity.filter((r) => r.status === 200).length * PERPLEXITY_PRICES.perWebSearch;
  const total: Record<Provider, number> = {
    anthropic: req.anthropic.length,
    clickup: req.clickup.length,
    hunter: req.hunter.length,
    perplexity: req.perplexity.length,
    jina: req.jina.length,
  };
  const db = phase.counts.db;
  const clickupWrites = req.clickup.filter((r) => r.method !== "GET").length;
  const deliveries = phase.webhook_deliveries;

  const anthropicIn = sumOf("anthropic", "input_tokens");
  const anthropicOut = sumOf("anthropic", "output_tokens");
  const pplxIn = sumOf("perplexity", "input_tokens");
  const pplxOut = sumOf("perplexity", "output_tokens");
  const per_course: PerCourse = {
    contacts: mean(runs.map((r) => r.contacts)),
    model_calls: (total.anthropic + total.perplexity) / n,
    input_tokens: (anthropicIn + pplxIn) / n,
    output_tokens: (anthropicOut + pplxOut) / n,
    model_cost_usd: (anthropicCost + perplexityCost) / n,
    clickup_requests: total.clickup / n,
    hunter_requests: total.hunter / n,
    jina_requests: total.jina / n,
    perplexity_requests: total.perplexity / n,
    db_round_trips: db.query_round_trips / n,
    anthropic_requests: total.anthropic / n,
    model_breakdown: {
      anthropic: { calls: total.anthropic / n, input_tokens: anthropicIn / n, output_tokens: anthropicOut / n, cost_usd: anthropicCost / n },
      perplexity: { calls: total.perplexity / n, input_tokens: pplxIn / n, output_tokens: pplxOut / n, cost_usd: perplexityCost / n },
    },
    app_recorded_cost_usd: mean(phase.runs.map((r) => r.run_cost_usd ?? Number.NaN)),
    db_connections: db.connections / n,
    db_round_trips_by_function: Object.fromEntries(Object.entries(db.by_function).map(([fn, count]) => [fn, count / n])),
    clickup_writes: clickupWrites / n,
    webhook_deliveries: deliveries / n,
  };

  const consistency: ConsistencyCheck[] = (["anthropic", "perplexity", "hunter", "jina"] as const).map((provider) => {
    const attempts = sumOf(provider, "attempts");
    const extra = provider === "hunter" ? [...polls.values()].reduce((s, e) => s + Object.values(e).reduce((a, b) => a + b, 0), 0) : 0;
    const recorded = calls.filter((c) => c.provider === provider).reduce((sum, c) => sum + c.attempts, 0);
    return { provider, emulator_requests: total[provider], agent_call_attempts: attempts, agent_call_attempts_recorded: recorded, explained_extra: extra, ok: total[provider] === attempts + extra };
  });

  const limit = settings.clickupRateLimit;
  return {
    label: phase.label,
    mode: phase.mode,
    runs,
    completed: done.length,
    failed: runs.filter((r) => r.status === "failed").length,
    timed_out: runs.filter((r) => r.status === "timed_out").length,
    duration_ms: phase.finished_at_ms - phase.started_at_ms,
    wall_ms: { p50: percentile(walls, 50), p95: percentile(walls, 95), mean: mean(walls), min: Math.min(...walls), max: Math.max(...walls) },
    critical_path_ms: { p50: percentile(paths, 50), p95: percentile(paths, 95), unscaled_p50: percentile(done.map((r) => r.critical_path_unscaled_ms), 50) },
    wall_over_critical_path: { p50: percentile(ratios, 50), p95: percentile(ratios, 95), max: Math.max(...ratios.filter(Number.isFinite)) },
    to_db: {
      wall_ms: { p50: percentile(done.map((r) => r.wall_to_db_ms ?? Number.NaN), 50), p95: percentile(done.map((r) => r.wall_to_db_ms ?? Number.NaN), 95) },
      critical_path_ms: { p50: percentile(done.map((r) => r.critical_path_to_db_ms), 50) },
      wall_over_critical_path: {
        p50: percentile(done.map((r) => r.wall_to_db_over_critical_path ?? Number.NaN), 50),
        p95: percentile(done.map((r) => r.wall_to_db_over_critical_path ?? Number.NaN), 95),
        max: Math.max(...done.map((r) => r.wall_to_db_over_critical_path ?? Number.NaN).filter(Number.isFinite)),
      },
    },
    per_course,
    requests_total: total,
    clickup_429s: req.clickup.filter((r) => r.status === 429).length,
    clickup_429_at_ms: req.clickup.filter((r) => r.status === 429).map((r) => r.time - phase.started_at_ms),
    clickup_over_budget_runs: runs.filter((r) => r.clickup_requests > r.clickup_budget).length,
    clickup_attributed: { attributed: runs.reduce((sum, r) => sum + r.clickup_requests, 0), total: total.clickup },
    // Fixed windows: R requests need ceil(R / limit) windows, so at least that many minus one window boundaries.
    clickup_rate_floor_ms: Math.max(0, Math.ceil(total.clickup / limit.requests) - 1) * limit.windowMs,
    db,
    consistency,
    models: { anthropic: modelsIn(req.anthropic), perplexity: modelsIn(req.perplexity) },
    cpu: phase.cpu ? { ...phase.cpu, workerd_ms_per_course: phase.cpu.workerd_ms / n, bench_process_ms_per_course: phase.cpu.bench_process_ms / n } : null,
  };
}

export const PRICE_TABLE = { anthropic_per_mtok: MODEL_PRICES_PER_MTOK, perplexity: PERPLEXITY_PRICES };
