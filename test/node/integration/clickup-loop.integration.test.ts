import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { COURSES, courseByName } from "../../../sandbox/world/index.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

const API_KEY = "clickup-loop-key";
const WINDOW_MS = 3_000;
/** A limit the concurrent test's load exceeds several times over, in a compressed window. */
const LIMIT = 25;

/**
 * The full loop on the real Worker: a rep creates a task in Intake → the emulator's signed webhook →
 * enrichment → lead tasks in the segment folders → the intake task written back.
 * ClickUp's limit is 25 requests per (compressed) window of 3 s on both sides: the same shape as
 * 100 a minute, small enough that ten courses at once need several windows.
 */
describe("ClickUp loop (integration)", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    sandbox = await startSandbox({
      latency: "none",
      clickup: { seed: "intake", rateLimitPerMinute: LIMIT, rateLimitWindowMs: WINDOW_MS, webhooks: { retryDelayMs: 5, timeoutMs: 5_000 } },
    });
    worker = await startWorker({
      ...sandbox.env,
      CLICKUP_INTAKE_LIST_ID: "",
      DATABASE_URL: database.url,
      AGENT_API_KEY: API_KEY,
      HUNTER_VERIFY_POLL_MS: "5",
      CLICKUP_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      CLICKUP_RATE_WINDOW_MS: String(WINDOW_MS),
    });
    // As an admin would: npm run clickup:setup against the workspace, pointing the webhook at the Worker.
    const lines: string[] = [];
    const { exitCode } = await runClickUpSetup({
      env: { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: database.url },
      print: (line) => lines.push(line),
    });
    expect(exitCode, lines.join("\n")).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await sql?.end();
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  async function waitForJob(jobId: string) {
    for (let i = 0; i < 300; i++) {
      const job = (await (await fetch(new URL(`/api/jobs/${jobId}`, worker.url), { headers: { "x-api-key": API_KEY } })).json()) as { status: string };
      if (job.status === "succeeded" || job.status === "failed") return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  /** Waits until the intake task shows the run's outcome (the last thing a run writes) and the course row is final. */
  async function waitForCourse(taskId: string, runs = 1) {
    for (let i = 0; i < 300; i++) {
      const comments = sandbox.servers.clickup.workspace.commentsFor(taskId).length;
      if (comments < runs) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const rows = await sql`select c.id, c.status, (select count(*)::int from enrichment_runs r where r.course_id = c.id and r.status in ('succeeded','partial')) as done
                             from courses c where c.clickup_intake_task_id = ${taskId}`;
      if (rows[0] && rows[0].done >= runs && ["enriched", "partial", "failed"].includes(rows[0].status)) return rows[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`course of intake task ${taskId} did not finish`);
  }

  it("a rep's intake task becomes lead tasks in the right folder and an intake write-back, in at most contacts + 4 ClickUp requests", async () => {
    const clickup = sandbox.servers.clickup;
    const world = courseByName("Eagle's Landing Resort & Golf", "AZ")!;
    expect(world.staff).toHaveLength(3);
    clickup.recorder.clear();
    const task = clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${world.name}, AZ` });
    const taskId = String(task.id);
    const course = await waitForCourse(taskId);
    await clickup.flushWebhooks();
    expect(course.status).toBe("enriched");

    // 7 requests: read the intake task, mark it enriching, 3 lead creates, one intake update, one comment.
    const requests = clickup.recorder.list().filter((r) => !r.path.startsWith("/__emulator"));
    expect(requests.map((r) => `${r.method} ${r.route ?? r.path}`).length, JSON.stringify(requests.map((r) => `${r.method} ${r.path}`))).toBeLessThanOrEqual(world.staff.length + 4);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(0);

    const folder = { "high-end": CLICKUP_SEED.leads.folders.highEnd, budget: CLICKUP_SEED.leads.folders.budget, both: CLICKUP_SEED.leads.folders.both }[world.segment];
    const leads = clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.filter((t) => String(t.name).endsWith(`| ${world.name}`));
    expect(leads.map((t) => String(t.name)).sort()).toEqual(world.staff.map((s) => `${s.full_name} - ${s.title} | ${world.name}`).sort());
    const lead = clickup.workspace.taskJson(leads[0]!, { markdown: true }) as { markdown_description?: string; description?: string; custom_fields: { name: string; value?: unknown }[] };
    expect(String(lead.markdown_description ?? lead.description)).toContain("## Pre-Written Conversation Starters");
    expect(lead.custom_fields.find((f) => f.name === "Course")?.value).toBe(world.name);

    const intake = clickup.workspace.taskJson(clickup.workspace.getTask(taskId), { markdown: true }) as { status: { status: string }; markdown_description?: string; description?: string };
    expect(intake.status.status).toBe("enriched");
    expect(String(intake.markdown_description ?? intake.description)).toContain(world.website!);
    const comments = clickup.workspace.commentsFor(taskId);
    expect(comments).toHaveLength(1);

    // The app's own writes came back as webhooks (status changes, new lead tasks): none started a run.
    const [runs] = await sql`select count(*)::int as n from enrichment_runs where course_id = ${course.id}`;
    expect(runs!.n).toBe(1);
    const ownEvents = clickup.webhookDeliveries().filter((d) => d.task_id !== taskId);
    expect(ownEvents.length).toBeGreaterThan(0);
    for (const delivery of ownEvents) expect(delivery.attempts.at(-1)?.status).toBe(200);

    // A re-run of the same course creates nothing new in ClickUp.
    const before = clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.length;
    clickup.recorder.clear();
    const again = await fetch(new URL("/api/enrich-course", worker.url), {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify({ course_name: world.name, state: "AZ" }),
    });
    expect(again.status).toBe(202);
    const { job_id } = (await again.json()) as { job_id: string };
    await waitForJob(job_id);
    expect(clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.length).toBe(before);
    const creates = clickup.recorder.list().filter((r) => r.method === "POST" && /\/list\/[^/]+\/task$/.test(r.path));
    expect(creates).toHaveLength(0);

    // A rep deletes one lead task: ClickUp's taskDeleted makes the app forget it, and the next run creates it again.
    const deleted = leads[0]!;
    clickup.deleteTaskAsUser(String(deleted.id));
    await clickup.flushWebhooks();
    const third = await fetch(new URL("/api/enrich-course", worker.url), {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      body: JSON.stringify({ course_name: world.name, state: "AZ" }),
    });
    await waitForJob(((await third.json()) as { job_id: string }).job_id);
    const names = clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.map((t) => String(t.name));
    expect(names.filter((n) => n === String(deleted.name))).toHaveLength(1);
    expect(clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.length).toBe(before);
  }, 60_000);

  it("ten courses finishing together under a limit they exceed get no 429: the shared gate spreads their requests", async () => {
    const clickup = sandbox.servers.clickup;
    const courses = COURSES.filter((c) => c.website && c.name !== "Eagle's Landing Resort & Golf" && c.state !== "SC");
    clickup.recorder.clear();
    const tasks = courses.map((c) => String(clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${c.name}, ${c.state}` }).id));
    const finished = await Promise.all(tasks.map((id) => waitForCourse(id)));
    expect(finished.every((c) => c.status === "enriched" || c.status === "partial")).toBe(true);
    const requests = clickup.recorder.list().filter((r) => !r.path.startsWith("/__emulator"));
    expect(requests.length).toBeGreaterThan(LIMIT * 2);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(0);
  }, 120_000);

  it("a 429 from ClickUp is waited out until its reset and the run still succeeds", async () => {
    const clickup = sandbox.servers.clickup;
    // A course no earlier test enriched, so its leads are created now (its website is down: a partial run).
    const world = courseByName("Sandy Pines Golf Club", "SC")!;
    const reset = String(Math.ceil((Date.now() + 1_500) / 1000));
    clickup.faults.add({ route: "POST /api/v2/list/*/task", kind: "rate_limit", times: 1, headers: { "X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0" } });
    const since = Date.now();
    const task = clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${world.name}, SC` });
    const course = await waitForCourse(String(task.id));
    expect(course.status).toBe("partial");
    const creates = clickup.recorder.list({ since }).filter((r) => r.method === "POST" && /\/list\/[^/]+\/task$/.test(r.path));
    expect(creates.filter((r) => r.status === 429)).toHaveLength(1);
    const folder = { "high-end": CLICKUP_SEED.leads.folders.highEnd, budget: CLICKUP_SEED.leads.folders.budget, both: CLICKUP_SEED.leads.folders.both }[world.segment];
    const leads = clickup.workspace.queryTasks(folder.newLeadsListId, {}).tasks.filter((t) => String(t.name).endsWith(`| ${world.name}`));
    expect(leads).toHaveLength(world.staff.length);
  }, 60_000);
});
