// `npm run freshness` against a running app (the real Worker served by wrangler's harness, the
// emulators, a real database): a course enriched at month 0, the world a month on, and the script
// starts the sweep, follows it to its end and prints what changed (the leaver, the dead address).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { advanceWorld, resetWorld } from "../../../sandbox/world/index.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

const run = promisify(execFile);
const API_KEY = "freshness-script-key";

async function until<T>(check: () => Promise<T | null | undefined | false>, what: string, withinMs = 180_000): Promise<T> {
  for (const deadline = Date.now() + withinMs; ; ) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("npm run freshness (integration)", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let sql: postgres.Sql;

  beforeAll(async () => {
    resetWorld();
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake" } });
    worker = await startWorker({ ...sandbox.env, CLICKUP_INTAKE_LIST_ID: "", DATABASE_URL: database.url, AGENT_API_KEY: API_KEY, HUNTER_VERIFY_POLL_MS: "5" });
    const lines: string[] = [];
    const env = { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: database.url };
    expect((await runClickUpSetup({ env, print: (line) => lines.push(line) })).exitCode, lines.join("\n")).toBe(0);
  }, 120_000);

  afterAll(async () => {
    resetWorld();
    await sql?.end();
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("starts a sweep, follows it, and prints the leaver and the dead address", async () => {
    const response = await fetch(new URL("/api/enrich-course", worker.url), {
      method: "POST",
      headers: { "x-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ course_name: "Eagle's Landing Resort & Golf", state: "AZ" }),
    });
    expect(response.status).toBe(202);
    await until(async () => (await sql`select 1 from courses where status in ('enriched', 'partial') and state = 'AZ'`).length > 0, "the course enriched");
    await until(async () => (await sql`select 1 from contacts where clickup_task_id is not null`).length >= 3, "its lead tasks");
    advanceWorld(1);
    await sql`update contacts set last_verified_at = now() - interval '40 days'`;

    const { stdout } = await run(process.execPath, ["scripts/freshness.ts", "--url", worker.url.origin], {
      env: { ...process.env, AGENT_API_KEY: API_KEY },
      timeout: 240_000,
    });
    expect(stdout).toMatch(/"action":"freshness_sweep_started"/);
    expect(stdout).toMatch(/Sweep [0-9a-f-]{36}: succeeded/);
    expect(stdout).toMatch(/3 contacts checked/);
    expect(stdout).toMatch(/Jordan Blake, Eagle's Landing Resort & Golf: left \(now at Coyote Springs Golf Club\); successor Marcus Ortiz/);
    expect(stdout).toMatch(/Priya Shah, Eagle's Landing Resort & Golf: still there; email no longer deliverable/);
    const [successor] = await sql`select c.full_name, c.clickup_task_id from contacts c where c.full_name = 'Marcus Ortiz'`;
    expect(successor?.clickup_task_id).toBeTruthy();
  }, 300_000);

  it("says plainly when the app refuses (a bad selection)", async () => {
    const failed = await run(process.execPath, ["scripts/freshness.ts", "--url", worker.url.origin, "--older-than-days=-2"], { env: { ...process.env, AGENT_API_KEY: API_KEY } }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/sweep refused: HTTP 400: .*older_than_days/);
  }, 60_000);
});
