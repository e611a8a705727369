// `npm run clickup:setup`: prepares a ClickUp space for the app and stores every id in the database.
//
//   npm run clickup:setup                      # CLICKUP_SPACE_ID, or the only space of the workspace
//   npm run clickup:setup -- --space "Sales"   # the space by name
//
// Inputs (environment, then .dev.vars): CLICKUP_API_TOKEN (required), CLICKUP_TEAM_ID (or the only
// workspace), CLICKUP_SPACE_ID (or --space, or the only space), APP_URL (the deployed Worker; the
// webhook posts to <APP_URL>/webhooks/clickup), CLICKUP_INTAKE_LIST_ID (optional: an existing intake
// list), CLICKUP_ADMIN_USER_ID (optional: who alert tasks are assigned to), DATABASE_URL (default: the embedded dev database `npm start` runs), CLICKUP_BASE_URL,
// CLICKUP_RATE_LIMIT_PER_MINUTE / CLICKUP_RATE_WINDOW_MS (optional: the budget its requests keep to).
//
// Idempotent. It finds, or creates: the folderless lists "Intake" and "Alerts" (admin alerts are
// tasks there, assigned to CLICKUP_ADMIN_USER_ID or else the token's user); folders "High-End", "Budget" and
// "Both", each with a list "New Leads"; the webhook on the space (taskCreated, taskStatusUpdated,
// taskUpdated; matched by endpoint). It checks what the API cannot create (ClickUp's public API has
// no "create custom field" or "edit statuses" call): the lead custom fields (shared by the three
// New Leads lists: created once at the space level) and the statuses of each list, and prints
// exactly what to add where. It reads the token's user (the app's own writes) and the plan (warns
// when custom-field uses are limited). Everything goes to the `settings` row 'clickup' (once nothing
// is missing) and to `clickup_entities`, written only where it changed: a second run makes no
// ClickUp write and no database change.
//
// Output: a readable summary, then one JSON line (never the token or the webhook secret).
// Exit code: 0 everything the app needs exists; 2 manual steps remain (listed); 1 an error.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import postgres from "postgres";
import { type ClickUpAdminClient, createClickUpAdminClient } from "../src/clickup/admin-client.ts";
import type { ClickUpField, ClickUpList, RateGate } from "../src/clickup/client.ts";
import {
  ALERTS_LIST_NAME,
  CLICKUP_SETTINGS_KEY,
  ClickUpSettings,
  customFieldLimitForPlan,
  type FieldType,
  INTAKE_LIST_NAME,
  INTAKE_STATUSES,
  LEAD_FIELD_KEYS,
  LEAD_FIELDS,
  LEAD_FOLDER_NAMES,
  LEAD_LIST_NAME,
  LEAD_STATUSES,
  type LeadFieldKey,
  normalizeName,
  rateLimitForPlan,
  WEBHOOK_EVENTS,
  WEBHOOK_PATH,
} from "../src/clickup/config.ts";
import { type Segment, SEGMENTS } from "../src/lib/segment.ts";
import { ClickUpError } from "../src/clickup/errors.ts";
import { createLocalRateGate } from "../src/clickup/rate-budget.ts";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:54329/postgres";
export const DEFAULT_CLICKUP_BASE_URL = "https://api.clickup.com";

export interface ManualStep {
  kind: "custom_field" | "dropdown_options" | "status" | "app_url" | "webhook";
  /** Where to do it (the list, or the space). */
  where: string;
  instruction: string;
}

export interface SetupReport {
  status: "complete" | "incomplete" | "error";
  exit_code: 0 | 1 | 2;
  team_id: string | null;
  space_id: string | null;
  app_user_id: number | null;
  plan: string | null;
  created: string[];
  updated: string[];
  manual_steps: ManualStep[];
  warnings: string[];
  /** written: stored or changed; unchanged: already as found; not_written: manual steps remain. */
  settings: "written" | "unchanged" | "not_written";
  entities_changed: number;
  requests: { get: number; post: number; put: number };
  error?: string;
}

export interface SetupOptions {
  /** The environment (the CLI merges process.env over .dev.vars). */
  env: Record<string, string | undefined>;
  /** `--space`: the space by name (when CLICKUP_SPACE_ID is not set). */
  spaceName?: string;
  /** Where the summary goes, line by line (default console.log). */
  print?: (line: string) => void;
  /** For tests: the fetch the ClickUp client uses. */
  fetch?: typeof fetch;
}

class SetupError extends Error {}

