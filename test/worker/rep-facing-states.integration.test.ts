import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { courseByName } from "../../sandbox/world/index.ts";
import {
  clearFaults,
  clickupComments,
  clickupTask,
  createIntakeTask,
  deliverClickUp,
  enrichAndWait,
  eventually,
  forgetCourse,
  getJob,
  injectFault,
  taskCreated,
  uniqueCourseName,
  withDb,
} from "./helpers.ts";

const LONG = 150_000;
/** What a rep must never read on an intake task: an error class, a stack, a step or agent name, raw JSON. */
const TECHNICAL = /Error\b|NonRetryable|Enrichment failed|\bat .+:\d+|\bA[1-7](\.5)?\b|\b[a-z]+_[a-z_]+\b|HTTP \d{3}|[{}]/;

type Resolver = { waitForStatus(s: string): Promise<void>; getOutput(): Promise<unknown> };
type Introspector = { get(): Promise<Resolver[]> };

/** Delivers the task's taskCreated and waits for its ResolveIntakeTask to finish. */
async function resolveTask(resolvers: Introspector, taskId: string): Promise<Record<string, unknown>> {
  const before = (await resolvers.get()).length;
  expect((await deliverClickUp(taskCreated(taskId))).status).toBe(200);
  const resolver = await eventually(async () => (await resolvers.get())[before], "the resolver to start");
  await resolver.waitForStatus("complete");
  return (await resolver.getOutput()) as Record<string, unknown>;
}

/** The intake task once the app has written it back (a comment from the app and a status it sets). */
async function writtenBack(taskId: string, status: string, pattern: RegExp): Promise<{ status: string; comment: string }> {
  return eventually(async () => {
    const task = await clickupTask(taskId);
    const comment = (await clickupComments(taskId)).map((c) => c.comment_text).find((t) => pattern.test(t));
    return task.status.status === status && comment ? { status: task.status.status, comment } : null;
  }, `task ${taskId} in "${status}" with a comment matching ${pattern}`, 120_000);
}

async function courseRow(name: string, state: string) {
  const [row] = await withDb((sql) => sql`select id, state, status, last_error, state_found from courses where name_key = lower(${name}) || '|' || lower(${state})`);
  return row as { id: string; state: string; status: string; last_error: string | null; state_found: Record<string, unknown> | null } | undefined;
}

const madeUp: { name: string; state: string }[] = [];

afterEach(async () => {
  await Promise.all([clearFaults("perplexity"), clearFaults("clickup")]);
});

afterAll(async () => {
  // Courses this file invented are forgotten; the world courses it ran are left as other files expect (they forget them first).
  for (const c of madeUp) await forgetCourse(c.name, c.state);
});

