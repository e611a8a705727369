// A rep waiting for leads passes an import's backlog at the ClickUp rate gate: a run an intake task
// asked for writes its lead tasks as interactive requests (the reserve background callers leave
// free), while background writes hold the next windows.
import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createClickUpAdminClient } from "../../../src/clickup/admin-client.ts";
import { clickUpRateGateStub, waitingGate } from "../../../src/clickup/rate-gate-client.ts";
import { configFor } from "../../../src/env.ts";
import { createIntakeTask, deliverClickUp, emulatorRequests, eventually, forgetCourse, INTAKE_LIST_ID, taskCreated, withDb } from "../helpers.ts";

describe("a rep's course during a background backlog (integration)", () => {
  it("its lead tasks are written before the backlog's next background slot", { timeout: 180_000 }, async () => {
    await using runs = await introspectWorkflow(env.ENRICH_COURSE);
    const gate = clickUpRateGateStub(configFor(env), env as never)!;
    // One answer first, so the gate knows ClickUp's window.
    await createClickUpAdminClient({ token: String(env.CLICKUP_API_TOKEN), baseUrl: String(env.CLICKUP_BASE_URL), gate: waitingGate(gate, "interactive") }).getAuthorizedUser();
    const held: string[] = [];
    try {
      // Other courses' writes (an import) take every background slot for the next minutes:
      // a window's worth each time (100 − 5% headroom − the 10% kept for interactive callers).
      for (let i = 0; i < 10; i++) {
        const grant = await gate.reserve({ priority: "background", count: 85 });
        held.push(grant.ticket);
        if (grant.at - Date.now() > 150_000) break;
      }
      const backlog = await gate.reserve({ priority: "background", count: 1 });
      held.push(backlog.ticket);
      expect(backlog.at - Date.now()).toBeGreaterThan(120_000);

      await forgetCourse("Richmond Country Club", "VA");
      const since = Date.now();
      const taskId = await createIntakeTask("Richmond Country Club, VA");
      expect((await deliverClickUp(taskCreated(taskId))).status).toBe(200);
      const [run] = await eventually(async () => {
        const list = await runs.get();
        return list.length ? list : null;
      }, "the run to start");
      await run!.waitForStatus("complete");
      expect(await run!.getOutput()).toMatchObject({ status: "succeeded" });

      const creates = (await emulatorRequests("clickup", since)).filter(
        (r) => r.method === "POST" && /\/api\/v2\/list\/[^/]+\/task$/.test(r.path) && !r.path.includes(`/list/${INTAKE_LIST_ID}/`) && r.status === 200,
      );
      // Written ahead of the backlog (a background lead write would have waited for its slots).
      for (const create of creates) expect(create.time).toBeLessThan(backlog.at);
      const contacts = await withDb((sql) => sql`select c.clickup_task_id from contacts c join courses k on k.id = c.course_id where k.clickup_intake_task_id = ${taskId}`);
      // One lead task per contact, each created in this run.
      expect(contacts.length).toBeGreaterThanOrEqual(2);
      expect(creates).toHaveLength(contacts.length);
      expect(contacts.every((c) => c.clickup_task_id)).toBe(true);
    } finally {
      for (const ticket of held) await gate.release(ticket);
    }
  });
});
