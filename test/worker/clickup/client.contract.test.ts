// The ClickUp client inside workerd against the ClickUp emulator (the seeded "intake" workspace):
// discovery, a task with inline custom fields read back, updates, comments, webhooks, and how every
// failure maps to ClickUpError (4xx with ECODE; 503, 429 with resetAt, timeouts and garbled JSON
// retryable). The gate sees exactly one acquire and one observe per request, with its ticket.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { CLICKUP_SEED as S } from "../../../sandbox/clickup/seed.ts";
import { type ClickUpAdminClient, createClickUpAdminClient } from "../../../src/clickup/admin-client.ts";
import type { RateGate, RateLimitInfo } from "../../../src/clickup/client.ts";
import { ClickUpError } from "../../../src/clickup/errors.ts";
import { clearFaults, emulatorRequests, injectFault } from "../helpers.ts";

const BASE_URL = String(env.CLICKUP_BASE_URL);
const TOKEN = String(env.CLICKUP_API_TOKEN);

/** Hands out tickets t1, t2, ... and records what comes back with each answer (null: no answer). */
function countingGate(): RateGate & { acquired: number; observed: (RateLimitInfo | null)[]; tickets: (string | void)[] } {
  const gate = {
    acquired: 0,
    observed: [] as (RateLimitInfo | null)[],
    tickets: [] as (string | void)[],
    async acquire() {
      gate.acquired++;
      return `t${gate.acquired}`;
    },
    observe(info: RateLimitInfo | null, ticket?: string | void) {
      gate.observed.push(info);
      gate.tickets.push(ticket);
    },
  };
  return gate;
}

function client(opts: { gate?: RateGate; timeoutMs?: number; baseUrl?: string } = {}): ClickUpAdminClient {
  return createClickUpAdminClient({ token: TOKEN, baseUrl: opts.baseUrl ?? BASE_URL, ...(opts.gate ? { gate: opts.gate } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
}

async function failure(p: Promise<unknown>): Promise<ClickUpError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ClickUpError) return error;
    throw error;
  }
  throw new Error("expected a ClickUpError");
}

const F = S.leads.fields;
const BUDGET_LIST = S.leads.folders.budget.newLeadsListId;

