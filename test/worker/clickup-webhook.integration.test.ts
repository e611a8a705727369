import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLICKUP_SECRET, clickupComments, clickupTask, createIntakeTask, deliverClickUp, eventually, forgetCourse, hmacHex, taskCreated, uniqueCourseName, withDb } from "./helpers.ts";

describe("POST /webhooks/clickup (integration)", () => {
  describe("happy", () => {
    it("a signed taskCreated in the Intake list starts exactly one run, even when delivered 5 times", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const courseName = "Lakeside Country Club";
      await forgetCourse(courseName, "VA");
      const taskId = await createIntakeTask(`${courseName}, VA`);
      const payload = taskCreated(taskId);
      const responses = [];
      for (let i = 0; i < 5; i++) responses.push(await deliverClickUp(payload));
      const bodies = (await Promise.all(responses.map((r) => r.json()))) as { action: string; resolver_id: string }[];
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(bodies[0]!.action).toBe("accepted");
      expect(bodies.slice(1).map((b) => b.action)).toEqual(["duplicate", "duplicate", "duplicate", "duplicate"]);
      expect(new Set(bodies.map((b) => b.resolver_id)).size).toBe(1);
      expect(await resolvers.get()).toHaveLength(1);
      const instances = await eventually(async () => {
        const list = await workflows.get();
        return list.length ? list : null;
      }, "the run to start");
      expect(instances).toHaveLength(1);
      await instances[0]!.waitForStatus("complete");
      expect(await instances[0]!.getOutput()).toMatchObject({ status: "succeeded" });

      // The run read the task from ClickUp and created the course from its name.
      const courses = await withDb((sql) => sql`select course_name, state, status, clickup_intake_task_id from courses where clickup_intake_task_id = ${taskId}`);
      expect(courses).toEqual([{ course_name: courseName, state: "VA", status: "enriched", clickup_intake_task_id: taskId }]);
    });

    it("an intake task that names no state (and no course has its name) starts no run: the task says what to type, in needs attention", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      await using resolvers = await introspectWorkflow(env.RESOLVE_INTAKE_TASK);
      const name = uniqueCourseName("Stateless");
      const taskId = await createIntakeTask(name);
      expect((await deliverClickUp(taskCreated(taskId))).status).toBe(200);
      const [resolver] = await resolvers.get();
      await resolver!.waitForStatus("complete");
      expect(await resolver!.getOutput()).toMatchObject({ outcome: "refused", problem: "course_not_found", reason: expect.stringContaining("names no state") });
      expect(await workflows.get()).toHaveLength(0);
      const comments = await eventually(async () => {
        const list = await clickupComments(taskId);
        return list.length ? list : null;
      }, "the comment");
      expect(comments[0]!.comment_text).toMatch(new RegExp(`create a new task in Intake with the state after a comma, like "${name}, VA"`));
      expect((await clickupTask(taskId)).status.status).toBe("needs attention");
    });

    it("events other than an Intake taskCreated are acknowledged and ignored", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      const others = [
        { ...taskCreated("t-other-list", { listId: "some-other-list" }) },
        { ...taskCreated("t-status"), event: "taskStatusUpdated" },
        { ...taskCreated("t-updated"), event: "taskUpdated" },
        { webhook_id: "wh-1", event: "listCreated", history_items: [] },
      ];
      for (const payload of others) {
        const response = await deliverClickUp(payload);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ received: true, action: "ignored" });
      }
      expect(await workflows.get()).toHaveLength(0);
    });
  });

  describe("security", () => {
    it("a wrong, missing or re-serialized-body signature → 401 and no run", async () => {
      await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
      const payload = taskCreated(`task-${crypto.randomUUID()}`);
      const compact = JSON.stringify(payload);
      const pretty = JSON.stringify(payload, null, 2);
      const cases = [
        { signature: "0".repeat(64) },
        { signature: null },
        { signature: await hmacHex("another-secret", compact) },
        // Signed over the compact form but sent re-serialized: same JSON, different bytes.
        { signature: await hmacHex(CLICKUP_SECRET, compact), rawBody: pretty },
      ];
      for (const options of cases) {
        const response = await deliverClickUp(payload, options);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      }
      expect(await workflows.get()).toHaveLength(0);
    });
  });

  describe("errors", () => {
    it("a signed body that is not JSON or not a ClickUp envelope → 400 with details", async () => {
      const notJson = await deliverClickUp(null, { rawBody: "{oops" });
      expect(notJson.status).toBe(400);
      const wrongShape = await deliverClickUp({ hello: "world" });
      expect(wrongShape.status).toBe(400);
      const body = (await wrongShape.json()) as { error: { details: { path: string }[] } };
      expect(body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(["webhook_id", "event"]));
    });
  });
});
