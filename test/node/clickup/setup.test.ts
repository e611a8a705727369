// `npm run clickup:setup` against the ClickUp emulator and a test database: an empty workspace gets
// its lists, folders and webhook and a list of manual steps (exit 2); once an admin adds the fields
// and statuses the API cannot create, a second run completes (exit 0) and stores the settings; a
// third run writes nothing anywhere. The seeded workspace completes in one run.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLICKUP_SEED, type ClickUpEmulator, PLANS, startClickUpEmulator } from "../../../sandbox/clickup/index.ts";
import type { StatusDef } from "../../../sandbox/clickup/workspace.ts";
import { runClickUpSetup, type SetupReport } from "../../../scripts/clickup-setup.ts";
import { ClickUpSettings, LEAD_FIELDS, LEAD_STATUSES } from "../../../src/clickup/config.ts";
import { SEGMENTS } from "../../../src/lib/segment.ts";
import { createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const TOKEN = "pk_test_token";
const APP_URL = "http://127.0.0.1:9"; // loopback, closed: deliveries (none expected) never leave the machine
const ENDPOINT = `${APP_URL}/webhooks/clickup`;
const S = CLICKUP_SEED;

let db: TestDatabase;
let sql: postgres.Sql;
let cu: ClickUpEmulator | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = sqlClient(db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});
beforeEach(async () => {
  await sql`delete from public.settings where key = 'clickup'`;
  await sql`delete from public.clickup_entities`;
});
afterEach(async () => {
  await cu?.close();
  cu = undefined;
});

interface Run {
  exitCode: number;
  report: SetupReport;
  output: string;
  lines: string[];
}

async function setup(emulator: ClickUpEmulator, env: Record<string, string> = {}, spaceName?: string): Promise<Run> {
  const lines: string[] = [];
  const { exitCode, report } = await runClickUpSetup({
    env: { CLICKUP_API_TOKEN: TOKEN, CLICKUP_BASE_URL: emulator.url, DATABASE_URL: db.url, APP_URL, ...env },
    ...(spaceName ? { spaceName } : {}),
    print: (line) => lines.push(line),
  });
  return { exitCode, report, output: lines.join("\n"), lines };
}

/** The last output line is the JSON summary. */
function jsonLine(run: Run): Record<string, unknown> {
  return JSON.parse(run.lines.at(-1) ?? "{}") as Record<string, unknown>;
}

async function storedSettings(): Promise<{ value: unknown; updated_at: Date } | undefined> {
  const rows = await sql<{ value: unknown; updated_at: Date }[]>`select value, updated_at from public.settings where key = 'clickup'`;
  return rows[0];
}

async function entities(): Promise<Array<{ kind: string; key: string; clickup_id: string; meta: unknown; updated_at: Date }>> {
  return sql`select kind, key, clickup_id, meta, updated_at from public.clickup_entities order by kind, key`;
}

/** What an admin does in ClickUp's UI: give a list its own statuses. */
function setStatuses(emulator: ClickUpEmulator, listId: string, names: string[]): void {
  const list = emulator.workspace.getList(listId);
  list.statuses = names.map(
    (status, i): StatusDef => ({ id: `p${listId}_${i}`, status, type: i === 0 ? "open" : i === names.length - 1 ? "closed" : "custom", orderindex: i, color: "#d3d3d3" }),
  );
  list.override_statuses = true;
}

function writes(emulator: ClickUpEmulator, since: number): number {
  return emulator.recorder.count({ since, where: (r) => r.method === "POST" || r.method === "PUT" });
}

function expectNoSecrets(run: Run, secrets: string[]): void {
  for (const s of [TOKEN, ...secrets]) expect(run.output).not.toContain(s);
}

