import { env } from "cloudflare:workers";
import { introspectWorkflow, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CourseCoordinator } from "../../src/durable/course-coordinator.ts";
import { courseNameKey } from "../../src/lib/us-states.ts";
import { SUPABASE_SECRET, enrich, getJob, postJson, uniqueCourseName, withDb } from "./helpers.ts";

function coordinatorFor(key: string) {
  return env.COURSE_COORDINATOR.get(env.COURSE_COORDINATOR.idFromName(key));
}

describe("CourseCoordinator (integration)", () => {
  it("concurrent triggers for one course coalesce into one run", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const name = uniqueCourseName("Concurrent");
    const results = await Promise.all(Array.from({ length: 8 }, () => enrich({ course_name: name, state: "NC" })));
    expect(results.map((r) => r.response.status)).toEqual(Array(8).fill(202));
    expect(new Set(results.map((r) => r.json.job_id)).size).toBe(1);
    const instances = await workflows.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
  });

  it("a trigger arriving during a run is kept and runs after it; more of them fold into that one follow-up", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const name = "Eagle's Landing Resort & Golf";
    const key = courseNameKey(name, "AZ");
    const coordinator = coordinatorFor(key);
    const first = await coordinator.trigger({ source: "api", course: { course_name: name, state: "AZ" } }, key);
    const second = await coordinator.trigger({ source: "cron", dedupe_key: "cron:1", course: { course_name: name, state: "AZ" } }, key);
    const third = await coordinator.trigger({ source: "manual", dedupe_key: "manual:1", course: { course_name: name, state: "AZ" } }, key);
    expect(first.outcome).toBe("new");
    expect(second).toMatchObject({ outcome: "follow_up", status: "queued" });
    expect(third).toMatchObject({ outcome: "follow_up", job_id: second.job_id });
    expect(await coordinator.queueState()).toEqual({ current: first.job_id, pending: second.job_id });

    // The first run finishes, which starts the follow-up; then that one finishes too.
    const [firstInstance] = await workflows.get();
    await firstInstance!.waitForStatus("complete");
    let instances = await workflows.get();
    for (let i = 0; i < 500 && instances.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      instances = await workflows.get();
    }
    expect(instances).toHaveLength(2);
    await instances[1]!.waitForStatus("complete");

    const [a, b] = await Promise.all([getJob(first.job_id), getJob(second.job_id)]);
    expect(a.json).toMatchObject({ status: "succeeded" });
    expect(b.json).toMatchObject({ status: "succeeded", coalesced_triggers: 1 });
    expect(await coordinator.queueState()).toEqual({ current: null, pending: null });
    const runs = await withDb((sql) => sql`select status from enrichment_runs where id in (${first.job_id}, ${second.job_id})`);
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("a run that crashes mid-way leaves the course failed with the reason, never stuck enriching", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    await workflows.modifyAll(async (m) => {
      await m.disableRetryDelays();
      await m.mockStepError({ name: "apply_enrichment" }, new Error("database connection reset mid-write"), 3);
    });
    const { json } = await enrich({ course_name: "Willow Creek Golf Club", state: "NC", course_id: crypto.randomUUID() });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    const output = (await instance!.getOutput()) as { status: string; course_id: string };
    expect(output.status).toBe("failed");

    const job = await getJob(String(json.job_id));
    expect(job.json).toMatchObject({ status: "failed", error: expect.stringContaining("connection reset") });
    const [course] = await withDb((sql) => sql`select status, last_error from courses where id = ${output.course_id}`);
    expect(course).toMatchObject({ status: "failed", last_error: expect.stringContaining("connection reset") });
    const [run] = await withDb((sql) => sql`select status, error from enrichment_runs where id = ${String(json.job_id)}`);
    expect(run).toMatchObject({ status: "failed", error: expect.stringContaining("connection reset") });
    // What the agents did before the crash is still recorded against the failed run.
    const [calls] = await withDb((sql) => sql`select count(*)::int as n from agent_calls where run_id = ${String(json.job_id)}`);
    expect(calls!.n).toBeGreaterThan(5);
  });

  it("the watchdog re-creates a run whose workflow instance is gone, and fails it with the reason once it has stalled too often", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const name = uniqueCourseName("Watchdog");
    const key = courseNameKey(name, "TN");
    const coordinator = coordinatorFor(key);
    // A run whose workflow instance never existed stands in for one whose engine state was lost.
    const insertRun = (jobId: string, restarts: number) =>
      runInDurableObject(coordinator, async (_instance: CourseCoordinator, state) => {
        state.storage.sql.exec(
          "INSERT INTO jobs (job_id, status, source, params, created_at, started_at, instance_id, restarts, last_progress_at) VALUES (?, 'running', 'api', ?, ?, ?, ?, ?, ?)",
          jobId,
          JSON.stringify({ job_id: jobId, coordinator_key: key, source: "api", trigger_key: null, course: { course_name: name, state: "TN" }, callback_urls: [] }),
          Date.now(),
          Date.now(),
          jobId,
          restarts,
          Date.now(),
        );
        state.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('current_job', ?)", jobId);
        await state.storage.setAlarm(Date.now() + 60_000);
      });

    const lost = crypto.randomUUID();
    await insertRun(lost, 0);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    const [recreated] = await workflows.get();
    expect(recreated).toBeDefined();
    await recreated!.waitForStatus("complete");
    // The re-created instance ran the job: a course that is not in the fixture world fails for want of a website.
    expect(await coordinator.getJob(lost)).toMatchObject({ restarts: 1, status: "failed", error: expect.stringContaining("no website found") });

    const exhausted = crypto.randomUUID();
    await insertRun(exhausted, 2);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expect(await coordinator.getJob(exhausted)).toMatchObject({ status: "failed", error: expect.stringContaining("stalled 3 times") });
    expect(await coordinator.queueState()).toEqual({ current: null, pending: null });
  });

  it("Supabase course INSERTs start a run keyed by the course id, deduped by record and event", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const name = "Maple Hills Golf Course";
    const [row] = await withDb((sql) => sql`insert into courses (course_name, state, source) values (${name}, 'MI', 'csv')
      on conflict (name_key) do update set status = 'pending_enrichment' returning id`);
    const payload = { type: "INSERT", table: "courses", schema: "public", record: { id: row!.id, course_name: name, state: "MI", status: "pending_enrichment", source: "csv" }, old_record: null };
    const auth = { authorization: `Bearer ${SUPABASE_SECRET}` };
    const first = await postJson("/webhooks/supabase", payload, auth);
    const again = await postJson("/webhooks/supabase", payload, auth);
    expect(first.status).toBe(202);
    const [a, b] = (await Promise.all([first.json(), again.json()])) as { action: string; job_id: string }[];
    expect(a!.action).toBe("new");
    expect(b).toMatchObject({ action: "duplicate", job_id: a!.job_id });
    const [instance] = await workflows.get();
    await instance!.waitForStatus("complete");
    const [course] = await withDb((sql) => sql`select status from courses where id = ${row!.id}`);
    expect(course!.status).toBe("enriched");

    const ignored = await postJson("/webhooks/supabase", { ...payload, type: "UPDATE", old_record: payload.record }, auth);
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toMatchObject({ action: "ignored" });
    const ownInsert = await postJson("/webhooks/supabase", { ...payload, record: { ...payload.record, id: crypto.randomUUID(), source: "api" } }, auth);
    expect(await ownInsert.json()).toMatchObject({ action: "ignored", reason: expect.stringContaining("created by the app") });
    expect((await postJson("/webhooks/supabase", payload, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await postJson("/webhooks/supabase", payload)).status).toBe(401);
    expect((await postJson("/webhooks/supabase", { type: "INSERT" }, auth)).status).toBe(400);
  });
});
