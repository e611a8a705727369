import type { AppConfig } from "../env.ts";
import { createPostgresStore } from "./postgres-store.ts";
import { type Store, storeNotConfigured } from "./store.ts";
import { createSupabaseStore } from "./supabase-store.ts";

export * from "./store.ts";

/** DATABASE_URL (local and tests) wins over Supabase (production); neither → a clear 503. */
export function createStore(config: AppConfig): Store {
  const { DATABASE_URL, SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY } = config.env;
  if (DATABASE_URL) return createPostgresStore(DATABASE_URL);
  if (SUPABASE_URL && SUPABASE_SERVICE_ROLE_KEY) return createSupabaseStore(SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY);
  throw storeNotConfigured();
}
