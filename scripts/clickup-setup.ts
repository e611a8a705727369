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
import type { RateGate } from "../src/clickup/client.ts";
import {
  CLICKUP_SETTINGS_KEY,
  ClickUpSettings,
  customFieldLimitForPlan,
  INTAKE_STATUSES,
  LEAD_FIELD_KEYS,
  LEAD_FIELDS,
  LEAD_STATUSES,
  type LeadFieldKey,
  normalizeName,
  rateLimitForPlan,
} from "../src/clickup/config.ts";
import { type Segment, SEGMENTS } from "../src/lib/segment.ts";
import { ClickUpError } from "../src/clickup/errors.ts";
import { createLocalRateGate } from "../src/clickup/rate-budget.ts";
import { checkDatabase, store } from "./clickup-setup/database.ts";
import { checkFields } from "./clickup-setup/fields.ts";
import { provisionAlertsList, provisionIntakeList, provisionLeadLists } from "./clickup-setup/lists.ts";
import { type ListInfo, type ManualStep, type Provisioned, type SetupContext, SetupError, type SetupReport } from "./clickup-setup/setup.types.ts";
import { checkStatuses } from "./clickup-setup/statuses.ts";
import { provisionWebhook } from "./clickup-setup/webhook.ts";
import { findWorkspace } from "./clickup-setup/workspace.ts";

export type { ManualStep, SetupReport };

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:54329/postgres";
export const DEFAULT_CLICKUP_BASE_URL = "https://api.clickup.com";

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
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toLowerCase();
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

async function provision(client: ClickUpAdminClient, base: Omit<SetupContext, "step">): Promise<Provisioned> {
  const ctx: SetupContext = { ...base, step: (s) => void base.report.manual_steps.push(s) };
  const { report } = ctx;
  const workspace = await findWorkspace(client, ctx);
  const { user, team, plan, space } = workspace;
  const intake = await provisionIntakeList(client, ctx, workspace);
  const alerts = await provisionAlertsList(client, ctx, workspace);
  const { folders, leadLists } = await provisionLeadLists(client, ctx, workspace);
  const { statusIds, statusNames } = checkStatuses(ctx, workspace.spaceLabel, intake, leadLists);
  const { fields, segmentOptions, stateField } = checkFields(ctx, workspace.spaceLabel, intake, leadLists);
  const webhook = await provisionWebhook(client, ctx, workspace);

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
    statusNames,
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
