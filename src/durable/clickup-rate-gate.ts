import { DurableObject } from "cloudflare:workers";
import {
  type BudgetMeta,
  type BudgetState,
  type GatePriority,
  type GateSlot,
  type Grant,
  RateBudget,
  type RateObservation,
  type ReserveRequest,
} from "../clickup/rate-budget.ts";
import { configFor, type Env } from "../env.ts";

export type { GatePriority, Grant, RateObservation, ReserveRequest } from "../clickup/rate-budget.ts";

/** How long a reservation waits for ClickUp's first answer while nothing is known of the window. */
const MAX_HOLD_MS = 5_000;

/**
 * One per ClickUp token, shared by every course, every Workflow and every timer caller: the token's
 * budget (src/clickup/rate-budget.ts has the rules). `reserve` hands out a time to send, `settle`
 * hears each request's answer (its X-RateLimit-* headers) or its failure. Slots and what ClickUp said
 * are persisted: an evicted gate must not forget its window.
 */
export class ClickUpRateGate extends DurableObject<Env> {
  #budget: RateBudget;
  /** Reservations held until ClickUp's first answer of the window. */
  #waiting: { priority: GatePriority; wake: () => void }[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configFor(env).env;
    const sql = ctx.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS rate_slots (id INTEGER PRIMARY KEY, ticket TEXT NOT NULL, priority TEXT NOT NULL, reserved_at INTEGER NOT NULL, at INTEGER NOT NULL, settled_at INTEGER, seen_reset_at INTEGER)",
    );
    // Gates created before answers recorded their window.
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('rate_slots')").toArray();
    if (!columns.some((c) => c.name === "seen_reset_at")) sql.exec("ALTER TABLE rate_slots ADD COLUMN seen_reset_at INTEGER");
    const slots = sql
      .exec<{ id: number; ticket: string; priority: string; reserved_at: number; at: number; settled_at: number | null; seen_reset_at: number | null }>("SELECT * FROM rate_slots")
      .toArray()
      .map(
        (r): GateSlot => ({
          id: r.id,
          ticket: r.ticket,
          priority: r.priority === "interactive" ? "interactive" : "background",
          reservedAt: r.reserved_at,
          at: r.at,
          settledAt: r.settled_at,
          seenResetAt: r.seen_reset_at,
        }),
      );
    this.#budget = new RateBudget({ limit: config.CLICKUP_RATE_LIMIT_PER_MINUTE, windowMs: config.CLICKUP_RATE_WINDOW_MS }, { slots, meta: ctx.storage.kv.get<BudgetMeta>("budget") });
    // The previous gate kept grant times only.
    const legacy = ctx.storage.kv.get<{ grants: number[]; blockedUntil: number }>("window");
    if (legacy) {
      this.#budget.adoptLegacy(legacy.grants, legacy.blockedUntil);
      ctx.storage.kv.delete("window");
      this.#save();
    }
  }

  #save(): void {
    const { upserts, deletes, meta } = this.#budget.takeChanges();
    const sql = this.ctx.storage.sql;
    for (const s of upserts) {
      sql.exec(
        "INSERT OR REPLACE INTO rate_slots (id, ticket, priority, reserved_at, at, settled_at, seen_reset_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        s.id, s.ticket, s.priority, s.reservedAt, s.at, s.settledAt, s.seenResetAt ?? null,
      );
    }
    for (const id of deletes) sql.exec("DELETE FROM rate_slots WHERE id = ?", id);
    if (meta) this.ctx.storage.kv.put("budget", meta);
  }

  /** Wakes held reservations, interactive ones first (each re-plans in that order). */
  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting.filter((w) => w.priority === "interactive")) w.wake();
    for (const w of waiting.filter((w) => w.priority !== "interactive")) w.wake();
  }

  #hold(priority: GatePriority, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.#waiting.push({
        priority,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /**
   * Grants `count` request slots (default 1, default priority "background"): send them at `at`.
   * Answers at once, except while nothing is known of ClickUp's current window and a few requests
   * are already out: then it waits (at most 5 s) for their first answer.
   */
  async reserve(request: ReserveRequest = {}): Promise<Grant> {
    const priority: GatePriority = request.priority === "interactive" ? "interactive" : "background";
    const count = request.count ?? 1;
    const holdUntil = Date.now() + Math.min(MAX_HOLD_MS, configFor(this.env).env.CLICKUP_RATE_WINDOW_MS);
    for (;;) {
      const now = Date.now();
      const grant = this.#budget.plan({ priority, count }, now, { mayHold: now < holdUntil });
      this.#save();
      if (grant) return { ticket: grant.ticket, at: grant.at, wait_ms: Math.max(0, grant.at - now) };
      await this.#hold(priority, holdUntil - now);
    }
  }

  /**
   * One of the ticket's requests got its answer (`observation`: the answer's X-RateLimit-* headers) or
   * failed without one (null). A ticket's slots settled more often than it has slots count as extra
   * requests that just happened.
   */
  settle(ticket: string, observation: RateObservation | null): void {
    this.#budget.settle(ticket || null, observation, Date.now());
    this.#save();
    this.#wake();
  }

  /** An answer for a request sent without a ticket: settles the oldest slot out (or counts one). */
  observe(info: RateObservation): void {
    this.#budget.settle(null, info, Date.now());
    this.#save();
    this.#wake();
  }

  /** The caller is done with the ticket: slots it never sent are freed at once (not after 2 minutes). */
  release(ticket: string): number {
    const freed = this.#budget.release(ticket, Date.now());
    this.#save();
    if (freed) this.#wake();
    return freed;
  }

  /** For tests and the admin view. */
  state(): BudgetState {
    const state = this.#budget.state(Date.now());
    this.#save();
    return state;
  }
}
