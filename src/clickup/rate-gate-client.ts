// The Worker's side of the token's rate gate: its Durable Object stub, and RateGates for the ClickUp
// client built on it. Two kinds of caller:
//   - a timer caller (a route, a Durable Object): `waitingGate` reserves one slot per request and
//     waits for it with a timer;
//   - a Workflow: reserves in a step (`stub.reserve({ priority, count })`), sleeps with
//     step.sleepUntil(at), then sends with `reservedGate(stub, ticket)`, whose acquire does not wait.
// Either way every answer settles its slot with the answer's headers, and a request that got no
// answer (timeout, network failure) settles it with null (the client's `observe(null, ticket)`).
import { createHash } from "node:crypto";
import type { AppConfig, Env } from "../env.ts";
import type { RateGate } from "./client.ts";
import type { GatePriority, Grant, RateObservation, ReserveRequest } from "./rate-budget.ts";

/** The stub of the token's ClickUpRateGate Durable Object. */
export type ClickUpRateGateStub = ReturnType<Env["CLICKUP_RATE_GATE"]["get"]>;

/** What the gates below call on the stub (a test can hand in its own). */
export interface RateGateService {
  reserve(request?: ReserveRequest): Promise<Grant>;
  settle(ticket: string, observation: RateObservation | null): Promise<void>;
  observe(info: RateObservation): Promise<void>;
}

/** The gate's name: a hash of the token, never the token itself. */
export function tokenKey(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 24);
}

/** The token's gate (one Durable Object per token); null when CLICKUP_API_TOKEN is not set. */
export function clickUpRateGateStub(config: AppConfig, env: Env): ClickUpRateGateStub | null {
  const token = config.env.CLICKUP_API_TOKEN;
  if (!token) return null;
  return env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(tokenKey(token)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** For callers that may wait in place: each acquire reserves one slot and sleeps until it. */
export function waitingGate(stub: RateGateService, priority: GatePriority = "background"): RateGate {
  return {
    async acquire() {
      const grant = await stub.reserve({ priority });
      const wait = grant.at - Date.now();
      if (wait > 0) await sleep(wait);
      return grant.ticket;
    },
    async observe(info, ticket) {
      if (typeof ticket === "string" && ticket) await stub.settle(ticket, info);
      else if (info) await stub.observe(info);
    },
  };
}

/**
 * For a caller that already reserved `ticket` and slept until its time: acquire returns the ticket
 * at once; every answer (or failure) settles one of its slots. More requests than the ticket's
 * count are still counted (as requests that just happened), but were not planned for; the caller
 * should `stub.release(ticket)` when done, so slots it did not use are freed at once.
 */
export function reservedGate(stub: Pick<RateGateService, "settle">, ticket: string): RateGate {
  return {
    async acquire() {
      return ticket;
    },
    async observe(info) {
      await stub.settle(ticket, info);
    },
  };
}
