// The ClickUp rate gate: its budget simulated on a fake clock against the emulator's own limiter
// (ClickUp's fixed window per token), with late callers and a second client on the same token;
// then the Durable Object itself (the suite's limit: 100 per 60 s window; headroom 5, interactive
// reserve 10, caution 5 interactive / 4 background, a reset counted 1 s late).
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../sandbox/clickup/rate-limit.ts";
import { createClickUpAdminClient } from "../../../src/clickup/admin-client.ts";
import { type GatePriority, headroomFor, interactiveReserveFor, RateBudget, type RateObservation } from "../../../src/clickup/rate-budget.ts";
import { clickUpRateGateStub, reservedGate, tokenKey, waitingGate } from "../../../src/clickup/rate-gate-client.ts";
import { configFor } from "../../../src/env.ts";

const WINDOW = 60_000;

function gateNamed(name = `gate-${crypto.randomUUID()}`) {
  return env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(name));
}

/** ClickUp has told the gate its window: `remaining` left until `resetIn` from now. */
async function tell(gate: ReturnType<typeof gateNamed>, remaining: number, resetIn = WINDOW, ticket?: string) {
  const info: RateObservation = { status: 200, limit: 100, remaining, resetAt: Date.now() + resetIn };
  if (ticket) await gate.settle(ticket, info);
  else await gate.observe(info);
  return info.resetAt!;
}

/** The most intervals [from, to] that meet one window of `windowMs` (any alignment). */
function busiestWindow(intervals: { from: number; to: number }[], windowMs: number): number {
  let most = 0;
  const starts = intervals.flatMap((i) => [i.to, i.from - windowMs + 1]);
  for (const s of starts) {
    let n = 0;
    for (const i of intervals) if (i.from < s + windowMs && i.to >= s) n++;
    most = Math.max(most, n);
  }
  return most;
}

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Simulation {
  app429: number;
  other429: number;
  otherSent: number;
  appSent: number;
  intervals: { from: number; to: number }[];
  finishedChains: number;
  elapsed: number;
}

/**
 * Event-driven, on a fake clock: `chains` callers each make `length` requests one after another (the
 * first interactive, the rest background): reserve, wake up to `lateMs` after the grant (a loaded
 * machine), reach ClickUp 5–50 ms later, get the answer 5–50 ms after that, settle. ClickUp is the
 * emulator's limiter (a fixed window per token opened by its first request, Reset in whole seconds).
 * With `otherEveryMs`, a second client of the token sends one request every so often, skipping while
 * its last answer said 2 or fewer were left.
 */
function simulate(opts: { limit: number; windowMs: number; chains: number; length: number; lateMs: number; otherEveryMs?: number; seed: number }): Simulation {
  const rnd = random(opts.seed);
  const start = Date.UTC(2026, 0, 1, 12, 0, 0, 137);
  let now = start;
  const clickup = new RateLimiter(opts.limit, opts.windowMs, () => now);
  const budget = new RateBudget({ limit: opts.limit, windowMs: opts.windowMs });
  const events: { t: number; seq: number; run: () => void }[] = [];
  let seq = 0;
  const schedule = (t: number, run: () => void) => events.push({ t: Math.max(t, now), seq: seq++, run });
  let held: (() => void)[] = [];
  const wake = () => {
    const all = held;
    held = [];
    for (const f of all) f();
  };
  const sim: Simulation = { app429: 0, other429: 0, otherSent: 0, appSent: 0, intervals: [], finishedChains: 0, elapsed: 0 };
  const answer = (): RateObservation => {
    const rl = clickup.hit("pk_shared");
    return { status: rl.allowed ? 200 : 429, limit: rl.limit, remaining: rl.remaining, resetAt: rl.reset * 1000 };
  };

  const request = (chain: number, i: number) => {
    if (i === opts.length) {
      sim.finishedChains++;
      return;
    }
    const priority: GatePriority = i === 0 ? "interactive" : "background";
    const holdUntil = now + 5_000;
    let done = false;
    const attempt = () => {
      if (done) return;
      const grant = budget.plan({ priority }, now, { mayHold: now < holdUntil });
      if (!grant) {
        held.push(attempt);
        schedule(holdUntil, attempt);
        return;
      }
      done = true;
      const sendAt = grant.at + rnd() * opts.lateMs;
      schedule(sendAt + 5 + rnd() * 45, () => {
        sim.appSent++;
        const info = answer();
        if (info.status === 429) sim.app429++;
        schedule(now + 5 + rnd() * 45, () => {
          budget.settle(grant.ticket, info, now);
          sim.intervals.push({ from: grant.at, to: now });
          wake();
          schedule(now + rnd() * 100, () => request(chain, i + 1));
        });
      });
    };
    attempt();
  };
  for (let c = 0; c < opts.chains; c++) schedule(start + rnd() * 200, () => request(c, 0));

  if (opts.otherEveryMs) {
    let left = opts.limit;
    let resetAt = 0;
    const tick = () => {
      if (sim.finishedChains === opts.chains) return;
      if (left > 2 || now >= resetAt) {
        schedule(now + 5 + rnd() * 45, () => {
          sim.otherSent++;
          const info = answer();
          if (info.status === 429) sim.other429++;
          schedule(now + 5 + rnd() * 45, () => {
            left = info.remaining ?? 0;
            resetAt = info.resetAt ?? 0;
          });
        });
      }
      schedule(now + opts.otherEveryMs!, tick);
    };
    schedule(start, tick);
  }

  while (events.length) {
    events.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const e = events.shift()!;
    now = e.t;
    e.run();
  }
  sim.elapsed = now - start;
  return sim;
}

