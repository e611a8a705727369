// Admission control on the real Worker (wrangler's harness), the emulators and a real database: a
// 200-row import never has more than MAX_RUNS_IN_FLIGHT (4 here) runs in flight (sampled from the
// slots object and from the database), sees no ClickUp 429, and ends with every row accounted for,
// each with one run of its own; a rep's intake task created mid-import goes ahead of the import's
// queued rows and finishes while rows still wait.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { COURSES } from "../../../sandbox/world/index.ts";
import { until } from "../../../scripts/app-process.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

const API_KEY = "import-admission-key";
const LIMIT = 4;
const ROWS = 200;
const tag = `adm${Math.random().toString(36).slice(2, 6)}`;
// Fixture-world courses whose runs take no provider timeout (Maple Hills' verifier, Sandy Pines' site do).
const PLAIN = ["Richmond Country Club|VA", "Willow Creek Golf Club|NC", "Stonebridge Golf Club|GA", "Pine Valley Golf Club|NJ"].map((key) => {
  const course = COURSES.find((c) => `${c.name}|${c.state}` === key);
  if (!course) throw new Error(`the fixture world has no ${key}`);
  return course;
});

interface Stats { limit: number; in_flight: number; reserved: number; waiting_interactive: number; waiting_import: number }

describe("admission control (integration)", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let sql: postgres.Sql;
  const api = async (path: string, init: RequestInit = {}) => fetch(new URL(path, worker.url), { ...init, headers: { "x-api-key": API_KEY, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    // The ClickUp plan in this test allows 10,000 requests a minute, and the app's gate is told so:
    // what is measured is admission, not the plan's limit (the benchmark measures that one).
    sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake", rateLimitPerMinute: 10_000 } });
    worker = await startWorker({
      ...sandbox.env, DATABASE_URL: database.url, AGENT_API_KEY: API_KEY, HUNTER_VERIFY_POLL_MS: "5",
      MAX_RUNS_IN_FLIGHT: String(LIMIT), IMPORT_POLL_SECONDS: "1", CLICKUP_RATE_LIMIT_PER_MINUTE: "10000",
    });
    const lines: string[] = [];
    const env = { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: database.url };
    expect((await runClickUpSetup({ env, print: (line) => lines.push(line) })).exitCode, lines.join("\n")).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("holds a 200-row import to the limit, lets a rep's course go first, and accounts for every row", async () => {
    const since = Date.now();
    const lines = Array.from({ length: ROWS }, (_, i) => `${PLAIN[i % PLAIN.length]!.name} ${tag} ${i + 1},${PLAIN[i % PLAIN.length]!.state}`);
    const response = await api("/api/imports?filename=big.csv", { method: "POST", headers: { "content-type": "text/csv" }, body: `course,state\n${lines.join("\n")}\n` });
    const accepted = (await response.json()) as { import_id: string; valid: number };
    expect(response.status).toBe(202);
    expect(accepted.valid).toBe(ROWS);

    // Sampling: the slots object's count and the database's runs in flight, every half second until the end.
    let maxSlots = 0;
    let maxRunning = 0;
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const stats = (await (await api("/api/admission")).json()) as Stats;
        const [running] = await sql<{ n: number }[]>`select count(*)::int as n from enrichment_runs where status in ('queued', 'running')`;
        maxSlots = Math.max(maxSlots, stats.in_flight + stats.reserved);
        maxRunning = Math.max(maxRunning, running!.n);
        samples++;
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    const rowStatus = async () => (await sql<{ queued: number; done: number }[]>`
      select count(*) filter (where r.job_id is null)::int as queued,
             count(*) filter (where e.status in ('succeeded', 'partial', 'failed'))::int as done
      from course_import_rows r left join enrichment_runs e on e.id = r.job_id where r.import_id = ${accepted.import_id}`)[0]!;
    await until("the import's first rows to finish", 300_000, async () => (await rowStatus()).done >= 8, 1000);

    // A rep types a course while the import runs (the emulator delivers the signed webhook to the Worker).
    const repCourse = `${PLAIN[0]!.name} ${tag} rep`;
    const task = sandbox.servers.clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${repCourse}, ${PLAIN[0]!.state}` });
    const repAsked = Date.now();
    const repRun = await until("the rep's course to finish", 300_000, async () => {
      const [run] = await sql<{ status: string; finished_at: Date | null }[]>`
        select e.status, e.finished_at from courses c join enrichment_runs e on e.course_id = c.id where c.clickup_intake_task_id = ${String(task.id)}`;
      return run && ["succeeded", "partial", "failed"].includes(run.status) ? run : null;
    }, 500);
    const atRepFinish = await rowStatus();
    expect(repRun.status).toBe("succeeded");
    // It did not wait for the import: rows were still queued (without a run) when it finished.
    expect(atRepFinish.queued).toBeGreaterThan(0);

    const done = await until("the import to finish", 900_000, async () => {
      const view = (await (await api(`/api/imports/${accepted.import_id}?rows=all`)).json()) as { finished_at: string | null; status: string; progress: Record<string, number>; rows: { line: number; status: string; job_id: string | null }[] };
      return view.finished_at ? view : null;
    }, 2000);
    sampling = false;
    await sampler;

    expect(samples).toBeGreaterThan(20);
    expect(maxSlots).toBeLessThanOrEqual(LIMIT);
    expect(maxRunning).toBeLessThanOrEqual(LIMIT);
    // The limit was reached (the import kept the slots busy), not merely never approached.
    expect(maxSlots).toBe(LIMIT);
    // Every row accounted for: each ended, each with its own run, one run per course.
    expect(done.rows).toHaveLength(ROWS);
    expect(done.rows.every((r) => ["succeeded", "partial", "failed"].includes(r.status))).toBe(true);
    expect(new Set(done.rows.map((r) => r.job_id)).size).toBe(ROWS);
    const [runs] = await sql<{ n: number }[]>`
      select count(*)::int as n from enrichment_runs e join course_import_rows r on r.course_id = e.course_id where r.import_id = ${accepted.import_id}`;
    expect(runs!.n).toBe(ROWS);
    expect(done.progress.succeeded).toBeGreaterThan(ROWS * 0.9);
    const throttled = sandbox.servers.clickup.recorder.list().filter((r) => r.status === 429 && r.time >= since);
    expect(throttled).toHaveLength(0);
    console.log(JSON.stringify({ rows: ROWS, limit: LIMIT, max_slots: maxSlots, max_running: maxRunning, samples, rep_wall_ms: repRun.finished_at!.getTime() - repAsked, rows_queued_at_rep_finish: atRepFinish.queued, import_ms: Date.now() - since }));
  }, 1_200_000);
});
