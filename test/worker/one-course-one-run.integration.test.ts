import { env } from "cloudflare:workers";
import { introspectWorkflow, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { CourseCoordinator } from "../../src/durable/course-coordinator.ts";
import {
  SUPABASE_SECRET,
  clearFaults,
  clickupComments,
  clickupTask,
  createIntakeTask,
  deliverClickUp,
  emulatorRequests,
  enrich,
  eventually,
  forgetCourse,
  getJob,
  injectFault,
  postJson,
  type RecordedRequest,
  taskCreated,
  withDb,
} from "./helpers.ts";

function coordinatorOf(courseId: string): DurableObjectStub<CourseCoordinator> {
  return env.COURSE_COORDINATOR.get(env.COURSE_COORDINATOR.idFromName(courseId));
}

async function courseRow(name: string, state: string) {
  const [row] = await withDb((sql) => sql`select id, status, last_error from courses where name_key = lower(${name}) || '|' || lower(${state})`);
  return row as { id: string; status: string; last_error: string | null } | undefined;
}

async function waitForComment(taskId: string, pattern: RegExp): Promise<string> {
  return eventually(async () => (await clickupComments(taskId)).map((c) => c.comment_text).find((t) => pattern.test(t)), `a comment on ${taskId} matching ${pattern}`);
}

/** Lead creates the emulator received since `since` (POST into a list other than Intake). */
async function leadCreates(since: number): Promise<{ body: { name?: string } }[]> {
  return (await emulatorRequests("clickup", since)).filter(
    (r) => r.method === "POST" && /\/api\/v2\/list\/[^/]+\/task$/.test(r.path) && !r.path.includes(`/list/${String(env.CLICKUP_INTAKE_LIST_ID)}/`) && r.status === 200,
  ) as never;
}

afterEach(async () => {
  await Promise.all([clearFaults("clickup"), clearFaults("anthropic"), clearFaults("perplexity")]);
});

describe("one course, one run, one set of leads (integration)", () => {
  it("two intake tasks naming one course give one run and one set of lead tasks; both intake tasks are written back", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Richmond Country Club", "VA");
    const since = Date.now();
    const first = await createIntakeTask("Richmond Country Club, VA");
    const second = await createIntakeTask("Richmond Country Club - Virginia");
    const responses = await Promise.all([deliverClickUp(taskCreated(first)), deliverClickUp(taskCreated(second))]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);

    // Whichever task reached the course first starts the run; the other joins it (or, if the run
    // already ended, is linked): either way one says "Enriched", the other "linked to the same".
    const comments = await Promise.all([first, second].map((taskId) => waitForComment(taskId, /Richmond Country Club/)));
    const [primary, other] = /linked to the same/.test(comments[0]!) ? [comments[1]!, comments[0]!] : [comments[0]!, comments[1]!];
    expect(primary).toMatch(/^Enriched Richmond Country Club: 4 contacts/);
    expect(primary).not.toMatch(/linked to the same/);
    expect(other).toMatch(/linked to the same 4 lead tasks/);

    const course = await courseRow("Richmond Country Club", "VA");
    const runs = await withDb((sql) => sql`select status from enrichment_runs where course_id = ${course!.id}`);
    expect(runs).toEqual([{ status: "succeeded" }]);
    expect(await workflows.get()).toHaveLength(1);
    const creates = await leadCreates(since);
    expect(creates).toHaveLength(4);
    const contacts = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${course!.id}`);
    expect(contacts).toHaveLength(4);
    // Both intake tasks link the same four lead tasks.
    for (const taskId of [first, second]) {
      const intake = await clickupTask(taskId);
      const text = String(intake.markdown_description ?? intake.description);
      for (const c of contacts) expect(text).toContain(`/t/${String(c.clickup_task_id)}`);
    }
    const intakeRows = await withDb((sql) => sql`select task_id from course_intake_tasks where course_id = ${course!.id} order by task_id`);
    expect(intakeRows.map((r) => r.task_id).sort()).toEqual([first, second].sort());

    // A third intake task, once the course is enriched: linked, no run, no lead task.
    const third = await createIntakeTask("Richmond Country Club, VA");
    const sinceThird = Date.now();
    await deliverClickUp(taskCreated(third));
    expect(await waitForComment(third, /already enriched/)).toMatch(/linked to the same 4 lead tasks. Nothing new was created/);
    expect((await clickupTask(third)).status.status).toBe("enriched");
    expect(await workflows.get()).toHaveLength(1);
    expect(await leadCreates(sinceThird)).toHaveLength(0);
  });

  it("an API request by name and a Supabase insert of the same course reach one coordinator: one run", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Willow Creek Golf Club", "NC");
    // Keep the first run in flight while the second door knocks.
    await injectFault("anthropic", { route: "POST /v1/messages", kind: "latency", latency: 400 });
    const id = crypto.randomUUID();
    const record = { id, course_name: "Willow Creek Golf Club", state: "NC", status: "pending_enrichment", source: "manual" };
    await withDb((sql) => sql`insert into courses (id, course_name, state, source) values (${id}, ${record.course_name}, 'NC', 'manual')`);
    const inserted = await postJson("/webhooks/supabase", { type: "INSERT", table: "courses", schema: "public", record, old_record: null }, { authorization: `Bearer ${SUPABASE_SECRET}` });
    expect(inserted.status).toBe(202);
    const { job_id: fromSupabase } = (await inserted.json()) as { job_id: string };
    const { json } = await enrich({ course_name: "willow creek golf club", state: "North Carolina" });
    expect(json).toMatchObject({ job_id: fromSupabase, outcome: "joined" });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    expect(await workflows.get()).toHaveLength(1);
    const runs = await withDb((sql) => sql`select id from enrichment_runs where course_id = ${id}`);
    expect(runs.map((r) => r.id)).toEqual([fromSupabase]);
  });

  it("the database refuses a second active run for a course (partial unique index), with a clear reason", async () => {
    const id = crypto.randomUUID();
    await withDb(async (sql) => {
      await sql`insert into courses (id, course_name, state) values (${id}, ${`Index Test ${id.slice(0, 8)}`}, 'VA')`;
      await sql`insert into enrichment_runs (course_id, trigger_source, status) values (${id}, 'manual', 'running')`;
      await expect(sql`insert into enrichment_runs (course_id, trigger_source, status) values (${id}, 'manual', 'queued')`).rejects.toThrow(/enrichment_runs_one_active_per_course/);
      await expect(sql`select start_enrichment_run(${sql.json({ run_id: crypto.randomUUID(), course_id: id, trigger_source: "api" })})`).rejects.toThrow(/still in flight/);
    });
  });

  it("a lead create whose answer is lost is retried without making a second task", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableSleeps());
    await forgetCourse("Stonebridge Golf Club", "GA");
    const since = Date.now();
    // ClickUp creates the task, and the answer never arrives (a dropped connection).
    await injectFault("clickup", { route: "POST /api/v2/list/*/task", kind: "lost_answer", times: 1 });
    const { json } = await enrich({ course_name: "Stonebridge Golf Club", state: "GA" });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    expect((await getJob(String(json.job_id))).json).toMatchObject({ status: "succeeded" });
    expect((await emulatorRequests("clickup", since)).filter((r) => r.fault === "lost_answer")).toHaveLength(1);
    const creates = await leadCreates(since);
    const names = creates.map((r) => String(r.body.name));
    // Every lead's create reached ClickUp exactly once: the retry found the task instead of creating it again.
    expect(new Set(names).size).toBe(names.length);
    const course = await courseRow("Stonebridge Golf Club", "GA");
    const contacts = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${course!.id}`);
    expect(contacts.every((c) => c.clickup_task_id)).toBe(true);
    expect(new Set(contacts.map((c) => c.clickup_task_id)).size).toBe(names.length);
  });

  it("a ClickUp failure after the result is saved ends the run partial with the reason, in the job, the run and the course", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => m.disableSleeps());
    await forgetCourse("Maple Hills Golf Course", "MI");
    const taskId = await createIntakeTask("Maple Hills Golf Course, MI");
    // From now on ClickUp refuses every create (an outage of that endpoint).
    await injectFault("clickup", { route: "POST /api/v2/list/*/task", kind: "error", status: 503 });
    await deliverClickUp(taskCreated(taskId));
    const [instance] = await eventually(async () => {
      const list = await workflows.get();
      return list.length ? list : null;
    }, "the run to start");
    await instance!.waitForStatus("complete");
    expect(await instance!.getOutput()).toMatchObject({ status: "partial", error: expect.stringContaining("ClickUp write-back failed") });
    const course = await courseRow("Maple Hills Golf Course", "MI");
    expect(course).toMatchObject({ status: "partial", last_error: expect.stringContaining("ClickUp write-back failed") });
    const runs = await withDb((sql) => sql`select status, error from enrichment_runs where course_id = ${course!.id}`);
    expect(runs).toEqual([{ status: "partial", error: expect.stringContaining("ClickUp write-back failed") }]);
    expect(await waitForComment(taskId, /enriched and saved, but writing its lead tasks/)).toBeTruthy();
    expect((await clickupTask(taskId)).status.status).toBe("needs attention");
  });

  it("with a ClickUp token but no ClickUp settings, the run is partial with 'ClickUp not set up', and /health says so", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await withDb((sql) => sql`update settings set key = 'clickup-hidden-by-test' where key = 'clickup'`);
    try {
      const health = (await (await import("./helpers.ts")).call("/health").then((r) => r.json())) as { clickup_setup: { status: string; reason: string } };
      expect(health.clickup_setup).toMatchObject({ status: "not_set_up", reason: expect.stringContaining("ClickUp not set up") });
      await forgetCourse("Harbor Point Golf Links", "FL");
      const { json } = await enrich({ course_name: "Harbor Point Golf Links", state: "FL" });
      const [instance] = await workflows.get();
      await instance!.waitForStatus("complete");
      // The API's contract has no `partial` status: it reads `succeeded` with `partial: true` and the reason.
      expect((await getJob(String(json.job_id))).json).toMatchObject({ status: "succeeded", partial: true, error: expect.stringContaining("ClickUp not set up") });
      expect(await courseRow("Harbor Point Golf Links", "FL")).toMatchObject({ status: "partial", last_error: expect.stringContaining("ClickUp not set up") });
    } finally {
      await withDb((sql) => sql`update settings set key = 'clickup' where key = 'clickup-hidden-by-test'`);
    }
    const health = (await (await import("./helpers.ts")).call("/health").then((r) => r.json())) as { clickup_setup: { status: string } };
    expect(health.clickup_setup.status).toBe("ok");
  });

  it("a callback given by an API request that joined a run in flight is delivered", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Eagle's Landing Resort & Golf", "AZ");
    await injectFault("anthropic", { route: "POST /v1/messages", kind: "latency", latency: 400 });
    const sink = String(env.CALLBACK_SINK_URL);
    const since = Date.now();
    const first = await enrich({ course_name: "Eagle's Landing Resort & Golf", state: "AZ" });
    const joined = await enrich({ course_name: "Eagle's Landing Resort & Golf", state: "AZ", callback_url: `${sink}/joined-callback` });
    expect(joined.json).toMatchObject({ job_id: first.json.job_id, outcome: "joined" });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    const received = await eventually(async () => {
      const response = await fetch(`${sink}/__emulator/requests?since=${since}`);
      const { requests } = (await response.json()) as { requests: { path: string; body: { job_id?: string } }[] };
      return requests.find((r) => r.path === "/joined-callback");
    }, "the joined request's callback");
    expect(received.body.job_id).toBe(first.json.job_id);
  });

  it("the watchdog retries a failing instance lookup instead of failing a live run", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Lakeside Country Club", "VA");
    await injectFault("anthropic", { route: "POST /v1/messages", kind: "latency", latency: 300 });
    const { json } = await enrich({ course_name: "Lakeside Country Club", state: "VA" });
    const course = await courseRow("Lakeside Country Club", "VA");
    const stub = coordinatorOf(course!.id);
    const realBinding = env.ENRICH_COURSE;
    await runInDurableObject(stub, async (instance: CourseCoordinator) => {
      const bindings = (instance as unknown as { env: { ENRICH_COURSE: Workflow } }).env;
      const real = bindings.ENRICH_COURSE;
      let failures = 2;
      bindings.ENRICH_COURSE = {
        get: async (id: string) => {
          if (failures-- > 0) throw new Error("internal error: the Workflows engine is restarting");
          return real.get(id);
        },
        create: (opts?: WorkflowInstanceCreateOptions) => real.create(opts),
        createBatch: (batch: WorkflowInstanceCreateOptions[]) => real.createBatch(batch),
      } as Workflow;
    });
    try {
      await runDurableObjectAlarm(stub);
    } finally {
      // The Durable Object shares its bindings object with the test: put the real binding back.
      await runInDurableObject(stub, (instance: CourseCoordinator) => {
        const bindings = (instance as unknown as { env: { ENRICH_COURSE: Workflow } }).env;
        bindings.ENRICH_COURSE = realBinding;
      });
    }
    expect((await getJob(String(json.job_id))).json.status).not.toBe("failed");
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    expect((await getJob(String(json.job_id))).json).toMatchObject({ status: "succeeded" });
  });

  it("a run whose workflow stops making progress (a crash) is re-created and finishes, paying no answered call twice", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Pine Valley Golf Club", "NJ");
    // Slow enough to stop the run between calls.
    await injectFault("perplexity", { route: "*", kind: "latency", latency: 300 });
    const since = Date.now();
    const { json } = await enrich({ course_name: "Pine Valley Golf Club", state: "NJ" });
    const jobId = String(json.job_id);
    await eventually(async () => {
      const job = (await getJob(jobId)).json as { steps: { calls: number; status: string }[] };
      return job.steps.filter((s) => s.calls > 0 && s.status === "succeeded").length >= 2;
    }, "two paid calls answered");
    // The process dies: the instance stops where it is and nothing drives it on.
    const pausedAt = Date.now();
    await (await env.ENRICH_COURSE.get(jobId)).pause();
    const course = await courseRow("Pine Valley Golf Club", "NJ");
    const stub = coordinatorOf(course!.id);
    // Time passes with no sign of life (the watchdog's window, made short here).
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE jobs SET last_progress_at = 0, quiet_until = NULL WHERE job_id = ?", jobId);
    });
    await runDurableObjectAlarm(stub);
    const restarted = await eventually(async () => {
      const list = await workflows.get();
      return list.length >= 2 ? list[1] : null;
    }, "the re-created instance");
    await restarted!.waitForStatus("complete");
    expect(await restarted!.getOutput()).toMatchObject({ status: "succeeded" });
    expect((await getJob(jobId)).json).toMatchObject({ status: "succeeded", restarts: 1 });
    expect(await (await env.ENRICH_COURSE.get(jobId)).status()).toMatchObject({ status: "terminated" });

    // No call answered before the crash was paid again. (A call in flight at the crash never reached
    // the app: paying it again is unavoidable, so only answers delivered before the pause count.)
    const paidBefore = (requests: RecordedRequest[]) => requests.filter((r) => r.status === 200 && r.method === "POST" && r.time + (r.duration_ms ?? 0) < pausedAt - 20);
    const [anthropic, perplexity] = await Promise.all([emulatorRequests("anthropic", since), emulatorRequests("perplexity", since)]);
    const all = [...anthropic, ...perplexity];
    const answeredBefore = new Set(paidBefore(all).map((r) => JSON.stringify(r.body)));
    expect(answeredBefore.size).toBeGreaterThanOrEqual(2);
    const paidAgain = all.filter((r) => r.time >= pausedAt && r.status === 200 && answeredBefore.has(JSON.stringify(r.body)));
    expect(paidAgain).toEqual([]);
  });

  it("one person listed under several spellings is one contact, one set of steps, one lead task, with their own data", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await forgetCourse("Richmond Country Club", "VA");
    const staff = [
      { name: "Stacy Foster", title: "General Manager", email: null, phone: null },
      { name: "Dr. Stacy Foster", title: "General Manager", email: null, phone: null },
      { name: "Bryan Keller", title: "Head Golf Professional", email: null, phone: null },
      { name: "BRYAN  KELLER", title: "Head Golf Professional", email: null, phone: null },
      { name: 'Bryan "Bry" Keller', title: "", email: null, phone: null },
    ];
    const script = await fetch(`${String(env.ANTHROPIC_BASE_URL)}/__emulator/anthropic/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ match: { contains: "Extract the course's details" }, response: { json: { course: { phone: "804-555-0110", address: null, city: null, holes: 18, course_type: "private", founded: null }, staff } } }),
    });
    expect(script.status).toBeLessThan(300);
    const since = Date.now();
    const { json } = await enrich({ course_name: "Richmond Country Club", state: "VA" });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    expect((await getJob(String(json.job_id))).json).toMatchObject({ status: "succeeded" });
    const course = await courseRow("Richmond Country Club", "VA");
    const rows = await withDb((sql) => sql`select c.full_name, c.clickup_task_id, e.email from contacts c join contact_enrichment e on e.contact_id = c.id where c.course_id = ${course!.id} order by c.full_name`);
    expect(rows.map((r) => r.full_name)).toEqual(["Bryan Keller", "Stacy Foster"]);
    expect(rows.map((r) => r.email)).toEqual(["bkeller@richmondcountryclubva.com", "sfoster@richmondcountryclubva.com"]);
    const creates = await leadCreates(since);
    expect(creates.map((r) => String(r.body.name)).sort()).toEqual(["Bryan Keller - Head Golf Professional | Richmond Country Club", "Stacy Foster - General Manager | Richmond Country Club"]);
    const job = (await getJob(String(json.job_id))).json as { steps: { agent: string }[] };
    expect(job.steps.filter((s) => s.agent.startsWith("A3:")).map((s) => s.agent).sort()).toEqual(["A3:Bryan Keller", "A3:Stacy Foster"]);
  });

  it("a rate-gate backlog longer than a step's timeout is waited out as a Workflow sleep, never inside a step", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    // Sleeps are skipped here: a wait inside a step (a timer) would still take minutes, and time out.
    await workflows.modifyAll(async (m) => m.disableSleeps());
    const { clickUpRateGateStub } = await import("../../src/clickup/rate-gate-client.ts");
    const { configFor } = await import("../../src/env.ts");
    const gate = clickUpRateGateStub(configFor(env), env as never)!;
    // One answer first, so the gate knows ClickUp's window (before that it hands out slots cautiously).
    const { waitingGate } = await import("../../src/clickup/rate-gate-client.ts");
    const { createClickUpAdminClient } = await import("../../src/clickup/admin-client.ts");
    await createClickUpAdminClient({ token: String(env.CLICKUP_API_TOKEN), baseUrl: String(env.CLICKUP_BASE_URL), gate: waitingGate(gate, "interactive") }).getAuthorizedUser();
    // Other courses' writes have taken every background slot for the next three windows (3 minutes).
    const held: string[] = [];
    try {
      // A full window's worth each time (100 − 5% headroom − the 10% kept for interactive reads).
      for (let i = 0; i < 10; i++) {
        const grant = await gate.reserve({ priority: "background", count: 85 });
        held.push(grant.ticket);
        if (grant.at - Date.now() > 150_000) break;
      }
      const backlog = await gate.reserve({ priority: "background", count: 1 });
      held.push(backlog.ticket);
      expect(backlog.at - Date.now()).toBeGreaterThan(120_000);
      await forgetCourse("Sandy Pines Golf Club", "SC");
      const started = Date.now();
      const { json } = await enrich({ course_name: "Sandy Pines Golf Club", state: "SC" });
      const [instance] = await workflows.get();
      await instance!.waitForStatus("complete");
      expect(Date.now() - started).toBeLessThan(60_000);
      const job = (await getJob(String(json.job_id))).json as { partial?: boolean; error?: string };
      // Sandy Pines' site is down (a partial run), but its leads were written.
      expect(job.error ?? "").not.toMatch(/ClickUp/);
      const course = await courseRow("Sandy Pines Golf Club", "SC");
      const contacts = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${course!.id}`);
      expect(contacts.length).toBeGreaterThan(0);
      expect(contacts.every((c) => c.clickup_task_id)).toBe(true);
    } finally {
      for (const ticket of held) await gate.release(ticket);
    }
  }, 90_000);
});