describe("ClickUp rate budget (simulated clock, the emulator's limiter as ClickUp)", () => {
  const limit = 25;
  const windowMs = 3_000;

  it("never more than limit − headroom in any window, counting each grant from grant to settle; no 429 even with callers waking up to 400 ms late", () => {
    for (const seed of [1, 2, 3]) {
      const sim = simulate({ limit, windowMs, chains: 12, length: 8, lateMs: 400, seed });
      expect(sim.finishedChains).toBe(12);
      expect(sim.app429).toBe(0);
      expect(busiestWindow(sim.intervals, windowMs)).toBeLessThanOrEqual(limit - headroomFor(limit));
    }
  });

  it("a second client spending the same token: ClickUp's Remaining/Reset keep the app out of 429s", () => {
    for (const seed of [4, 5, 6]) {
      const sim = simulate({ limit, windowMs, chains: 12, length: 8, lateMs: 300, otherEveryMs: 450, seed });
      expect(sim.finishedChains).toBe(12);
      expect(sim.otherSent).toBeGreaterThan(20);
      expect(sim.app429).toBe(0);
      expect(sim.other429).toBe(0);
    }
  });

  it("a backlog keeps ClickUp's windows full: twenty callers get limit − headroom − reserve per window, with no 429", () => {
    // The suite's parameters at ClickUp's scale: 100 a minute, 85 for background callers.
    for (const seed of [7, 8]) {
      const sim = simulate({ limit: 100, windowMs: WINDOW, chains: 20, length: 60, lateMs: 0, seed });
      expect(sim.finishedChains).toBe(20);
      expect(sim.app429).toBe(0);
      // Slots in flight when an answer was granted no longer count twice (ClickUp's Remaining already
      // counts those that arrived first): the gate sent 64 a window before.
      const perWindow = sim.appSent / (sim.elapsed / WINDOW);
      expect(perWindow).toBeGreaterThanOrEqual(0.95 * (100 - headroomFor(100) - interactiveReserveFor(100)));
    }
  });

  it("a slow answer keeps its slot counted until it is settled (and a window after)", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const fresh = () => {
      const b = new RateBudget({ limit: 10, windowMs: 1_000 });
      return b;
    };
    // Background: 10 − headroom 1 − reserve 1 = 8 per window.
    const answered = fresh();
    const stuck = fresh();
    for (const b of [answered, stuck]) {
      const grants = Array.from({ length: 8 }, () => b.plan({}, t0)!);
      expect(grants.every((g) => g.at === t0)).toBe(true);
      grants.slice(0, 7).forEach((g) => b.settle(g.ticket, null, t0 + 20));
      if (b === answered) b.settle(grants[7]!.ticket, null, t0 + 20);
    }
    const later = t0 + 10_000;
    expect(answered.plan({ count: 8 }, later)!.at).toBe(later);
    // Still out ten windows later: it may reach ClickUp any moment, so only 7 fit beside it.
    expect(stuck.plan({ count: 8 }, later)!.at).toBeGreaterThan(later);
    const other = fresh();
    const g = other.plan({}, t0)!;
    other.settle(g.ticket, null, t0 + 5_000);
    // Answered at +5 s: ClickUp may have counted it just then, so the window after still holds it.
    expect(other.plan({ count: 8 }, t0 + 5_100)!.at).toBeGreaterThanOrEqual(t0 + 6_000);
  });

  it("an unsettled slot older than two minutes counts as answered then", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const b = new RateBudget({ limit: 10, windowMs: 1_000 });
    b.plan({ count: 8 }, t0);
    expect(b.plan({}, t0 + 60_000)!.at).toBeGreaterThan(t0 + 60_000);
    expect(b.plan({}, t0 + 122_000)!.at).toBe(t0 + 122_000);
  });

  it("another client's spending is taken out of ClickUp's own limit: far below it, it does not slow us down", () => {
    const t0 = Date.UTC(2026, 0, 1);
    // We hold ourselves to 100 a minute; the token's plan allows 10,000, and another client spent 600.
    const b = new RateBudget({ limit: 100, windowMs: 60_000 });
    const first = b.plan({}, t0)!;
    b.settle(first.ticket, { status: 200, limit: 10_000, remaining: 9_399, resetAt: t0 + 60_000 }, t0 + 20);
    expect(b.foreignPerWindow(t0 + 20)).toBeGreaterThanOrEqual(599);
    const grants = Array.from({ length: 80 }, () => b.plan({}, t0 + 30)!);
    expect(grants.every((g) => g.at === t0 + 30)).toBe(true);
    // On a plan of 1,000 where the other client spent 950, there is no room for 80 in this window.
    const tight = new RateBudget({ limit: 100, windowMs: 60_000 });
    const g = tight.plan({}, t0)!;
    tight.settle(g.ticket, { status: 200, limit: 1_000, remaining: 49, resetAt: t0 + 60_000 }, t0 + 20);
    const late = Array.from({ length: 80 }, () => tight.plan({}, t0 + 30)!);
    expect(late.some((x) => x.at > t0 + 30)).toBe(true);
  });

  it("the setup script's budget trusts X-RateLimit-Limit when no limit is configured", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const b = new RateBudget({ windowMs: 60_000 });
    expect(b.limit).toBe(100);
    const g = b.plan({}, t0)!;
    b.settle(g.ticket, { status: 200, limit: 10_000, remaining: 9_999, resetAt: t0 + 60_000 }, t0 + 10);
    expect(b.limit).toBe(10_000);
    expect(new RateBudget({ limit: 100, windowMs: 60_000 }).limit).toBe(100);
  });
});

