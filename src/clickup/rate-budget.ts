// The request budget of one ClickUp token: the rate gate's algorithm, pure (no I/O, the clock passed
// in). The Worker's gate (src/durable/clickup-rate-gate.ts) persists it in a Durable Object; scripts
// that call ClickUp from Node (`npm run clickup:setup`) run it in memory (`createLocalRateGate`).
//
// ClickUp's rules (https://developer.clickup.com/docs/rate-limits): a limit per token, per minute, by
// the plan of the token's Workspace (100 Free Forever / Unlimited / Business, 1,000 Business Plus,
// 10,000 Enterprise); over it the answer is 429; the headers say X-RateLimit-Limit,
// X-RateLimit-Remaining ("requests remaining in the current rate limit window") and X-RateLimit-Reset
// ("time when the rate limit will reset", a Unix timestamp: whole seconds).
//
// How the budget grants (L = the limit, W = its window):
// 1. ClickUp counts a request when it arrives, somewhere between our grant and its answer, so a slot
//    occupies every window from its grant until its answer (+50 ms). No window of W, at any alignment,
//    may hold more than L − headroom slots (background callers: also minus the interactive reserve).
//    An unanswered slot is planned to end `allowance` after it is due (the slowest recent answers,
//    ×1.25); while it stays out it keeps extending; after 2 minutes it counts as answered.
// 2. The answer with the lowest Remaining in ClickUp's current window (each request ClickUp counts
//    lowers it by one, so that answer arrived last) is the truth about it: each slot that may arrive
//    after it counts against that Remaining − headroom until Reset (+ a slack: Reset has whole
//    seconds). Those are the slots not answered before it was granted, except the ones whose own
//    answer told a window: they arrived before it (a Remaining no lower, same window) or in another
//    window.
// 3. Another client of the token shows as requests ClickUp counted that we cannot have sent; the most
//    seen in the current or the last window is kept free of our grants, now and in windows to come.
// 4. Interactive callers (a rep is waiting) may use the budget up to L − headroom; background callers
//    leave `interactive reserve` of it, so a read never queues behind a backlog of writes.
// 5. Until an answer from the current window has been seen (at first, after a quiet spell or a reset),
//    only `caution` slots may be out: further reservations are held (a few seconds at most) for it.
// 6. A 429 holds everyone until its reset.
// A grant is a time: the caller sends then (a timer, or a Workflow's sleepUntil) and settles each slot
// with its answer's headers, or with null when the request got no answer.
import type { RateGate, RateLimitInfo } from "./client.ts";

export type GatePriority = "interactive" | "background";
/** What one answer said (`X-RateLimit-*`, null when absent): the client's RateLimitInfo. */
export type RateObservation = RateLimitInfo;

export interface GateSlot {
  id: number;
  /** The grant it belongs to ("" for a request the gate did not grant but heard the answer of). */
  ticket: string;
  priority: GatePriority;
  reservedAt: number;
  /** When the caller may send it (ms epoch). */
  at: number;
  /** When its answer (or failure) arrived; null while out. */
  settledAt: number | null;
  /** The Reset its answer told (the ClickUp window it was counted in); null without one. */
  seenResetAt?: number | null;
}

/** An answer's view of ClickUp's current window. */
interface WindowTruth {
  resetAt: number;
  /** The answered request's grant time: every slot not answered by then may be counted after it. */
  since: number;
  remaining: number;
  /** The answered slot itself (ClickUp's Remaining already counts it). */
  exclude: number;
}

export interface BudgetMeta {
  version: 2;
  nextId: number;
  blockedUntil: number;
  /** The last answer that told no usable window (no headers): the budget is "known" for a window after it. */
  bareAnswerAt: number;
  observedLimit: number | null;
  windows: WindowTruth[];
  /** Requests of other clients seen per ClickUp window (by its reset). */
  foreign: { resetAt: number; count: number }[];
  /** Recent answers' time from grant to answer. */
  durations: { at: number; ms: number }[];
}

export interface BudgetSettings {
  /** The configured limit per window. When omitted, ClickUp's X-RateLimit-Limit (100 until the first answer). */
  limit?: number;
  windowMs: number;
}

export interface BudgetGrant {
  ticket: string;
  at: number;
}

/** What a caller asks the gate for. */
export interface ReserveRequest {
  /** "interactive" (a rep is waiting: reading an intake task) or "background" (the default). */
  priority?: GatePriority;
  /** Slots granted together (default 1), all sendable at `at`; each is settled on its own. */
  count?: number;
}

