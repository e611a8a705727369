// The critical path of one course run: the longest chain of dependent provider calls, each priced
// at the mean latency the realistic profile gives it (sandbox/core/latency.ts, the same table the
// emulators sleep by), times the time scale. It is the lower bound no orchestration can beat for
// that run's actual calls.
//
// The dependency graph is the pipeline's (src/pipeline/enrich-course-pipeline.ts), reduced to what
// each step needs from the one before:
//
//   [ClickUp: read the intake task] → [db: the course row] → A1
//     → max( A2 ───────────────→ per contact, max( A3 chain, A5, A6.5 ),
//            (A1 ∥ A7) → A6 )  — A7 starts beside A1
//     → [db: apply_enrichment, the one write of the result]
//     → [ClickUp: the lead tasks, all at once] → [ClickUp: the intake write-back that links them]
//
//   A2     = max( Hunter domain-search,  Jina home → max(Jina staff pages) → model extract )
//   A3 (c) = Hunter email-finder → research → Hunter verifier   (each only when the run made it)
//
// What is left off because nothing waits for it: the intake task's "enriching" status (beside A1),
// the other database calls (ClickUp settings, the run row, recording the lead task ids), and the
// order of the intake update and its comment (independent of each other). Database round trips cost
// `dbRoundTripMs` (0 by default: the profile has no database figure; the wall time does include it).
//
// Each call counts once per request the run made (retries are calls too). Calls are read from the
// run's own `agent_calls` rows (call_key names the step); a call key the graph does not know is
// reported, not guessed at.

import { PROVIDER_LATENCY_MS, anthropicCallLatencyMs } from "../../sandbox/core/latency.ts";

export interface RunCall {
  call_key: string;
  provider: string;
  model: string | null;
  status: string;
  attempts: number;
  output_tokens: number;
}

export interface CriticalPathInput {
  calls: RunCall[];
  /** `max_tokens` the app sends per model (read from the Anthropic emulator's log). */
  maxTokensByModel: Record<string, number>;
  /** Extra provider requests a call made beyond its attempts (e.g. Hunter verifier polls), by call_key. */
  extraRequests?: Record<string, number>;
  /** ClickUp requests on the path before A1 (reading the intake task). */
  clickupBefore: number;
  /** Dependent ClickUp stages after the result is written (each stage is one request's latency). */
  clickupAfterStages: number;
  /** Database round trips on the path before A1, and after (apply_enrichment). */
  dbBefore: number;
  dbAfter: number;
  /** Latency charged per database round trip (the profile has none; 0 by default). */
  dbRoundTripMs: number;
  timeScale: number;
}

export interface CriticalPath {
  /** Real milliseconds (scaled). */
  ms: number;
  /** Profile milliseconds (unscaled): what the same run costs against the real providers. */
  unscaled_ms: number;
  /** The calls on the path, in order. */
  chain: string[];
  /** The same path up to the result being in the database (before the ClickUp writes), real ms. */
  to_result_ms: number;
  /** Calls the graph does not know (not on the path). */
  unclassified: string[];
}

interface Segment {
  ms: number;
  chain: string[];
}

const ZERO: Segment = { ms: 0, chain: [] };

function seq(...parts: Segment[]): Segment {
  return { ms: parts.reduce((s, p) => s + p.ms, 0), chain: parts.flatMap((p) => p.chain) };
}

function par(...parts: Segment[]): Segment {
  return parts.reduce((best, p) => (p.ms > best.ms ? p : best), ZERO);
}

/** Mean profile latency of one request of this call (unscaled ms). */
export function requestLatencyMs(call: RunCall, maxTokensByModel: Record<string, number>): number {
  switch (call.provider) {
    case "anthropic": {
      const model = call.model ?? "claude-haiku-4-5";
      return anthropicCallLatencyMs(model, maxTokensByModel[model] ?? 1024, call.output_tokens);
    }
    case "perplexity":
      return PROVIDER_LATENCY_MS.perplexity;
    case "hunter":
      return PROVIDER_LATENCY_MS.hunter;
    case "jina":
      return PROVIDER_LATENCY_MS.jina;
    case "clickup":
      return PROVIDER_LATENCY_MS.clickup;
    default:
      return 0;
  }
}

export function criticalPath(input: CriticalPathInput): CriticalPath {
  const byKey = new Map(input.calls.map((c) => [c.call_key, c]));
  const used = new Set<string>();
  const call = (key: string): Segment => {
    const c = byKey.get(key);
    if (!c) return ZERO;
    used.add(key);
    if (c.status === "skipped") return ZERO;
    const requests = Math.max(1, c.attempts) + (input.extraRequests?.[key] ?? 0);
    return { ms: requests * requestLatencyMs(c, input.maxTokensByModel), chain: [key] };
  };
  const fixed = (label: string, count: number, each: number): Segment => (count > 0 ? { ms: count * each, chain: [`${label}×${count}`] } : ZERO);

  const keys = [...byKey.keys()];
  const pages = keys.filter((k) => /^A2\.jina\.page\d+$/.test(k)).map(call);
  const a2 = par(call("A2.hunter.domain_search"), seq(call("A2.jina.home"), par(...pages), call("A2.extract")));

  const contactKeys = new Set(keys.filter((k) => /^(A3|A5|A6\.5)\./.test(k) && k.includes(":")).map((k) => k.slice(k.indexOf(":") + 1)));
  const contacts = [...contactKeys].map((ck) => {
    const a3 = seq(...["hunter.find", "research", "hunter.verify"].map((s) => call(`A3.${s}:${ck}`)));
    return par(a3, call(`A5.research:${ck}`), call(`A6.5.research:${ck}`));
  });
  const staffBranch = seq(a2, par(...contacts));
  // A7 runs beside A1; A6 waits for both (it needs A1's website and A7's profile).
  const a1 = call("A1.research");
  const a7 = call("A7.research");

  const clickup = PROVIDER_LATENCY_MS.clickup;
  const toResult = seq(
    fixed("clickup", input.clickupBefore, clickup),
    fixed("db", input.dbBefore, input.dbRoundTripMs),
    par(seq(a1, staffBranch), seq(par(a1, a7), call("A6.intel"))),
    fixed("db", input.dbAfter, input.dbRoundTripMs),
  );
  const path = seq(toResult, fixed("clickup-stage", input.clickupAfterStages, clickup));
  return {
    ms: path.ms * input.timeScale,
    unscaled_ms: path.ms,
    chain: path.chain,
    to_result_ms: toResult.ms * input.timeScale,
    unclassified: keys.filter((k) => !used.has(k)),
  };
}