describe("npm run clickup:setup", () => {
  it("on an empty workspace creates lists, folders and the webhook, lists the manual steps; completes once they are done; then changes nothing", async () => {
    cu = await startClickUpEmulator({ seed: "empty", rateLimitPerMinute: 10_000 });
    const space = cu.workspace.createSpace({ name: "Sales" });

    // Run 1: everything the API can create is created; fields and statuses are manual steps.
    const first = await setup(cu, {}, "Sales");
    expect(first.exitCode).toBe(2);
    expect(first.report).toMatchObject({ status: "incomplete", team_id: S.teamId, space_id: space.id, app_user_id: S.apiUser.id, settings: "not_written" });
    const state = cu.workspace;
    const folders = [...state.folders.values()].filter((f) => f.space_id === space.id && !f.hidden);
    expect(folders.map((f) => f.name).sort()).toEqual(["Both", "Budget", "High-End"]);
    const lists = [...state.lists.values()].filter((l) => l.space_id === space.id);
    expect(lists.map((l) => `${l.folderless ? "" : `${state.folders.get(l.folder_id)?.name}/`}${l.name}`).sort()).toEqual([
      "Alerts",
      "Both/New Leads",
      "Budget/New Leads",
      "High-End/New Leads",
      "Intake",
    ]);
    const hooks = [...cu.hub.webhooks.values()];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ endpoint: ENDPOINT, space_id: space.id, events: ["taskCreated", "taskStatusUpdated", "taskUpdated", "taskDeleted"] });
    expect(first.report.created).toHaveLength(9); // Intake, Alerts, 3 folders, 3 lists, the webhook
    // One POST per creation, counted by method.
    expect(first.report.requests.post).toBe(9);

    const steps = first.report.manual_steps;
    expect(steps.filter((s) => s.kind === "custom_field")).toHaveLength(Object.keys(LEAD_FIELDS).length);
    expect(steps.filter((s) => s.kind === "status")).toHaveLength(4); // Intake and the three New Leads lists
    expect(first.output).toContain('Create custom field "Segment" (type Dropdown, options High-End, Budget, Both) once, with Space "Sales" as its location');
    expect(first.output).toContain('Create custom field "Top Opp 1 Score" (type Number)');
    expect(first.output).toContain('Create custom field "LinkedIn URL" (type Website (URL))');
    expect(first.output).toContain('"High-End / New Leads", "Budget / New Leads", "Both / New Leads" share it');
    expect(first.output).toMatch(/In list "Intake" of Space "Sales", add the statuses "new", "enriching", "enriched", "needs attention"/);
    expect(first.output).toMatch(/In list "Both \/ New Leads" of Space "Sales", add the statuses "new lead", "contacted", "replied", "unsubscribed", "closed"/);
    expect(jsonLine(first)).toMatchObject({ action: "clickup_setup", status: "incomplete", exit_code: 2 });
    expect(await storedSettings()).toBeUndefined();
    expect((await entities()).map((e) => `${e.kind}:${e.key}`)).toEqual(expect.arrayContaining(["list:intake", "folder:budget", "list:leads:both", "webhook:main", "user:app"]));

    // The admin adds the fields once, at the space level, and the statuses on each list.
    for (const spec of Object.values(LEAD_FIELDS)) {
      cu.createField({ kind: "space", id: space.id }, { name: spec.name, type: spec.type, ...("options" in spec ? { options: Object.values(spec.options) } : {}) });
    }
    const intakeId = lists.find((l) => l.name === "Intake")?.id ?? "";
    setStatuses(cu, intakeId, ["new", "enriching", "enriched", "needs attention", "complete"]);
    for (const l of lists.filter((x) => x.name === "New Leads")) setStatuses(cu, l.id, Object.values(LEAD_STATUSES));

    // Run 2: complete, nothing created again, settings stored.
    const t2 = Date.now();
    const second = await setup(cu, {}, "Sales");
    expect(second.report.manual_steps).toEqual([]);
    expect(second.exitCode).toBe(0);
    expect(second.report).toMatchObject({ status: "complete", settings: "written", created: [], updated: [] });
    expect(writes(cu, t2)).toBe(0);
    const stored = await storedSettings();
    const settings = ClickUpSettings.parse(stored?.value);
    const segmentField = cu.workspace.findField("Segment", intakeId);
    const webhook = hooks[0];
    expect(settings).toMatchObject({
      version: 1,
      team_id: S.teamId,
      space_id: space.id,
      app_user_id: S.apiUser.id,
      intake_list_id: intakeId,
      webhook: { id: webhook?.id, endpoint: ENDPOINT, secret: webhook?.secret },
      plan: { name: "Business", custom_field_limit: null, rate_limit_per_minute: 100 },
      statuses: {
        intake: { new: "new", enriching: "enriching", enriched: "enriched", needs_attention: "needs attention" },
        leads: { new_lead: "new lead", contacted: "contacted", replied: "replied", unsubscribed: "unsubscribed", closed: "closed" },
      },
      intake_fields: { state: null },
    });
    expect(settings.fields.segment.id).toBe(segmentField?.id);
    expect(settings.fields.segment.options).toEqual({
      "high-end": segmentField?.type_config.options?.[0]?.id,
      budget: segmentField?.type_config.options?.[1]?.id,
      both: segmentField?.type_config.options?.[2]?.id,
    });
    expect(settings.fields.top_opp_2_score).toEqual({ id: cu.workspace.findField("Top Opp 2 Score")?.id, name: "Top Opp 2 Score", type: "number" });
    for (const segment of SEGMENTS) {
      const folder = folders.find((f) => f.name === { "high-end": "High-End", budget: "Budget", both: "Both" }[segment]);
      expect(settings.lead_folders[segment]).toBe(folder?.id);
      expect(cu.workspace.getList(settings.lead_lists[segment]).folder_id).toBe(folder?.id);
    }
    expect(second.output).toContain("ClickUp is ready for the app.");

    // Run 3: no ClickUp write, no database change.
    const before = { settings: await storedSettings(), entities: await entities() };
    const t3 = Date.now();
    const third = await setup(cu, {}, "Sales");
    expect(third.exitCode).toBe(0);
    expect(third.report).toMatchObject({ settings: "unchanged", entities_changed: 0, created: [], updated: [], requests: { post: 0, put: 0 } });
    expect(writes(cu, t3)).toBe(0);
    expect(await storedSettings()).toEqual(before.settings);
    expect(await entities()).toEqual(before.entities);

    for (const run of [first, second, third]) expectNoSecrets(run, [webhook?.secret ?? "missing"]);
  });

  it("completes the seeded workspace in one run, finding every id (only the webhook and the Alerts list are created)", async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 10_000 });
    const t0 = Date.now();
    const run = await setup(cu, { CLICKUP_TEAM_ID: S.teamId, CLICKUP_SPACE_ID: S.intake.spaceId });
    expect(run.report.manual_steps).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(cu.recorder.count({ since: t0, method: "POST" })).toBe(2);
    expect(run.report.created).toEqual([expect.stringMatching(/^list "Alerts" /), expect.stringMatching(/^webhook .* → http:\/\/127\.0\.0\.1:9\/webhooks\/clickup/)]);
    const settings = ClickUpSettings.parse((await storedSettings())?.value);
    // Admin alerts go to the Alerts list, assigned to the token's user (no CLICKUP_ADMIN_USER_ID here).
    const alertsList = [...cu.workspace.lists.values()].find((l) => l.name === "Alerts" && l.space_id === S.intake.spaceId);
    expect(settings.alerts).toEqual({ list_id: alertsList?.id, admin_user_id: S.apiUser.id, statuses: { open: "new lead", closed: "closed" } });
    // Settings stored before alerts existed still parse.
    const { alerts: _alerts, ...older } = settings;
    expect(ClickUpSettings.parse(older).alerts).toBeUndefined();
    const F = S.leads.fields;
    expect(settings).toMatchObject({
      space_id: S.intake.spaceId,
      intake_list_id: S.intake.listId,
      lead_folders: { "high-end": S.leads.folders.highEnd.id, budget: S.leads.folders.budget.id, both: S.leads.folders.both.id },
      lead_lists: { "high-end": S.leads.folders.highEnd.newLeadsListId, budget: S.leads.folders.budget.newLeadsListId, both: S.leads.folders.both.newLeadsListId },
      intake_fields: { state: { id: S.intake.fields.state.id, name: "State", type: "short_text" } },
      fields: {
        segment: { id: F.segment.id, options: { "high-end": F.segment.options[0]?.id, budget: F.segment.options[1]?.id, both: F.segment.options[2]?.id } },
        confidence: { id: F.confidence.id },
        email: { id: F.email.id, type: "email" },
        phone: { id: F.phone.id, type: "phone" },
        linkedin: { id: F.linkedin.id },
        top_opp_1: { id: F.top_opp_1.id },
        top_opp_1_score: { id: F.top_opp_1_score.id },
        top_opp_2: { id: F.top_opp_2.id },
        top_opp_2_score: { id: F.top_opp_2_score.id },
        course: { id: F.course.id },
        website: { id: F.website.id },
      },
    });
    const entityRows = await entities();
    expect(entityRows.find((e) => e.kind === "dropdown_option" && e.key === "segment:budget")?.clickup_id).toBe(F.segment.options[1]?.id);
    expect(entityRows.find((e) => e.kind === "status" && e.key === "intake:needs_attention")?.meta).toMatchObject({ name: "needs attention", list_id: S.intake.listId });
    expect(JSON.stringify(entityRows)).not.toContain(settings.webhook.secret);
    expectNoSecrets(run, [settings.webhook.secret]);
  });

  it("keeps to ClickUp's Remaining/Reset while another client spends the same token: it waits, it never meets a 429", async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 20, rateLimitWindowMs: 2_000 });
    const emulator = cu;
    // Another client of the token: a request every 300 ms (about a third of the budget).
    let other = 0;
    const spender = setInterval(() => {
      if (emulator.limiter.hit(TOKEN).allowed) other++;
    }, 300);
    const t0 = Date.now();
    let run: Run;
    try {
      run = await setup(cu, { CLICKUP_TEAM_ID: S.teamId, CLICKUP_SPACE_ID: S.intake.spaceId, CLICKUP_RATE_WINDOW_MS: "2000" });
    } finally {
      clearInterval(spender);
    }
    expect(run.exitCode, run.output).toBe(0);
    const sent = cu.recorder.list({ since: t0 }).filter((r) => r.path.startsWith("/api/"));
    expect(sent.length).toBeGreaterThan(10);
    expect(other).toBeGreaterThan(3);
    expect(sent.filter((r) => r.status === 429)).toEqual([]);
  }, 60_000);

  it("repairs an existing webhook for the endpoint (events, suspended) instead of creating a second one", async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 10_000 });
    const existing = cu.registerWebhook(ENDPOINT, { events: ["taskCreated"], space_id: S.intake.spaceId });
    existing.health = { status: "suspended", fail_count: 100 };
    const run = await setup(cu, { CLICKUP_SPACE_ID: S.intake.spaceId });
    expect(run.exitCode).toBe(0);
    expect(run.report.created).toEqual([expect.stringMatching(/^list "Alerts" /)]); // the seeded workspace has no Alerts list
    expect(run.report.updated).toEqual([expect.stringContaining(`webhook ${existing.id}`)]);
    expect(cu.hub.webhooks.size).toBe(1);
    expect(cu.hub.webhooks.get(existing.id)).toMatchObject({ events: ["taskCreated", "taskStatusUpdated", "taskUpdated", "taskDeleted"], health: { status: "active" } });
    expect(ClickUpSettings.parse((await storedSettings())?.value).webhook).toMatchObject({ id: existing.id, secret: existing.secret });
    expectNoSecrets(run, [existing.secret]);
  });

  it("warns when the plan limits custom-field uses (Free Forever: 60)", async () => {
    cu = await startClickUpEmulator({ seed: "intake", plan: PLANS.freeForever, rateLimitPerMinute: 10_000 });
    const run = await setup(cu, { CLICKUP_SPACE_ID: S.intake.spaceId });
    expect(run.exitCode).toBe(0);
    expect(run.report.warnings).toEqual([expect.stringContaining('"Free Forever" allows only 60 custom-field uses')]);
    expect(run.output).toContain("Warnings:");
    expect(ClickUpSettings.parse((await storedSettings())?.value).plan).toEqual({ id: PLANS.freeForever.id, name: "Free Forever", custom_field_limit: 60, rate_limit_per_minute: 100 });
  });

  it("without APP_URL or with a wrong token: says what to do and never prints the token", async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 10_000 });
    const noUrl = await setup(cu, { CLICKUP_SPACE_ID: S.intake.spaceId, APP_URL: "" });
    expect(noUrl.exitCode).toBe(2);
    expect(noUrl.report.manual_steps).toEqual([expect.objectContaining({ kind: "app_url" })]);
    expect(noUrl.output).toContain("Set APP_URL");
    expect(await storedSettings()).toBeUndefined();

    const wrong = "pk_wrong_secret_token_123";
    const bad = await setup(cu, { CLICKUP_API_TOKEN: wrong, CLICKUP_SPACE_ID: S.intake.spaceId });
    expect(bad.exitCode).toBe(1);
    expect(bad.report).toMatchObject({ status: "error", error: expect.stringContaining("401") });
    expect(bad.output).not.toContain(wrong);

    const manySpaces = await setup(cu);
    expect(manySpaces.exitCode).toBe(1);
    expect(manySpaces.output).toContain('set CLICKUP_SPACE_ID or pass --space "<name>"');
  });

  it("runs as a CLI: --space by name, a summary and a JSON line, exit code 0", async () => {
    cu = await startClickUpEmulator({ seed: "intake", rateLimitPerMinute: 10_000 });
    const env = { ...process.env, CLICKUP_API_TOKEN: TOKEN, CLICKUP_BASE_URL: cu.url, DATABASE_URL: db.url, APP_URL, CLICKUP_SPACE_ID: "", CLICKUP_TEAM_ID: "", CLICKUP_INTAKE_LIST_ID: "" };
    const child = spawn(process.execPath, [join(root, "scripts/clickup-setup.ts"), "--space", "Sales"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, out).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toContain('ClickUp setup: workspace "Golf Outreach"');
    expect(JSON.parse(lines.at(-1) ?? "{}")).toMatchObject({ action: "clickup_setup", status: "complete", exit_code: 0, space_id: S.intake.spaceId });
    expect(out).not.toContain(TOKEN);
  });
});
