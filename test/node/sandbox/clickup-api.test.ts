// The ClickUp emulator against ClickUp's OpenAPI file: documented requests are served, everything
// else is refused the way ClickUp refuses it ({err, ECODE}).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED, type ClickUpEmulator, type CustomField, PLANS, startClickUpEmulator } from "../../../sandbox/clickup/index.ts";
import { IMPLEMENTED_OPERATIONS } from "../../../sandbox/clickup/routes.ts";
import { api } from "../../../sandbox/clickup/testing.ts";

const S = CLICKUP_SEED;

/** The request body example the OpenAPI file gives for an operation. */
function example(cu: ClickUpEmulator, operationId: string): Record<string, unknown> {
  const ex = cu.contract.requestExample(operationId);
  if (!ex) throw new Error(`the OpenAPI file has no request example for ${operationId}`);
  return ex;
}

describe("ClickUp emulator: documented API", () => {
  let cu: ClickUpEmulator;
  let folderId: string;
  let listId: string;
  const fields: Record<string, CustomField> = {};

  beforeAll(async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 10_000, checkResponses: true });
  });

  afterAll(async () => {
    await cu?.close();
  });

  it("answers who the token belongs to, the workspace and its plan", async () => {
    const user = await api(cu, "GET", "/api/v2/user");
    expect(user.status).toBe(200);
    expect(user.body.user).toMatchObject({ id: S.apiUser.id, username: S.apiUser.username });
    const teams = await api(cu, "GET", "/api/v2/team");
    expect(teams.body.teams).toEqual([expect.objectContaining({ id: S.teamId, name: S.teamName })]);
    const plan = await api(cu, "GET", `/api/v2/team/${S.teamId}/plan`);
    expect(plan.body).toEqual({ plan_id: PLANS.business.id, plan_name: "Business" });
    const other = await api(cu, "GET", "/api/v2/team/123/plan");
    expect(other.status).toBe(401);
    expect(other.body).toEqual({ err: "Team not authorized", ECODE: "OAUTH_027" });
  });

  it("creates a folder and lists (from the file's examples), folderless lists too", async () => {
    const folder = await api(cu, "POST", `/api/v2/space/${S.teamSpaceId}/folder`, { name: example(cu, "CreateFolder").name });
    expect(folder.status).toBe(200);
    folderId = String(folder.body.id);
    expect(folder.body).toMatchObject({ name: "New Subfolder Name", hidden: false, space: { id: S.teamSpaceId } });

    const listBody = example(cu, "CreateList");
    delete listBody.assignee;
    const list = await api(cu, "POST", `/api/v2/folder/${folderId}/list`, listBody);
    expect(list.status).toBe(200);
    listId = String(list.body.id);
    expect(list.body).toMatchObject({ name: "New List Name", folder: { id: folderId }, space: { id: S.teamSpaceId } });
    expect((list.body.statuses as unknown[]).length).toBeGreaterThan(0);

    const folderless = await api(cu, "POST", `/api/v2/space/${S.teamSpaceId}/list`, { name: "Loose" });
    expect(folderless.status).toBe(200);
    expect(folderless.body.folder).toMatchObject({ hidden: true });

    const lists = await api(cu, "GET", `/api/v2/folder/${folderId}/list`);
    expect((lists.body.lists as Array<{ id: string }>).map((l) => l.id)).toEqual([listId]);
    const loose = await api(cu, "GET", `/api/v2/space/${S.teamSpaceId}/list`);
    expect((loose.body.lists as Array<{ name: string }>).map((l) => l.name)).toEqual(["Loose"]);
    const got = await api(cu, "GET", `/api/v2/list/${listId}`);
    expect(got.body).toMatchObject({ id: listId, name: "New List Name" });
    const folders = await api(cu, "GET", `/api/v2/space/${S.teamSpaceId}/folder`);
    expect(folders.body.folders).toEqual([expect.objectContaining({ id: folderId, lists: [expect.objectContaining({ id: listId })] })]);
  });

  it("has no documented route to create a custom field: it is 404, fields come from the emulator", async () => {
    const res = await api(cu, "POST", `/api/v2/list/${listId}/field`, { name: "Email", type: "email" });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ err: "Route not found", ECODE: "APP_001" });

    fields.dropdown = cu.createField(listId, { name: "Segment", type: "drop_down", options: ["High-End", "Budget", "Both"] });
    fields.number = cu.createField(listId, { name: "Confidence", type: "number" });
    fields.email = cu.createField(listId, { name: "Email", type: "email" });
    fields.phone = cu.createField(listId, { name: "Phone", type: "phone" });
    fields.url = cu.createField(listId, { name: "LinkedIn", type: "url" });
    fields.shortText = cu.createField(listId, { name: "Title", type: "short_text" });
    fields.text = cu.createField(listId, { name: "Background", type: "text" });

    const listed = await api(cu, "GET", `/api/v2/list/${listId}/field`);
    expect(listed.status).toBe(200);
    const got = listed.body.fields as Array<{ id: string; type: string; type_config: { options?: Array<{ id: string; name: string; orderindex: number }> } }>;
    expect(got.map((f) => f.type).sort()).toEqual(["drop_down", "email", "number", "phone", "short_text", "text", "url"]);
    const options = got.find((f) => f.type === "drop_down")?.type_config.options ?? [];
    expect(options.map((o) => o.name)).toEqual(["High-End", "Budget", "Both"]);
    for (const o of options) expect(o.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  let taskId: string;

  it("creates a task with inline custom fields of every type and reads them back in ClickUp's formats", async () => {
    const budget = fields.dropdown?.type_config.options?.[1];
    const body = example(cu, "CreateTask");
    Object.assign(body, {
      name: "Stacy Foster - General Manager | Richmond Country Club",
      markdown_content: "## Conversation starters\n1. **Range balls** lease",
      assignees: [S.repUser.id],
      status: "to do",
      group_assignees: [],
      custom_fields: [
        { id: fields.dropdown?.id, value: budget?.id },
        { id: fields.number?.id, value: 8 },
        { id: fields.email?.id, value: "sfoster@richmondcountryclubva.com" },
        { id: fields.phone?.id, value: "+1 804 592 5861" },
        { id: fields.url?.id, value: "https://www.linkedin.com/in/stacy-foster" },
        { id: fields.shortText?.id, value: "General Manager" },
        { id: fields.text?.id, value: "20 years in club management." },
        { id: "00000000-0000-4000-8000-000000000000", value: "ignored: not a field of this list" },
      ],
    });
    const created = await api(cu, "POST", `/api/v2/list/${listId}/task`, body);
    expect(created.status).toBe(200);
    taskId = String(created.body.id);

    const got = await api(cu, "GET", `/api/v2/task/${taskId}?include_markdown_description=true`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: taskId,
      name: body.name,
      markdown_description: body.markdown_content,
      status: { status: "to do", type: "open" },
      list: { id: listId },
      folder: { id: folderId },
      creator: { id: S.apiUser.id },
      assignees: [expect.objectContaining({ id: S.repUser.id })],
    });
    expect(got.body.text_content).not.toContain("**");
    const values = Object.fromEntries((got.body.custom_fields as Array<{ id: string; value?: unknown }>).map((f) => [f.id, f.value]));
    expect(values[fields.dropdown?.id ?? ""]).toBe(1); // a drop-down reads back as the option's orderindex
    expect(values[fields.number?.id ?? ""]).toBe("8"); // a number reads back as a string
    expect(values[fields.email?.id ?? ""]).toBe("sfoster@richmondcountryclubva.com");
    expect(values[fields.phone?.id ?? ""]).toBe("+1 804 592 5861");
    expect(values[fields.url?.id ?? ""]).toBe("https://www.linkedin.com/in/stacy-foster");
    expect(values[fields.shortText?.id ?? ""]).toBe("General Manager");
    expect(values[fields.text?.id ?? ""]).toBe("20 years in club management.");
    expect(Object.keys(values)).not.toContain("00000000-0000-4000-8000-000000000000");

    const listed = await api(cu, "GET", `/api/v2/list/${listId}/task?statuses[]=to%20do`);
    expect((listed.body.tasks as Array<{ id: string }>).map((t) => t.id)).toEqual([taskId]);
    expect(listed.body.last_page).toBe(true);
  });

  it("sets and clears a field value with Set/Remove Custom Field Value", async () => {
    const both = fields.dropdown?.type_config.options?.[2];
    const set = await api(cu, "POST", `/api/v2/task/${taskId}/field/${fields.dropdown?.id}`, { value: both?.id });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({});
    const byIndex = await api(cu, "POST", `/api/v2/task/${taskId}/field/${fields.number?.id}`, { value: 9 });
    expect(byIndex.status).toBe(200);
    const cleared = await api(cu, "DELETE", `/api/v2/task/${taskId}/field/${fields.text?.id}`);
    expect(cleared.status).toBe(200);
    const got = await api(cu, "GET", `/api/v2/task/${taskId}`);
    const byId = new Map((got.body.custom_fields as Array<{ id: string; value?: unknown }>).map((f) => [f.id, f]));
    expect(byId.get(fields.dropdown?.id ?? "")?.value).toBe(2);
    expect(byId.get(fields.number?.id ?? "")?.value).toBe("9");
    expect(byId.get(fields.text?.id ?? "")).not.toHaveProperty("value");
  });

  it("ignores custom fields sent to Update Task, as ClickUp does", async () => {
    const before = await api(cu, "GET", `/api/v2/task/${taskId}`);
    const res = await api(cu, "PUT", `/api/v2/task/${taskId}`, {
      custom_fields: [{ id: fields.email?.id, value: "changed@example.com" }, { id: fields.dropdown?.id, value: fields.dropdown?.type_config.options?.[0]?.id }],
    });
    expect(res.status).toBe(200);
    const after = await api(cu, "GET", `/api/v2/task/${taskId}`);
    expect(after.body.custom_fields).toEqual(before.body.custom_fields);
    expect(after.body.name).toBe(before.body.name);

    const renamed = await api(cu, "PUT", `/api/v2/task/${taskId}`, { name: "Renamed", status: "complete", custom_fields: [{ id: fields.email?.id, value: "x@y.com" }] });
    expect(renamed.body).toMatchObject({ name: "Renamed", status: { status: "complete", type: "closed" } });
    expect(renamed.body.date_closed).not.toBeNull();
    expect(renamed.body.custom_fields).toEqual(before.body.custom_fields);
  });

  it("posts and lists comments", async () => {
    const body: Record<string, unknown> = { ...example(cu, "CreateTaskComment"), assignee: S.repUser.id };
    delete body.group_assignee;
    const posted = await api(cu, "POST", `/api/v2/task/${taskId}/comment`, body);
    expect(posted.status).toBe(200);
    expect(posted.body).toEqual({ id: expect.any(String), hist_id: expect.any(String), date: expect.any(Number) });
    const listed = await api(cu, "GET", `/api/v2/task/${taskId}/comment`);
    expect(listed.body.comments).toEqual([
      expect.objectContaining({ id: posted.body.id, comment_text: "Task comment content", user: expect.objectContaining({ id: S.apiUser.id }) }),
    ]);
  });

  it("creates a webhook and returns its secret and health", async () => {
    const body = example(cu, "CreateWebhook");
    Object.assign(body, { endpoint: "https://app.example.com/webhooks/clickup", space_id: Number(S.intake.spaceId), list_id: Number(S.intake.listId) });
    delete body.folder_id;
    delete body.task_id;
    const created = await api(cu, "POST", `/api/v2/team/${S.teamId}/webhook`, body);
    expect(created.status).toBe(200);
    const webhook = created.body.webhook as Record<string, unknown>;
    expect(created.body.id).toBe(webhook.id);
    expect(webhook).toMatchObject({
      userid: S.apiUser.id,
      team_id: Number(S.teamId),
      endpoint: "https://app.example.com/webhooks/clickup",
      list_id: S.intake.listId,
      space_id: S.intake.spaceId,
      folder_id: null,
      task_id: null,
      health: { status: "active", fail_count: 0 },
    });
    expect(webhook.secret).toMatch(/^[A-Z0-9]{64}$/);
    const listed = await api(cu, "GET", `/api/v2/team/${S.teamId}/webhook`);
    expect((listed.body.webhooks as Array<{ id: string }>).map((w) => w.id)).toContain(webhook.id);

    // Update Webhook types `events` as a string in the file.
    const asArray = await api(cu, "PUT", `/api/v2/webhook/${String(webhook.id)}`, { endpoint: "https://app.example.com/x", events: ["taskCreated"], status: "active" });
    expect(asArray.status).toBe(400);
    const updated = await api(cu, "PUT", `/api/v2/webhook/${String(webhook.id)}`, { endpoint: "https://app.example.com/x", events: "*", status: "active" });
    expect(updated.status).toBe(200);
    expect(updated.body.webhook).toMatchObject({ endpoint: "https://app.example.com/x", events: ["*"] });
    const deleted = await api(cu, "DELETE", `/api/v2/webhook/${String(webhook.id)}`);
    expect(deleted.status).toBe(200);
    const again = await api(cu, "DELETE", `/api/v2/webhook/${String(webhook.id)}`);
    expect(again.status).toBe(404);
  });

  it("deletes a task (204) and then reports it not found", async () => {
    const t = await api(cu, "POST", `/api/v2/list/${listId}/task`, { name: "Doomed" });
    const del = await api(cu, "DELETE", `/api/v2/task/${String(t.body.id)}`);
    expect(del.status).toBe(204);
    const got = await api(cu, "GET", `/api/v2/task/${String(t.body.id)}`);
    expect(got.status).toBe(404);
    expect(got.body).toEqual({ err: "Task not found", ECODE: "ITEM_013" });
  });

  it("answers like the documented 200 schemas (apart from the file's known defects)", () => {
    expect(cu.responseViolations).toEqual([]);
  });

  describe("refusals", () => {
    it("wants a token: missing → OAUTH_017, unknown → OAUTH_025; a Bearer prefix is fine", async () => {
      const none = await api(cu, "GET", "/api/v2/user", undefined, { token: null });
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ err: "Authorization header required", ECODE: "OAUTH_017" });
      const bad = await api(cu, "GET", "/api/v2/user", undefined, { token: "pk_nope" });
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual({ err: "Token invalid", ECODE: "OAUTH_025" });
      const bearer = await api(cu, "GET", "/api/v2/user", undefined, { token: "Bearer pk_test_token" });
      expect(bearer.status).toBe(200);
    });

    it("refuses undocumented paths and methods with 404 Route not found", async () => {
      for (const [method, path] of [
        ["GET", "/api/v2/list/1/tasks"],
        ["PATCH", `/api/v2/task/${taskId}`],
        ["POST", "/api/v2/user"],
        ["GET", "/v2/user"],
        ["GET", "/api/v3/user"],
      ] as const) {
        const res = await api(cu, method, path, method === "GET" ? undefined : {});
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body).toEqual({ err: "Route not found", ECODE: "APP_001" });
      }
    });

    it("refuses bodies missing required fields (400 {err, ECODE})", async () => {
      const cases: Array<[string, unknown, string]> = [
        [`/api/v2/list/${listId}/task`, { description: "no name" }, "name"],
        [`/api/v2/space/${S.teamSpaceId}/folder`, {}, "name"],
        [`/api/v2/folder/${folderId}/list`, { content: "x" }, "name"],
        [`/api/v2/task/${taskId}/comment`, { comment_text: "no notify_all" }, "notify_all"],
        [`/api/v2/team/${S.teamId}/webhook`, { endpoint: "https://a.example.com/h" }, "events"],
      ];
      for (const [path, body, missing] of cases) {
        const res = await api(cu, "POST", path, body);
        expect(res.status, path).toBe(400);
        expect(res.body.ECODE).toEqual(expect.any(String));
        expect(res.body.err).toContain(missing);
      }
      const empty = await api(cu, "POST", `/api/v2/list/${listId}/task`);
      expect(empty.status).toBe(400);
      const broken = await api(cu, "POST", `/api/v2/list/${listId}/task`, undefined, { rawBody: "{\"name\": " });
      expect(broken.status).toBe(400);
      expect(broken.body.ECODE).toEqual(expect.any(String));
    });

    it("refuses wrong JSON types in bodies and parameters", async () => {
      const cases: Array<[string, string, unknown]> = [
        ["POST", `/api/v2/list/${listId}/task`, { name: 123 }],
        ["POST", `/api/v2/list/${listId}/task`, { name: "x", assignees: "me" }],
        ["POST", `/api/v2/list/${listId}/task`, { name: "x", custom_fields: { id: "a", value: "b" } }],
        ["POST", `/api/v2/list/${listId}/task`, { name: "x", custom_fields: [{ id: 7, value: "b" }] }],
        ["PUT", `/api/v2/task/${taskId}`, { status: 3 }],
        ["POST", `/api/v2/team/${S.teamId}/webhook`, { endpoint: "https://a.example.com/h", events: "taskCreated" }],
        ["POST", "/api/v2/list/not-a-number/task", { name: "x" }],
        ["GET", `/api/v2/list/${listId}/task?page=two`, undefined],
        ["GET", `/api/v2/task/${taskId}?include_markdown_description=maybe`, undefined],
      ];
      for (const [method, path, body] of cases) {
        const res = await api(cu, method, path, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body).toEqual({ err: expect.any(String), ECODE: expect.any(String) });
      }
    });

    it("refuses a missing required query parameter (checked before anything else)", async () => {
      const res = await api(cu, "GET", "/api/v2/task/bulk_time_in_status/task_ids");
      expect(res.status).toBe(400);
      expect(res.body.err).toContain("task_ids");
      const ok = await api(cu, "GET", "/api/v2/task/bulk_time_in_status/task_ids?task_ids=abc");
      expect(ok.status).toBe(501); // documented, valid, but not emulated
    });

    it("refuses a drop-down written by its label instead of the option UUID", async () => {
      const inline = await api(cu, "POST", `/api/v2/list/${listId}/task`, { name: "x", custom_fields: [{ id: fields.dropdown?.id, value: "Budget" }] });
      expect(inline.status).toBe(400);
      expect(inline.body).toEqual({ err: "Value must be an option index or uuid", ECODE: "FIELD_011" });
      const set = await api(cu, "POST", `/api/v2/task/${taskId}/field/${fields.dropdown?.id}`, { value: "Budget" });
      expect(set.status).toBe(400);
      expect(set.body.ECODE).toBe("FIELD_011");
    });

    it("refuses bad emails, phones without a country code, bad URLs and numbers as strings", async () => {
      const bad: Array<[CustomField | undefined, unknown]> = [
        [fields.email, "not-an-email"],
        [fields.email, "stacy@"],
        [fields.phone, "804-592-5861"],
        [fields.url, "linkedin dot com"],
        [fields.number, "8"],
      ];
      for (const [field, value] of bad) {
        const inline = await api(cu, "POST", `/api/v2/list/${listId}/task`, { name: "x", custom_fields: [{ id: field?.id, value }] });
        expect(inline.status, `${field?.type} ${String(value)}`).toBe(400);
        expect(inline.body).toEqual({ err: expect.stringContaining(field?.type ?? ""), ECODE: expect.any(String) });
        const set = await api(cu, "POST", `/api/v2/task/${taskId}/field/${field?.id}`, { value });
        expect(set.status).toBe(400);
      }
      const elsewhere = await api(cu, "POST", `/api/v2/task/${taskId}/field/${S.leads.fields.email.id}`, { value: "a@b.com" });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.ECODE).toBe("FIELD_115");
    });

    it("refuses unknown statuses, lists and tasks", async () => {
      const status = await api(cu, "POST", `/api/v2/list/${listId}/task`, { name: "x", status: "nope" });
      expect(status.status).toBe(400);
      const list = await api(cu, "GET", "/api/v2/list/42");
      expect(list.status).toBe(404);
      expect(list.body).toEqual({ err: "List not found", ECODE: "ITEM_015" });
    });
  });

  it("routes every documented operation (no documented path/method is 'Route not found')", async () => {
    const sample = (name: string, type: string | undefined): string => (type === "number" || type === "integer" ? "4242" : `x${name}`);
    for (const op of cu.contract.operations()) {
      let path = `/api${op.template}`;
      for (const p of op.pathParams) path = path.replace(`{${p.name}}`, sample(p.name, p.type));
      const res = await api(cu, op.method, path, op.body ? {} : undefined);
      expect(res.body.ECODE, `${op.method} ${op.template}`).not.toBe("APP_001");
      if (!IMPLEMENTED_OPERATIONS.includes(op.operationId) && res.status === 501) expect(res.body.ECODE).toBe("EMU_001");
    }
  });
});

describe("ClickUp emulator: Free Forever custom-field uses", () => {
  it("refuses Set Custom Field Value past the plan's uses (FIELD_033)", async () => {
    const cu = await startClickUpEmulator({ plan: PLANS.freeForever, customFieldUseLimit: 2 });
    try {
      const plan = await api(cu, "GET", `/api/v2/team/${S.teamId}/plan`);
      expect(plan.body).toEqual({ plan_id: 1, plan_name: "Free Forever" });
      const task = await api(cu, "POST", `/api/v2/list/${S.intake.listId}/task`, { name: "Pinehurst No. 2" });
      const path = `/api/v2/task/${String(task.body.id)}/field/${S.intake.fields.state.id}`;
      expect((await api(cu, "POST", path, { value: "NC" })).status).toBe(200);
      expect((await api(cu, "POST", path, { value: "NC" })).status).toBe(200);
      const third = await api(cu, "POST", path, { value: "NC" });
      expect(third.status).toBe(400);
      expect(third.body).toEqual({ err: "Custom field usages exceeded for your plan", ECODE: "FIELD_033" });
    } finally {
      await cu.close();
    }
  });
});