/** What the gate grants: send the ticket's requests at `at`. */
export interface Grant {
  ticket: string;
  /** ms epoch at which the caller may send the ticket's requests. */
  at: number;
  wait_ms: number;
}

export interface BudgetState {
  /** Slots that occupy the last window (granted, due, answered within it or still out). */
  granted_in_window: number;
  in_flight: number;
  scheduled: number;
  blocked_until: number;
  limit: number;
  headroom: number;
  interactive_reserve: number;
  caution: number;
  /** An answer from ClickUp's current window has been seen. */
  known: boolean;
  /** ClickUp's last Remaining minus what was granted since (null when not known). */
  remaining: number | null;
  foreign_per_window: number;
  allowance_ms: number;
}

const SETTLE_SLACK_MS = 50;
/** Unsettled slots older than this count as answered at this bound (a caller that died, a lost settle). */
export const MAX_IN_FLIGHT_MS = 120_000;
/** Resets within this of each other describe the same ClickUp window (Reset has whole seconds). */
const SAME_WINDOW_MS = 1_000;
const DURATIONS_KEPT = 32;
const DEFAULT_LIMIT = 100;

export const headroomFor = (limit: number): number => Math.max(1, Math.ceil(limit * 0.05));
export const interactiveReserveFor = (limit: number): number => Math.max(1, Math.ceil(limit * 0.1));
export const cautionFor = (limit: number, priority: GatePriority): number => {
  const k = Math.min(5, Math.max(2, Math.ceil(limit / 20)));
  return priority === "interactive" ? k : k - 1;
};

function emptyMeta(): BudgetMeta {
  return { version: 2, nextId: 1, blockedUntil: 0, bareAnswerAt: 0, observedLimit: null, windows: [], foreign: [], durations: [] };
}

export class RateBudget {
  readonly windowMs: number;
  readonly configuredLimit: number | undefined;
  #slots: GateSlot[];
  #meta: BudgetMeta;
  /** What changed since takeChanges(): slot id → the slot, or null when deleted. */
  #dirty = new Map<number, GateSlot | null>();
  #metaDirty = false;

