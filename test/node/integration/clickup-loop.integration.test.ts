import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { COURSES, courseByName } from "../../../sandbox/world/index.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";
import { type CpuHog, machineLoad, startCpuHog } from "../../support/cpu-hog.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

const API_KEY = "clickup-loop-key";
const WINDOW_MS = 3_000;
/** A limit the concurrent test's load exceeds several times over, in a compressed window. */
const LIMIT = 25;
/** Marks the second client's requests in the emulator's log. */
const SECOND_CLIENT = "x-second-client";

/**
 * Another client of the same token (an admin script, another integration): a GET every `everyMs`,
 * one at a time, well-behaved (it waits for the reset when its last answer said 2 or fewer are left).
 */
function startSecondClient(env: Record<string, string>, everyMs: number, maxMs = 170_000) {
  let stopped = false;
  const stats = { sent: 0, rate_limited: 0, failed: 0 };
  const until = Date.now() + maxMs;
  const loop = (async () => {
    let left = LIMIT;
    let resetAt = 0;
    while (!stopped && Date.now() < until) {
      const next = Date.now() + everyMs;
      if (left > 2 || Date.now() >= resetAt) {
        try {
          const response = await fetch(`${env.CLICKUP_BASE_URL}/api/v2/team/${CLICKUP_SEED.teamId}/space`, {
            headers: { authorization: env.CLICKUP_API_TOKEN!, [SECOND_CLIENT]: "1" },
          });
          await response.arrayBuffer();
          stats.sent++;
          if (response.status === 429) stats.rate_limited++;
          left = Number(response.headers.get("x-ratelimit-remaining") ?? 0);
          resetAt = Number(response.headers.get("x-ratelimit-reset") ?? 0) * 1000;
        } catch {
          stats.failed++;
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return stats;
    },
  };
}

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
  let hog: CpuHog | undefined;
  let secondClient: ReturnType<typeof startSecondClient> | undefined;

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
    const { exitCode } = await runClickUpSetup({ env: setupEnv(), print: (line) => lines.push(line) });
    expect(exitCode, lines.join("\n")).toBe(0);
  }, 60_000);

  /** What the admin's `npm run clickup:setup` reads: the same token, limit and window as the Worker. */
  function setupEnv(): Record<string, string> {
    return {
      ...sandbox.env,
      CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId,
      APP_URL: worker.url.origin,
      DATABASE_URL: database.url,
      CLICKUP_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      CLICKUP_RATE_WINDOW_MS: String(WINDOW_MS),
    };
  }

  /** The app's requests (the Worker's and setup's): everything but the emulator's control calls and the second client. */
  function appRequests(since?: number) {
    return sandbox.servers.clickup.recorder.list(since === undefined ? {} : { since }).filter((r) => !r.path.startsWith("/__emulator") && !r.headers[SECOND_CLIENT]);
  }

  afterAll(async () => {
    await secondClient?.stop();
    await hog?.stop();
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
  async function waitForCourse(taskId: string, runs = 1, withinMs = 30_000) {
    for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
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

  async function waitForComment(taskId: string, withinMs: number) {
    for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
      if (sandbox.servers.clickup.workspace.commentsFor(taskId).length > 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`intake task ${taskId} got no comment`);
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

  it("ten courses finishing together under a limit they exceed get no 429, on a machine a CPU hog keeps busy and with a second client spending the same token", async () => {
    const clickup = sandbox.servers.clickup;
    const courses = COURSES.filter((c) => c.website && c.name !== "Eagle's Landing Resort & Golf" && c.state !== "SC");
    clickup.recorder.clear();
    const loadBefore = machineLoad();
    hog = startCpuHog({ maxMs: 170_000 });
    // About 40% of the token's budget, for the whole run.
    secondClient = startSecondClient(sandbox.env, 300);
    await new Promise((r) => setTimeout(r, 1_000));
    const started = Date.now();
    const tasks = courses.map((c) => String(clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${c.name}, ${c.state}` }).id));
    const finished = await Promise.all(tasks.map((id) => waitForCourse(id, 1, 150_000)));
    const elapsed = Date.now() - started;
    const loadDuring = machineLoad();
    const other = await secondClient.stop();
    secondClient = undefined;
    await hog.stop();
    hog = undefined;
    expect(finished.every((c) => c.status === "enriched" || c.status === "partial")).toBe(true);
    const requests = appRequests();
    const limited = requests.filter((r) => r.status === 429);
    console.log(
      JSON.stringify({
        test: "ten courses, CPU hog, second client",
        courses: tasks.length,
        elapsed_ms: elapsed,
        app_requests: requests.length,
        app_429: limited.length,
        second_client: other,
        load_before: loadBefore,
        load_during: loadDuring,
      }),
    );
    expect(other.sent).toBeGreaterThan(10);
    expect(requests.length).toBeGreaterThan(LIMIT * 2);
    expect(limited.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }, 180_000);

  it("setup's requests followed at once by intake tasks: no 429 (the Worker's gate learns from ClickUp's headers what setup spent)", async () => {
    const clickup = sandbox.servers.clickup;
    // Intake tasks created the moment setup is done, for courses the earlier tests enriched: each is
    // read, linked to the course's lead tasks (an update) and commented on.
    const courses = COURSES.filter((c) => c.website && c.state !== "SC");
    hog = startCpuHog({ maxMs: 110_000 });
    const since = Date.now();
    const lines: string[] = [];
    const { exitCode, report } = await runClickUpSetup({ env: setupEnv(), print: (line) => lines.push(line) });
    expect(exitCode, lines.join("\n")).toBe(0);
    const setupDone = Date.now();
    const tasks = courses.map((c) => String(clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${c.name}, ${c.state}` }).id));
    await Promise.all(tasks.map((id) => waitForComment(id, 100_000)));
    const elapsed = Date.now() - setupDone;
    const load = machineLoad();
    await hog.stop();
    hog = undefined;
    const requests = appRequests(since);
    const setupRequests = report.requests.get + report.requests.post + report.requests.put;
    console.log(JSON.stringify({ test: "setup then intake tasks, CPU hog", setup_requests: setupRequests, setup_ms: setupDone - since, intake_tasks: tasks.length, intake_ms: elapsed, requests: requests.length, load }));
    expect(setupRequests).toBeGreaterThan(LIMIT / 2);
    expect(requests.filter((r) => r.status === 429).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }, 150_000);

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
