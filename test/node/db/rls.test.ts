// Access rules, checked for every table and function in `public` (new ones are covered as they
// appear), for each role a request can carry: anon gets nothing; a signed-in user without a role
// (JWT app_metadata.role) gets nothing; a rep reads courses, contacts, their enrichment and business
// intelligence; an admin reads every table but the secret ones; only service_role writes, through an
// explicit policy (migrations/20261202001100_rep_access.sql).
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asRole, createTestDatabase, sqlClient, type Role, type TestDatabase } from "../../support/database.ts";

/**
 * Tables no JWT reads: settings holds webhook and signing secrets; mailgun_webhook_tokens is replay
 * protection; the admin audit, the alerts and the dashboard rollups are read through the dashboard.
 */
const SECRET_TABLES = [
  "settings", "mailgun_webhook_tokens",
  "admin_audit_log", "alerts", "agent_call_rollup", "agent_call_duration_rollup", "agent_call_error_rollup", "agent_call_rollup_state",
];
/** What a rep works with. */
const REP_TABLES = ["business_intelligence", "contact_enrichment", "contacts", "courses"];

/** The JWT claims of each kind of signed-in user (PostgREST puts them in request.jwt.claims). */
const CLAIMS = {
  none: null,
  empty_claims: { role: "authenticated", sub: randomUUID() },
  other_role: { role: "authenticated", app_metadata: { role: "sales" } },
  // user_metadata is writable by the user: a role there must count for nothing.
  self_declared_admin: { role: "authenticated", user_metadata: { role: "admin" }, app_role: "admin" },
  rep: { role: "authenticated", app_metadata: { role: "rep" } },
  admin: { role: "authenticated", app_metadata: { role: "admin" } },
} as const;
type Who = keyof typeof CLAIMS;

let db: TestDatabase;
let sql: postgres.Sql;
let tables: string[];
let functions: { signature: string; name: string }[];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = sqlClient(db.url);
  tables = (await sql<{ tablename: string }[]>`
    select tablename from pg_tables where schemaname = 'public' order by tablename`).map((r) => r.tablename);
  functions = await sql<{ signature: string; name: string }[]>`
    select p.oid::regprocedure::text as signature, p.proname as name
    from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`;
  const columns = await sql<{ table: string; column: string }[]>`
    select distinct on (c.relname) c.relname as table, a.attname as column
    from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = ''
    order by c.relname, a.attnum`;
  firstColumn = new Map(columns.map((r) => [r.table, r.column]));
  // Something to see (or not): a rep table, an admin-only table holding PII, and settings.
  const [course] = await sql<{ id: string }[]>`insert into public.courses (course_name, state) values ('Visible Golf Club', 'VA') returning id`;
  await sql`insert into public.contacts (course_id, full_name, title) values (${course!.id}, 'Visible Person', 'General Manager')`;
  await sql`insert into public.unsubscribes (email, reason, source) values ('gone@example.com', 'asked', 'test')`;
  await sql`insert into public.settings (key, value) values ('supabase_webhook_secret', '"s3cret"')`;
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

/** The SQLSTATE a statement raises as `role`, or "ok" with the rows it returned. */
async function attempt(role: Role, statement: string): Promise<{ code: string; rows: number }> {
  try {
    const rows = await asRole(sql, role, (tx) => tx.unsafe(statement));
    return { code: "ok", rows: rows.length };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error), rows: 0 };
  }
}

const PERMISSION_DENIED = "42501";

/** As `authenticated` with the JWT claims of `who` (none: no claims at all). */
async function attemptAs(who: Who, statement: string): Promise<{ code: string; rows: number }> {
  const claims = CLAIMS[who];
  try {
    const rows = await asRole(sql, "authenticated", async (tx) => {
      if (claims !== null) await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      return tx.unsafe(statement);
    });
    return { code: "ok", rows: rows.length };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error), rows: 0 };
  }
}

/** A column of each table, for a harmless UPDATE. */
let firstColumn: Map<string, string>;

function writes(table: string): string[] {
  const column = firstColumn.get(table) ?? "id";
  return [
    `insert into public."${table}" default values`,
    `update public."${table}" set "${column}" = "${column}"`,
    `delete from public."${table}"`,
    `truncate public."${table}"`,
  ];
}

