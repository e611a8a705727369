// ClickUp webhook delivery: documented payloads, X-Signature over the raw body, retries, health,
// suspension and the 7 s timeout (shortened here).
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { CLICKUP_SEED, type ClickUpEmulator, type ClickUpEmulatorOptions, startClickUpEmulator } from "../../../sandbox/clickup/index.ts";
import { api, type Receiver, startReceiver } from "../../../sandbox/clickup/testing.ts";

const S = CLICKUP_SEED;
const FAST = { timeoutMs: 250, retryDelayMs: 1 };

describe("ClickUp emulator: webhooks", () => {
  let cu: ClickUpEmulator | undefined;
  let receiver: Receiver | undefined;

  afterEach(async () => {
    await cu?.close();
    await receiver?.close();
    cu = undefined;
    receiver = undefined;
  });

  async function setup(
    respond?: Receiver["respond"],
    webhooks: ClickUpEmulatorOptions["webhooks"] = FAST,
    body: Record<string, unknown> = {},
  ): Promise<{ cu: ClickUpEmulator; rx: Receiver; id: string; secret: string }> {
    receiver = await startReceiver(respond);
    cu = await startClickUpEmulator({ seed: "intake", webhooks });
    const created = await api(cu, "POST", `/api/v2/team/${S.teamId}/webhook`, { endpoint: receiver.url, events: ["*"], ...body });
    expect(created.status).toBe(200);
    const webhook = created.body.webhook as { id: string; secret: string };
    return { cu, rx: receiver, id: webhook.id, secret: webhook.secret };
  }

  it("sends taskCreated and taskStatusUpdated for a created task, signed over the raw body", async () => {
    const { cu, rx, id, secret } = await setup();
    const created = await api(cu, "POST", `/api/v2/list/${S.intake.listId}/task`, { name: "Pebble Beach Golf Links" });
    await cu.flushWebhooks();

    expect(rx.received.map((r) => r.json.event).sort()).toEqual(["taskCreated", "taskStatusUpdated"]);
    for (const r of rx.received) {
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["x-signature"]).toBe(createHmac("sha256", secret).update(r.raw).digest("hex"));
      expect(r.json).toMatchObject({ webhook_id: id, task_id: created.body.id });
      for (const item of r.json.history_items ?? []) {
        expect(item).toMatchObject({ type: 1, parent_id: S.intake.listId, source: null, user: { id: S.apiUser.id, email: S.apiUser.email } });
        expect(item.id).toMatch(/^\d+$/);
        expect(item.date).toMatch(/^\d+$/);
      }
    }
    const createdEvent = rx.received.find((r) => r.json.event === "taskCreated");
    expect(createdEvent?.json.history_items?.map((h) => h.field)).toEqual(["status", "task_creation"]);
    expect(createdEvent?.json.history_items?.[0]).toMatchObject({
      before: { status: null, type: "removed" },
      after: { status: "new", type: "open" },
    });
    const statusEvent = rx.received.find((r) => r.json.event === "taskStatusUpdated");
    expect(statusEvent?.json.history_items?.[0]).toMatchObject({ field: "status", after: { status: "new" } });
    expect(cu.webhookDeliveries().every((d) => d.state === "delivered" && d.attempts.length === 1)).toBe(true);
  });

  it("names the acting user: a rep's changes carry the rep, the app's writes carry the token's user", async () => {
    const { cu, rx } = await setup();
    const task = cu.createTaskAsUser(S.intake.listId, { name: "Augusta National" });
    const taskId = String(task.id);
    cu.setTaskStatusAsUser(taskId, "enriching");
    cu.setCustomFieldAsUser(taskId, "Course Segment", "High-End");
    await api(cu, "POST", `/api/v2/task/${taskId}/field/${S.intake.fields.website.id}`, { value: "https://www.augusta.com" });
    await api(cu, "PUT", `/api/v2/task/${taskId}`, { name: "Augusta National Golf Club", custom_fields: [{ id: S.intake.fields.state.id, value: "GA" }] });
    await api(cu, "DELETE", `/api/v2/task/${taskId}`);
    await cu.flushWebhooks();

    const summary = rx.received.map((r) => {
      const item = r.json.history_items?.[0];
      return [r.json.event, item?.field ?? null, (item?.user as { id?: number } | undefined)?.id ?? null];
    });
    expect(summary).toEqual(
      expect.arrayContaining([
        ["taskCreated", "status", S.repUser.id],
        ["taskStatusUpdated", "status", S.repUser.id],
        ["taskStatusUpdated", "status", S.repUser.id],
        ["taskUpdated", "custom_field", S.repUser.id],
        ["taskUpdated", "custom_field", S.apiUser.id],
        ["taskUpdated", "name", S.apiUser.id],
        ["taskDeleted", null, null],
      ]),
    );
    expect(summary).toHaveLength(7); // the custom field sent to Update Task made no event

    const dropDown = rx.received.find((r) => {
      const item = r.json.history_items?.[0];
      return item?.field === "custom_field" && (item.user as { id?: number } | undefined)?.id === S.repUser.id;
    });
    expect(dropDown?.json.history_items?.[0]).toMatchObject({
      before: null,
      after: S.intake.fields.segment.options[0]?.id, // the option UUID
      custom_field: { id: S.intake.fields.segment.id, type: "drop_down" },
    });
    const deleted = rx.received.find((r) => r.json.event === "taskDeleted");
    expect(deleted?.json).toEqual({ event: "taskDeleted", task_id: taskId, webhook_id: expect.any(String) });
  });

  it("filters by events and location", async () => {
    const { cu, rx } = await setup(undefined, FAST, { events: ["taskStatusUpdated"], list_id: Number(S.leads.folders.budget.newLeadsListId) });
    const other = cu.createTaskAsUser(S.leads.folders.highEnd.newLeadsListId, { name: "Elsewhere" });
    cu.setTaskStatusAsUser(String(other.id), "contacted");
    const mine = cu.createTaskAsUser(S.leads.folders.budget.newLeadsListId, { name: "Muni" });
    cu.setTaskStatusAsUser(String(mine.id), "contacted");
    cu.updateTaskAsUser(String(mine.id), { name: "Muni Golf" });
    await cu.flushWebhooks();
    expect(rx.received.map((r) => [r.json.event, r.json.task_id])).toEqual([
      ["taskStatusUpdated", mine.id],
      ["taskStatusUpdated", mine.id],
    ]);
  });

  it("retries a receiver answering 500 five times, then counts a failure in health.fail_count", async () => {
    const { cu, rx, id } = await setup(() => ({ status: 500 }), { ...FAST, maxAttempts: 5 });
    const task = cu.createTaskAsUser(S.intake.listId, { name: "Failing Hills" });
    await cu.flushWebhooks();
    expect(rx.received).toHaveLength(10); // taskCreated ×5, taskStatusUpdated ×5
    for (const d of cu.webhookDeliveries({ task_id: String(task.id) })) {
      expect(d.state).toBe("failed");
      expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 500, 500, 500]);
    }
    // Retries resend the same signed body.
    const created = rx.received.filter((r) => r.json.event === "taskCreated");
    expect(new Set(created.map((r) => r.raw)).size).toBe(1);
    const listed = await api(cu, "GET", `/api/v2/team/${S.teamId}/webhook`);
    const health = (listed.body.webhooks as Array<{ id: string; health: { status: string; fail_count: number } }>).find((w) => w.id === id)?.health;
    expect(health).toEqual({ status: "failing", fail_count: 2 });

    // Recovery resets it.
    rx.respond = () => ({ status: 200 });
    cu.setTaskStatusAsUser(String(task.id), "enriching");
    await cu.flushWebhooks();
    expect(cu.hub.webhooks.get(id)?.health).toEqual({ status: "active", fail_count: 0 });
  });

  it("can count every failed attempt instead (failCountPer: attempt)", async () => {
    const { cu, id } = await setup(() => ({ status: 503 }), { ...FAST, failCountPer: "attempt" });
    cu.createTaskAsUser(S.intake.listId, { name: "Counted" });
    await cu.flushWebhooks();
    expect(cu.hub.webhooks.get(id)?.health).toEqual({ status: "failing", fail_count: 10 });
  });

  it("suspends at the configured fail_count and then delivers nothing more", async () => {
    const { cu, rx, id } = await setup(() => ({ status: 500 }), { ...FAST, maxAttempts: 2, suspendAfter: 3 });
    cu.createTaskAsUser(S.intake.listId, { name: "One" }); // 2 failed events
    await cu.flushWebhooks();
    expect(cu.hub.webhooks.get(id)?.health).toEqual({ status: "failing", fail_count: 2 });
    const two = cu.createTaskAsUser(S.intake.listId, { name: "Two" }); // third failed event → suspended
    await cu.flushWebhooks();
    expect(cu.hub.webhooks.get(id)?.health.status).toBe("suspended");
    expect(cu.hub.webhooks.get(id)?.health.fail_count).toBeGreaterThanOrEqual(3);
    const seen = rx.received.length;

    rx.respond = () => ({ status: 200 });
    cu.setTaskStatusAsUser(String(two.id), "needs attention");
    cu.createTaskAsUser(S.intake.listId, { name: "Three" });
    await cu.flushWebhooks();
    expect(rx.received.length).toBe(seen);
    const listed = await api(cu, "GET", `/api/v2/team/${S.teamId}/webhook`);
    expect((listed.body.webhooks as Array<{ health: { status: string } }>)[0]?.health.status).toBe("suspended");

    // Reactivating it (Update Webhook, status "active") resumes deliveries.
    await api(cu, "PUT", `/api/v2/webhook/${id}`, { endpoint: rx.url, events: "*", status: "active" });
    cu.setTaskStatusAsUser(String(two.id), "enriched");
    await cu.flushWebhooks();
    expect(rx.received.length).toBe(seen + 1);
  });

  it("suspends at once on 410 Gone", async () => {
    const { cu, rx, id } = await setup(() => ({ status: 410 }));
    cu.createTaskAsUser(S.intake.listId, { name: "Gone" });
    await cu.flushWebhooks();
    expect(cu.hub.webhooks.get(id)?.health.status).toBe("suspended");
    expect(rx.received.length).toBeLessThanOrEqual(2);
  });

  it("fails a delivery the receiver does not answer within the timeout", async () => {
    const { cu, rx, id } = await setup(() => ({ status: 200, delayMs: 400 }), { timeoutMs: 100, retryDelayMs: 1, maxAttempts: 2 });
    const task = await api(cu, "POST", `/api/v2/list/${S.intake.listId}/task`, { name: "Slowpoke Links" });
    await cu.flushWebhooks();
    const deliveries = cu.webhookDeliveries({ task_id: String(task.body.id) });
    expect(deliveries).toHaveLength(2);
    for (const d of deliveries) {
      expect(d.state).toBe("failed");
      expect(d.attempts).toHaveLength(2);
      for (const a of d.attempts) {
        expect(a.status).toBeUndefined();
        expect(a.error).toContain("100 ms");
        expect(a.duration_ms).toBeLessThan(400);
      }
    }
    expect(rx.received.length).toBe(4); // the receiver saw them, but too late
    expect(cu.hub.webhooks.get(id)?.health).toEqual({ status: "failing", fail_count: 2 });
  });

  it("can register a webhook without a request and give it a fixed secret (sandbox)", async () => {
    receiver = await startReceiver();
    cu = await startClickUpEmulator({ seed: "intake", webhooks: FAST, webhookSecret: "sandbox-secret" });
    const w = cu.registerWebhook(receiver.url, { events: ["taskCreated"], list_id: S.intake.listId });
    expect(w).toMatchObject({ secret: "sandbox-secret", list_id: S.intake.listId, userid: S.apiUser.id });
    cu.createTaskAsUser(S.intake.listId, { name: "Fixed Secret CC" });
    await cu.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    const r = receiver.received[0];
    expect(r?.headers["x-signature"]).toBe(createHmac("sha256", "sandbox-secret").update(r?.raw ?? "").digest("hex"));
    expect(cu.recorder.count()).toBe(0);
  });

  it("exposes deliveries and a rep's actions over the control API", async () => {
    const { cu, rx } = await setup();
    const res = await fetch(`${cu.url}/__emulator/clickup/as-user`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "createTask", list_id: S.intake.listId, name: "Remote Course" }),
    });
    expect(res.status).toBe(200);
    const task = (await res.json()) as { id: string; creator: { id: number } };
    expect(task.creator.id).toBe(S.repUser.id);
    await fetch(`${cu.url}/__emulator/clickup/flush-webhooks`, { method: "POST" });
    const log = (await (await fetch(`${cu.url}/__emulator/clickup/webhook-deliveries?task_id=${task.id}`)).json()) as { count: number };
    expect(log.count).toBe(2);
    expect(rx.received).toHaveLength(2);
    // Control calls are not recorded as API traffic.
    expect(cu.recorder.count({ path: "/__emulator/*" })).toBe(0);
    expect(cu.recorder.count({ route: "POST /api/v2/team/{team_id}/webhook" })).toBe(1);
  });
});