describe("rep-facing states of an intake task (integration)", () => {
  describe("a name with no state", () => {
    it('"Mystery Meadows Golf Club" matches no course: no run, needs attention, a plain sentence saying what to type', { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const taskId = await createIntakeTask("Mystery Meadows Golf Club");
      const output = await resolveTask(resolvers, taskId);
      expect(output).toMatchObject({ outcome: "refused", problem: "course_not_found", reason: expect.stringContaining("names no state") });
      expect(await runs.get()).toHaveLength(0);
      const { comment } = await writtenBack(taskId, "needs attention", /Mystery Meadows/);
      expect(comment).toBe(
        'We could not find a golf course called "Mystery Meadows Golf Club", and the task does not say which state it is in. Check the spelling, then create a new task in Intake with the state after a comma, like "Mystery Meadows Golf Club, VA".',
      );
      expect(comment).not.toMatch(TECHNICAL);
    });

    it('"Pine Valley Golf Club" is in NJ and OH: refused with both names to type, no run', { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const taskId = await createIntakeTask("Pine Valley Golf Club");
      expect(await resolveTask(resolvers, taskId)).toMatchObject({ outcome: "refused", problem: "ambiguous_name" });
      expect(await runs.get()).toHaveLength(0);
      const { comment } = await writtenBack(taskId, "needs attention", /more than one/);
      expect(comment).toBe(
        'There is more than one golf course called "Pine Valley Golf Club" (in New Jersey and Ohio), so we need the state. Create a new task in Intake named "Pine Valley Golf Club, NJ" or "Pine Valley Golf Club, OH".',
      );
    });

    it("a name only one course has: A1 finds the state, it is kept with its confidence on the course, the rep is told, and the run goes on", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const world = courseByName("Maple Hills Golf Course", "MI")!;
      await forgetCourse(world.name, world.state);
      const taskId = await createIntakeTask(world.name);
      const output = await resolveTask(resolvers, taskId);
      expect(output).toMatchObject({ outcome: "new", state_found: { state: "MI", city: world.city, confidence: expect.any(Number) } });
      const confidence = (output.state_found as { confidence: number }).confidence;
      expect(confidence).toBeGreaterThanOrEqual(7);
      const course = await courseRow(world.name, "MI");
      expect(course?.state_found).toMatchObject({ by: "A1", confidence, city: world.city, task_id: taskId });
      const [run] = await eventually(async () => {
        const list = await runs.get();
        return list.length ? list : null;
      }, "the run to start");
      await run!.waitForStatus("complete");
      expect(await run!.getOutput()).toMatchObject({ status: expect.stringMatching(/succeeded|partial/) });
      const comments = (await clickupComments(taskId)).map((c) => c.comment_text);
      expect(comments).toContain(
        `This task did not say which state "${world.name}" is in. We found one golf course with that name, in ${world.city}, Michigan (${confidence}/10 sure), and are working on that one. If it is the wrong course, create a new task in Intake with the right state after a comma, like "${world.name}, VA".`,
      );
      await writtenBack(taskId, (await run!.getOutput() as { status: string }).status === "succeeded" ? "enriched" : "needs attention", /^Enriched Maple Hills/);
    });
  });

  describe("a run that cannot proceed", () => {
    it("no website: the task ends in needs attention with what to do, while the job and the course keep the technical reason", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      await forgetCourse("Cedar Ridge Municipal Golf Course", "TX");
      const taskId = await createIntakeTask("Cedar Ridge Municipal Golf Course, TX");
      const resolved = await resolveTask(resolvers, taskId);
      expect(resolved).toMatchObject({ outcome: "new", job_id: expect.any(String) });
      const [run] = await eventually(async () => {
        const list = await runs.get();
        return list.length ? list : null;
      }, "the run to start");
      await run!.waitForStatus("complete");
      expect(await run!.getOutput()).toMatchObject({ status: "failed", error: expect.stringContaining("no website found") });
      const job = await eventually(async () => {
        const { json } = await getJob(String(resolved.job_id));
        return json.status === "failed" ? json : null;
      }, "the job to say failed");
      expect(job.error).toEqual(expect.stringContaining("no website found for Cedar Ridge Municipal Golf Course (TX)"));
      const { comment } = await writtenBack(taskId, "needs attention", /website/);
      expect(comment).toBe(
        'We could not find a website for Cedar Ridge Municipal Golf Course in Texas, so there were no staff to look up and no lead tasks were made. Check the course\'s name and state: if either is wrong, create a new task in Intake with the right ones, like "Richmond Country Club, VA". If both are right, add this course\'s contacts by hand.',
      );
      expect(comment).not.toMatch(TECHNICAL);
      expect(await courseRow("Cedar Ridge Municipal Golf Course", "TX")).toMatchObject({ status: "failed", last_error: expect.stringContaining("no website found") });
    });

    it("the web search service keeps failing: the rep reads which service and to try again later; the job has the HTTP error", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await runs.modifyAll(async (m) => m.disableRetryDelays());
      const name = uniqueCourseName("Search Outage");
      madeUp.push({ name, state: "VA" });
      await injectFault("perplexity", { route: "POST /v1/agent", kind: "error", status: 503 });
      const taskId = await createIntakeTask(`${name}, VA`);
      await deliverClickUp(taskCreated(taskId));
      const [run] = await eventually(async () => {
        const list = await runs.get();
        return list.length ? list : null;
      }, "the run to start");
      await run!.waitForStatus("complete");
      const output = (await run!.getOutput()) as { status: string; error: string };
      expect(output).toMatchObject({ status: "failed", error: expect.stringContaining("503") });
      const { comment } = await writtenBack(taskId, "needs attention", /did not answer/);
      expect(comment).toBe(`The web search service we use did not answer while we were working on ${name}, so no lead tasks were made. Nothing needs retyping: create the same task again in Intake in a little while. An admin has been alerted.`);
      expect(comment).not.toMatch(TECHNICAL);
      const course = await courseRow(name, "VA");
      expect(course).toMatchObject({ status: "failed", last_error: expect.stringContaining("503") });
      const runRows = await withDb((sql) => sql`select status, error from enrichment_runs where course_id = ${course!.id}`);
      expect(runRows).toEqual([{ status: "failed", error: expect.stringContaining("perplexity: HTTP 503") }]);
    });

    it("the database fails mid-run: needs attention, a plain sentence; the run's error keeps the database's reason", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await runs.modifyAll(async (m) => {
        await m.disableRetryDelays();
        await m.mockStepError({ name: "mark_enriching" }, new Error("start_enrichment_run: connection refused"));
      });
      const name = uniqueCourseName("Database Outage");
      madeUp.push({ name, state: "VA" });
      const taskId = await createIntakeTask(`${name}, Virginia`);
      await deliverClickUp(taskCreated(taskId));
      const [run] = await eventually(async () => {
        const list = await runs.get();
        return list.length ? list : null;
      }, "the run to start");
      await run!.waitForStatus("complete");
      const output = (await run!.getOutput()) as { status: string; error: string; course_id: string };
      expect(output).toMatchObject({ status: "failed", error: expect.stringContaining("connection refused") });
      const { comment } = await writtenBack(taskId, "needs attention", /Our database did not answer/);
      expect(comment).not.toMatch(TECHNICAL);
    });

    it("the database is down before the task is read: the task still ends in needs attention, in words", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      await resolvers.modifyAll(async (m) => {
        await m.disableRetryDelays();
        await m.mockStepError({ name: "clickup_context" }, new Error("get_clickup_context: connect ECONNREFUSED 127.0.0.1:5432"));
      });
      const taskId = await createIntakeTask(uniqueCourseName("Unread") + ", VA");
      const output = await resolveTask(resolvers, taskId);
      expect(output).toMatchObject({ outcome: "failed", problem: "service_unavailable", reason: expect.stringContaining("ECONNREFUSED") });
      expect(await runs.get()).toHaveLength(0);
      const { comment } = await writtenBack(taskId, "needs attention", /^Our database did not answer while we were working on this task/);
      expect(comment).not.toMatch(TECHNICAL);
    });

    it("ClickUp not set up: the intake task is refused at once in needs attention, and no run is paid for", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const taskId = await createIntakeTask(uniqueCourseName("Not Set Up") + ", VA");
      await withDb((sql) => sql`update settings set key = 'clickup-hidden-by-rep-test' where key = 'clickup'`);
      let output: Record<string, unknown>;
      try {
        output = await resolveTask(resolvers, taskId);
      } finally {
        await withDb((sql) => sql`update settings set key = 'clickup' where key = 'clickup-hidden-by-rep-test'`);
      }
      expect(output).toMatchObject({ outcome: "refused", problem: "clickup_not_set_up" });
      expect(await runs.get()).toHaveLength(0);
      const { comment } = await writtenBack(taskId, "needs attention", /ClickUp setup is not finished/);
      expect(comment).not.toMatch(TECHNICAL);
    });
  });

  describe("shared and role mailboxes", () => {
    it("two contacts of a course sharing proshop@ are flagged on both lead tasks as shared and as a role address; the owner's own address is not", { timeout: LONG }, async () => {
      await using runs = await introspectWorkflow(env.ENRICH_COURSE);
      const world = courseByName("Pine Valley Golf Club", "OH")!;
      await forgetCourse(world.name, world.state);
      const { output, job } = await enrichAndWait(runs, { course_name: world.name, state: world.state });
      expect(output.status, JSON.stringify(job)).toBe("succeeded");
      const contacts = (await withDb((sql) => sql`
        select c.full_name, c.clickup_task_id, e.email from contacts c join contact_enrichment e on e.contact_id = c.id
        where c.course_id = ${output.course_id!} order by c.full_name`)) as unknown as { full_name: string; clickup_task_id: string; email: string | null }[];
      expect(contacts.map((c) => [c.full_name, c.email])).toEqual([
        ["Jenna Kowalski", "proshop@pinevalleygolfohio.com"],
        ["Rick Sommers", expect.stringContaining("@pinevalleygolfohio.com")],
        ["Tyler Brandt", "proshop@pinevalleygolfohio.com"],
      ]);
      const description = async (name: string) => {
        const task = await clickupTask(contacts.find((c) => c.full_name === name)!.clickup_task_id);
        return String(task.markdown_description ?? task.description ?? "");
      };
      const jenna = await description("Jenna Kowalski");
      const tyler = await description("Tyler Brandt");
      expect(jenna).toMatch(/^## Before You Write\n- \*\*Role address:\*\* proshop@pinevalleygolfohio\.com is a general mailbox \(proshop@\), not Jenna Kowalski's own/);
      expect(jenna).toContain("- **Shared address:** Tyler Brandt (Assistant Golf Professional) has the same address");
      expect(tyler).toMatch(/^## Before You Write\n- \*\*Role address:\*\*/);
      expect(tyler).toContain("- **Shared address:** Jenna Kowalski (Head Golf Professional) has the same address");
      expect(await description("Rick Sommers")).not.toMatch(/Before You Write|Role address|Shared address/);
    });
  });
});
