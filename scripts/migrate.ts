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

/**
 * Migrations whose statements were moved verbatim out of an earlier-dated file that had already
 * run somewhere. A database that ran `from` before the split already holds what `name` creates, so
 * `name` is recorded there as run, just before `from` (node-pg-migrate's checkOrder compares the
 * recorded order, by run_on then id, with the files' order).
 */
export const SPLIT_MIGRATIONS: ReadonlyArray<{ name: string; from: string }> = [
  { name: "20261124000150_payload_helpers", from: "20261124000200_enrichment_functions" },
];

export interface MigrateOptions {
  /** Called with each NOTICE the migrations raise (e.g. "pg_net is not available ..."). */
  onNotice?: (message: string) => void;
}

export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<{ applied: string[]; splitsRecorded: string[] }> {
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
    const splitsRecorded = await recordSplitMigrations(client);
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
    return { applied: ran.map((migration) => migration.name), splitsRecorded };
  } finally {
    await client.end();
  }
}

/** Records each split migration as run where the file it came from ran before the split. */
async function recordSplitMigrations(client: pg.Client): Promise<string[]> {
  const table = `${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`;
  const { rows } = await client.query<{ exists: boolean }>("select to_regclass($1) is not null as exists", [table]);
  if (rows[0]?.exists !== true) return [];
  const done: string[] = [];
  await client.query("begin");
  try {
    // Concurrent runners: the second waits here, then finds the split recorded.
    await client.query(`lock table ${table} in share row exclusive mode`);
    for (const split of SPLIT_MIGRATIONS) {
      const recorded = await client.query<{ name: string; id: number }>(
        `select name, id from ${table} where name = any($1::text[])`,
        [[split.name, split.from]],
      );
      const origin = recorded.rows.find((row) => row.name === split.from);
      if (origin === undefined || recorded.rows.some((row) => row.name === split.name)) continue;
      // Make room at the origin's id (ids are a primary key, so shift through negatives), then
      // take it with the origin's run_on: the split sorts just before the file it came from.
      await client.query(`update ${table} set id = -(id + 1) where id >= $1`, [origin.id]);
      await client.query(`update ${table} set id = -id where id < 0`);
      await client.query(
        `insert into ${table} (id, name, run_on) select $1, $2, run_on from ${table} where id = $3`,
        [origin.id, split.name, origin.id + 1],
      );
      await client.query(`select setval(pg_get_serial_sequence($1, 'id'), (select max(id) from ${table}))`, [table]);
      done.push(split.name);
    }
    await client.query("commit");
    return done;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

if (import.meta.main) {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl === "") {
    console.error(JSON.stringify({ event: "migrate_failed", error: "DATABASE_URL is not set" }));
    process.exit(1);
  }
  try {
    const { applied, splitsRecorded } = await migrate(databaseUrl, {
      onNotice: (message) => console.log(JSON.stringify({ event: "migration_notice", message })),
    });
    for (const name of splitsRecorded) console.log(JSON.stringify({ event: "migration_split_recorded", name }));
    for (const name of applied) console.log(JSON.stringify({ event: "migration_applied", name }));
    console.log(JSON.stringify({ event: "migrations_done", applied: applied.length }));
  } catch (error) {
    console.error(JSON.stringify({ event: "migrate_failed", error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  }
}
