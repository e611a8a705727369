/** clickup:setup, the database: checks it is migrated, and stores the ids and the settings through save_clickup_setup. */
import type postgres from "postgres";
import { CLICKUP_SETTINGS_KEY, LEAD_FIELD_KEYS } from "../../src/clickup/config.ts";
import { SEGMENTS } from "../../src/lib/segment.ts";
import { type Provisioned, SetupError, type SetupReport } from "./setup.types.ts";

export async function checkDatabase(sql: postgres.Sql, databaseUrl: string): Promise<void> {
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
export async function store(sql: postgres.Sql, p: Provisioned, report: SetupReport): Promise<{ entities: number; settings: boolean }> {
  const payload = {
    entities: entitiesOf(p, report),
    settings_key: CLICKUP_SETTINGS_KEY,
    settings: p.settings ? (JSON.parse(JSON.stringify(p.settings)) as postgres.JSONValue) : null,
  };
  const [row] = await sql<{ result: { entities: number; settings: boolean } }[]>`select public.save_clickup_setup(${sql.json(payload as unknown as postgres.JSONValue)}) as result`;
  return row!.result;
}
