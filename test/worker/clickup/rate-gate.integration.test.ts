import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

/** Sends `count` reservations from `callers` concurrent callers; returns the granted send times. */
async function reserveMany(gateName: string, callers: number, count: number): Promise<number[]> {
  const gate = env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(gateName));
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = caller; i < count; i += callers) {
        const wait = await gate.reserve();
        times.push(Date.now() + wait);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

/** The most grants inside any window of `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe("ClickUp rate gate (integration, Durable Object)", () => {
  it("twenty callers at once never get more than the plan's limit in any window", async () => {
    // The suite's limit is 100 per 60 s window; 150 reservations need a second window.
    const times = await reserveMany(`gate-${crypto.randomUUID()}`, 20, 150);
    expect(times).toHaveLength(150);
    expect(busiestWindow(times, 60_000)).toBeLessThanOrEqual(100);
    expect(times[99]! - times[0]!).toBeLessThan(10_000); // the first 100 go at once (no window wait)
    expect(times[100]! - times[0]!).toBeGreaterThanOrEqual(60_000); // the 101st waits for the window
  });

  it("a 429 holds every caller until ClickUp's reset; a low X-RateLimit-Remaining does too", async () => {
    const gate = env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(`gate-${crypto.randomUUID()}`));
    expect(await gate.reserve()).toBe(0);
    const resetAt = Date.now() + 5_000;
    await gate.observe({ status: 429, limit: 100, remaining: 0, resetAt });
    const wait = await gate.reserve();
    expect(wait).toBeGreaterThan(4_000);
    expect(wait).toBeLessThanOrEqual(5_100);

    const other = env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(`gate-${crypto.randomUUID()}`));
    await other.observe({ status: 200, limit: 100, remaining: 0, resetAt: Date.now() + 3_000 });
    expect(await other.reserve()).toBeGreaterThan(2_000);
  });

  it("an evicted gate remembers its window (it must not grant a full limit again)", async () => {
    const name = `gate-${crypto.randomUUID()}`;
    await reserveMany(name, 10, 100);
    const gate = env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(name));
    await evictDurableObject(gate);
    expect(await gate.reserve()).toBeGreaterThan(55_000);
  });
});