describe("tables in public", () => {
  it("are the ones the app expects (and the list is not empty)", () => {
    expect(tables).toEqual(
      expect.arrayContaining([
        "agent_calls", "business_intelligence", "clickup_entities", "contact_enrichment", "contacts",
        "courses", "enrichment_runs", "field_ownership", "lead_status_changes", "mailgun_webhook_tokens", "outreach_events", "outreach_messages", "outreach_senders",
        "outreach_sequences", "outreach_templates",
        "routing_rules", "settings", "sync_audit_log", "unsubscribes",
      ]),
    );
  });

  it("all have RLS enabled and a service_role policy for every command; none has a policy for anon or PUBLIC", async () => {
    const rows = await sql<{ table: string; rls: boolean; service_all: boolean; anon_or_public: boolean }[]>`
      select c.relname as table, c.relrowsecurity as rls,
             exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname
                     and p.cmd = 'ALL' and p.roles = '{service_role}' and p.qual = 'true') as service_all,
             exists (select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname
                     and (p.roles && array['anon', 'public']::name[])) as anon_or_public
      from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
      order by 1`;
    expect(rows.map((r) => r.table)).toEqual(tables);
    for (const row of rows) {
      expect(row, row.table).toMatchObject({ rls: true, service_all: true, anon_or_public: false });
    }
  });

  it("anon can neither read nor write any of them", async () => {
    for (const table of tables) {
      const read = await attempt("anon", `select * from public."${table}"`);
      // "fails or sees nothing"; with no grant it fails.
      expect(read.code === PERMISSION_DENIED || (read.code === "ok" && read.rows === 0), `anon select ${table}: ${read.code}`).toBe(true);
      for (const statement of writes(table)) {
        expect((await attempt("anon", statement)).code, `anon: ${statement}`).toBe(PERMISSION_DENIED);
      }
      const [privileges] = await sql<{ any: boolean }[]>`
        select has_table_privilege('anon', ${`public."${table}"`}, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') as any`;
      expect(privileges?.any, `anon privileges on ${table}`).toBe(false);
    }
  });

  it("a signed-in user without a role (no claims, another role, a role they wrote themselves) reads nothing and writes nothing", async () => {
    for (const who of ["none", "empty_claims", "other_role", "self_declared_admin"] as const) {
      for (const table of tables) {
        const read = await attemptAs(who, `select * from public."${table}"`);
        if (SECRET_TABLES.includes(table)) expect(read.code, `${who} select ${table}`).toBe(PERMISSION_DENIED);
        else expect(read, `${who} select ${table}`).toEqual({ code: "ok", rows: 0 });
      }
      for (const table of tables) for (const statement of writes(table)) {
        expect((await attemptAs(who, statement)).code, `${who}: ${statement}`).toBe(PERMISSION_DENIED);
      }
    }
  });

  it("a rep reads courses, contacts, their enrichment and business intelligence, and nothing else; writes nothing", async () => {
    for (const table of tables) {
      const read = await attemptAs("rep", `select * from public."${table}"`);
      if (SECRET_TABLES.includes(table)) expect(read.code, `rep select ${table}`).toBe(PERMISSION_DENIED);
      else if (!REP_TABLES.includes(table)) expect(read, `rep select ${table}`).toEqual({ code: "ok", rows: 0 });
      else expect(read.code, `rep select ${table}`).toBe("ok");
      for (const statement of writes(table)) expect((await attemptAs("rep", statement)).code, `rep: ${statement}`).toBe(PERMISSION_DENIED);
    }
    expect(await attemptAs("rep", "select * from public.courses where course_name = 'Visible Golf Club'")).toEqual({ code: "ok", rows: 1 });
    expect(await attemptAs("rep", "select * from public.contacts where full_name = 'Visible Person'")).toEqual({ code: "ok", rows: 1 });
    expect(await attemptAs("rep", "select * from public.unsubscribes")).toEqual({ code: "ok", rows: 0 });
  });

  it("an admin reads every table but the service-role-only ones (settings, webhook tokens, audit, alerts, rollups); writes nothing", async () => {
    for (const table of tables) {
      const read = await attemptAs("admin", `select * from public."${table}"`);
      expect(read.code, `admin select ${table}`).toBe(SECRET_TABLES.includes(table) ? PERMISSION_DENIED : "ok");
      for (const statement of writes(table)) expect((await attemptAs("admin", statement)).code, `admin: ${statement}`).toBe(PERMISSION_DENIED);
    }
    expect(await attemptAs("admin", "select * from public.unsubscribes where email = 'gone@example.com'")).toEqual({ code: "ok", rows: 1 });
    expect(await attemptAs("admin", "select * from public.courses where course_name = 'Visible Golf Club'")).toEqual({ code: "ok", rows: 1 });
  });

  it("every policy for authenticated is the rep or admin predicate on app_metadata.role: none reads with `true`", async () => {
    const policies = await sql<{ table: string; name: string; qual: string }[]>`
      select tablename as table, policyname as name, qual from pg_policies
      where schemaname = 'public' and roles && array['authenticated']::name[] order by 1, 2`;
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) {
      expect(policy.qual, `${policy.table}.${policy.name}`).toContain("app_metadata");
      expect(policy.name, policy.table).toMatch(REP_TABLES.includes(policy.table) ? /^(rep_read|admin_read)$/ : /^admin_read$/);
    }
  });

  it("a table a later migration secures is for admins by default: a rep reads it only once it is made rep-readable", async () => {
    await sql`create table public.rls_probe (id int primary key)`;
    try {
      await sql`insert into public.rls_probe values (1)`;
      await sql`select app_private.secure_table('public.rls_probe'::regclass)`;
      expect(await attemptAs("rep", "select * from public.rls_probe")).toEqual({ code: "ok", rows: 0 });
      expect(await attemptAs("admin", "select * from public.rls_probe")).toEqual({ code: "ok", rows: 1 });
      expect(await attemptAs("none", "select * from public.rls_probe")).toEqual({ code: "ok", rows: 0 });
      expect((await attempt("anon", "select * from public.rls_probe")).code).toBe(PERMISSION_DENIED);
      await sql`select app_private.rep_readable('public.rls_probe'::regclass)`;
      expect(await attemptAs("rep", "select * from public.rls_probe")).toEqual({ code: "ok", rows: 1 });
    } finally {
      await sql`drop table public.rls_probe`;
    }
  });

  it("service_role reads and writes through its policy", async () => {
    const [flags] = await sql<{ bypass: boolean }[]>`select rolbypassrls as bypass from pg_roles where rolname = 'service_role'`;
    // Where the role was created by the migrations it has no BYPASSRLS: the policy does the work.
    if (flags?.bypass === false) {
      const id = randomUUID();
      expect(await attempt("service_role", `insert into public.courses (id, course_name, state) values ('${id}', 'Policy Club', 'VA')`)).toMatchObject({ code: "ok" });
      expect(await attempt("service_role", `update public.courses set city = 'Richmond' where id = '${id}' returning id`)).toEqual({ code: "ok", rows: 1 });
      expect(await attempt("service_role", "select * from public.settings")).toEqual({ code: "ok", rows: 1 });
      expect(await attempt("service_role", `delete from public.courses where id = '${id}' returning id`)).toEqual({ code: "ok", rows: 1 });
    }
    for (const table of tables) {
      expect((await attempt("service_role", `select * from public."${table}" limit 1`)).code, `service_role select ${table}`).toBe("ok");
    }
    // Identity columns: service_role can insert into tables whose ids come from a sequence.
    expect(
      await attempt("service_role", "insert into public.sync_audit_log (direction, entity) values ('clickup_to_supabase', 'contacts') returning id"),
    ).toEqual({ code: "ok", rows: 1 });
  });

  it("sync_audit_log: rows only with the admin role claim (app_metadata.role = admin)", async () => {
    await sql`insert into public.sync_audit_log (direction, entity, field) values ('clickup_to_supabase', 'contacts', 'title')`;
    const [all] = await sql<{ n: number }[]>`select count(*)::int as n from public.sync_audit_log`;
    expect(all?.n).toBeGreaterThan(0);
    for (const who of ["none", "empty_claims", "other_role", "self_declared_admin", "rep"] as const) {
      expect(await attemptAs(who, "select id from public.sync_audit_log"), who).toEqual({ code: "ok", rows: 0 });
    }
    expect(await attemptAs("admin", "select id from public.sync_audit_log")).toEqual({ code: "ok", rows: all?.n });
  });

  it("the internal schemas are closed to anon and authenticated", async () => {
    for (const schema of ["app_private", "app_migrations"]) {
      for (const role of ["anon", "authenticated"]) {
        const [row] = await sql<{ usage: boolean }[]>`select has_schema_privilege(${role}, ${schema}, 'USAGE') as usage`;
        expect(row?.usage, `${role} usage on ${schema}`).toBe(false);
      }
    }
  });
});