  constructor(settings: BudgetSettings, saved?: { slots: GateSlot[]; meta: BudgetMeta | null | undefined }) {
    this.windowMs = settings.windowMs;
    this.configuredLimit = settings.limit;
    this.#slots = [...(saved?.slots ?? [])].sort((a, b) => a.id - b.id);
    this.#meta = saved?.meta?.version === 2 ? saved.meta : emptyMeta();
    const maxId = this.#slots.reduce((m, s) => Math.max(m, s.id), 0);
    if (this.#meta.nextId <= maxId) this.#meta.nextId = maxId + 1;
  }

  /** Grants of the previous gate (one time per request, no answers): kept as answered at their time. */
  adoptLegacy(grants: number[], blockedUntil: number): void {
    for (const at of grants) this.#add({ ticket: "", priority: "background", reservedAt: at, at, settledAt: at });
    this.#meta.blockedUntil = Math.max(this.#meta.blockedUntil, blockedUntil);
    this.#metaDirty = true;
  }

  // ---- the parameters ----------------------------------------------------------------------------

  get limit(): number {
    const observed = this.#meta.observedLimit;
    if (this.configuredLimit === undefined) return observed ?? DEFAULT_LIMIT;
    return observed === null ? this.configuredLimit : Math.min(this.configuredLimit, observed);
  }

  /** After a Reset, how long to still count it as the old window (Reset has whole seconds). */
  get resetSlackMs(): number {
    return Math.min(1_000, Math.ceil(this.windowMs / 20));
  }

  /** How long an unanswered slot is planned to stay out. */
  allowance(now: number): number {
    const floor = Math.min(250, this.windowMs / 10);
    const recent = this.#meta.durations.filter((d) => d.at > now - 10 * this.windowMs);
    if (recent.length === 0) return Math.max(floor, Math.min(2_000, this.windowMs / 4));
    const slowest = recent.reduce((m, d) => Math.max(m, d.ms), 0);
    return Math.min(this.windowMs, Math.max(floor, Math.ceil(slowest * 1.25) + SETTLE_SLACK_MS));
  }

  /** Other clients' requests per window: the most seen in ClickUp's current or last window. */
  foreignPerWindow(now: number): number {
    return this.#meta.foreign.filter((f) => f.resetAt > now - this.windowMs).reduce((m, f) => Math.max(m, f.count), 0);
  }

  /** An answer from ClickUp's current window has been seen. */
  known(now: number): boolean {
    return this.#meta.windows.some((w) => now < w.resetAt + this.resetSlackMs) || now - this.#meta.bareAnswerAt < this.windowMs;
  }

  // ---- granting ----------------------------------------------------------------------------------

  /**
   * Grants `count` slots at the earliest time every rule allows; null when the caller should hold
   * (nothing known of ClickUp's current window and `caution` slots already out; only when `mayHold`).
   */
  plan(request: { priority?: GatePriority; count?: number }, now: number, opts: { mayHold?: boolean } = {}): BudgetGrant | null {
    const priority: GatePriority = request.priority === "interactive" ? "interactive" : "background";
    const count = request.count ?? 1;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`rate gate: count must be a whole number ≥ 0 (got ${count})`);
    this.#tidy(now);
    const ticket = crypto.randomUUID();
    if (count === 0) return { ticket, at: now };

    const limit = this.limit;
    const headroom = headroomFor(limit);
    const reserve = priority === "background" ? interactiveReserveFor(limit) : 0;
    const foreign = this.foreignPerWindow(now);
    const budget = Math.max(1, limit - headroom - reserve);
    if (count > budget) throw new RangeError(`rate gate: ${count} requests at once exceed a window's budget (${budget})`);
    // Another client's share comes out of ClickUp's own limit for the token (X-RateLimit-Limit), which
    // may be far above the one we hold ourselves to; it never makes a grant impossible: at worst it
    // waits for an empty window.
    const clickupLimit = this.#meta.observedLimit ?? limit;
    const room = clickupLimit - headroomFor(clickupLimit) - reserve - foreign;
    const cap = Math.max(count, Math.min(budget, room));

    if (opts.mayHold && !this.known(now)) {
      const out = this.#slots.filter((s) => s.settledAt === null && s.at <= now).length;
      if (out > 0 && out + count > cautionFor(limit, priority)) return null;
    }

    const allowance = this.allowance(now);
    const slack = this.resetSlackMs;
    let at = Math.max(now, this.#meta.blockedUntil);
    for (let round = 0; round < 1_000; round++) {
      at = this.#earliest(at, cap, count, allowance, now);
      let moved = false;
      for (const w of this.#meta.windows) {
        const edge = w.resetAt + slack;
        if (at >= edge) continue;
        const allowed = w.remaining - headroom - reserve - Math.max(0, foreign - this.#foreignIn(w.resetAt));
        if (this.#countedAgainst(w) + count > allowed) {
          at = edge;
          moved = true;
        }
      }
      if (!moved) break;
    }
    for (let i = 0; i < count; i++) this.#add({ ticket, priority, reservedAt: now, at, settledAt: null });
    return { ticket, at };
  }

  /**
   * An answer arrived for one of the ticket's slots (`observation`: its headers), or the request
   * failed without one (null). Without a ticket, the oldest slot out is settled. An answer for a
   * request the gate holds no slot for (a ticket used up, a retry on the same ticket) is counted as
   * a request that just happened.
   */
  settle(ticket: string | null, observation: RateObservation | null, now: number): void {
    this.#tidy(now);
    let slot: GateSlot | undefined;
    if (ticket) slot = this.#slots.find((s) => s.ticket === ticket && s.settledAt === null);
    else slot = this.#slots.filter((s) => s.settledAt === null && s.at <= now).sort((a, b) => a.at - b.at || a.id - b.id)[0];
    const seenResetAt = observation?.resetAt !== null && observation?.resetAt !== undefined && observation.remaining !== null ? observation.resetAt : null;
    if (slot) {
      slot.settledAt = Math.max(now, slot.at);
      slot.seenResetAt = seenResetAt;
      this.#dirty.set(slot.id, slot);
      if (observation) this.#noteDuration(slot.settledAt - slot.at, now);
    } else {
      const at = now - Math.min(this.allowance(now), this.windowMs);
      slot = this.#add({ ticket: ticket ?? "", priority: "background", reservedAt: at, at, settledAt: now, seenResetAt });
    }
    if (observation) this.#learn(observation, slot, now);
  }

  /** The caller is done with a ticket: its slots never sent are freed. Returns how many. */
  release(ticket: string, now: number): number {
    this.#tidy(now);
    const unused = this.#slots.filter((s) => s.ticket === ticket && s.settledAt === null);
    for (const s of unused) this.#dirty.set(s.id, null);
    this.#slots = this.#slots.filter((s) => !unused.includes(s));
    return unused.length;
  }

  state(now: number): BudgetState {
    this.#tidy(now);
    const allowance = this.allowance(now);
    const limit = this.limit;
    const active = this.#meta.windows.filter((w) => now < w.resetAt + this.resetSlackMs);
    return {
      granted_in_window: this.#slots.filter((s) => s.at <= now && this.#end(s, now, allowance) > now - this.windowMs).length,
      in_flight: this.#slots.filter((s) => s.settledAt === null && s.at <= now).length,
      scheduled: this.#slots.filter((s) => s.settledAt === null && s.at > now).length,
      blocked_until: this.#meta.blockedUntil,
      limit,
      headroom: headroomFor(limit),
      interactive_reserve: interactiveReserveFor(limit),
      caution: cautionFor(limit, "interactive"),
      known: this.known(now),
      remaining: active.length ? Math.min(...active.map((w) => w.remaining - this.#countedAgainst(w))) : null,
      foreign_per_window: this.foreignPerWindow(now),
      allowance_ms: allowance,
    };
  }

  /** What to persist since the last call. */
  takeChanges(): { upserts: GateSlot[]; deletes: number[]; meta: BudgetMeta | null } {
    const upserts: GateSlot[] = [];
    const deletes: number[] = [];
    for (const [id, slot] of this.#dirty) slot ? upserts.push({ ...slot }) : deletes.push(id);
    this.#dirty.clear();
    const meta = this.#metaDirty ? structuredClone(this.#meta) : null;
    this.#metaDirty = false;
    return { upserts, deletes, meta };
  }

  // ---- internals ---------------------------------------------------------------------------------

  #add(slot: Omit<GateSlot, "id">): GateSlot {
    const full = { id: this.#meta.nextId++, ...slot };
    this.#slots.push(full);
    this.#dirty.set(full.id, full);
    this.#metaDirty = true;
    return full;
  }

  /** Until when a slot may still be counted by ClickUp (planned, for one still out). */
  #end(s: GateSlot, now: number, allowance: number): number {
    return s.settledAt !== null ? Math.max(s.settledAt, s.at) + SETTLE_SLACK_MS : Math.max(s.at, now) + allowance;
  }

  /**
   * The earliest time ≥ `from` at which `count` more slots keep every window of W under `cap`.
   * A slot [at, end] lies in the windows [s, s+W) with s in (at − W, end]; so does the new one,
   * with s in (t − W, t + allowance]: that range must avoid every s already covered by cap − count + 1.
   */
  #earliest(from: number, cap: number, count: number, allowance: number, now: number): number {
    const W = this.windowMs;
    const points: { x: number; d: number }[] = [];
    for (const s of this.#slots) {
      const end = this.#end(s, now, allowance);
      if (end <= from - W) continue;
      points.push({ x: s.at - W, d: 1 }, { x: end, d: -1 });
    }
    points.sort((a, b) => a.x - b.x);
    let t = from;
    let covered = 0;
    for (let i = 0; i < points.length; ) {
      const p = points[i]!.x;
      while (i < points.length && points[i]!.x === p) covered += points[i++]!.d;
      // `covered` holds on (p, q].
      if (covered + count <= cap) continue;
      const q = i < points.length ? points[i]!.x : Number.POSITIVE_INFINITY;
      if (q <= t - W) continue;
      if (p >= t + allowance) break;
      t = q + W;
    }
    return t;
  }

  /**
   * Slots that may reach ClickUp after the answered request did, before the window's reset: not
   * answered before it was granted, and no answer of their own telling a window (`w` holds the
   * lowest Remaining of its window, so such an answer arrived before it, or in another window).
   */
  #countedAgainst(w: WindowTruth): number {
    const edge = w.resetAt + this.resetSlackMs;
    let n = 0;
    for (const s of this.#slots) {
      if (s.id === w.exclude || s.at >= edge || (s.seenResetAt ?? null) !== null) continue;
      if (s.settledAt === null || s.settledAt > w.since) n++;
    }
    return n;
  }

  #foreignIn(resetAt: number): number {
    return this.#meta.foreign.find((f) => Math.abs(f.resetAt - resetAt) < SAME_WINDOW_MS)?.count ?? 0;
  }

  #noteDuration(ms: number, now: number): void {
    this.#meta.durations.push({ at: now, ms: Math.max(0, ms) });
    if (this.#meta.durations.length > DURATIONS_KEPT) this.#meta.durations.splice(0, this.#meta.durations.length - DURATIONS_KEPT);
    this.#metaDirty = true;
  }

  #learn(o: RateObservation, slot: GateSlot, now: number): void {
    this.#metaDirty = true;
    if (o.limit !== null && o.limit > 0) this.#meta.observedLimit = o.limit;
    if (o.status === 429) this.#meta.blockedUntil = Math.max(this.#meta.blockedUntil, (o.resetAt ?? now + this.windowMs) + this.resetSlackMs);
    const remaining = o.status === 429 ? 0 : o.remaining;
    if (remaining === null || o.resetAt === null || o.resetAt + this.resetSlackMs <= now) {
      this.#meta.bareAnswerAt = now;
      return;
    }
    const truth: WindowTruth = { resetAt: o.resetAt, since: slot.at, remaining, exclude: slot.id };
    const same = this.#meta.windows.findIndex((w) => Math.abs(w.resetAt - o.resetAt!) < SAME_WINDOW_MS);
    if (same < 0) this.#meta.windows.push(truth);
    else {
      // Answers arrive out of order: the lowest Remaining arrived last (rule 2).
      const old = this.#meta.windows[same]!;
      if (truth.remaining < old.remaining || (truth.remaining === old.remaining && truth.since >= old.since)) {
        this.#meta.windows[same] = { ...truth, resetAt: Math.max(truth.resetAt, old.resetAt) };
      }
    }
    // What ClickUp counted in this window beyond what we can have sent into it: another client.
    const used = (o.limit ?? this.limit) - remaining;
    // The window opened at most W before its reset, which ClickUp gives in whole seconds.
    const start = o.resetAt - this.windowMs - SAME_WINDOW_MS;
    const ours = this.#slots.filter((s) => s.at <= now && (s.settledAt === null || s.settledAt >= start)).length;
    const foreign = Math.max(0, used - ours);
    const entry = this.#meta.foreign.find((f) => Math.abs(f.resetAt - o.resetAt!) < SAME_WINDOW_MS);
    if (entry) entry.count = Math.max(entry.count, foreign);
    else if (foreign > 0) this.#meta.foreign.push({ resetAt: o.resetAt, count: foreign });
  }