const TYPE_LABELS: Record<FieldType, string> = {
  drop_down: "Dropdown",
  number: "Number",
  email: "Email",
  phone: "Phone",
  url: "Website (URL)",
  short_text: "Text",
  text: "Text area",
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The token's budget as the Worker's gate keeps it (src/clickup/rate-budget.ts), in this process:
 * setup cannot see the Worker's grants, but it takes every answer's X-RateLimit-Remaining/Reset as the
 * truth (so it waits instead of meeting a 429 when the Worker, or anyone, spent the window), and as a
 * background caller it leaves the headroom and the interactive reserve to the Worker. The limit is
 * CLICKUP_RATE_LIMIT_PER_MINUTE when set, else ClickUp's X-RateLimit-Limit; the window
 * CLICKUP_RATE_WINDOW_MS (60 s).
 */
export function setupRateGate(env: Record<string, string | undefined>): RateGate {
  const limit = Number(env.CLICKUP_RATE_LIMIT_PER_MINUTE);
  const windowMs = Number(env.CLICKUP_RATE_WINDOW_MS);
  return createLocalRateGate({
    ...(Number.isInteger(limit) && limit > 0 ? { limit } : {}),
    windowMs: Number.isInteger(windowMs) && windowMs > 0 ? windowMs : 60_000,
    priority: "background",
  });
}

/**
 * Retries what may succeed later (a 429 after its reset, a 5xx with backoff). A write that timed out
 * is not retried (it may have happened): running setup again finds it.
 */
async function retrying<T>(fn: () => Promise<T>, opts: { write: boolean }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const again = error instanceof ClickUpError && error.retryable && attempt < 4 && !(opts.write && (error.kind === "timeout" || error.kind === "network"));
      if (!again) throw error;
      const wait = error.resetAt !== null ? error.resetAt - Date.now() : 500 * 2 ** (attempt - 1);
      await sleep(Math.min(Math.max(wait, 200), 60_000));
    }
  }
}

function named<T extends { name: string; archived?: boolean | undefined }>(items: T[], name: string): T | undefined {
  const wanted = normalizeName(name);
  return items.find((i) => !i.archived && normalizeName(i.name) === wanted);
}

interface ListInfo {
  id: string;
  /** "High-End / New Leads" */
  label: string;
  list: ClickUpList;
  fields: ClickUpField[];
}

