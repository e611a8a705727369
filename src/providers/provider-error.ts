import { retryAfterMs } from "../lib/retry-after.ts";

/** A provider call that failed. `retryable`: a timeout, 429, 5xx/529 or a garbled body; anything else will fail again. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly status: number | null;
  readonly retryable: boolean;
  /** From `retry-after` on a 429/503, when the provider said how long to wait. */
  readonly retryAfterMs: number | null;

  constructor(provider: string, message: string, opts: { status?: number | null; retryable: boolean; retryAfterMs?: number | null }) {
    super(`${provider}: ${message}`);
    this.name = "ProviderError";
    this.provider = provider;
    this.status = opts.status ?? null;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}

/** `retry-after` → milliseconds to wait, capped at 60 s (a longer wait is the step's backoff's job). */
export function parseRetryAfter(value: string | null): number | null {
  const ms = retryAfterMs(value);
  return ms === null ? null : Math.min(Math.max(ms, 0), 60_000);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}
