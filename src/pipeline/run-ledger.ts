/** The run's ledger: every provider call's record and the spend, rebuilt the same way on each replay. */
import type { CallLabel } from "../agents/agent-context.ts";
import type { OutputGuard } from "../agents/output-guards.ts";
import type { CallUsage } from "../providers/usage.ts";
import { roundUsd } from "../lib/usd.ts";

/** What a run records of one provider call (an `agent_calls` row). */
export interface AgentCallRecord {
  agent: string;
  call_key: string;
  contact_name: string | null;
  provider: string;
  model: string | null;
  status: "succeeded" | "failed" | "skipped";
  attempts: number;
  duration_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  error: string | null;
  started_at: number;
}

/**
 * Keeps the run's provider calls and spend. Rebuilt the same way on every replay: it is fed the
 * memoized step results in the order the pipeline awaits them.
 */
export class RunLedger {
  readonly calls = new Map<string, AgentCallRecord>();
  /** Guards that fired on the models' answers (what, the raw value); persisted on the run. */
  readonly guards: OutputGuard[] = [];
  readonly spendCapUsd: number;

  constructor(spendCapUsd: number) {
    this.spendCapUsd = spendCapUsd;
  }

  get spentUsd(): number {
    let total = 0;
    for (const call of this.calls.values()) total += call.cost_usd;
    return roundUsd(total);
  }

  /** Paid providers stop at the cap; flat-rate ones (Hunter, Jina) never do. */
  mayCall(label: CallLabel): boolean {
    return label.provider === "hunter" || label.provider === "jina" || this.spentUsd < this.spendCapUsd;
  }

  record(call: AgentCallRecord): void {
    this.calls.set(call.call_key, call);
  }

  guard(guard: OutputGuard): void {
    // A guard is evidence, never a reason to lose the result: its row is always valid.
    this.guards.push({ ...guard, field: guard.field || "(answer)", raw: guard.raw ?? null, value: guard.value ?? null });
  }

  /** The guards in a stable order (agents run in parallel, so they fire in any order). */
  get sortedGuards(): OutputGuard[] {
    const key = (g: OutputGuard) => `${g.agent}|${g.contact ?? ""}|${g.field}|${g.guard}`;
    return [...this.guards].sort((a, b) => key(a).localeCompare(key(b)));
  }

  /** Calls that came back without data (spend cap, or failing after retries): the run is then `partial`. */
  get incomplete(): AgentCallRecord[] {
    return [...this.calls.values()].filter((c) => c.status !== "succeeded");
  }
}

/** A call that kept failing: no tokens, no cost, the error cut to 500 characters. */
export function failedRecord(label: CallLabel, error: string, timing: { started_at: number; attempts: number }): AgentCallRecord {
  return {
    agent: label.agent, call_key: label.step, contact_name: label.contact ?? null, provider: label.provider, model: null,
    status: "failed", attempts: timing.attempts, duration_ms: Date.now() - timing.started_at, input_tokens: 0, output_tokens: 0, cost_usd: 0, error: error.slice(0, 500), started_at: timing.started_at,
  };
}

/** A call the spend cap stopped before it was made. */
export function skippedRecord(label: CallLabel, startedAt: number): AgentCallRecord {
  return {
    agent: label.agent, call_key: label.step, contact_name: label.contact ?? null, provider: label.provider, model: null,
    status: "skipped", attempts: 0, duration_ms: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, error: "spend cap reached", started_at: startedAt,
  };
}

export function usageRecord(label: CallLabel, usage: CallUsage, timing: { started_at: number; duration_ms: number; attempts: number }): AgentCallRecord {
  return {
    agent: label.agent,
    call_key: label.step,
    contact_name: label.contact ?? null,
    provider: usage.provider,
    model: usage.model,
    status: "succeeded",
    attempts: timing.attempts,
    duration_ms: timing.duration_ms,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cost_usd: usage.cost_usd,
    error: null,
    started_at: timing.started_at,
  };
}
