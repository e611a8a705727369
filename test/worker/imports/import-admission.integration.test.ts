// Admission control on the real Worker: a 200-row import never has more than MAX_RUNS_IN_FLIGHT (4
// in the test bindings) runs in flight (sampled from the slots object and from the database), sees no
// ClickUp 429, and ends with every row accounted for, each with one run of its own; a rep's intake
// task created mid-import goes ahead of the import's queued rows and finishes while rows still wait.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { COURSES } from "../../../sandbox/world/index.ts";
import { API_KEY, call, createIntakeTask, deliverClickUp, emulatorRequests, taskCreated, withDb } from "../helpers.ts";

/** Waits (generously) for `check`, once a second: the database is shared with 4 runs in flight. */
async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const tag = `adm${crypto.randomUUID().slice(0, 4)}`;
const ROWS = 200;
const LIMIT = Number(env.MAX_RUNS_IN_FLIGHT);
// Fixture-world courses whose runs take no provider timeout (Maple Hills' verifier, Sandy Pines' site do).
const PLAIN = ["Richmond Country Club|VA", "Willow Creek Golf Club|NC", "Stonebridge Golf Club|GA", "Pine Valley Golf Club|NJ"].map((key) => {
  const course = COURSES.find((c) => `${c.name}|${c.state}` === key);
  if (!course) throw new Error(`the fixture world has no ${key}`);
  return course;
});

interface Stats { limit: number; in_flight: number; reserved: number; waiting_interactive: number; waiting_import: number }

afterAll(async () => {
  await withDb((sql) => sql`delete from courses where course_name like ${`%${tag}%`}`);
});

describe("admission control (integration)", () => {
  it("holds a 200-row import to the limit, lets a rep's course go first, and accounts for every row", async () => {
    expect(PLAIN.length).toBeGreaterThanOrEqual(3);
    expect(LIMIT).toBeGreaterThan(0);
    const since = Date.now();
    const lines = Array.from({ length: ROWS }, (_, i) => `${PLAIN[i % PLAIN.length]!.name} ${tag} ${i + 1},${PLAIN[i % PLAIN.length]!.state}`);
    const response = await call("/api/imports?filename=big.csv", { method: "POST", headers: { "x-api-key": API_KEY, "content-type": "text/csv" }, body: `course,state\n${lines.join("\n")}\n` });
    const accepted = (await response.json()) as { import_id: string; valid: number };
    expect(response.status).toBe(202);
    expect(accepted.valid).toBe(ROWS);

    // Sampling: the slots object's count and the database's runs in flight, every half second until the end (one connection).
    let maxSlots = 0;
    let maxRunning = 0;
    let samples = 0;
    let sampling = true;
    const sampler = withDb(async (sql) => {
      while (sampling) {
        const stats = (await (await call("/api/admission", { headers: { "x-api-key": API_KEY } })).json()) as Stats;
        const [running] = await sql<{ n: number }[]>`select count(*)::int as n from enrichment_runs where status in ('queued', 'running')`;
        maxSlots = Math.max(maxSlots, stats.in_flight + stats.reserved);
        maxRunning = Math.max(maxRunning, running!.n);
        samples++;
        await new Promise((r) => setTimeout(r, 500));
      }
    });

    const rowStatus = async () => withDb((sql) => sql<{ queued: number; done: number }[]>`
      select count(*) filter (where r.job_id is null)::int as queued,
             count(*) filter (where e.status in ('succeeded', 'partial', 'failed'))::int as done
      from course_import_rows r left join enrichment_runs e on e.id = r.job_id where r.import_id = ${accepted.import_id}`);
    await eventually(async () => ((await rowStatus())[0]!.done >= 8 ? true : null), "the import's first rows to finish", 300_000);

    // A rep types a course while the import runs.
    const repCourse = `${PLAIN[0]!.name} ${tag} rep`;
    const taskId = await createIntakeTask(`${repCourse}, ${PLAIN[0]!.state}`);
    const repAsked = Date.now();
    expect((await deliverClickUp(taskCreated(taskId))).status).toBe(200);
    const repRun = await eventually(async () => {
      const [run] = await withDb((sql) => sql<{ status: string; finished_at: Date | null }[]>`
        select e.status, e.finished_at from courses c join enrichment_runs e on e.course_id = c.id where c.clickup_intake_task_id = ${taskId}`);
      return run && ["succeeded", "partial", "failed"].includes(run.status) ? run : null;
    }, "the rep's course to finish", 300_000);
    const atRepFinish = (await rowStatus())[0]!;
    expect(repRun.status).toBe("succeeded");
    // It did not wait for the import: rows were still queued (without a run) when it finished.
    expect(atRepFinish.queued).toBeGreaterThan(0);

    const done = await eventually(async () => {
      const view = (await (await call(`/api/imports/${accepted.import_id}?rows=all`, { headers: { "x-api-key": API_KEY } })).json()) as { finished_at: string | null; status: string; progress: Record<string, number>; rows: { line: number; status: string; job_id: string | null; course_id: string }[] };
      return view.finished_at ? view : null;
    }, "the import to finish", 900_000);
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
    const runs = await withDb((sql) => sql<{ n: number }[]>`
      select count(*)::int as n from enrichment_runs e join course_import_rows r on r.course_id = e.course_id where r.import_id = ${accepted.import_id}`);
    expect(runs[0]!.n).toBe(ROWS);
    expect(done.progress.succeeded).toBeGreaterThan(ROWS * 0.9);
    const throttled = (await emulatorRequests("clickup", since)).filter((r) => r.status === 429);
    expect(throttled).toHaveLength(0);
    console.log(JSON.stringify({ rows: ROWS, limit: LIMIT, max_slots: maxSlots, max_running: maxRunning, samples, rep_wall_ms: repRun.finished_at!.getTime() - repAsked, rows_queued_at_rep_finish: atRepFinish.queued, import_ms: Date.now() - since }));
  }, 1_200_000);
});
