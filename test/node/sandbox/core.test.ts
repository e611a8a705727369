// The emulator core: recording (in process and over HTTP), fault injection and latency profiles.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmulatorServer, type EmulatorServer } from "../../../sandbox/core/server.ts";
import { anthropicCallLatencyMs, MODEL_LATENCY, modelLatencyMs, realisticProfile, sampleDistribution } from "../../../sandbox/core/latency.ts";
import { routeMatches } from "../../../sandbox/core/faults.ts";

let server: EmulatorServer;

beforeAll(async () => {
  server = await createEmulatorServer({
    name: "echo",
    routes: ["POST /v1/messages", "GET /v2/*"],
    handler: (req) => ({
      status: 200,
      body: { method: req.method, path: req.path, query: Object.fromEntries(req.query), json: req.json ?? null, form: req.form ? Object.fromEntries(req.form) : null, files: req.files?.map((f) => f.filename) ?? [] },
    }),
  });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

interface Echo {
  method: string;
  path: string;
  query: Record<string, string>;
  json: unknown;
  form: Record<string, string> | null;
  files: string[];
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("request parsing", () => {
  it("parses JSON, query, urlencoded and multipart bodies", async () => {
    const a = (await (await post("/v1/messages?x=1", { a: 1 })).json()) as Echo;
    expect(a).toMatchObject({ method: "POST", path: "/v1/messages", query: { x: "1" }, json: { a: 1 } });

    const b = (await (await fetch(`${server.url}/form`, { method: "POST", body: new URLSearchParams({ to: "a@b.c", "h:Reply-To": "r@x.y" }) })).json()) as Echo;
    expect(b.form).toEqual({ to: "a@b.c", "h:Reply-To": "r@x.y" });

    const fd = new FormData();
    fd.append("subject", "Hello");
    fd.append("attachment", new Blob(["file body"]), "notes.txt");
    const c = (await (await fetch(`${server.url}/multi`, { method: "POST", body: fd })).json()) as Echo;
    expect(c.form).toEqual({ subject: "Hello" });
    expect(c.files).toEqual(["notes.txt"]);
  });
});

describe("recorder", () => {
  it("records every request and serves them over HTTP", async () => {
    await post("/v1/messages", { model: "m" }, { "X-Trace": "t1" });
    await fetch(`${server.url}/v2/domain-search?domain=example.com`);
    expect(server.recorder.count()).toBe(2);
    const first = server.recorder.list({ route: "POST /v1/messages" })[0]!;
    expect(first).toMatchObject({ method: "POST", path: "/v1/messages", body: { model: "m" }, status: 200, route: "POST /v1/messages" });
    expect(first.headers["x-trace"]).toBe("t1");
    expect(first.duration_ms).toBeGreaterThanOrEqual(0);

    const res = await fetch(`${server.url}/__emulator/requests?path=/v2/*`);
    const listed = (await res.json()) as { count: number; requests: Array<{ query: Record<string, string>; route: string }> };
    expect(listed.count).toBe(1);
    expect(listed.requests[0]).toMatchObject({ query: { domain: "example.com" }, route: "GET /v2/*" });

    // Control calls are not recorded; DELETE clears.
    expect((await fetch(`${server.url}/__emulator/requests`, { method: "DELETE" })).status).toBe(200);
    expect(server.recorder.count()).toBe(0);
  });
});

describe("faults", () => {
  it("matches routes by method and glob", () => {
    expect(routeMatches("POST /v1/messages", "POST", "/v1/messages")).toBe(true);
    expect(routeMatches("POST /v1/messages", "GET", "/v1/messages")).toBe(false);
    expect(routeMatches("GET /v2/*", "GET", "/v2/email-finder")).toBe(true);
    expect(routeMatches("* /api/v2/task/*", "PUT", "/api/v2/task/abc")).toBe(true);
    expect(routeMatches("/v1/*", "DELETE", "/v1/x")).toBe(true);
    expect(routeMatches("*", "GET", "/anything")).toBe(true);
  });

  it("adds a fixed latency (measured at least the value)", async () => {
    server.faults.add({ route: "POST /v1/messages", kind: "latency", latency: 120, times: 1 });
    const t0 = performance.now();
    const res = await post("/v1/messages", {});
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    expect(server.recorder.last()?.fault).toBe("latency");
  });

  it("samples latency distributions within their bounds", async () => {
    const r = () => 0.5;
    expect(sampleDistribution({ uniform: { min: 50, max: 150 } }, r)).toBe(100);
    for (let i = 0; i < 50; i++) expect(sampleDistribution({ normal: { mean: 100, sd: 50, min: 20 } })).toBeGreaterThanOrEqual(20);
    server.faults.add({ route: "POST /v1/messages", kind: "latency", latency: { uniform: { min: 60, max: 80 } }, times: 1 });
    const t0 = performance.now();
    await post("/v1/messages", {});
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("injects an error status with the default shape, only for the next N requests", async () => {
    server.faults.add({ route: "POST /v1/messages", kind: "error", status: 503, message: "down for maintenance", times: 2 });
    const a = await post("/v1/messages", {});
    const b = await post("/v1/messages", {});
    const c = await post("/v1/messages", {});
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(await a.json()).toEqual({ error: { code: "http_503", message: "down for maintenance" } });
    expect(server.recorder.list({ status: 503 })).toHaveLength(2);
  });

  it("times out: accepts and never answers until the client aborts", async () => {
    server.faults.add({ route: "GET /v2/*", kind: "timeout", times: 1 });
    const t0 = performance.now();
    await expect(fetch(`${server.url}/v2/slow`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    // The hung request is recorded once the client gives up.
    await expect.poll(() => server.recorder.last()?.fault).toBe("timeout");
    expect(server.recorder.last()?.status).toBe(0);
    // Next request is normal again.
    expect((await fetch(`${server.url}/v2/slow`)).status).toBe(200);
  });

  it("answers 200 with a malformed JSON body", async () => {
    server.faults.add({ route: "POST /v1/messages", kind: "malformed", times: 1 });
    const res = await post("/v1/messages", {});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    await expect(res.json()).rejects.toThrow();
  });

  it("rate-limits with 429 + retry-after, then succeeds (times: 1), set over HTTP", async () => {
    const set = await post("/__emulator/faults", { route: "POST /v1/messages", kind: "rate_limit", retryAfter: 7, times: 1 });
    expect(set.status).toBe(201);
    const first = await post("/v1/messages", {});
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    const second = await post("/v1/messages", {});
    expect(second.status).toBe(200);
    expect(((await (await fetch(`${server.url}/__emulator/faults`)).json()) as { faults: unknown[] }).faults).toEqual([]);
  });

  it("applies probability 0 never and 1 always; rejects invalid faults; DELETE clears", async () => {
    server.faults.add({ route: "*", kind: "error", status: 500, probability: 0 });
    expect((await post("/v1/messages", {})).status).toBe(200);
    server.faults.clear();
    server.faults.add({ route: "*", kind: "error", status: 500, probability: 1 });
    expect((await post("/v1/messages", {})).status).toBe(500);
    expect((await fetch(`${server.url}/__emulator/faults`, { method: "DELETE" })).status).toBe(200);
    expect((await post("/v1/messages", {})).status).toBe(200);
    expect((await post("/__emulator/faults", { route: "*", kind: "explode" })).status).toBe(400);
  });

  it("resets the connection", async () => {
    server.faults.add({ route: "*", kind: "reset", times: 1 });
    await expect(fetch(`${server.url}/x`)).rejects.toThrow();
  });
});

describe("latency profile", () => {
  it("is off by default", () => {
    expect(server.latency.describe()).toEqual({ profile: "none", timeScale: 1, overrides: [] });
  });

  it("exports a table the benchmark can use (Sonnet course intel ~18 s, Haiku agent 3–6 s)", () => {
    expect(modelLatencyMs("claude-sonnet-4-6", 1000)).toBeCloseTo(18_000, -2);
    const haiku = modelLatencyMs("claude-haiku-4-5", 500);
    expect(haiku).toBeGreaterThanOrEqual(3_000);
    expect(haiku).toBeLessThanOrEqual(6_000);
    expect(MODEL_LATENCY.sonnet.firstTokenMs).toBeGreaterThan(MODEL_LATENCY.haiku.firstTokenMs);
    // A terse emulator answer still takes a real model's time; max_tokens caps it.
    expect(anthropicCallLatencyMs("claude-sonnet-4-6", 4000, 200)).toBeCloseTo(18_000, -2);
    expect(anthropicCallLatencyMs("claude-haiku-4-5", 100, 20)).toBeCloseTo(1_670, -1);
    expect(realisticProfile.rules.map((r) => r.route)).toContain("POST /v1/messages");
  });

  it("timeScale shrinks a realistic latency; set over HTTP", async () => {
    // Realistic Hunter ≈ 400 ms; at 0.25 it is ≈ 100 ms (≥ 50 ms even at the distribution's floor).
    const set = await post("/__emulator/latency", { profile: "realistic", timeScale: 0.25 });
    expect(await set.json()).toMatchObject({ profile: "realistic", timeScale: 0.25 });
    const t0 = performance.now();
    await fetch(`${server.url}/v2/domain-search?domain=x.com`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    await fetch(`${server.url}/__emulator/latency`, { method: "DELETE" });
    expect(server.latency.describe().profile).toBe("none");
  });

  it("model latency depends on the request and the answer (model, output tokens)", () => {
    server.latency.setProfile("realistic");
    server.latency.setTimeScale(1);
    const req = (model: string) => ({ method: "POST", path: "/v1/messages", query: new URLSearchParams(), headers: {}, rawBody: Buffer.alloc(0), text: "", json: { model, max_tokens: 4000 } });
    const res = (out: number) => ({ status: 200, body: { usage: { output_tokens: out } } });
    // Averages over samples: Sonnet with 1,000 output tokens ≫ Haiku with 100 (typical 400 → ~3.7 s).
    let sonnet = 0;
    let haiku = 0;
    for (let i = 0; i < 20; i++) {
      sonnet += server.latency.delayFor(req("claude-sonnet-4-6"), res(1000));
      haiku += server.latency.delayFor(req("claude-haiku-4-5"), res(100));
    }
    expect(sonnet / 20).toBeGreaterThan(12_000);
    expect(haiku / 20).toBeLessThan(6_000);
    expect(sonnet / 20).toBeGreaterThan(haiku / 20 * 3);
    server.latency.reset();
  });
});
