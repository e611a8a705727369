// Shared by the SQL tests in this folder (not a test file itself).
import type postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { asRole, createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";

export type Json = postgres.JSONValue;
export type JsonObject = { [key: string]: Json };

export type RpcName =
  | "upsert_course_for_enrichment"
  | "start_enrichment_run"
  | "apply_enrichment"
  | "fail_enrichment_run"
  | "get_enrichment_run"
  | "note_run_problem"
  | "get_course_writeback";

/** Calls public.<name>(payload) as service_role, the way the Worker does. */
export async function rpc<T = JsonObject>(sql: postgres.Sql, name: RpcName, payload: JsonObject): Promise<T> {
  const rows = await asRole(sql, "service_role", (tx) =>
    tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload)]),
  );
  const [row] = rows;
  if (row === undefined) throw new Error(`${name} returned no row`);
  return row.result;
}

/** The error (SQLSTATE and message) an RPC call raises. */
export async function rpcError(
  sql: postgres.Sql,
  name: RpcName,
  payload: JsonObject,
): Promise<{ code: string; message: string }> {
  try {
    await rpc(sql, name, payload);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { code: e.code ?? "", message: e.message ?? "" };
  }
  throw new Error(`${name} did not fail`);
}

/** Every row of every table in public, as JSON text (including updated_at). */
export async function snapshot(sql: postgres.Sql): Promise<Record<string, string[]>> {
  const tables = await sql<{ tablename: string }[]>`
    select tablename from pg_tables where schemaname = 'public' order by tablename`;
  const result: Record<string, string[]> = {};
  for (const { tablename } of tables) {
    const rows = await sql.unsafe<{ row: string }[]>(
      `select to_jsonb(t)::text as row from public."${tablename}" t order by 1`,
    );
    result[tablename] = rows.map((r) => r.row);
  }
  return result;
}

export async function count(sql: postgres.Sql, table: string, where = "true"): Promise<number> {
  const rows = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from public."${table}" where ${where}`);
  return rows[0]?.n ?? 0;
}

/** A fresh, migrated database for the calling test file: opened before its tests, dropped after them. */
export function useMigratedDatabase(): { readonly db: TestDatabase; readonly sql: postgres.Sql } {
  let db: TestDatabase | undefined;
  let sql: postgres.Sql | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = sqlClient(db.url);
  });
  afterAll(async () => {
    await sql?.end();
    await db?.stop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test database is not open yet (use it inside a test or a hook)");
    return value;
  };
  return {
    get db() {
      return ready(db);
    },
    get sql() {
      return ready(sql);
    },
  };
}