describe("ClickUp rate gate (integration, Durable Object)", () => {
  const limit = 100;
  const headroom = headroomFor(limit);
  const reserve = interactiveReserveFor(limit);

  it("twenty callers at once: at most limit − headroom − reserve background slots in any window, the rest a window later", async () => {
    const gate = gateNamed();
    await tell(gate, 99);
    const t0 = Date.now();
    const grants: { at: number; ticket: string }[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, caller) => {
        for (let i = caller; i < 150; i += 20) grants.push(await gate.reserve());
      }),
    );
    const times = grants.map((g) => g.at).sort((a, b) => a - b);
    expect(times).toHaveLength(150);
    expect(new Set(grants.map((g) => g.ticket)).size).toBe(150);
    // Each counted from its grant until its answer: planned 2 s out when not yet answered.
    expect(busiestWindow(times.map((t) => ({ from: t, to: t + 2_000 })), WINDOW)).toBeLessThanOrEqual(limit - headroom - reserve);
    expect(times[83]! - t0).toBeLessThan(10_000); // ClickUp's 99 left, less headroom and reserve: 84 go at once
    expect(times[84]! - t0).toBeGreaterThanOrEqual(WINDOW); // the 85th waits for the window
  });

  it("a slot is counted from its grant until its answer: a slow answer keeps it counted", async () => {
    const gate = gateNamed();
    await tell(gate, 99);
    const slow = await gate.reserve({ count: 84 });
    expect(slow.wait_ms).toBe(0);
    const next = await gate.reserve();
    expect(next.wait_ms).toBeGreaterThan(WINDOW - 1_000);
    await gate.release(next.ticket);
    // 84 answers arrive now: they may have reached ClickUp just now, so the window from now holds them.
    for (let i = 0; i < 84; i++) await gate.settle(slow.ticket, null);
    expect((await gate.state()).in_flight).toBe(0);
    expect((await gate.reserve()).wait_ms).toBeGreaterThan(WINDOW - 1_000);
  });

  it("ClickUp's Remaining/Reset limit grants made after the answer, and slots in flight then count against it, even when the gate's own count has room", async () => {
    const gate = gateNamed();
    const resetAt = await tell(gate, 99, 30_000);
    const inFlight = await gate.reserve({ priority: "interactive", count: 3 });
    expect(inFlight.wait_ms).toBe(0);
    // Another client spent the window: one of ours answers with 12 left (two of ours still out).
    await tell(gate, 12, resetAt - Date.now(), inFlight.ticket);
    const grants = [];
    for (let i = 0; i < 6; i++) grants.push(await gate.reserve({ priority: "interactive" }));
    // 12 − headroom 5 − the 2 still out = 5 now; the 6th after the reset.
    expect(grants.slice(0, 5).every((g) => g.wait_ms === 0)).toBe(true);
    expect(grants[5]!.at).toBeGreaterThanOrEqual(resetAt);
    const state = await gate.state();
    expect(state.known).toBe(true);
    expect(state.foreign_per_window).toBeGreaterThan(80);
  });

  it("an interactive request gets a slot before a backlog of background ones", async () => {
    const gate = gateNamed();
    await tell(gate, 99);
    const backlog = [];
    for (let i = 0; i < 100; i++) backlog.push(await gate.reserve());
    const waiting = backlog.filter((g) => g.wait_ms > 0);
    expect(waiting).toHaveLength(16);
    // The first 84 were sent and answered.
    for (const g of backlog.filter((g) => g.wait_ms === 0)) await gate.settle(g.ticket, null);
    const reads = [];
    for (let i = 0; i < 5; i++) reads.push(await gate.reserve({ priority: "interactive" }));
    for (const read of reads) {
      expect(read.wait_ms).toBe(0);
      expect(read.at).toBeLessThan(Math.min(...waiting.map((g) => g.at)));
    }
    // The reserve is for interactive callers only: one more background request still waits.
    expect((await gate.reserve()).wait_ms).toBeGreaterThan(WINDOW - 1_000);
  });

  it("before ClickUp's first answer only a few requests go out; the rest wait for it (an interactive one still goes)", async () => {
    const gate = gateNamed();
    const started = Date.now();
    const resolvedAt: number[] = [];
    const pending = Array.from({ length: 10 }, () =>
      gate.reserve().then((g) => {
        resolvedAt.push(Date.now());
        return g;
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(resolvedAt).toHaveLength(4);
    expect((await gate.state()).in_flight).toBe(4);
    const read = await gate.reserve({ priority: "interactive" });
    expect(read.wait_ms).toBe(0);
    // The first answer: the held ones are granted at once, by what it says.
    await tell(gate, 90, WINDOW, read.ticket);
    const grants = await Promise.all(pending);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(grants.every((g) => g.wait_ms === 0)).toBe(true);
    expect((await gate.state()).known).toBe(true);
  });

  it("with no answer at all, held reservations go after at most 5 s by the gate's own count", async () => {
    const gate = gateNamed();
    const started = Date.now();
    const grants = await Promise.all(Array.from({ length: 6 }, () => gate.reserve()));
    expect(grants.every((g) => g.wait_ms === 0)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
  }, 15_000);

  it("a 429 holds every caller until ClickUp's reset; a Remaining of 0 does too", async () => {
    const gate = gateNamed();
    await tell(gate, 99);
    const g = await gate.reserve();
    const resetAt = Date.now() + 5_000;
    await gate.settle(g.ticket, { status: 429, limit: 100, remaining: 0, resetAt });
    expect((await gate.reserve({ priority: "interactive" })).at).toBeGreaterThanOrEqual(resetAt);

    const other = gateNamed();
    const otherReset = await tell(other, 0, 3_000);
    expect((await other.reserve({ priority: "interactive" })).at).toBeGreaterThanOrEqual(otherReset);
  });

  it("a ticket of several requests: each settle ends one; unused ones are released", async () => {
    const gate = gateNamed();
    await tell(gate, 99);
    const grant = await gate.reserve({ count: 4 });
    expect((await gate.state()).in_flight).toBe(4);
    await gate.settle(grant.ticket, { status: 200, limit: 100, remaining: 97, resetAt: Date.now() + WINDOW });
    expect((await gate.state()).in_flight).toBe(3);
    expect(await gate.release(grant.ticket)).toBe(3);
    expect((await gate.state()).in_flight).toBe(0);
    // Nothing to send: a grant at once that holds no slot.
    expect((await gate.reserve({ count: 0 })).wait_ms).toBe(0);
    const refused = await gate.reserve({ count: 500 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(String(refused)).toMatch(/exceed/);
  });

  it("the client settles every request at the gate, answered or not, whether it waited for its slot or reserved it before", async () => {
    const token = String(env.CLICKUP_API_TOKEN);
    expect(clickUpRateGateStub(configFor(env), env)).not.toBeNull();
    expect(tokenKey(token)).toMatch(/^[0-9a-f]{24}$/);
    expect(tokenKey(token)).not.toContain(token);
    const gate = gateNamed();
    const baseUrl = String(env.CLICKUP_BASE_URL);
    // A timer caller: one slot per request.
    const waiting = createClickUpAdminClient({ token, baseUrl, gate: waitingGate(gate, "interactive") });
    await waiting.getAuthorizedUser();
    await waiting.getTeams();
    let state = await gate.state();
    expect(state.known).toBe(true);
    expect(state.in_flight).toBe(0);
    expect(state.granted_in_window).toBe(2);
    // A Workflow: reserved two, slept until `at`, sends both with the ticket.
    const grant = await gate.reserve({ count: 2 });
    const reserved = createClickUpAdminClient({ token, baseUrl, gate: reservedGate(gate, grant.ticket) });
    await reserved.getAuthorizedUser();
    await reserved.getTeams();
    expect((await gate.state()).in_flight).toBe(0);
    // No answer at all: the slot is settled with null.
    const lost = await gate.reserve();
    const unreachable = createClickUpAdminClient({ token, baseUrl: "http://127.0.0.1:9", gate: reservedGate(gate, lost.ticket) });
    await unreachable.getTeams().catch(() => {});
    state = await gate.state();
    expect(state.in_flight).toBe(0);
    expect(state.granted_in_window).toBe(5);
  });

  it("takes over the previous gate's stored window (grant times only) instead of granting a full limit again", async () => {
    const gate = gateNamed();
    await gate.state();
    const now = Date.now();
    await runInDurableObject(gate, (_instance, state) => {
      state.storage.kv.put("window", { grants: Array.from({ length: 90 }, () => now), blockedUntil: 0 });
    });
    await evictDurableObject(gate);
    expect((await gate.reserve()).wait_ms).toBeGreaterThan(WINDOW - 1_000);
  });

  it("an evicted gate remembers its slots and what ClickUp said", async () => {
    const name = `gate-${crypto.randomUUID()}`;
    const gate = gateNamed(name);
    const resetAt = await tell(gate, 30);
    for (let i = 0; i < 10; i++) await gate.reserve();
    await evictDurableObject(gate);
    const again = gateNamed(name);
    const state = await again.state();
    expect(state.known).toBe(true);
    expect(state.in_flight).toBe(10);
    // 30 − headroom 5 − reserve 10 − the 10 out: the window has 5 more background slots.
    const grants = [];
    for (let i = 0; i < 6; i++) grants.push(await again.reserve());
    expect(grants.slice(0, 5).every((g) => g.wait_ms === 0)).toBe(true);
    expect(grants[5]!.at).toBeGreaterThanOrEqual(resetAt);
  });
});
