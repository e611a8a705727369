import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED, type ClickUpEmulator } from "../../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

/**
 * The ClickUp emulator delivers its own webhooks into the running Worker (wrangler's harness on
 * loopback), as ClickUp would in production.
 */
describe("ClickUp emulator → running Worker (integration)", () => {
  let database: TestDatabase;
  let clickup: ClickUpEmulator;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let secret: string;
  let webhookId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake", webhooks: { retryDelayMs: 5, timeoutMs: 5_000 } } });
    clickup = sandbox.servers.clickup;
    // As in production: create the webhook first (ClickUp returns its secret), then configure the app.
    const created = clickup.registerWebhook("http://127.0.0.1:9/placeholder", { events: ["taskCreated", "taskStatusUpdated", "taskUpdated"], space_id: CLICKUP_SEED.intake.spaceId });
    secret = created.secret;
    webhookId = created.id;
    worker = await startWorker({
      ...sandbox.env,
      HUNTER_VERIFY_POLL_MS: "5",
      DATABASE_URL: database.url,
      CLICKUP_WEBHOOK_SECRET: secret,
      CLICKUP_INTAKE_LIST_ID: CLICKUP_SEED.intake.listId,
    });
    const update = await fetch(`${clickup.url}/api/v2/webhook/${webhookId}`, {
      method: "PUT",
      headers: { authorization: "pk_test_token", "content-type": "application/json" },
      body: JSON.stringify({ endpoint: new URL("/webhooks/clickup", worker.url).toString(), events: "*", status: "active" }),
    });
    expect(update.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("a task a rep creates in Intake reaches /webhooks/clickup signed and is accepted; with ClickUp not set up the rep is told at once, and nothing is paid for", async () => {
    const courseName = "Pine Valley Golf Club";
    const task = clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${courseName}, NJ` });
    await clickup.flushWebhooks();

    const deliveries = clickup.webhookDeliveries({ webhook_id: webhookId, task_id: String(task.id) });
    expect(deliveries.map((d) => d.event).sort()).toEqual(["taskCreated", "taskStatusUpdated"]);
    for (const delivery of deliveries) expect(delivery.attempts.map((a) => a.status)).toEqual([200]);

    // No settings row here (this workspace skipped clickup:setup): a run could make no lead tasks, so
    // none starts; the intake task says so in words.
    const comments = () => clickup.workspace.commentsFor(String(task.id)).map((c) => c.text);
    for (let i = 0; i < 600 && !comments().some((t) => t.includes("ClickUp setup is not finished")); i++) await new Promise((r) => setTimeout(r, 100));
    expect(comments().some((t) => t.includes("ClickUp setup is not finished"))).toBe(true);
    for (const text of comments()) expect(text).not.toMatch(/Error|NonRetryable|step/);
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const runs = await sql`select r.id from enrichment_runs r join courses c on c.id = r.course_id where c.clickup_intake_task_id = ${String(task.id)}`;
      expect(runs).toHaveLength(0);
    } finally {
      await sql.end();
    }
  });

  it("a delivery the Worker rejects is retried and counted in the webhook's health", async () => {
    // A second webhook gets its own secret, which the Worker does not know: every delivery is a 401.
    const rogue = clickup.registerWebhook(new URL("/webhooks/clickup", worker.url).toString(), { events: ["taskCreated"], list_id: CLICKUP_SEED.intake.listId });
    clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `Rejected ${Date.now().toString(36)} Golf Club, NC` });
    await clickup.flushWebhooks();

    const [delivery] = clickup.webhookDeliveries({ webhook_id: rogue.id });
    expect(delivery!.attempts.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    const health = (await (await fetch(`${clickup.url}/api/v2/team/${CLICKUP_SEED.teamId}/webhook`, { headers: { authorization: "pk_test_token" } })).json()) as {
      webhooks: { id: string; health: { status: string; fail_count: number } }[];
    };
    expect(health.webhooks.find((w) => w.id === rogue.id)?.health.fail_count).toBe(1);
    expect(health.webhooks.find((w) => w.id === webhookId)?.health.fail_count).toBe(0);
  });
});
