// Applies migrations/*.sql with node-pg-migrate and records them in app_migrations.pgmigrations.
//
//   DATABASE_URL=postgres://... npx node scripts/migrate.ts     (prints one JSON line per event)
//
// Files are Supabase-style, `YYYYMMDDHHMMSS_name.sql`, so the Supabase CLI can apply the same
// directory. node-pg-migrate orders them by their numeric prefix, runs a file from its
// "-- Up Migration" line (the whole file when there is none) up to a "-- Down Migration" line
// (none of ours has one: the Supabase CLI would run it), and records each by its file name without
// `.sql`. All pending files run in one transaction: a failing file leaves the database as it was.
// Concurrent runners against the same database wait for each other (advisory lock).
import { readdir } from "node:fs/promises";
import { resolve } from "node:path";
import { runner } from "node-pg-migrate";
import pg from "pg";

export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../migrations");
/** Outside `public`, so Supabase's REST API never exposes it. */
export const MIGRATIONS_SCHEMA = "app_migrations";
export const MIGRATIONS_TABLE = "pgmigrations";

const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.sql$/;

export interface MigrateOptions {
  /** Called with each NOTICE the migrations raise (e.g. "pg_net is not available ..."). */
  onNotice?: (message: string) => void;
}

export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => !name.startsWith("."));
  const misnamed = files.filter((name) => !MIGRATION_FILE.test(name));
  if (misnamed.length > 0) {
    throw new Error(
      `migrations/ holds files not named YYYYMMDDHHMMSS_name.sql: ${misnamed.join(", ")}`,
    );
  }

  const client = new pg.Client({ connectionString: databaseUrl, application_name: "golf-outreach-migrate" });
  client.on("notice", (notice) => {
    const message = notice.message ?? String(notice);
    // node-pg-migrate's own CREATE SCHEMA IF NOT EXISTS and the like.
    if (/already exists, skipping$/.test(message)) return;
    options.onNotice?.(message);
  });
  await client.connect();
  try {
    const ran = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: "up",
      migrationsSchema: MIGRATIONS_SCHEMA,
      createMigrationsSchema: true,
      migrationsTable: MIGRATIONS_TABLE,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: "wait",
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => console.error(message),
        error: (message: string) => console.error(message),
      },
    });
    return { applied: ran.map((migration) => migration.name) };
  } finally {
    await client.end();
  }
}

if (import.meta.main) {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl === "") {
    console.error(JSON.stringify({ event: "migrate_failed", error: "DATABASE_URL is not set" }));
    process.exit(1);
  }
  try {
    const { applied } = await migrate(databaseUrl, {
      onNotice: (message) => console.log(JSON.stringify({ event: "migration_notice", message })),
    });
    for (const name of applied) console.log(JSON.stringify({ event: "migration_applied", name }));
    console.log(JSON.stringify({ event: "migrations_done", applied: applied.length }));
  } catch (error) {
    console.error(JSON.stringify({ event: "migrate_failed", error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  }
}