describe("ClickUp client (contract, workerd → emulator)", () => {
  afterEach(async () => {
    await clearFaults("clickup");
  });

  it("finds the workspace the way setup does: user, team, plan, space, folders, lists, statuses, fields", async () => {
    const cu = client();
    expect(await cu.getAuthorizedUser()).toMatchObject({ id: S.apiUser.id, username: S.apiUser.username });
    expect(await cu.getTeams()).toEqual([expect.objectContaining({ id: S.teamId, name: S.teamName })]);
    expect(await cu.getTeamPlan(S.teamId)).toMatchObject({ plan_name: "Business", plan_id: 3 });
    const spaces = await cu.getSpaces(S.teamId);
    expect(spaces.map((s) => s.id)).toContain(S.intake.spaceId);
    const folders = await cu.getFolders(S.intake.spaceId);
    expect(folders.map((f) => [f.name, f.id])).toEqual(
      expect.arrayContaining([
        ["High-End", S.leads.folders.highEnd.id],
        ["Budget", S.leads.folders.budget.id],
        ["Both", S.leads.folders.both.id],
      ]),
    );
    expect(await cu.getFolderLists(S.leads.folders.budget.id)).toEqual([expect.objectContaining({ id: BUDGET_LIST, name: "New Leads" })]);
    expect((await cu.getFolderlessLists(S.intake.spaceId)).map((l) => l.id)).toContain(S.intake.listId);
    const intake = await cu.getList(S.intake.listId);
    expect(intake.statuses.map((s) => s.status)).toEqual(expect.arrayContaining(["new", "enriching", "enriched", "needs attention"]));
    const fields = await cu.getListFields(BUDGET_LIST);
    const segment = fields.find((f) => f.id === F.segment.id);
    expect(segment).toMatchObject({ name: "Segment", type: "drop_down" });
    expect(segment?.type_config?.options?.map((o) => [o.name, o.id])).toEqual(F.segment.options.map((o) => [o.name, o.id]));
  });

  it("creates a lead task with inline custom fields in one request (drop-down by option UUID) and reads it back", async () => {
    const cu = client();
    const budget = F.segment.options[1]?.id ?? "";
    const created = await cu.createTask(BUDGET_LIST, {
      name: "Pat Green - Head Golf Professional | Pine Hollow Golf Club",
      markdown_content: "## Conversation starters\n- **Range ball quality** (score 8)",
      status: "new lead",
      assignees: [S.repUser.id],
      custom_fields: [
        { id: F.segment.id, value: budget },
        { id: F.confidence.id, value: 87 },
        { id: F.email.id, value: "pat.green@pinehollow.example" },
        { id: F.phone.id, value: "+1 804 555 0100" },
        { id: F.website.id, value: "https://pinehollow.example" },
        { id: F.top_opp_1.id, value: "Range ball quality" },
        { id: F.top_opp_1_score.id, value: 8 },
      ],
    });
    expect(created).toMatchObject({ name: "Pat Green - Head Golf Professional | Pine Hollow Golf Club", status: { status: "new lead" }, list: { id: BUDGET_LIST } });

    const task = await cu.getTask(created.id, { includeMarkdown: true });
    const value = (id: string): unknown => task.custom_fields?.find((f) => f.id === id)?.value;
    expect(value(F.segment.id)).toBe(1); // a drop-down reads back as the option's orderindex
    expect(value(F.confidence.id)).toBe("87"); // numbers read back as strings
    expect(value(F.email.id)).toBe("pat.green@pinehollow.example");
    expect(value(F.phone.id)).toBe("+1 804 555 0100");
    expect(value(F.top_opp_1_score.id)).toBe("8");
    expect(task.markdown_description).toContain("Range ball quality");
    expect(task.assignees?.map((a) => a.id)).toEqual([S.repUser.id]);
    expect(task.creator?.id).toBe(S.apiUser.id);

    // Update Task changes name/status/markdown; a custom field is one Set Custom Field Value each.
    const updated = await cu.updateTask(created.id, { status: "contacted", markdown_content: "updated" });
    expect(updated.status.status).toBe("contacted");
    await cu.setCustomField(created.id, F.top_opp_2_score.id, 5);
    await cu.setCustomField(created.id, F.segment.id, F.segment.options[2]?.id ?? "");
    const after = await cu.getTask(created.id);
    expect(after.custom_fields?.find((f) => f.id === F.top_opp_2_score.id)?.value).toBe("5");
    expect(after.custom_fields?.find((f) => f.id === F.segment.id)?.value).toBe(2);

    const comment = await cu.createTaskComment(created.id, { comment_text: "Enriched: 3 contacts", notify_all: true });
    expect(comment.id).toMatch(/^\d+$/);
  });

  it("creates, lists and updates a webhook; the secret comes back", async () => {
    const cu = client();
    // On the otherwise unused Team Space, pointing at a closed port: no test's events reach it.
    const created = await cu.createWebhook(S.teamId, { endpoint: "http://127.0.0.1:9/contract-hook", events: ["taskCreated", "taskUpdated"], space_id: Number(S.teamSpaceId) });
    expect(created.webhook).toMatchObject({ id: created.id, endpoint: "http://127.0.0.1:9/contract-hook", space_id: S.teamSpaceId, secret: expect.stringMatching(/.{16,}/) });
    const listed = (await cu.getWebhooks(S.teamId)).find((w) => w.id === created.id);
    expect(listed).toMatchObject({ events: ["taskCreated", "taskUpdated"], secret: created.webhook.secret, health: { status: "active" } });
    const updated = await cu.updateWebhook(created.id, { endpoint: "http://127.0.0.1:9/contract-hook", events: "taskCreated,taskStatusUpdated", status: "suspended" });
    expect(updated.webhook).toMatchObject({ events: ["taskCreated", "taskStatusUpdated"], health: { status: "suspended" } });
  });

  it("a 4xx is a ClickUpError with ClickUp's ECODE, not retryable", async () => {
    const cu = client();
    const missing = await failure(cu.getTask("does-not-exist"));
    expect(missing).toMatchObject({ kind: "http", status: 404, ecode: "ITEM_013", err: "Task not found", retryable: false, resetAt: null });
    expect(missing.message).toBe("ClickUp GET /v2/task/does-not-exist: HTTP 404 ITEM_013: Task not found");
    const label = await failure(cu.createTask(BUDGET_LIST, { name: "x", custom_fields: [{ id: F.segment.id, value: "Budget" }] }));
    expect(label).toMatchObject({ status: 400, ecode: "FIELD_011", retryable: false });
    const status = await failure(cu.createTask(BUDGET_LIST, { name: "x", status: "no such status" }));
    expect(status).toMatchObject({ status: 400, retryable: false });
    const unauthorized = await failure(createClickUpAdminClient({ token: "pk_wrong", baseUrl: BASE_URL }).getAuthorizedUser());
    expect(unauthorized).toMatchObject({ status: 401, ecode: "OAUTH_025", retryable: false });
    expect(unauthorized.message).not.toContain("pk_wrong");
  });

  it("an injected 503 is retryable, and the next request goes through", async () => {
    const cu = client();
    await injectFault("clickup", { route: "GET /api/v2/task/*", kind: "error", status: 503, times: 1 });
    const error = await failure(cu.getTask("whatever"));
    expect(error).toMatchObject({ kind: "http", status: 503, ecode: "EMU_503", retryable: true });
    const task = await cu.createTask(S.intake.listId, { name: "After the outage, VA" });
    expect((await cu.getTask(task.id)).id).toBe(task.id);
  });

  it("an injected 429 is retryable and carries resetAt (ms) from X-RateLimit-Reset; the gate observes it", async () => {
    const gate = countingGate();
    const cu = client({ gate });
    await injectFault("clickup", { route: "GET /api/v2/task/*", kind: "rate_limit", times: 1 });
    const before = Date.now();
    const error = await failure(cu.getTask("whatever"));
    expect(error).toMatchObject({ kind: "http", status: 429, ecode: "APP_002", retryable: true, rateLimited: true });
    expect(error.resetAt).toBeGreaterThan(before);
    expect(error.resetAt).toBeLessThanOrEqual(before + 61_000);
    expect(gate.observed).toEqual([{ status: 429, limit: 100, remaining: 0, resetAt: error.resetAt }]);
  });

  it("a timeout is retryable; the gate hears of it (null: no answer) with the request's ticket, so its slot is settled", async () => {
    await injectFault("clickup", { route: "GET /api/v2/task/*", kind: "timeout", times: 1 });
    const gate = countingGate();
    expect(await failure(client({ timeoutMs: 200, gate }).getTask("slow"))).toMatchObject({ kind: "timeout", status: 0, retryable: true });
    expect(gate.observed).toEqual([null]);
    expect(gate.tickets).toEqual(["t1"]);
  });

  it("garbled JSON is retryable", async () => {
    await injectFault("clickup", { route: "GET /api/v2/user", kind: "malformed", times: 1 });
    expect(await failure(client().getAuthorizedUser())).toMatchObject({ kind: "bad_json", status: 200, retryable: true });
  });

  it("an unreachable host is retryable; the gate settles the slot with null", async () => {
    const gate = countingGate();
    expect(await failure(client({ baseUrl: "http://127.0.0.1:9", gate }).getTeams())).toMatchObject({ kind: "network", status: 0, retryable: true });
    expect(gate.observed).toEqual([null]);
    expect(gate.tickets).toEqual(["t1"]);
  });

  it("calls the gate's acquire() and observe() once per request, with X-RateLimit-* from each answer", async () => {
    const gate = countingGate();
    const cu = client({ gate });
    const since = Date.now();
    await cu.getAuthorizedUser();
    await cu.getList(S.intake.listId);
    await failure(cu.getTask("does-not-exist"));
    const task = await cu.createTask(S.intake.listId, { name: "Gate Check Golf Club, VA" });
    await cu.updateTask(task.id, { name: "Gate Check Golf Club, VA (renamed)" });
    const sent = (await emulatorRequests("clickup", since)).filter((r) => r.path.startsWith("/api/"));
    expect(sent).toHaveLength(5);
    expect(gate.acquired).toBe(5);
    expect(gate.observed).toHaveLength(5);
    for (const info of gate.observed) {
      expect(info?.limit).toBe(10_000);
      expect(info?.remaining).toEqual(expect.any(Number));
      expect(info?.resetAt).toBeGreaterThan(since - 60_000);
    }
    expect(gate.observed.map((o) => o?.status)).toEqual([200, 200, 404, 200, 200]);
    // Each answer comes back with the ticket its acquire() gave.
    expect(gate.tickets).toEqual(["t1", "t2", "t3", "t4", "t5"]);
  });

  it("a failing observe() never fails the request (a created task must not look failed)", async () => {
    const errors: unknown[] = [];
    const cu = createClickUpAdminClient({
      token: TOKEN,
      baseUrl: BASE_URL,
      gate: { acquire: async () => {}, observe: () => Promise.reject(new Error("gate down")) },
      onGateError: (e) => errors.push(e),
    });
    const task = await cu.createTask(S.intake.listId, { name: "Observe Failure Golf Club, VA" });
    expect(task.id).toBeTruthy();
    expect(errors).toEqual([expect.objectContaining({ message: "gate down" })]);
  });
});
