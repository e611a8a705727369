// A migrated database for a test file.
//
// With DATABASE_URL set (CI, or a local PostgreSQL server): a fresh database on that server,
// `golf_test_<random>` unless named, migrated, dropped on stop (its connections terminated first). Otherwise: an embedded PGlite
// server (scripts/embedded-db.ts), migrated, stopped on stop.
//
// PGlite serves every connection from one backend session: change session state (SET ROLE, ...)
// only inside a transaction (`SET LOCAL`), e.g. with `asRole` below, never on a bare connection.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../scripts/embedded-db.ts";
import { MIGRATIONS_DIR, migrate } from "../../scripts/migrate.ts";

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Port for the embedded server (ignored with DATABASE_URL). */
  port?: number;
  /** Database to create on the DATABASE_URL server; `golf_test_<random>` by default. */
  databaseName?: string;
  /** Apply the migrations (default true); false gives an empty database. */
  migrate?: boolean;
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createTestDatabase(opts: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl === undefined || serverUrl === "") {
    const embedded = await startCachedEmbeddedPostgres(opts.port, opts.migrate !== false);
    return { url: embedded.url, stop: () => embedded.stop() };
  }

  const name = opts.databaseName ?? `golf_test_${randomBytes(6).toString("hex")}`;
  if (!DATABASE_NAME.test(name)) {
    throw new Error(`invalid test database name ${JSON.stringify(name)}: use [a-z0-9_], at most 63 characters`);
  }
  const admin = sqlClient(serverUrl, { max: 1 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async (): Promise<void> => {
    const sql = sqlClient(serverUrl, { max: 1 });
    try {
      await sql`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = ${name} and pid <> pg_backend_pid()`;
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await sql.end();
    }
  };
  try {
    if (opts.migrate !== false) await migrate(url.toString());
  } catch (error) {
    await drop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: url.toString(),
    stop() {
      stopped ??= drop();
      return stopped;
    },
  };
}

/** A postgres.js client for a test database; NOTICEs are dropped. End it with `await sql.end()`. */
export function sqlClient(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  return postgres(url, { max: 4, onnotice: () => {}, ...options });
}

export type Role = "anon" | "authenticated" | "service_role";

/**
 * Runs `fn` in a transaction as `role` (SET LOCAL ROLE), the way PostgREST runs a request, and
 * commits. On error the transaction rolls back and the error propagates.
 */
export async function asRole<T>(sql: postgres.Sql, role: Role, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  const result = await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    return fn(tx);
  });
  return result as T;
}

// PGlite's initdb takes seconds; loading a dump of a cluster takes a fraction of that. Dumps of a
// fresh and of a migrated cluster are cached under node_modules/.cache, keyed by the PGlite version
// (and the migration files), and rebuilt when those change. GOLF_TEST_PGLITE_CACHE=0 turns this off.
const CACHE_DIR = resolve(import.meta.dirname, "../../node_modules/.cache/golf-outreach-pglite");

async function clusterKey(migrated: boolean): Promise<string> {
  const hash = createHash("sha256");
  // The package's exports hide package.json: find it next to the resolved entry point.
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const manifest = join(entry.slice(0, entry.lastIndexOf("/dist/")), "package.json");
  const { version } = JSON.parse(await readFile(manifest, "utf8")) as { version: string };
  hash.update(`pglite ${version}\n`);
  if (migrated) {
    for (const name of (await readdir(MIGRATIONS_DIR)).sort()) {
      hash.update(`${name}\n`);
      hash.update(await readFile(join(MIGRATIONS_DIR, name)));
    }
  }
  return `${migrated ? "migrated" : "empty"}-${hash.digest("hex").slice(0, 16)}`;
}

async function startCachedEmbeddedPostgres(port: number | undefined, migrated: boolean): Promise<EmbeddedPostgres> {
  const prepare = async (embedded: EmbeddedPostgres): Promise<EmbeddedPostgres> => {
    try {
      if (migrated) await migrate(embedded.url); // from a dump: nothing to do unless it is behind
      return embedded;
    } catch (error) {
      await embedded.stop();
      throw error;
    }
  };
  if (process.env.GOLF_TEST_PGLITE_CACHE === "0") return prepare(await startEmbeddedPostgres({ port }));

  const key = await clusterKey(migrated);
  const kind = key.slice(0, key.indexOf("-") + 1);
  const cacheFile = join(CACHE_DIR, `${key}.tar.gz`);
  const cached = await readFile(cacheFile).catch(() => undefined);
  if (cached !== undefined) {
    try {
      return await prepare(await startEmbeddedPostgres({ port, initialData: new Blob([cached]) }));
    } catch {
      await rm(cacheFile, { force: true }); // unusable: rebuild it below
    }
  }
  const embedded = await prepare(await startEmbeddedPostgres({ port }));
  try {
    const dump = Buffer.from(await (await embedded.dumpDataDir()).arrayBuffer());
    await mkdir(CACHE_DIR, { recursive: true });
    for (const stale of await readdir(CACHE_DIR)) {
      if (stale.startsWith(kind) && stale !== `${key}.tar.gz`) await rm(join(CACHE_DIR, stale), { force: true });
    }
    const partial = `${cacheFile}.${process.pid}.${randomBytes(4).toString("hex")}`;
    await writeFile(partial, dump);
    await rename(partial, cacheFile);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return embedded;
}
