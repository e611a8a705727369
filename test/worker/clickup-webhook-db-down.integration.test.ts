// POST /webhooks/clickup while the database is down: the signature check does not wait on it (the
// last stored secret read, or CLICKUP_WEBHOOK_SECRET), and a verified delivery is stored in a
// ClickUpDeliveryRetry instance and acknowledged, then processed once the database answers, instead
// of a 503 that ClickUp retries five times and then drops.
import { env } from "cloudflare:workers";
import { createExecutionContext, introspectWorkflow, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { hmacHex, withDb } from "./helpers.ts";

/** Nothing listens there: every database call fails at once, as when the database is down. */
const DATABASE_DOWN = "postgres://postgres@127.0.0.1:9/postgres";

/** Deliveries signed only with the secret setup stored: CLICKUP_WEBHOOK_SECRET unset, as the README recommends. */
const storedOnly = { ...env, CLICKUP_WEBHOOK_SECRET: "" };
const databaseDown = { ...storedOnly, DATABASE_URL: DATABASE_DOWN };

async function storedWebhook(): Promise<{ id: string; secret: string }> {
  const [row] = await withDb((sql) => sql`select value from settings where key = 'clickup'`);
  return (row!.value as { webhook: { id: string; secret: string } }).webhook;
}

async function deliver(bindings: object, body: string, signature: string) {
  const app = createApp();
  const ctx = createExecutionContext();
  const response = await app.fetch(
    new Request("http://golf.test/webhooks/clickup", { method: "POST", headers: { "content-type": "application/json", "x-signature": signature }, body }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A lead task the app knows (a contact holding its task id). */
async function leadTask(): Promise<{ taskId: string; contactId: string }> {
  const taskId = `tsk-dbdown-${crypto.randomUUID().slice(0, 8)}`;
  const [row] = await withDb(async (sql) => {
    const [course] = await sql`insert into courses (course_name, state) values (${`Outage ${taskId} Golf Club`}, 'VA') returning id`;
    return sql`insert into contacts (course_id, full_name, title, clickup_task_id) values (${course!.id}, 'Dana Outage', 'General Manager', ${taskId}) returning id`;
  });
  return { taskId, contactId: String(row!.id) };
}

async function taskIdOf(contactId: string): Promise<string | null> {
  const [row] = await withDb((sql) => sql`select clickup_task_id from contacts where id = ${contactId}`);
  return (row?.clickup_task_id as string | null) ?? null;
}

describe("POST /webhooks/clickup with the database down (integration)", () => {
  it("a delivery signed with the stored secret is acknowledged (202, stored durably) and processed once the database answers; a redelivery is not stored twice", async () => {
    await using deliveries = await introspectWorkflow(env.CLICKUP_DELIVERY);
    // The database is still down for the retry's first two attempts, then back.
    await deliveries.modifyAll(async (m) => {
      await m.disableRetryDelays();
      await m.mockStepError({ name: "process" }, new Error("get_clickup_context: connect ECONNREFUSED 127.0.0.1:5432"), 2);
    });
    const webhook = await storedWebhook();
    // A delivery while the database answers: the route reads the stored secret (and keeps it).
    const warmup = JSON.stringify({ webhook_id: webhook.id, event: "taskCommentPosted", task_id: "tsk-warmup", history_items: [] });
    expect((await deliver(storedOnly, warmup, await hmacHex(webhook.secret, warmup))).status).toBe(200);

    const { taskId, contactId } = await leadTask();
    const body = JSON.stringify({ webhook_id: webhook.id, event: "taskDeleted", task_id: taskId, history_items: [] });
    const signature = await hmacHex(webhook.secret, body);
    const first = await deliver(databaseDown, body, signature);
    expect(first.status, JSON.stringify(first.json)).toBe(202);
    expect(first.json).toMatchObject({ received: true, action: "queued", queued: "accepted", retry_id: expect.stringMatching(/^clickup-delivery-/) });
    // ClickUp redelivers what it thinks failed: the same bytes find the stored delivery.
    const again = await deliver(databaseDown, body, signature);
    expect(again.json).toMatchObject({ action: "queued", queued: "duplicate", retry_id: first.json.retry_id });

    const instances = await deliveries.get();
    expect(instances).toHaveLength(1);
    await instances[0]!.waitForStatus("complete");
    expect(await instances[0]!.getOutput()).toMatchObject({ received: true, action: "forgotten" });
    expect(await taskIdOf(contactId)).toBeNull();
  });

  it("a bad signature is still refused (401) with the database down, and nothing is stored", async () => {
    await using deliveries = await introspectWorkflow(env.CLICKUP_DELIVERY);
    const webhook = await storedWebhook();
    const body = JSON.stringify({ webhook_id: webhook.id, event: "taskDeleted", task_id: "tsk-forged", history_items: [] });
    const forged = await deliver(databaseDown, body, await hmacHex("not-the-secret", body));
    expect(forged.status).toBe(401);
    expect(await deliveries.get()).toHaveLength(0);
  });

  it("CLICKUP_WEBHOOK_SECRET alone (no stored secret ever read) still verifies a delivery with the database down", async () => {
    await using deliveries = await introspectWorkflow(env.CLICKUP_DELIVERY);
    await deliveries.modifyAll(async (m) => {
      await m.disableRetryDelays();
    });
    const { taskId, contactId } = await leadTask();
    const body = JSON.stringify({ webhook_id: "wh-configured", event: "taskDeleted", task_id: taskId, history_items: [] });
    const configured = String(env.CLICKUP_WEBHOOK_SECRET);
    const response = await deliver({ ...env, DATABASE_URL: DATABASE_DOWN }, body, await hmacHex(configured, body));
    expect(response.status).toBe(202);
    const [instance] = await deliveries.get();
    await instance!.waitForStatus("complete");
    expect(await taskIdOf(contactId)).toBeNull();
  });
});
