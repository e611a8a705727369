// ClickUp's per-token rate limit: 100 requests a minute by default, X-RateLimit-* on every answer.
import { afterEach, describe, expect, it } from "vitest";
import { type ClickUpEmulator, startClickUpEmulator } from "../../../sandbox/clickup/index.ts";
import { api } from "../../../sandbox/clickup/testing.ts";

describe("ClickUp emulator: rate limit", () => {
  let cu: ClickUpEmulator | undefined;
  afterEach(async () => {
    await cu?.close();
    cu = undefined;
  });

  it("answers the 101st request in a minute with 429 and X-RateLimit headers", async () => {
    cu = await startClickUpEmulator({ seed: "empty" });
    const emulator = cu;
    const startedAt = Math.floor(Date.now() / 1000);
    const first = await api(emulator, "GET", "/api/v2/user");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("100");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
    const reset = Number(first.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(startedAt);
    // The window opens with the first request, which may land in the next second (hence +62, not +61).
    expect(reset).toBeLessThanOrEqual(startedAt + 62);

    // 99 more, 10 at a time: every one allowed, even 400s and 404s count.
    for (let i = 0; i < 99; i += 11) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(11, 99 - i) }, (_, k) => api(emulator, "GET", k === 0 ? "/api/v2/nope" : "/api/v2/team")),
      );
      for (const r of batch) expect(r.status).not.toBe(429);
    }
    const over = await api(emulator, "GET", "/api/v2/user");
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ err: "Rate limit reached", ECODE: "APP_002" });
    expect(over.headers.get("x-ratelimit-limit")).toBe("100");
    expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(over.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it("keeps one budget per token and opens a new window when the old one ends", async () => {
    cu = await startClickUpEmulator({ seed: "empty", rateLimitPerMinute: 3, rateLimitWindowMs: 1_500, tokens: ["pk_a", "pk_b"] });
    for (let i = 0; i < 3; i++) expect((await api(cu, "GET", "/api/v2/user", undefined, { token: "pk_a" })).status).toBe(200);
    expect((await api(cu, "GET", "/api/v2/user", undefined, { token: "pk_a" })).status).toBe(429);
    const other = await api(cu, "GET", "/api/v2/user", undefined, { token: "pk_b" });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("2");
    await new Promise((r) => setTimeout(r, 1_600));
    const again = await api(cu, "GET", "/api/v2/user", undefined, { token: "pk_a" });
    expect(again.status).toBe(200);
    expect(again.headers.get("x-ratelimit-remaining")).toBe("2");
  });

  it("puts the headers on refusals too, and an injected rate_limit fault is ClickUp-shaped", async () => {
    cu = await startClickUpEmulator({ seed: "empty" });
    const noToken = await api(cu, "GET", "/api/v2/user", undefined, { token: null });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("x-ratelimit-limit")).toBe("100");
    cu.faults.add({ route: "GET /api/v2/user", kind: "rate_limit", times: 1 });
    const faulted = await api(cu, "GET", "/api/v2/user");
    expect(faulted.status).toBe(429);
    expect(faulted.body).toEqual({ err: "Rate limit reached", ECODE: "APP_002" });
    expect(faulted.headers.get("x-ratelimit-reset")).toMatch(/^\d+$/);
    expect((await api(cu, "GET", "/api/v2/user")).status).toBe(200);
  });
});
