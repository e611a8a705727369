import postgres from "postgres";
import type { z } from "zod";
import { type DbFunction, type Store, StoreError, isPermanentSqlState, parseResult } from "./store.ts";

const FUNCTION_NAME = /^[a-z_]+$/;

/**
 * postgres.js adapter (DATABASE_URL: a server Postgres or the embedded PGlite socket server).
 * Workers cannot share sockets across requests, so each call opens one connection and closes it.
 */
export function createPostgresStore(databaseUrl: string): Store {
  let roundTrips = 0;
  return {
    kind: "postgres",
    get roundTrips() {
      return roundTrips;
    },
    async call<S extends z.ZodType>(fn: DbFunction, payload: unknown, schema: S): Promise<z.output<S>> {
      if (!FUNCTION_NAME.test(fn)) throw new StoreError(fn, "invalid function name", { retryable: false });
      const sql = postgres(databaseUrl, {
        max: 1,
        fetch_types: false,
        prepare: false,
        idle_timeout: 5,
        connect_timeout: 10,
        onnotice: () => {},
      });
      try {
        roundTrips++;
        const rows = await sql.unsafe(`select public.${fn}(payload => $1::text::jsonb) as result`, [
          JSON.stringify(payload ?? {}),
        ]);
        return parseResult(fn, schema, rows[0]?.result ?? null);
      } catch (error) {
        if (error instanceof StoreError) throw error;
        const sqlState = error instanceof postgres.PostgresError ? error.code : undefined;
        const message = error instanceof Error ? error.message : String(error);
        throw new StoreError(fn, message, { retryable: !isPermanentSqlState(sqlState), sqlState });
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
  };
}
