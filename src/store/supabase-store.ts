import { createClient } from "@supabase/supabase-js";
import type { z } from "zod";
import { type DbFunction, type Store, StoreError, isPermanentSqlState, parseResult } from "./store.ts";

/** Production adapter: supabase-js `.rpc()` (PostgREST `POST /rest/v1/rpc/<fn>` with `{payload}`). */
export function createSupabaseStore(url: string, serviceRoleKey: string, fetchImpl?: typeof fetch): Store {
  const client = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(fetchImpl ? { global: { fetch: fetchImpl } } : {}),
  });
  let roundTrips = 0;
  return {
    kind: "supabase",
    get roundTrips() {
      return roundTrips;
    },
    async call<S extends z.ZodType>(fn: DbFunction, payload: unknown, schema: S): Promise<z.output<S>> {
      roundTrips++;
      const { data, error, status } = await client.rpc(fn, { payload: payload ?? {} });
      if (error) {
        const retryable = status >= 500 || status === 0 || status === 429 ? !isPermanentSqlState(error.code) : false;
        throw new StoreError(fn, error.message, { retryable, sqlState: error.code });
      }
      return parseResult(fn, schema, data);
    },
  };
}
