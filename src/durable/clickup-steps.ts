// ClickUp writes as durable Workflow steps, safe to repeat, with the rate gate's wait as a Workflow
// sleep (never a timer inside a step, whose timeout would then fire after ClickUp already acted).
//
//   slot step  ─ reserve the requests at the token's gate (memoized: {ticket, at, intent_at})
//   sleepUntil ─ the granted time, when it is in the future
//   call step  ─ the requests, no step retries; a retryable failure comes back as data
//   … again, at most ATTEMPTS times, with a backoff sleep between; a later attempt is told `retry`
//     (an earlier one may have reached ClickUp), so a create first looks for what it made.
import { type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { type ClickUpCall, type ClickUpCallContext, type ClickUpPriority, LOOKUP_REQUESTS } from "../clickup/call.ts";
import { createClickUpClient, type ClickUpClient } from "../clickup/client.ts";
import { isClickUpError } from "../clickup/errors.ts";
import { clickUpRateGateStub, reservedGate } from "../clickup/rate-gate-client.ts";
import type { AppConfig, Env } from "../env.ts";

const ATTEMPTS = 4;
/** A call step's own limit: the requests only (the wait is outside), each bounded by the client's timeout. */
const CALL_TIMEOUT = "2 minutes";
/** Where a job keeps what its ClickUp writes answered, so a re-created instance does not write again. */
export interface CallMemory {
  recorded(key: string): Promise<string | null>;
  record(key: string, value: string): Promise<void>;
  /** The workflow is about to sleep until `until` (the watchdog must not take that for a stall). */
  quiet(until: number): Promise<void>;
}

type Slot = { ticket: string; at: number; intent_at: number; retry: boolean; recorded?: string };
type Outcome = { ok: true; value: unknown } | { ok: false; error: string; fatal: boolean };

/** The durable ClickUp call of one workflow instance; null when CLICKUP_API_TOKEN is not set. */
export function clickUpSteps(deps: {
  step: WorkflowStep;
  config: AppConfig;
  env: Env;
  memory?: CallMemory;
  /** True in an instance the watchdog re-created: look up what the replaced one recorded. */
  replaying?: boolean;
}): ClickUpCall | null {
  const { step, config, env, memory } = deps;
  const token = config.env.CLICKUP_API_TOKEN;
  if (!token) return null;
  const stub = clickUpRateGateStub(config, env);
  if (!stub) return null;
  const timeoutMs = Math.min(config.env.PROVIDER_TIMEOUT_MS, 30_000);

  return async function clickupCall<T>(
    name: string,
    opts: { priority: ClickUpPriority; requests: number },
    fn: (client: ClickUpClient, ctx: ClickUpCallContext) => Promise<T>,
  ): Promise<T> {
    let intentAt = 0;
    let lastError = "";
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const slot = (await step.do(`${name}#${attempt}:slot`, { retries: { limit: 5, delay: "1 second", backoff: "exponential" }, timeout: "30 seconds" }, async () => {
        let retry = attempt > 1;
        let intent = intentAt || Date.now();
        if (attempt === 1 && memory && deps.replaying) {
          const recorded = await memory.recorded(`clickup:${name}`);
          if (recorded !== null) return { ticket: "", at: 0, intent_at: 0, retry: false, recorded } satisfies Slot;
          const earlier = await memory.recorded(`clickup-intent:${name}`);
          if (earlier !== null) {
            retry = true;
            intent = Number(earlier);
          }
        }
        if (attempt === 1 && memory) await memory.record(`clickup-intent:${name}`, String(intent));
        const grant = await stub.reserve({ priority: opts.priority, count: opts.requests + (retry ? LOOKUP_REQUESTS : 0) });
        if (memory && grant.at > Date.now()) await memory.quiet(grant.at);
        return { ticket: grant.ticket, at: grant.at, intent_at: intent, retry } satisfies Slot;
      })) as Slot;
      if (slot.recorded !== undefined) return JSON.parse(slot.recorded) as T;
      intentAt = slot.intent_at;
      if (slot.at > Date.now()) await step.sleepUntil(`${name}#${attempt}:wait`, slot.at);

      let outcome: Outcome;
      try {
        outcome = (await step.do(`${name}#${attempt}`, { retries: { limit: 0, delay: 0 }, timeout: CALL_TIMEOUT }, async () => {
          const client = createClickUpClient({ token, baseUrl: config.env.CLICKUP_BASE_URL, gate: reservedGate(stub, slot.ticket), timeoutMs });
          // Slots the call did not use (a lookup that was not needed, a task found gone) are freed at once.
          const release = () => stub.release(slot.ticket).catch(() => 0);
          try {
            const value = await fn(client, { retry: slot.retry, intent_at: slot.intent_at });
            // Best effort: the write happened whether or not the memory takes note of it.
            if (memory) await memory.record(`clickup:${name}`, JSON.stringify(value ?? null)).catch(() => {});
            await release();
            return { ok: true, value: (value ?? null) as Rpc.Serializable<unknown> } satisfies Outcome;
          } catch (error) {
            await release();
            // Failures come back as data: only a step timeout or a crash makes the step itself fail.
            const fatal = !(isClickUpError(error) && error.retryable);
            return { ok: false, error: error instanceof Error ? error.message : String(error), fatal } satisfies Outcome;
          }
        })) as Outcome;
      } catch (error) {
        outcome = { ok: false, error: error instanceof Error ? error.message : String(error), fatal: false };
      }
      if (outcome.ok) return outcome.value as T;
      // A 4xx (or our own refusal) fails the same way again.
      if (outcome.fatal) throw new NonRetryableError(outcome.error);
      lastError = outcome.error;
      // A 429 already holds the gate until ClickUp's reset; the backoff covers 5xx and timeouts.
      if (attempt < ATTEMPTS) await step.sleep(`${name}#${attempt}:backoff`, 1000 * 2 ** (attempt - 1));
    }
    throw new Error(`ClickUp write "${name}" failed after ${ATTEMPTS} attempts: ${lastError}`);
  };
}
