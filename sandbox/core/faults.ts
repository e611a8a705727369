// Fault injection for the provider emulators.
//
// A fault targets a route — method + path pattern with `*` globs ("POST /v1/messages",
// "GET /v2/domain-search", "GET /v2/*", "* /api/v2/task/*", or "*" for everything; a bare path
// pattern "/v1/*" matches any method) — and is one of:
//   latency     extra delay, then the normal answer
//   error       an error status with a provider-shaped body (the emulator supplies the shape)
//   rate_limit  429 with the provider's headers (`retry-after`, ...) and body
//   timeout     accept the request and never answer (until the client gives up or the server closes)
//   malformed   200 with a body that is not valid JSON
//   reset       destroy the connection without an answer (a network error for the client)
//   lost_answer carry the request out (a task is created), then destroy the connection: the provider
//               acted but the client never hears it (a timeout or a dropped connection in the wild)
// `times` applies it to the next N matching requests only; `probability` (0–1) applies it randomly.
// Any fault may also carry `latency` (delay before the fault's answer).
// Set from code (`server.faults.add({...})`) or over HTTP (`POST /__emulator/faults`).

import type { LatencyDistribution } from "./latency.ts";
import { globToRegExp } from "./recorder.ts";
import type { EmulatorRequest } from "./server.ts";

export type FaultKind = "latency" | "error" | "rate_limit" | "timeout" | "malformed" | "reset" | "lost_answer";

export interface FaultSpec {
  route: string;
  kind: FaultKind;
  /** Added delay (for `latency`, the whole effect; otherwise before the fault's answer). */
  latency?: LatencyDistribution;
  /** HTTP status for `error` (default 500) and `malformed` (default 200). */
  status?: number;
  /** Overrides the provider-shaped body (JSON-encoded unless a string). */
  body?: unknown;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Seconds for the `retry-after` header of a `rate_limit` (default 1). */
  retryAfter?: number;
  /** Error message placed in the provider-shaped body. */
  message?: string;
  /** Apply to the next N matching requests only (default: until cleared). */
  times?: number;
  /** Probability (0–1) that a matching request is affected (default 1). */
  probability?: number;
  /** Code-only extra predicate. */
  match?: (req: EmulatorRequest) => boolean;
  /** Optional id (generated when missing); used to remove one fault. */
  id?: string;
}

export interface ActiveFault extends FaultSpec {
  id: string;
  /** Remaining applications, undefined = unlimited. */
  remaining: number | undefined;
  applied: number;
}

/** How an emulator shapes its error bodies (Anthropic `{type:"error",error:{...}}`, Hunter `{errors:[...]}`...). */
export type FaultShaper = (
  kind: "error" | "rate_limit",
  status: number,
  message: string | undefined,
  fault: FaultSpec,
) => { body: unknown; headers?: Record<string, string> };

export const defaultFaultShaper: FaultShaper = (kind, status, message, fault) => {
  if (kind === "rate_limit") {
    return {
      body: { error: { code: "rate_limited", message: message ?? "Too many requests" } },
      headers: { "retry-after": String(fault.retryAfter ?? 1) },
    };
  }
  return { body: { error: { code: `http_${status}`, message: message ?? "Injected fault" } } };
};

export function routeMatches(pattern: string, method: string, path: string): boolean {
  const p = pattern.trim();
  if (p === "*" || p === "* *") return true;
  const space = p.indexOf(" ");
  let m = "*";
  let pathPattern = p;
  if (space > 0) {
    m = p.slice(0, space).toUpperCase();
    pathPattern = p.slice(space + 1).trim();
  }
  if (m !== "*" && m !== method.toUpperCase()) return false;
  if (!pathPattern.includes("*")) return pathPattern === path;
  return globToRegExp(pathPattern).test(path);
}

const KINDS: readonly FaultKind[] = ["latency", "error", "rate_limit", "timeout", "malformed", "reset", "lost_answer"];

/** Validates an untrusted fault (from `POST /__emulator/faults`). Throws with a message on error. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (!input || typeof input !== "object") throw new Error("fault must be an object");
  const o = input as Record<string, unknown>;
  if (typeof o.route !== "string" || !o.route) throw new Error("fault.route (string) is required");
  if (typeof o.kind !== "string" || !KINDS.includes(o.kind as FaultKind)) {
    throw new Error(`fault.kind must be one of ${KINDS.join(", ")}`);
  }
  const spec: FaultSpec = { route: o.route, kind: o.kind as FaultKind };
  if (o.latency !== undefined) spec.latency = o.latency as LatencyDistribution;
  if (typeof o.status === "number") spec.status = o.status;
  if (o.body !== undefined) spec.body = o.body;
  if (o.headers && typeof o.headers === "object") spec.headers = o.headers as Record<string, string>;
  if (typeof o.retryAfter === "number") spec.retryAfter = o.retryAfter;
  if (typeof o.message === "string") spec.message = o.message;
  if (typeof o.times === "number") spec.times = o.times;
  if (typeof o.probability === "number") spec.probability = o.probability;
  if (typeof o.id === "string") spec.id = o.id;
  if (spec.kind === "latency" && spec.latency === undefined) throw new Error("a latency fault needs `latency`");
  return spec;
}

export class FaultInjector {
  #faults: ActiveFault[] = [];
  #next = 1;
  readonly shaper: FaultShaper;
  random: () => number = Math.random;

  constructor(shaper: FaultShaper = defaultFaultShaper) {
    this.shaper = shaper;
  }

  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = {
      ...spec,
      id: spec.id ?? `fault_${this.#next++}`,
      remaining: spec.times,
      applied: 0,
    };
    this.#faults.push(fault);
    return fault;
  }

  remove(id: string): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((f) => f.id !== id);
    return this.#faults.length !== before;
  }

  clear(): void {
    this.#faults = [];
  }

  list(): ActiveFault[] {
    return [...this.#faults];
  }

  /** JSON view (without code predicates). */
  describe(): Array<Omit<ActiveFault, "match">> {
    return this.#faults.map(({ match: _m, ...rest }) => rest);
  }

  /**
   * Picks the faults applying to this request and consumes them: at most one terminal fault
   * (error/rate_limit/timeout/malformed/reset, first added wins) plus any number of latency faults.
   */
  take(req: EmulatorRequest): { terminal: ActiveFault | undefined; latency: ActiveFault[] } {
    let terminal: ActiveFault | undefined;
    const latency: ActiveFault[] = [];
    for (const f of this.#faults) {
      if (f.remaining !== undefined && f.remaining <= 0) continue;
      if (!routeMatches(f.route, req.method, req.path)) continue;
      if (f.match && !f.match(req)) continue;
      if (f.kind !== "latency" && terminal) continue;
      if (f.probability !== undefined && this.random() >= f.probability) continue;
      if (f.remaining !== undefined) f.remaining--;
      f.applied++;
      if (f.kind === "latency") latency.push(f);
      else {
        terminal = f;
        if (f.latency !== undefined) latency.push(f);
      }
    }
    this.#faults = this.#faults.filter((f) => f.remaining === undefined || f.remaining > 0);
    return { terminal, latency };
  }
}
