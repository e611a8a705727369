import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

const API_KEY = "spend-cap-test-key";

/** The spend cap, on the real Worker with a tiny cap: paid calls stop, the run ends partial and says why. */
describe("per-course spend cap (integration)", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startSandbox({ latency: "none" });
    worker = await startWorker({ ...sandbox.env, DATABASE_URL: database.url, AGENT_API_KEY: API_KEY, SPEND_CAP_USD: "0.006", HUNTER_VERIFY_POLL_MS: "5" });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("stops further paid calls once the cap is reached and marks the run partial", async () => {
    const response = await fetch(new URL("/api/enrich-course", worker.url), {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify({ course_name: "Richmond Country Club", state: "VA" }),
    });
    expect(response.status).toBe(202);
    const { job_id } = (await response.json()) as { job_id: string };

    let job: { status: string; partial?: boolean; cost_usd: number; steps: { agent: string; status: string; calls: number }[] } | undefined;
    for (let i = 0; i < 150; i++) {
      job = (await (await fetch(new URL(`/api/jobs/${job_id}`, worker.url), { headers: { "x-api-key": API_KEY } })).json()) as typeof job;
      if (job && (job.status === "succeeded" || job.status === "failed")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ status: "succeeded", partial: true });
    expect(job!.steps.filter((s) => s.status === "skipped").length).toBeGreaterThan(0);

    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const calls = await sql`select provider, status, cost_usd::float as cost from agent_calls where run_id = ${job_id}`;
      const paid = calls.filter((c) => c.provider === "anthropic" || c.provider === "perplexity");
      const made = paid.filter((c) => c.status === "succeeded");
      const skipped = paid.filter((c) => c.status === "skipped");
      expect(skipped.length).toBeGreaterThan(0);
      // Each paid call the run made reached its emulator; the skipped ones never did.
      const requests = sandbox.servers.anthropic.recorder.count({ path: "/v1/messages" }) + sandbox.servers.perplexity.recorder.count({ path: "/v1/agent" });
      expect(requests).toBe(made.length);
      // Calls already in flight when the cap is crossed finish; nothing starts after.
      const spent = made.reduce((sum, c) => sum + Number(c.cost), 0);
      expect(spent).toBeLessThan(0.006 + 0.02);
      const [run] = await sql`select status from enrichment_runs where id = ${job_id}`;
      expect(run!.status).toBe("partial");
    } finally {
      await sql.end();
    }
  });
});
