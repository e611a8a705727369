// The embedded PGlite server itself (always PGlite, whatever DATABASE_URL says).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../../scripts/embedded-db.ts";

describe("startEmbeddedPostgres", () => {
  let server: EmbeddedPostgres;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("listens on a free loopback port with a postgres:// url", () => {
    expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(Number(new URL(server.url).port)).toBeGreaterThan(0);
  });

  it("serves pg and postgres.js pools concurrently (extended protocol and transactions)", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 6 });
    const sql = postgres(server.url, { max: 6, onnotice: () => {} });
    try {
      await sql`create table concurrency_probe (id int primary key, client text not null)`;
      const work: Promise<void>[] = [];
      for (let i = 0; i < 120; i += 1) {
        if (i % 2 === 0) {
          work.push(
            pool.query<{ x: number; y: string }>("select $1::int + 1 as x, $2::text as y", [i, `pg${i}`]).then((r) => {
              expect(r.rows[0]).toEqual({ x: i + 1, y: `pg${i}` });
            }),
          );
        } else {
          work.push(
            sql<{ x: number; y: string }[]>`select ${i}::int + 1 as x, ${`js${i}`}::text as y`.then((rows) => {
              expect(rows[0]).toEqual({ x: i + 1, y: `js${i}` });
            }),
          );
        }
        if (i % 10 === 0) {
          work.push(
            sql
              .begin(async (tx) => {
                await tx`insert into concurrency_probe values (${i}, 'postgres.js')`;
                await tx`select pg_sleep(0.002)`;
              })
              .then(() => undefined),
          );
          work.push(
            (async () => {
              const client = await pool.connect();
              try {
                await client.query("begin");
                await client.query("insert into concurrency_probe values ($1, 'pg')", [i + 1000]);
                await client.query("commit");
              } finally {
                client.release();
              }
            })(),
          );
        }
      }
      await Promise.all(work);
      const [probe] = await sql<{ n: number }[]>`select count(*)::int as n from concurrency_probe`;
      expect(probe?.n).toBe(24);
    } finally {
      await pool.end();
      await sql.end();
    }
  });
});

describe("startEmbeddedPostgres with a dataDir", () => {
  it("keeps the data across restarts", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "golf-pglite-"));
    try {
      const first = await startEmbeddedPostgres({ dataDir });
      const a = postgres(first.url, { max: 1, onnotice: () => {} });
      await a`create table kept (v text)`;
      await a`insert into kept values ('still here')`;
      await a.end();
      await first.stop();

      const second = await startEmbeddedPostgres({ dataDir });
      const b = postgres(second.url, { max: 1, onnotice: () => {} });
      const rows = await b<{ v: string }[]>`select v from kept`;
      await b.end();
      await second.stop();
      expect(rows.map((r) => r.v)).toEqual(["still here"]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
