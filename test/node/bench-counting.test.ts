// The benchmark's counting, checked on a tiny run (two courses, no latency) against what the
// emulators themselves logged (read back over their own /__emulator/requests API), the fixture
// world, and a database client whose queries are known.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseByName } from "../../sandbox/world/index.ts";
import { analyzePhase, type PhaseFigures, PROVIDERS } from "../../bench/lib/analyze.ts";
import { type BenchWorld, type BenchWorker, clearCounters, startBenchWorker, startBenchWorld } from "../../bench/lib/app.ts";
import { requestLatencyMs } from "../../bench/lib/critical-path.ts";
import { type PhaseResult, runPhase } from "../../bench/lib/phase.ts";
import { startPgCountingProxy } from "../../bench/lib/pg-proxy.ts";
import { PROVIDER_LATENCY_MS } from "../../sandbox/core/latency.ts";

const COURSES = [
  { name: "Richmond Country Club", state: "VA" },
  { name: "Eagle's Landing Resort & Golf", state: "AZ" },
];
const RATE = { requests: 10_000, windowMs: 60_000 };

async function emulatorLog(url: string): Promise<Array<{ path: string; status: number }>> {
  const response = await fetch(`${url}/__emulator/requests`);
  return ((await response.json()) as { requests: Array<{ path: string; status: number }> }).requests;
}

describe("benchmark counting (tiny run, no latency)", () => {
  let world: BenchWorld;
  let worker: BenchWorker;
  let phase: PhaseResult;
  let figures: PhaseFigures;
  const logs: Record<string, Array<{ path: string; status: number }>> = {};

  beforeAll(async () => {
    world = await startBenchWorld({ timeScale: 1, latency: "none", jitter: false, clickupRateLimitPerWindow: RATE.requests, clickupRateLimitWindowMs: RATE.windowMs, logLevel: "error" });
    worker = await startBenchWorker(world, "parallel");
    clearCounters(world);
    phase = await runPhase(world, worker, { label: "counting", courses: COURSES, concurrency: 2, follow: { timeoutMs: 30_000, pollMs: 20 } });
    figures = analyzePhase(phase, { timeScale: 1, dbRoundTripMs: 0, clickupRateLimit: RATE });
    for (const p of PROVIDERS) logs[p] = await emulatorLog(world.sandbox.servers[p].url);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await world?.close();
  });

  it("follows both runs to their end through the ClickUp door", () => {
    expect(phase.runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    for (const run of phase.runs) {
      expect(run.job_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.wall_ms).toBeGreaterThan(0);
    }
  });

  it("counts every provider's requests exactly as the emulator logged them", () => {
    for (const p of PROVIDERS) {
      expect(figures.requests_total[p], p).toBe(logs[p]!.length);
      expect(figures.requests_total[p], p).toBeGreaterThan(0);
    }
    const n = COURSES.length;
    expect(figures.per_course.clickup_requests * n).toBe(logs.clickup!.length);
    expect(figures.per_course.hunter_requests * n).toBe(logs.hunter!.length);
    expect(figures.per_course.jina_requests * n).toBe(logs.jina!.length);
    expect(figures.per_course.perplexity_requests * n).toBe(logs.perplexity!.length);
    expect(figures.per_course.model_calls * n).toBe(logs.anthropic!.length + logs.perplexity!.length);
    expect(figures.clickup_429s).toBe(logs.clickup!.filter((r) => r.status === 429).length);
  });

  it("agrees with the app's own agent_calls rows, provider by provider", () => {
    for (const check of figures.consistency) expect(check, check.provider).toMatchObject({ ok: true });
  });

  it("gives each run its own ClickUp requests: contacts + 4 for a first enrichment, all accounted for", () => {
    expect(figures.clickup_attributed).toEqual({ attributed: logs.clickup!.length, total: logs.clickup!.length });
    for (const run of figures.runs) {
      const staff = courseByName(run.course, run.state)!.staff.length;
      expect(run.contacts, run.course).toBe(staff);
      expect(run.clickup_requests, run.course).toBe(staff + 4);
    }
  });

  it("counts database round trips at the wire: one apply_enrichment per run", () => {
    expect(figures.db.by_function.apply_enrichment).toBe(COURSES.length);
    expect(figures.db.query_round_trips).toBe(Object.values(figures.db.by_function).reduce((a, b) => a + b, 0));
    expect(figures.db.connections).toBeGreaterThanOrEqual(COURSES.length);
  });

  it("prices the critical path from the run's own calls with the profile's table", () => {
    for (const run of figures.runs) {
      const source = phase.runs.find((r) => r.index === run.index)!;
      const a6 = source.calls.find((c) => c.call_key === "A6.intel")!;
      // Richmond and Eagle's Landing: the course-intel branch is the long one (A1 beside A7, then the strong model).
      expect(run.critical_chain).toEqual(["clickup×1", "db×1", "A1.research", "A6.intel", "db×1", "clickup-stage×2"]);
      const expected =
        PROVIDER_LATENCY_MS.clickup + PROVIDER_LATENCY_MS.perplexity + requestLatencyMs(a6, { [a6.model!]: 2_000 }) + 2 * PROVIDER_LATENCY_MS.clickup;
      expect(run.critical_path_unscaled_ms, run.course).toBeCloseTo(expected, 6);
    }
  });

  it("the proxy counts a known client's round trips and connections", async () => {
    const proxy = await startPgCountingProxy(world.database.url);
    const sql = postgres(proxy.url, { max: 1, onnotice: () => {}, fetch_types: false, prepare: false });
    try {
      await sql.unsafe("select public.get_enrichment_run(payload => $1::text::jsonb) as r", [JSON.stringify({ run_id: crypto.randomUUID() })]).catch(() => {});
      await sql`select 1 as one`;
      await sql.unsafe("select 2");
    } finally {
      await sql.end();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const counts = proxy.counts();
    await proxy.close();
    expect(counts.connections).toBe(1);
    expect(counts.query_round_trips).toBe(3);
    expect(counts.by_function).toEqual({ get_enrichment_run: 1, other: 2 });
    expect(counts.latency_ms["(connect)"]?.n).toBe(1);
  });
});