  /** Expires lost slots, forgets what can no longer matter. */
  #tidy(now: number): void {
    for (const s of this.#slots) {
      if (s.settledAt === null && s.at + MAX_IN_FLIGHT_MS < now) {
        s.settledAt = s.at + MAX_IN_FLIGHT_MS;
        this.#dirty.set(s.id, s);
      }
    }
    const slack = this.resetSlackMs;
    const before = this.#meta.windows.length + this.#meta.foreign.length;
    this.#meta.windows = this.#meta.windows.filter((w) => now < w.resetAt + slack);
    this.#meta.foreign = this.#meta.foreign.filter((f) => f.resetAt > now - this.windowMs);
    if (this.#meta.windows.length + this.#meta.foreign.length !== before) this.#metaDirty = true;
    const horizon = now - this.windowMs - SAME_WINDOW_MS - SETTLE_SLACK_MS;
    const keep: GateSlot[] = [];
    for (const s of this.#slots) {
      const done = s.settledAt !== null && s.settledAt < horizon && !this.#meta.windows.some((w) => s.settledAt! > w.since);
      if (done) this.#dirty.set(s.id, null);
      else keep.push(s);
    }
    this.#slots = keep;
  }
}

/**
 * A RateGate in this process, for a Node script (setup): the same budget, in memory. It cannot see
 * the Worker's grants, but ClickUp's headers show it what anyone spent, and it keeps the headroom and
 * the interactive reserve free for the Worker.
 */
export function createLocalRateGate(opts: BudgetSettings & { priority?: GatePriority; maxHoldMs?: number }): RateGate & { budget: RateBudget } {
  const budget = new RateBudget(opts);
  const priority = opts.priority ?? "background";
  const maxHoldMs = opts.maxHoldMs ?? Math.min(5_000, opts.windowMs);
  let waiting: (() => void)[] = [];
  const wake = (): void => {
    const all = waiting;
    waiting = [];
    for (const resolve of all) resolve();
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  return {
    budget,
    async acquire() {
      const holdUntil = Date.now() + maxHoldMs;
      for (;;) {
        const now = Date.now();
        const grant = budget.plan({ priority }, now, { mayHold: now < holdUntil });
        if (grant) {
          if (grant.at > Date.now()) await sleep(grant.at - Date.now());
          return grant.ticket;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(1, holdUntil - now));
          waiting.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    observe(info, ticket) {
      budget.settle(typeof ticket === "string" ? ticket : null, info, Date.now());
      wake();
    },
  };
}
