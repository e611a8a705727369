import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, SPLIT_MIGRATIONS, migrate } from "../../../scripts/migrate.ts";
import { createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, "../../..");

let migrationNames: string[];
beforeAll(async () => {
  migrationNames = (await readdir(MIGRATIONS_DIR))
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => name.replace(/\.sql$/, ""));
});

describe("migration files", () => {
  it("are named the Supabase way and contain no down section", async () => {
    expect(migrationNames.length).toBeGreaterThanOrEqual(4);
    for (const name of migrationNames) expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
    for (const name of migrationNames) {
      const text = await readFile(resolve(MIGRATIONS_DIR, `${name}.sql`), "utf8");
      // The Supabase CLI runs the whole file: a down section would run on Supabase.
      expect(text).not.toMatch(/^\s*--[\s-]*down\s+migration/im);
    }
  });
});

describe("migrate()", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("applies every migration in order, records them, and applies nothing the second time", async () => {
    const notices: string[] = [];
    const first = await migrate(db.url, { onNotice: (message) => notices.push(message) });
    expect(first.applied).toEqual(migrationNames);
    // Neither PGlite nor the test server has pg_net: the webhook migration says so.
    expect(notices.some((n) => n.includes("pg_net is not available"))).toBe(true);

    const sql = sqlClient(db.url);
    try {
      const recorded = await sql<{ name: string }[]>`select name from app_migrations.pgmigrations order by id`;
      expect(recorded.map((r) => r.name)).toEqual(migrationNames);

      const second = await migrate(db.url);
      expect(second.applied).toEqual([]);
      const [recordedCount] = await sql<{ count: number }[]>`select count(*)::int as count from app_migrations.pgmigrations`;
      expect(recordedCount?.count).toBe(migrationNames.length);

      // The bookkeeping table is not in the schema the REST API exposes.
      const [exposed] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_tables where schemaname = 'public' and tablename like '%migrations%'`;
      expect(exposed?.n).toBe(0);
    } finally {
      await sql.end();
    }
  });

  it("works as a CLI: `node scripts/migrate.ts` with DATABASE_URL prints JSON lines", async () => {
    const { stdout } = await run(process.execPath, ["scripts/migrate.ts"], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    const lines = stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === "migration_applied")).toEqual([]);
    expect(lines.at(-1)).toEqual({ event: "migrations_done", applied: 0 });
  });
});

describe("a split migration on a database that ran its origin before the split", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it("is recorded as run just before its origin (not run again), and the order check passes", async () => {
    const split = SPLIT_MIGRATIONS.find((s) => s.name === "20261124000150_payload_helpers")!;
    expect(migrationNames.indexOf(split.name)).toBe(migrationNames.indexOf(split.from) - 1);
    await migrate(db.url);
    const sql = sqlClient(db.url);
    try {
      // The ledger as it was before the split: contiguous ids without the split, the first files
      // from an earlier run (run_on earlier), the rest from a later one.
      await sql.begin(async (tx) => {
        const [row] = await tx<{ id: number }[]>`delete from app_migrations.pgmigrations where name = ${split.name} returning id`;
        await tx`update app_migrations.pgmigrations set id = -(id - 1) where id > ${row!.id}`;
        await tx`update app_migrations.pgmigrations set id = -id where id < 0`;
        await tx`update app_migrations.pgmigrations set run_on = run_on - interval '1 day' where id < ${row!.id}`;
      });

      const upgraded = await migrate(db.url);
      expect(upgraded).toEqual({ applied: [], splitsRecorded: [split.name] });
      const recorded = await sql<{ name: string; run_on: Date }[]>`
        select name, run_on from app_migrations.pgmigrations order by run_on, id`;
      expect(recorded.map((r) => r.name)).toEqual(migrationNames);
      const at = (name: string) => recorded.find((r) => r.name === name)!.run_on.getTime();
      expect(at(split.name)).toBe(at(split.from));

      // Nothing recorded twice on the next run; the helpers still answer for the RPCs.
      expect(await migrate(db.url)).toEqual({ applied: [], splitsRecorded: [] });
      const [{ n } = { n: -1 }] = await sql<{ n: number }[]>`select count(*)::int as n from app_migrations.pgmigrations`;
      expect(n).toBe(migrationNames.length);
      const error = await sql`select public.upsert_course_for_enrichment(payload => ${sql.json({ state: "VA" })}::jsonb)`.catch((e: { code?: string; message?: string }) => e);
      expect(error).toMatchObject({ code: "22023", message: expect.stringMatching(/course_name/) });
    } finally {
      await sql.end();
    }
  });
});
