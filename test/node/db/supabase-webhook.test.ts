// The courses INSERT webhook migration. Neither PGlite nor the test server has pg_net, so the
// migration installs nothing there; its pg_net branch is exercised against a stand-in
// net.http_post inside a transaction that is rolled back.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../../../scripts/migrate.ts";
import { asRole, createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";

const MIGRATION = resolve(MIGRATIONS_DIR, "20261124000300_supabase_insert_webhook.sql");

let db: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = sqlClient(db.url);
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

class Rollback extends Error {}

describe("supabase_insert_webhook migration", () => {
  it("installs nothing where pg_net is not available", async () => {
    const [available] = await sql<{ n: number }[]>`select count(*)::int as n from pg_available_extensions where name = 'pg_net'`;
    expect(available?.n).toBe(0);
    const triggers = await sql`select tgname from pg_trigger where tgrelid = 'public.courses'::regclass and tgname = 'courses_insert_webhook'`;
    expect(triggers).toHaveLength(0);
  });

  it("where pg_net is available, POSTs the Database Webhook payload with the bearer secret", async () => {
    const text = await readFile(MIGRATION, "utf8");
    const availability = "from pg_catalog.pg_available_extensions where name = 'pg_net'";
    const createExtension = "execute 'create extension if not exists pg_net';";
    expect(text).toContain(availability);
    expect(text).toContain(createExtension);
    const forced = text
      .replace(availability, "from (select 'pg_net'::name as name) as available where name = 'pg_net'")
      .replace(createExtension, "null;");

    let calls: { url: string; body: Record<string, unknown>; headers: Record<string, string> }[] = [];
    let recordId = "";
    let withoutSettings = -1;
    await sql
      .begin(async (tx) => {
        // A stand-in for pg_net's net.http_post (same parameters), recording what it is asked to send.
        await tx.unsafe(`
          create schema net;
          create table net.requests (id bigint generated always as identity, url text, body jsonb, headers jsonb, timeout_milliseconds int);
          create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                                        headers jsonb default '{}', timeout_milliseconds int default 5000)
          returns bigint language sql as $$
            insert into net.requests (url, body, headers, timeout_milliseconds)
            values (url, body, headers, timeout_milliseconds) returning id
          $$;
          revoke all on schema net from public;
        `);
        await tx.unsafe(forced);

        // Settings missing: nothing is sent.
        await tx`insert into public.courses (course_name, state) values ('No Settings Golf Club', 'VA')`;
        withoutSettings = (await tx<{ n: number }[]>`select count(*)::int as n from net.requests`)[0]?.n ?? -1;

        await tx`insert into public.settings (key, value) values
          ('app_url', '"https://golf-outreach.example.workers.dev/"'),
          ('supabase_webhook_secret', '"whsec-test"')`;
        // service_role (the Worker) inserts: the SECURITY DEFINER trigger needs no net/settings grants of its own.
        await tx.unsafe("set local role service_role");
        const [inserted] = await tx<{ id: string }[]>`
          insert into public.courses (course_name, state, source) values ('Webhook Golf Club', 'VA', 'supabase') returning id`;
        // Courses the app creates for a run already under way are not sent back to it.
        await tx`insert into public.courses (course_name, state, source) values ('Api Run Golf Club', 'VA', 'api')`;
        await tx`insert into public.courses (course_name, state, source) values ('Intake Run Golf Club', 'VA', 'clickup')`;
        await tx.unsafe("reset role");
        recordId = inserted?.id ?? "";
        calls = await tx`select url, body, headers from net.requests order by id`;
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });

    expect(withoutSettings).toBe(0);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe("https://golf-outreach.example.workers.dev/webhooks/supabase");
    expect(call?.headers).toEqual({ "Content-Type": "application/json", Authorization: "Bearer whsec-test" });
    expect(call?.body).toMatchObject({
      type: "INSERT",
      table: "courses",
      schema: "public",
      old_record: null,
      record: { id: recordId, course_name: "Webhook Golf Club", state: "VA", status: "pending_enrichment", source: "supabase" },
    });

    // Rolled back: nothing of it is left.
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname = 'net'`;
    expect(left?.n).toBe(0);
  });

  it("a service_role insert works without pg_net (no trigger)", async () => {
    const rows = await asRole(sql, "service_role", (tx) =>
      tx`insert into public.courses (course_name, state) values ('Plain Insert Golf Club', 'VA') returning status`,
    );
    expect(rows[0]?.status).toBe("pending_enrichment");
  });
});