export async function runClickUpSetup(options: SetupOptions): Promise<{ exitCode: 0 | 1 | 2; report: SetupReport }> {
  const print = options.print ?? ((line: string) => console.log(line));
  const env = options.env;
  const report: SetupReport = {
    status: "error",
    exit_code: 1,
    team_id: null,
    space_id: null,
    app_user_id: null,
    plan: null,
    created: [],
    updated: [],
    manual_steps: [],
    warnings: [],
    settings: "not_written",
    entities_changed: 0,
    requests: { get: 0, post: 0, put: 0 },
  };
  const lines: string[] = [];
  const say = (line: string): void => {
    lines.push(line);
  };
  const secrets: string[] = [];
  const finish = (): { exitCode: 0 | 1 | 2; report: SetupReport } => {
    // Never print the token or the webhook secret, whatever a message may contain.
    const redact = (s: string): string => secrets.reduce((out, secret) => (secret ? out.split(secret).join("[redacted]") : out), s);
    for (const line of lines) print(redact(line));
    print(redact(JSON.stringify({ action: "clickup_setup", ...report })));
    return { exitCode: report.exit_code, report };
  };

  const token = env.CLICKUP_API_TOKEN?.trim();
  if (!token) {
    report.error = "CLICKUP_API_TOKEN is not set (a ClickUp personal token, pk_...; in the environment or .dev.vars)";
    say(`ClickUp setup failed: ${report.error}`);
    return finish();
  }
  secrets.push(token);

  let sql: postgres.Sql | undefined;
  try {
    const databaseUrl = env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
    sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
    await checkDatabase(sql, databaseUrl);

    const countingFetch: typeof fetch = (input, init) => {
      const method = (init?.method ?? "GET").toLowerCase();
      if (method === "get" || method === "post" || method === "put") report.requests[method]++;
      return (options.fetch ?? fetch)(input, init);
    };
    const client = createClickUpAdminClient({ token, baseUrl: env.CLICKUP_BASE_URL?.trim() || DEFAULT_CLICKUP_BASE_URL, gate: setupRateGate(env), fetch: countingFetch, timeoutMs: 30_000 });
    const read = <T>(fn: () => Promise<T>): Promise<T> => retrying(fn, { write: false });
    const write = <T>(fn: () => Promise<T>): Promise<T> => retrying(fn, { write: true });

    const result = await provision(client, { env, spaceName: options.spaceName, report, read, write, secrets });
    const changed = await store(sql, result, report);
    report.entities_changed = changed.entities;
    report.settings = result.settings ? (changed.settings ? "written" : "unchanged") : "not_written";
    report.status = report.manual_steps.length === 0 ? "complete" : "incomplete";
    report.exit_code = report.manual_steps.length === 0 ? 0 : 2;
    summarize(say, result, report);
  } catch (error) {
    report.status = "error";
    report.exit_code = 1;
    report.error = error instanceof SetupError || error instanceof ClickUpError ? error.message : `unexpected: ${error instanceof Error ? error.message : String(error)}`;
    say(`ClickUp setup failed: ${report.error}`);
    if (error instanceof ClickUpError && error.status === 401) say("  Check CLICKUP_API_TOKEN (and CLICKUP_TEAM_ID): ClickUp refused the token for this workspace.");
  } finally {
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
  return finish();
}

async function checkDatabase(sql: postgres.Sql, databaseUrl: string): Promise<void> {
  const where = (() => {
    try {
      const u = new URL(databaseUrl);
      return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
    } catch {
      return "DATABASE_URL";
    }
  })();
  try {
    const rows = await sql<{ settings: string | null; entities: string | null }[]>`
      select to_regclass('public.settings')::text as settings, to_regclass('public.clickup_entities')::text as entities`;
    if (!rows[0]?.settings || !rows[0]?.entities) {
      throw new SetupError(`the database at ${where} has no settings / clickup_entities tables: run the migrations first (DATABASE_URL=... npm run db:migrate)`);
    }
  } catch (error) {
    if (error instanceof SetupError) throw error;
    throw new SetupError(`cannot reach the database at ${where} (${error instanceof Error ? error.message : String(error)}); start it (npm start) or set DATABASE_URL`);
  }
}

interface Provisioned {
  teamName: string;
  spaceName: string;
  appUser: { id: number; username: string | undefined };
  plan: { id: number | null; name: string | null };
  intake: ListInfo;
  alerts: { id: string; name: string; admin_user_id: number | null; statuses: { open: string; closed: string } };
  folders: Record<Segment, { id: string; name: string }>;
  leadLists: Record<Segment, ListInfo>;
  fields: Partial<Record<LeadFieldKey, { id: string; name: string; type: string }>>;
  segmentOptions: Partial<Record<Segment, { id: string; label: string }>>;
  stateField: { id: string; name: string; type: string } | null;
  statusNames: { intake: Partial<Record<string, string>>; leads: Partial<Record<string, string>> };
  statusIds: Array<{ key: string; id: string; name: string; list_id: string }>;
  webhook: { id: string; endpoint: string; events: string[]; secret: string | null } | null;
  settings: ClickUpSettings | null;
}

async function provision(
  client: ClickUpAdminClient,
  ctx: {
    env: Record<string, string | undefined>;
    spaceName: string | undefined;
    report: SetupReport;
    read: <T>(fn: () => Promise<T>) => Promise<T>;
    write: <T>(fn: () => Promise<T>) => Promise<T>;
    secrets: string[];
  },
): Promise<Provisioned> {
  const { env, report, read, write } = ctx;
  const step = (s: ManualStep): void => {
    report.manual_steps.push(s);
  };

  // Who the token is (the app's own user), and which workspace.
  const user = await read(() => client.getAuthorizedUser());
  report.app_user_id = user.id;
  const teamId = env.CLICKUP_TEAM_ID?.trim();
  const teams = await read(() => client.getTeams());
  const team = teamId ? teams.find((t) => t.id === teamId) : teams.length === 1 ? teams[0] : undefined;
  if (!team) {
    const known = teams.map((t) => `${t.name} (${t.id})`).join(", ") || "none";
    throw new SetupError(teamId ? `the token cannot reach workspace ${teamId} (it can reach: ${known})` : `the token reaches ${teams.length} workspaces: set CLICKUP_TEAM_ID to one of: ${known}`);
  }
  report.team_id = team.id;

  // The plan: its rate limit and custom-field uses.
  let plan: { id: number | null; name: string | null } = { id: null, name: null };
  try {
    const p = await read(() => client.getTeamPlan(team.id));
    plan = { id: p.plan_id, name: p.plan_name };
  } catch (error) {
    if (!(error instanceof ClickUpError) || error.retryable) throw error;
    report.warnings.push(`could not read the workspace plan (${error.message}); assuming 100 requests/min and no custom-field limit`);
  }
  report.plan = plan.name;

  // The space.
  const spaces = await read(() => client.getSpaces(team.id));
  const spaceId = env.CLICKUP_SPACE_ID?.trim();
  const space = spaceId
    ? spaces.find((s) => s.id === spaceId)
    : ctx.spaceName
      ? named(spaces, ctx.spaceName)
      : spaces.length === 1
        ? spaces[0]
        : undefined;
  if (!space) {
    const known = spaces.map((s) => `"${s.name}" (${s.id})`).join(", ") || "none";
    throw new SetupError(
      spaceId
        ? `space ${spaceId} is not in workspace ${team.id} (spaces: ${known})`
        : ctx.spaceName
          ? `no space named "${ctx.spaceName}" in workspace ${team.id} (spaces: ${known})`
          : `workspace ${team.id} has ${spaces.length} spaces: set CLICKUP_SPACE_ID or pass --space "<name>" (spaces: ${known})`,
    );
  }
  report.space_id = space.id;
  const spaceLabel = `Space "${space.name}"`;

  // The Intake list: CLICKUP_INTAKE_LIST_ID, or the space's folderless list "Intake" (created if missing).
  let intakeId = env.CLICKUP_INTAKE_LIST_ID?.trim() || undefined;
  if (!intakeId) {
    const folderless = await read(() => client.getFolderlessLists(space.id));
    const found = named(folderless, INTAKE_LIST_NAME);
    if (found) intakeId = found.id;
    else {
      const created = await write(() => client.createFolderlessList(space.id, INTAKE_LIST_NAME));
      intakeId = created.id;
      report.created.push(`list "${INTAKE_LIST_NAME}" (${created.id}) in ${spaceLabel}`);
    }
  }
  const intakeListId = intakeId;
  const intakeList = await read(() => client.getList(intakeListId));
  if (intakeList.space && intakeList.space.id !== space.id) {
    throw new SetupError(`CLICKUP_INTAKE_LIST_ID ${intakeListId} is in space ${intakeList.space.id}, not in ${spaceLabel} (${space.id}): the webhook on the space would not see it`);
  }
  const intakeFields = await read(() => client.getListFields(intakeListId));
  const intake: ListInfo = { id: intakeListId, label: `"${intakeList.name}"`, list: intakeList, fields: intakeFields };

  // The Alerts list (folderless): admin alerts are tasks there. Its statuses are whatever the list
  // has: the first open one for a new alert, the closed one when it clears.
  const folderlessNow = await read(() => client.getFolderlessLists(space.id));
  let alertsListId = named(folderlessNow, ALERTS_LIST_NAME)?.id;
  if (!alertsListId) {
    const created = await write(() => client.createFolderlessList(space.id, ALERTS_LIST_NAME));
    alertsListId = created.id;
    report.created.push(`list "${ALERTS_LIST_NAME}" (${created.id}) in ${spaceLabel}`);
  }
  const alertsListIdFound = alertsListId;
  const alertsList = await read(() => client.getList(alertsListIdFound));
  const openStatus = alertsList.statuses.find((x) => x.type === "open") ?? alertsList.statuses[0];
  const closedStatus = alertsList.statuses.find((x) => x.type === "closed") ?? alertsList.statuses[alertsList.statuses.length - 1];
  const adminRaw = env.CLICKUP_ADMIN_USER_ID?.trim();
  const adminUserId = adminRaw ? Number(adminRaw) : user.id;
  if (!Number.isInteger(adminUserId)) throw new SetupError(`CLICKUP_ADMIN_USER_ID "${adminRaw}" is not a ClickUp user id (a number)`);
  if (!openStatus || !closedStatus || openStatus === closedStatus) {
    step({ kind: "status", where: `list "${alertsList.name}" (${alertsList.id})`, instruction: `List "${alertsList.name}" of ${spaceLabel} needs an open and a closed status (ClickUp's defaults "to do" and "complete" will do).` });
  }
  const alerts: Provisioned["alerts"] = { id: alertsList.id, name: alertsList.name, admin_user_id: adminUserId, statuses: { open: openStatus?.status ?? "", closed: closedStatus?.status ?? "" } };

  // Folders High-End / Budget / Both, each with "New Leads".
  const existingFolders = await read(() => client.getFolders(space.id));
  const folders = {} as Record<Segment, { id: string; name: string }>;
  const leadLists = {} as Record<Segment, ListInfo>;
  for (const segment of SEGMENTS) {
    const folderName = LEAD_FOLDER_NAMES[segment];
    let folder = named(existingFolders.filter((f) => !f.hidden), folderName);
    let lists: { id: string; name: string; archived?: boolean | undefined }[] = [];
    if (folder) {
      const folderId = folder.id;
      lists = await read(() => client.getFolderLists(folderId));
    } else {
      folder = await write(() => client.createFolder(space.id, folderName));
      report.created.push(`folder "${folderName}" (${folder.id}) in ${spaceLabel}`);
    }
    const folderId = folder.id;
    folders[segment] = { id: folder.id, name: folder.name };
    let list = named(lists, LEAD_LIST_NAME);
    if (!list) {
      list = await write(() => client.createFolderList(folderId, LEAD_LIST_NAME));
      report.created.push(`list "${folder.name} / ${LEAD_LIST_NAME}" (${list.id})`);
    }
    const listId = list.id;
    const full = await read(() => client.getList(listId));
    const fields = await read(() => client.getListFields(listId));
    leadLists[segment] = { id: listId, label: `"${folder.name} / ${full.name}"`, list: full, fields };
  }
  const allLeadLabels = SEGMENTS.map((s) => leadLists[s].label).join(", ");

  // Statuses (the API cannot edit them: say what to add where).
  const statusIds: Provisioned["statusIds"] = [];
  const checkStatuses = (info: ListInfo, needed: Record<string, string>, keyPrefix: string): Partial<Record<string, string>> => {
    const found: Partial<Record<string, string>> = {};
    const missing: string[] = [];
    for (const [key, name] of Object.entries(needed)) {
      const s = info.list.statuses.find((x) => normalizeName(x.status) === normalizeName(name));
      if (s) {
        found[key] = s.status;
        statusIds.push({ key: `${keyPrefix}:${key}`, id: s.id ?? s.status, name: s.status, list_id: info.id });
      } else missing.push(name);
    }
    if (missing.length > 0) {
      step({
        kind: "status",
        where: `list ${info.label} (${info.id})`,
        instruction: `In list ${info.label} of ${spaceLabel}, add the status${missing.length > 1 ? "es" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (in the list's own statuses, or in the space's statuses if the list inherits them). The list needs: ${Object.values(needed).join(" / ")}.`,
      });
    }
    return found;
  };
  const intakeStatusNames = checkStatuses(intake, INTAKE_STATUSES, "intake");
  const leadStatusNames: Partial<Record<string, string>> = {};
  for (const segment of SEGMENTS) {
    const found = checkStatuses(leadLists[segment], LEAD_STATUSES, `leads:${segment}`);
    if (segment === "high-end") Object.assign(leadStatusNames, found);
    else for (const key of Object.keys(LEAD_STATUSES)) if (!found[key]) delete leadStatusNames[key];
  }

  // Lead custom fields: one field per name, shared by the three New Leads lists.
  const fields: Provisioned["fields"] = {};
  const segmentOptions: Provisioned["segmentOptions"] = {};
  const fieldOnLists = (name: string): Array<{ segment: Segment; field: ClickUpField | undefined }> =>
    SEGMENTS.map((segment) => ({ segment, field: leadLists[segment].fields.find((f) => normalizeName(f.name) === normalizeName(name)) }));
  for (const key of LEAD_FIELD_KEYS) {
    const spec = LEAD_FIELDS[key];
    const typeLabel = `type ${TYPE_LABELS[spec.type]}${"options" in spec ? `, options ${Object.values(spec.options).join(", ")}` : ""}`;
    const create = `Create custom field "${spec.name}" (${typeLabel}) once, with ${spaceLabel} as its location (not a single list), so ${allLeadLabels} share it.`;
    const onLists = fieldOnLists(spec.name);
    const present = onLists.filter((x) => x.field !== undefined);
    if (present.length === 0) {
      step({ kind: "custom_field", where: spaceLabel, instruction: create });
      continue;
    }
    const ids = new Set(present.map((x) => x.field?.id));
    if (present.length < SEGMENTS.length || ids.size > 1) {
      const missingOn = onLists.filter((x) => !x.field).map((x) => leadLists[x.segment].label);
      step({
        kind: "custom_field",
        where: spaceLabel,
        instruction: `Custom field "${spec.name}" is not one field shared by the three lead lists${missingOn.length ? ` (missing on ${missingOn.join(", ")})` : " (each list has its own)"}. ${create} Then remove the list-level copies.`,
      });
      continue;
    }
    const field = present[0]?.field;
    if (!field) continue;
    if (!(spec.accepts as readonly string[]).includes(field.type)) {
      step({
        kind: "custom_field",
        where: spaceLabel,
        instruction: `Custom field "${field.name}" is of type ${TYPE_LABELS[field.type as FieldType] ?? field.type}; the app needs ${spec.accepts.map((t) => TYPE_LABELS[t]).join(" or ")}. Delete it and create it again: ${create}`,
      });
      continue;
    }
    if ("options" in spec) {
      const options = field.type_config?.options ?? [];
      const missing: string[] = [];
      for (const segment of SEGMENTS) {
        const label = spec.options[segment];
        const option = options.find((o) => normalizeName(o.name ?? o.label ?? "") === normalizeName(label) || normalizeName(o.name ?? o.label ?? "") === normalizeName(segment));
        if (option) segmentOptions[segment] = { id: option.id, label: option.name ?? option.label ?? label };
        else missing.push(label);
      }
      if (missing.length > 0) {
        step({ kind: "dropdown_options", where: spaceLabel, instruction: `Add the option${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} to the dropdown field "${field.name}" (${spaceLabel}).` });
        continue;
      }
    }
    fields[key] = { id: field.id, name: field.name, type: field.type };
  }
  const state = intake.fields.find((f) => normalizeName(f.name) === "state");
  const stateField = state ? { id: state.id, name: state.name, type: state.type } : null;

  // The webhook on the space, matched by endpoint.
  let webhook: Provisioned["webhook"] = null;
  const appUrl = env.APP_URL?.trim();
  const appUrlOk = appUrl !== undefined && URL.canParse(appUrl) && /^https?:$/.test(new URL(appUrl).protocol);
  if (!appUrlOk) {
    step({
      kind: "app_url",
      where: "environment",
      instruction: appUrl
        ? `APP_URL "${appUrl}" is not an http(s) URL: set it to the deployed Worker's URL (e.g. https://golf-outreach.<account>.workers.dev) and run setup again.`
        : `Set APP_URL to the deployed Worker's URL (e.g. https://golf-outreach.<account>.workers.dev, in the environment or .dev.vars) and run setup again: the webhook posts to <APP_URL>${WEBHOOK_PATH}.`,
    });
  } else {
    const endpoint = `${appUrl.replace(/\/+$/, "")}${WEBHOOK_PATH}`;
    if (new URL(endpoint).protocol !== "https:" && !/^(127\.|localhost$|\[::1\]$)/.test(new URL(endpoint).hostname)) {
      report.warnings.push(`the webhook endpoint ${endpoint} is not https`);
    }
    const hooks = await read(() => client.getWebhooks(team.id));
    const sameEndpoint = hooks.filter((h) => h.endpoint.replace(/\/+$/, "") === endpoint);
    const existing = sameEndpoint.find((h) => h.space_id === space.id && !h.list_id && !h.folder_id && !h.task_id);
    for (const other of sameEndpoint.filter((h) => h !== existing)) {
      report.warnings.push(`webhook ${other.id} also posts to ${endpoint} (from another location): delete it if it is stale, or the app may receive events twice`);
    }
    if (existing) {
      const events = existing.events.includes("*") ? ["*"] : [...new Set([...existing.events, ...WEBHOOK_EVENTS])];
      const needsEvents = !existing.events.includes("*") && WEBHOOK_EVENTS.some((e) => !existing.events.includes(e));
      const inactive = existing.health !== undefined && existing.health.status !== "active";
      let current = { id: existing.id, endpoint: existing.endpoint, events: existing.events, secret: existing.secret ?? null };
      if (needsEvents || inactive) {
        const updated = await write(() => client.updateWebhook(existing.id, { endpoint, events: events.join(","), status: "active" }));
        current = { id: updated.webhook.id, endpoint: updated.webhook.endpoint, events: updated.webhook.events, secret: updated.webhook.secret ?? current.secret };
        report.updated.push(`webhook ${existing.id}: ${[needsEvents ? `events ${events.join(", ")}` : "", inactive ? `reactivated (was ${existing.health?.status})` : ""].filter(Boolean).join("; ")}`);
      }
      webhook = current;
    } else {
      const created = await write(() => client.createWebhook(team.id, { endpoint, events: [...WEBHOOK_EVENTS], space_id: Number(space.id) }));
      webhook = { id: created.webhook.id || created.id, endpoint: created.webhook.endpoint, events: created.webhook.events, secret: created.webhook.secret };
      report.created.push(`webhook ${webhook.id} on ${spaceLabel} → ${endpoint} (${WEBHOOK_EVENTS.join(", ")})`);
    }
    if (webhook.secret) ctx.secrets.push(webhook.secret);
    else {
      step({ kind: "webhook", where: `webhook ${webhook.id}`, instruction: `ClickUp did not return the secret of webhook ${webhook.id}: delete it (DELETE /api/v2/webhook/${webhook.id}) and run setup again to create a new one.` });
    }
  }

  // The plan's custom-field uses.
  const fieldLimit = customFieldLimitForPlan(plan.name);
  if (fieldLimit !== null) {
    report.warnings.push(
      `workspace plan "${plan.name}" allows only ${fieldLimit} custom-field uses in total; every lead task uses up to ${LEAD_FIELD_KEYS.length} lead fields, so about ${Math.floor(fieldLimit / LEAD_FIELD_KEYS.length)} leads fit. Upgrade the workspace (Unlimited or above) before running enrichment at scale.`,
    );
  }

  const provisioned: Provisioned = {
    teamName: team.name,
    spaceName: space.name,
    appUser: { id: user.id, username: user.username },
    plan,
    intake,
    alerts,
    folders,
    leadLists,
    fields,
    segmentOptions,
    stateField,
    statusNames: { intake: intakeStatusNames, leads: leadStatusNames },
    statusIds,
    webhook,
    settings: null,
  };
  if (report.manual_steps.length === 0) provisioned.settings = settingsOf(provisioned, team.id, space.id);
  return provisioned;
}

function settingsOf(p: Provisioned, teamId: string, spaceId: string): ClickUpSettings {
  const bySegment = <T>(fn: (s: Segment) => T): Record<Segment, T> => ({ "high-end": fn("high-end"), budget: fn("budget"), both: fn("both") });
  const field = (key: LeadFieldKey): { id: string; name: string; type: string } => {
    const f = p.fields[key];
    if (!f) throw new Error(`field ${key} missing`);
    return f;
  };
  const status = (names: Partial<Record<string, string>>, key: string): string => {
    const s = names[key];
    if (s === undefined) throw new Error(`status ${key} missing`);
    return s;
  };
  const option = (s: Segment): string => {
    const o = p.segmentOptions[s];
    if (!o) throw new Error(`segment option ${s} missing`);
    return o.id;
  };
  if (!p.webhook?.secret) throw new Error("webhook missing");
  return ClickUpSettings.parse({
    version: 1,
    team_id: teamId,
    space_id: spaceId,
    app_user_id: p.appUser.id,
    intake_list_id: p.intake.id,
    lead_folders: bySegment((s) => p.folders[s].id),
    lead_lists: bySegment((s) => p.leadLists[s].id),
    fields: {
      ...Object.fromEntries(LEAD_FIELD_KEYS.map((k) => [k, field(k)])),
      segment: { ...field("segment"), options: bySegment(option) },
    },
    intake_fields: { state: p.stateField },
    alerts: { list_id: p.alerts.id, admin_user_id: p.alerts.admin_user_id, statuses: p.alerts.statuses },
    webhook: { id: p.webhook.id, endpoint: p.webhook.endpoint, secret: p.webhook.secret, events: p.webhook.events },
    plan: { id: p.plan.id, name: p.plan.name, custom_field_limit: customFieldLimitForPlan(p.plan.name), rate_limit_per_minute: rateLimitForPlan(p.plan.name) },
    statuses: {
      intake: Object.fromEntries(Object.keys(INTAKE_STATUSES).map((k) => [k, status(p.statusNames.intake, k)])),
      leads: Object.fromEntries(Object.keys(LEAD_STATUSES).map((k) => [k, status(p.statusNames.leads, k)])),
    },
  });
}

interface EntityRow {
  kind: string;
  key: string;
  clickup_id: string;
  meta: Record<string, postgres.JSONValue>;
}

function entitiesOf(p: Provisioned, report: SetupReport): EntityRow[] {
  const rows: EntityRow[] = [];
  const add = (kind: string, key: string, clickup_id: string | number, meta: Record<string, postgres.JSONValue> = {}): void => {
    rows.push({ kind, key, clickup_id: String(clickup_id), meta });
  };
  if (report.team_id) add("team", "workspace", report.team_id, { name: p.teamName });
  if (report.space_id) add("space", "main", report.space_id, { name: p.spaceName });
  add("user", "app", p.appUser.id, { username: p.appUser.username ?? null });
  if (p.plan.id !== null) add("plan", "workspace", p.plan.id, { name: p.plan.name });
  add("list", "intake", p.intake.id, { name: p.intake.list.name });
  add("list", "alerts", p.alerts.id, { name: p.alerts.name, admin_user_id: p.alerts.admin_user_id });
  for (const segment of SEGMENTS) {
    add("folder", segment, p.folders[segment].id, { name: p.folders[segment].name });
    add("list", `leads:${segment}`, p.leadLists[segment].id, { name: p.leadLists[segment].list.name, folder_id: p.folders[segment].id });
  }
  for (const key of LEAD_FIELD_KEYS) {
    const f = p.fields[key];
    if (f) add("custom_field", key, f.id, { name: f.name, type: f.type });
  }
  if (p.stateField) add("custom_field", "intake:state", p.stateField.id, { name: p.stateField.name, type: p.stateField.type });
  for (const segment of SEGMENTS) {
    const o = p.segmentOptions[segment];
    if (o) add("dropdown_option", `segment:${segment}`, o.id, { label: o.label, field_id: p.fields.segment?.id ?? null });
  }
  for (const s of p.statusIds) add("status", s.key, s.id, { name: s.name, list_id: s.list_id });
  // The webhook's secret lives only in `settings` (service_role only), never here.
  if (p.webhook) add("webhook", "main", p.webhook.id, { endpoint: p.webhook.endpoint, events: p.webhook.events });
  return rows;
}

/** Upserts what changed through `save_clickup_setup` (one call, so one transaction); returns how many rows changed. */
async function store(sql: postgres.Sql, p: Provisioned, report: SetupReport): Promise<{ entities: number; settings: boolean }> {
  const payload = {
    entities: entitiesOf(p, report),
    settings_key: CLICKUP_SETTINGS_KEY,
    settings: p.settings ? (JSON.parse(JSON.stringify(p.settings)) as postgres.JSONValue) : null,
  };
  const [row] = await sql<{ result: { entities: number; settings: boolean } }[]>`select public.save_clickup_setup(${sql.json(payload as unknown as postgres.JSONValue)}) as result`;
  return row!.result;
}

function summarize(say: (line: string) => void, p: Provisioned, report: SetupReport): void {
  const ok = (b: boolean): string => (b ? "✓" : "✗");
  say(`ClickUp setup: workspace "${p.teamName}" (${report.team_id}), ${`space "${p.spaceName}" (${report.space_id})`}, plan ${p.plan.name ?? "unknown"}`);
  say(`  app user: ${p.appUser.username ?? "?"} (${p.appUser.id}); its own writes come back in webhooks as this user`);
  const statusOk = (info: ListInfo, needed: Record<string, string>): boolean =>
    Object.values(needed).every((n) => info.list.statuses.some((s) => normalizeName(s.status) === normalizeName(n)));
  say(`  ${ok(statusOk(p.intake, INTAKE_STATUSES))} Intake list ${p.intake.label} (${p.intake.id}); statuses ${Object.values(INTAKE_STATUSES).join(" / ")}${p.stateField ? `; State field ${p.stateField.id}` : ""}`);
  say(`  ✓ Alerts list "${p.alerts.name}" (${p.alerts.id}); assigned to ClickUp user ${p.alerts.admin_user_id}; statuses ${p.alerts.statuses.open} / ${p.alerts.statuses.closed}`);
  for (const segment of SEGMENTS) {
    const l = p.leadLists[segment];
    say(`  ${ok(statusOk(l, LEAD_STATUSES))} ${segment} leads: folder ${p.folders[segment].id}, list ${l.label} (${l.id}); statuses ${Object.values(LEAD_STATUSES).join(" / ")}`);
  }
  const found = LEAD_FIELD_KEYS.filter((k) => p.fields[k]);
  say(`  ${ok(found.length === LEAD_FIELD_KEYS.length)} lead custom fields: ${found.length}/${LEAD_FIELD_KEYS.length} (${LEAD_FIELD_KEYS.map((k) => `${LEAD_FIELDS[k].name}${p.fields[k] ? "" : " (missing)"}`).join(", ")})`);
  say(`  ${ok(p.webhook !== null)} webhook: ${p.webhook ? `${p.webhook.id} → ${p.webhook.endpoint} (${p.webhook.events.join(", ")})` : "not set up"}`);
  for (const c of report.created) say(`  created: ${c}`);
  for (const u of report.updated) say(`  updated: ${u}`);
  if (report.warnings.length > 0) {
    say("Warnings:");
    for (const w of report.warnings) say(`  ! ${w}`);
  }
  if (report.manual_steps.length > 0) {
    say(`Manual steps (${report.manual_steps.length}); ClickUp's API cannot do these. Do them, then run npm run clickup:setup again:`);
    report.manual_steps.forEach((s, i) => say(`  ${i + 1}. [${s.where}] ${s.instruction}`));
  }
  const settingsLine =
    report.settings === "written"
      ? `settings '${CLICKUP_SETTINGS_KEY}' written`
      : report.settings === "unchanged"
        ? `settings '${CLICKUP_SETTINGS_KEY}' unchanged`
        : `settings '${CLICKUP_SETTINGS_KEY}' not written until the manual steps are done`;
  say(`Database: ${settingsLine}; clickup_entities: ${report.entities_changed} row(s) changed. ClickUp requests: ${report.requests.get} GET, ${report.requests.post} POST, ${report.requests.put} PUT.`);
  say(report.manual_steps.length === 0 ? "ClickUp is ready for the app." : "ClickUp is not ready yet (exit code 2).");
}

if (import.meta.main) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const { values } = parseArgs({ options: { space: { type: "string" } } });
  const devVarsPath = join(root, ".dev.vars");
  const devVars = existsSync(devVarsPath) ? parseEnv(readFileSync(devVarsPath, "utf8")) : {};
  const { exitCode } = await runClickUpSetup({ env: { ...devVars, ...process.env }, ...(values.space ? { spaceName: values.space } : {}) });
  process.exitCode = exitCode;
}
