// The one error the ClickUp client throws. Runs in workerd and Node (no node: imports).
//
// ClickUp answers errors as `{"err": "<message>", "ECODE": "<code>"}` with a non-2xx status.
// `retryable`: a 429, a 5xx, a timeout, a network failure or a 2xx body that is not JSON: the same
// request may succeed later. Anything else (a 4xx, an answer of an unexpected shape) will fail again.
// `resetAt` (ms since the epoch) comes from `X-RateLimit-Reset` on a 429: wait until then.

/** What went wrong: ClickUp answered with an error status, or no usable answer arrived. */
export type ClickUpErrorKind = "http" | "timeout" | "network" | "bad_json" | "bad_shape";

export interface ClickUpErrorInit {
  kind: ClickUpErrorKind;
  /** HTTP status; 0 when no answer arrived (timeout, network). */
  status: number;
  /** ClickUp's `ECODE` (e.g. "ITEM_013", "APP_002"), when the answer carried one. */
  ecode?: string | null;
  /** ClickUp's `err` text, when the answer carried one. */
  err?: string | null;
  /** "GET /v2/task/{id}"-style: the method and the API path (never the token). */
  request: string;
  /** ms epoch from `X-RateLimit-Reset`, on a 429. */
  resetAt?: number | null;
  detail?: string;
}

export class ClickUpError extends Error {
  readonly kind: ClickUpErrorKind;
  readonly status: number;
  readonly ecode: string | null;
  readonly err: string | null;
  readonly request: string;
  readonly retryable: boolean;
  readonly resetAt: number | null;

  constructor(init: ClickUpErrorInit) {
    const what =
      init.kind === "http"
        ? `HTTP ${init.status}${init.ecode ? ` ${init.ecode}` : ""}${init.err ? `: ${init.err}` : ""}`
        : init.kind === "timeout"
          ? "timed out"
          : init.kind === "network"
            ? "network error"
            : init.kind === "bad_json"
              ? `HTTP ${init.status} with a body that is not JSON`
              : `HTTP ${init.status} with an unexpected answer`;
    super(`ClickUp ${init.request}: ${what}${init.detail ? ` (${init.detail})` : ""}`);
    this.name = "ClickUpError";
    this.kind = init.kind;
    this.status = init.status;
    this.ecode = init.ecode ?? null;
    this.err = init.err ?? null;
    this.request = init.request;
    this.resetAt = init.resetAt ?? null;
    this.retryable =
      init.kind === "timeout" ||
      init.kind === "network" ||
      init.kind === "bad_json" ||
      (init.kind === "http" && (init.status === 429 || init.status >= 500));
  }

  /** A 429: ClickUp's per-token rate limit (wait until `resetAt`). */
  get rateLimited(): boolean {
    return this.status === 429;
  }

  /** A 404 (task, list, folder... gone), e.g. a lead task a rep deleted. */
  get notFound(): boolean {
    return this.status === 404;
  }
}

export function isClickUpError(error: unknown): error is ClickUpError {
  return error instanceof ClickUpError;
}
