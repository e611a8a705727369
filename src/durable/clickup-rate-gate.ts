import { DurableObject } from "cloudflare:workers";
import { configFor, type WorkerBindings } from "../env.ts";

export interface RateObservation {
  status: number;
  limit: number | null;
  remaining: number | null;
  /** ms epoch from X-RateLimit-Reset. */
  resetAt: number | null;
}

/**
 * One per ClickUp token, shared by every course: a sliding-window gate. It grants at most `limit`
 * requests in any window (so also in ClickUp's fixed windows), hands out future slots instead of
 * refusing (callers wait their turn), trusts ClickUp's own X-RateLimit-Remaining/Reset when they say
 * less is left, and after a 429 holds everyone until the reset.
 */
export class ClickUpRateGate extends DurableObject<WorkerBindings> {
  /** Granted slot times (ms), ascending; only the last `limit` matter. Persisted: an evicted gate must not forget its window. */
  private grants: number[] = [];
  private blockedUntil = 0;

  constructor(ctx: DurableObjectState, env: WorkerBindings) {
    super(ctx, env);
    const saved = ctx.storage.kv.get<{ grants: number[]; blockedUntil: number }>("window");
    if (saved) {
      this.grants = saved.grants;
      this.blockedUntil = saved.blockedUntil;
    }
  }

  private save(): void {
    this.ctx.storage.kv.put("window", { grants: this.grants, blockedUntil: this.blockedUntil });
  }

  private get limit(): number {
    return configFor(this.env).env.CLICKUP_RATE_LIMIT_PER_MINUTE;
  }

  private get windowMs(): number {
    return configFor(this.env).env.CLICKUP_RATE_WINDOW_MS;
  }

  /** Reserves the next slot; returns how long the caller must wait before sending (0 = now). */
  reserve(): number {
    const now = Date.now();
    const limit = this.limit;
    this.grants = this.grants.filter((t) => t > now - this.windowMs);
    let slot = Math.max(now, this.blockedUntil);
    if (this.grants.length >= limit) {
      const oldestInWindow = this.grants[this.grants.length - limit] ?? now;
      // A little slack so clock skew between us and ClickUp never lands a request in a full window.
      slot = Math.max(slot, oldestInWindow + this.windowMs + 50);
    }
    this.grants.push(slot);
    this.grants.sort((a, b) => a - b);
    this.save();
    return slot - now;
  }

  /** What ClickUp answered; a 429, or fewer remaining than we think, pushes the next slots back. */
  observe(info: RateObservation): void {
    const now = Date.now();
    if (info.status === 429) {
      this.blockedUntil = Math.max(this.blockedUntil, info.resetAt ?? now + this.windowMs);
      this.save();
      return;
    }
    if (info.remaining !== null && info.remaining <= 0 && info.resetAt !== null) {
      this.blockedUntil = Math.max(this.blockedUntil, info.resetAt);
      this.save();
    }
  }

  /** For tests and the admin view. */
  state(): { granted_in_window: number; blocked_until: number; limit: number } {
    const now = Date.now();
    return { granted_in_window: this.grants.filter((t) => t > now - this.windowMs).length, blocked_until: this.blockedUntil, limit: this.limit };
  }
}
