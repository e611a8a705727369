// ClickUp's per-token rate limit: N requests per minute (100 on Free Forever, Unlimited and Business;
// 1,000 on Business Plus; 10,000 on Enterprise). Every answer carries X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset (unix seconds); over the limit the answer is 429.
// Modelled as a fixed window per token that opens with the token's first request.

export interface RateLimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix time (seconds) when the window resets. */
  reset: number;
}

export class RateLimiter {
  limit: number;
  windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: number, windowMs = 60_000, now: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.#now = now;
  }

  #window(key: string): { start: number; count: number } {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (!w || now >= w.start + this.windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    return w;
  }

  #state(w: { start: number; count: number }, allowed: boolean): RateLimitState {
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - w.count),
      reset: Math.ceil((w.start + this.windowMs) / 1000),
    };
  }

  /** Counts one request for the token; `allowed` is false once the window's budget is spent. */
  hit(key: string): RateLimitState {
    const w = this.#window(key);
    if (w.count >= this.limit) return this.#state(w, false);
    w.count++;
    return this.#state(w, true);
  }

  /** The state without counting a request. */
  peek(key: string): RateLimitState {
    return this.#state(this.#window(key), true);
  }

  reset(): void {
    this.#windows.clear();
  }
}

export function rateLimitHeaders(s: RateLimitState): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(s.limit),
    "X-RateLimit-Remaining": String(s.remaining),
    "X-RateLimit-Reset": String(s.reset),
  };
}