describe("functions in public", () => {
  it("include the enrichment RPCs", () => {
    expect(functions.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "apply_enrichment", "fail_enrichment_run", "get_enrichment_run", "start_enrichment_run", "upsert_course_for_enrichment",
        "apply_correction", "record_lead_status", "record_email_verification", "get_lead_for_correction",
      ]),
    );
  });

  it("are plpgsql, security invoker, with a fixed search_path, executable by service_role only", async () => {
    const rows = await sql<{ signature: string; lang: string; definer: boolean; config: string[] | null; anon: boolean; authenticated: boolean; public_: boolean; service: boolean }[]>`
      select p.oid::regprocedure::text as signature, l.lanname as lang, p.prosecdef as definer, p.proconfig as config,
             has_function_privilege('anon', p.oid, 'EXECUTE') as anon,
             has_function_privilege('authenticated', p.oid, 'EXECUTE') as authenticated,
             coalesce(p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'), true) as public_,
             has_function_privilege('service_role', p.oid, 'EXECUTE') as service
      from pg_proc p join pg_language l on l.oid = p.prolang
      where p.pronamespace = 'public'::regnamespace order by 1`;
    expect(rows.length).toBe(functions.length);
    for (const row of rows) {
      expect(row, row.signature).toMatchObject({
        // plpgsql, or a plain SQL query (the dashboard's read functions, inlinable)
        lang: expect.stringMatching(/^(plpgsql|sql)$/),
        definer: false,
        config: ["search_path=public, pg_temp"],
        anon: false,
        authenticated: false,
        public_: false,
        service: true,
      });
    }
  });

  it("cannot be executed by anon or authenticated", async () => {
    const rpcs = functions.filter((f) => f.signature === `${f.name}(jsonb)`);
    expect(rpcs.length).toBeGreaterThanOrEqual(5);
    for (const { name } of rpcs) {
      for (const role of ["anon", "authenticated"] as const) {
        const result = await attempt(role, `select public.${name}(payload => '{}'::jsonb)`);
        expect(result.code, `${role} executing ${name}`).toBe(PERMISSION_DENIED);
      }
    }
  });
});
