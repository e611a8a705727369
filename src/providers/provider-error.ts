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

/** `retry-after` as seconds or an HTTP date → milliseconds (capped at 60 s). */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : null;
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}
