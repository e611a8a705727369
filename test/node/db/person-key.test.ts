// One key for a person: personKey() (src/lib/person-key.ts) and app_private.person_key (SQL) give the
// same key for every case, contacts are one per key, and a database holding contacts that collide
// under the new key migrates without losing any of them.
import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, migrate } from "../../../scripts/migrate.ts";
import { FOLDED_CHARACTERS, personKey, personStepKey } from "../../../src/lib/person-key.ts";
import { createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";
import { rpc, type JsonObject, useMigratedDatabase } from "./helpers.ts";

const PERSON_KEY_MIGRATION = "20261202000000_person_key";

/** [name, expected key]; every one goes through TypeScript and SQL. */
const CASES: [string, string][] = [
  // hyphens and dashes are spaces
  ["Anne-Marie Lee", "anne marie lee"],
  ["Anne Marie Lee", "anne marie lee"],
  ["ANNE–MARIE LEE", "anne marie lee"],
  ["AnneMarie Lee", "annemarie lee"],
  // accents folded by the table, composed or not
  ["José Peña", "jose pena"],
  ["Jose\u0301 Pen\u0303a", "jose pena"],
  ["Zoë Saldaña", "zoe saldana"],
  ["Søren Kierkegaard", "soren kierkegaard"],
  ["Łukasz Żółć", "lukasz zolc"],
  ["Hans Großmann", "hans grossmann"],
  ["Æsa Ødegård", "aesa odegard"],
  ["François Lefèvre", "francois lefevre"],
  ["Ștefan Țurcan", "stefan turcan"],
  // no German transliteration: two spellings, two keys
  ["Thomas Müller", "thomas muller"],
  ["Thomas Mueller", "thomas mueller"],
  // suffixes
  ["John Smith Jr.", "john smith"],
  ["John Smith, Jr.", "john smith"],
  ["John Smith III", "john smith"],
  ["Mike Ramirez, PGA", "mike ramirez"],
  ["John Smith Jr., PGA", "john smith"],
  ["Jane Doe, Ph.D.", "jane doe"],
  ["Jane Doe PhD", "jane doe"],
  ["Tom Lee CGCS", "tom lee"],
  ["Amy Chu, MBA", "amy chu"],
  // honorifics
  ["Dr. Jane Doe", "jane doe"],
  ["Mr John Smith", "john smith"],
  ["Mrs. Anne-Marie Lee", "anne marie lee"],
  ["Ms. Jo Park", "jo park"],
  // initials: middle ones dropped, first and last kept
  ["John A. Smith", "john smith"],
  ["John A Smith", "john smith"],
  ["J. Smith", "j smith"],
  ["J Smith", "j smith"],
  ["J. R. Smith", "j smith"],
  ["J.R. Smith", "jr smith"],
  ["John Smith A.", "john smith a"],
  ["John Paul Jones", "john paul jones"],
  // nicknames dropped; nickname forms never merged
  ['William "Bill" Jones', "william jones"],
  ["William “Bill” Jones", "william jones"],
  ["William 'Bill' Jones", "william jones"],
  ["Robert (Bob) Smith", "robert smith"],
  ["Bob Smith", "bob smith"],
  ["Robert Smith", "robert smith"],
  // whitespace of any kind
  ["  Stacy   FOSTER  ", "stacy foster"],
  ["Stacy\tFoster\n", "stacy foster"],
  ["Stacy\u00a0Foster", "stacy foster"],
  // apostrophes vanish, the word stays whole ("O Brien", with a space, is a middle initial)
  ["Pat O'Brien", "pat obrien"],
  ["Pat O’Brien", "pat obrien"],
  ["Pat OBrien", "pat obrien"],
  ["Pat O Brien", "pat brien"],
  ["D'Angelo Russell", "dangelo russell"],
  // all caps
  ["MARY-KATE O'NEIL", "mary kate oneil"],
  // order is not changed
  ["Smith, John", "smith john"],
  // only a suffix or an honorific: kept
  ["Jr.", "jr"],
  ["PGA", "pga"],
  ["Dr.", "dr"],
  ["Dr. Jr.", "jr"],
  // no word at all: the folded text
  ["...", "..."],
  ["-", "-"],
  [" !! ", "!!"],
  ["( )", "( )"],
  ["Иван Петров", "Иван Петров"],
  ["   ", ""],
];

const database = useMigratedDatabase();

async function sqlKeys(names: string[]): Promise<string[]> {
  const rows = await database.sql<{ key: string }[]>`
    select app_private.person_key(u.name) as key from unnest(${names}::text[]) with ordinality as u(name, ord) order by u.ord`;
  return rows.map((r) => r.key);
}

describe("personKey and app_private.person_key", () => {
  it("agree with each other and with the expected key on every case", async () => {
    const names = CASES.map(([name]) => name);
    const fromSql = await sqlKeys(names);
    const rows = CASES.map(([name, expected], i) => ({ name, expected, ts: personKey(name), sql: fromSql[i] }));
    for (const row of rows) expect(row, JSON.stringify(row.name)).toEqual({ ...row, ts: row.expected, sql: row.expected });
  });

  it("fold every character of the table the same way", async () => {
    const entries = Object.entries(FOLDED_CHARACTERS);
    expect(entries.length).toBeGreaterThan(250);
    // Inside a word, so the folded character shows in the key.
    const names = entries.map(([ch]) => `a${ch}b`);
    const fromSql = await sqlKeys(names);
    entries.forEach(([ch, folded], i) => {
      const expected = /^[a-z]+$/.test(folded) ? `a${folded}b` : folded === "'" ? "ab" : "a b";
      const label = `U+${ch.codePointAt(0)!.toString(16).padStart(4, "0")} ${ch}`;
      expect({ ts: personKey(names[i]!), sql: fromSql[i] }, label).toEqual({ ts: expected, sql: expected });
    });
  });

  it("are equal for a name holding the whole table at once, and for null", async () => {
    const all = Object.keys(FOLDED_CHARACTERS).join("");
    const [fromSql] = await sqlKeys([all, `Ann ${all} Lee`]);
    expect(fromSql).toBe(personKey(all));
    const [row] = await database.sql<{ key: string | null }[]>`select app_private.person_key(null) as key`;
    expect(row?.key).toBeNull();
  });

  it("may be called by service_role (contacts' generated name_key calls it), not by anon or authenticated", async () => {
    const rows = await database.sql<{ role: string; can: boolean }[]>`
      select r as role, has_function_privilege(r, 'app_private.person_key(text)', 'EXECUTE') as can
      from unnest(array['anon', 'authenticated', 'service_role']) r`;
    expect(Object.fromEntries(rows.map((r) => [r.role, r.can]))).toEqual({ anon: false, authenticated: false, service_role: true });
  });
});

describe("personStepKey", () => {
  it("is the key's words joined by '-'", () => {
    expect(personStepKey("Mrs. Anne-Marie Lee, PGA")).toBe("anne-marie-lee");
    expect(personStepKey("Anne Marie Lee")).toBe("anne-marie-lee");
    expect(personStepKey("Pat O'Brien")).toBe("pat-obrien");
  });

  it("is [a-z0-9-] only and still tells apart names without any word", () => {
    const names = CASES.map(([name]) => name);
    for (const name of names) expect(personStepKey(name), name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(personStepKey("Иван Петров")).not.toBe(personStepKey("Пётр Иванов"));
    expect(personStepKey("...")).not.toBe(personStepKey("!!"));
    expect(personStepKey("Иван Петров")).toBe(personStepKey("Иван Петров"));
  });
});

describe("contacts by person_key", () => {
  async function newCourse(): Promise<string> {
    const course = await rpc<{ id: string }>(database.sql, "upsert_course_for_enrichment", {
      course_name: `Person Key ${randomUUID()} Golf Club`,
      state: "VA",
      source: "api",
    });
    return course.id;
  }

  it("apply_enrichment merges payload entries of one key into one contact and returns name_key", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    const result = await rpc<{ contacts: { id: string; name: string; name_key: string; title: string | null }[] }>(database.sql, "apply_enrichment", {
      run_id: runId,
      course_id: courseId,
      status: "succeeded",
      contacts: [
        { name: "Anne-Marie Lee", title: "General Manager", email: null, phone: "804-555-0101", previous_clubs: ["Kinloch"] },
        { name: "Bob Smith", title: "Superintendent" },
        { name: "Anne Marie Lee", title: "GM", email: "AMLee@example.com", email_score: 90, phone: "804-555-0199", previous_clubs: [] },
      ],
      agent_calls: [
        { agent: "A3", call_key: "A3:anne-marie-lee", contact_name: "anne marie LEE", provider: "hunter", status: "succeeded" },
      ],
    });
    expect(result.contacts.map((c) => [c.name, c.name_key, c.title])).toEqual([
      ["Anne-Marie Lee", "anne marie lee", "General Manager"],
      ["Bob Smith", "bob smith", "Superintendent"],
    ]);

    const rows = await database.sql`
      select c.id, c.full_name, c.name_key, e.email, e.email_score, e.phone, e.previous_clubs
      from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id
      where c.course_id = ${courseId} order by c.name_key`;
    expect(rows).toHaveLength(2);
    // The first non-null value of each field wins.
    expect(rows[0]).toMatchObject({
      id: result.contacts[0]?.id,
      full_name: "Anne-Marie Lee",
      email: "amlee@example.com",
      email_score: 90,
      phone: "804-555-0101",
      previous_clubs: ["Kinloch"],
    });
    const [call] = await database.sql`select contact_id from public.agent_calls where run_id = ${runId}`;
    expect(call?.contact_id).toBe(result.contacts[0]?.id);

    // A later run spelling the name another way updates the same contact.
    const again = await rpc<{ contacts: { id: string; name: string; name_key: string }[] }>(database.sql, "apply_enrichment", {
      run_id: randomUUID(),
      course_id: courseId,
      status: "succeeded",
      contacts: [{ name: "Mrs. Anne Marie Lee", title: "General Manager & COO" }],
    });
    expect(again.contacts).toEqual([expect.objectContaining({ id: result.contacts[0]?.id, name: "Mrs. Anne Marie Lee", name_key: "anne marie lee" })]);
    const [{ n } = { n: -1 }] = await database.sql<{ n: number }[]>`select count(*)::int as n from public.contacts where course_id = ${courseId}`;
    expect(n).toBe(2);
  });

  it("a validation error names the entry's own index even when it merges into an earlier one", async () => {
    const courseId = await newCourse();
    await expect(
      rpc(database.sql, "apply_enrichment", {
        run_id: randomUUID(),
        course_id: courseId,
        status: "succeeded",
        contacts: [{ name: "Anne-Marie Lee" }, { name: "Anne Marie Lee", email_score: "high" }],
      }),
    ).rejects.toMatchObject({ code: "22023", message: "contacts[1].email_score must be an integer between 0 and 100" });
  });
});

describe("migrating a database whose contacts collide under person_key", () => {
  let old: TestDatabase;
  beforeAll(async () => {
    old = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await old?.stop();
  });

  /** Applies the migrations before PERSON_KEY_MIGRATION, the way scripts/migrate.ts applies them all. */
  async function migrateToPrevious(url: string): Promise<void> {
    const names = (await readdir(MIGRATIONS_DIR)).filter((n) => n.endsWith(".sql")).sort().map((n) => n.replace(/\.sql$/, ""));
    const count = names.indexOf(PERSON_KEY_MIGRATION);
    expect(count).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        direction: "up",
        count,
        migrationsSchema: MIGRATIONS_SCHEMA,
        createMigrationsSchema: true,
        migrationsTable: MIGRATIONS_TABLE,
        checkOrder: true,
        singleTransaction: true,
        log: () => {},
      });
    } finally {
      await client.end();
    }
  }

  it("keeps the oldest active row as the contact, fills its gaps and marks the others as its duplicates", async () => {
    await migrateToPrevious(old.url);
    const s = sqlClient(old.url);
    try {
      const [course] = await s<{ id: string }[]>`insert into public.courses (course_name, state) values ('Old Golf Club', 'VA') returning id`;
      const courseId = course!.id;
      const insert = async (name: string, minutesAgo: number, extra: { clickup_task_id?: string; is_active?: boolean } = {}) => {
        const [row] = await s<{ id: string }[]>`
          insert into public.contacts (course_id, full_name, clickup_task_id, is_active, created_at)
          values (${courseId}, ${name}, ${extra.clickup_task_id ?? null}, ${extra.is_active ?? true}, now() - make_interval(mins => ${minutesAgo}))
          returning id`;
        return row!.id;
      };
      // Two spellings of Anne-Marie: the oldest has no lead task, the newer one has a task and an email.
      const anneOld = await insert("Anne-Marie Lee", 30);
      const anneNew = await insert("Anne Marie Lee", 20, { clickup_task_id: "task-anne" });
      await s`insert into public.contact_enrichment (contact_id, phone) values (${anneOld}, '804-555-0101')`;
      await s`insert into public.contact_enrichment (contact_id, email, email_score, phone, previous_clubs)
              values (${anneNew}, 'amlee@example.com', 88, '804-555-0199', '["Kinloch"]')`;
      // Jo Park three times: the oldest is inactive (so the oldest active one is kept); two have tasks.
      const joInactive = await insert("jo park", 50, { is_active: false });
      const joKeeper = await insert("Dr. Jo Park", 40, { clickup_task_id: "task-jo-1" });
      const joOther = await insert("Jo  Park, PGA", 10, { clickup_task_id: "task-jo-2" });
      const bob = await insert("Bob Smith", 5);
      const [run] = await s<{ id: string }[]>`
        insert into public.enrichment_runs (course_id, trigger_source, status) values (${courseId}, 'api', 'succeeded') returning id`;
      await s`insert into public.agent_calls (run_id, course_id, contact_id, contact_name, agent, call_key, provider, status)
              values (${run!.id}, ${courseId}, ${anneNew}, 'Anne Marie Lee', 'A3', 'A3:anne', 'hunter', 'succeeded')`;

      const { applied } = await migrate(old.url);
      expect(applied[0]).toBe(PERSON_KEY_MIGRATION);

      const rows = await s`
        select c.id, c.full_name, c.name_key, c.is_active, c.inactive_reason, c.duplicate_of, c.clickup_task_id,
               e.email, e.email_score, e.phone, e.previous_clubs
        from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id
        where c.course_id = ${courseId}`;
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      expect(rows).toHaveLength(6);
      expect(byId.get(anneOld)).toMatchObject({
        name_key: "anne marie lee", is_active: true, duplicate_of: null, clickup_task_id: "task-anne",
        email: "amlee@example.com", email_score: 88, phone: "804-555-0101", previous_clubs: ["Kinloch"],
      });
      expect(byId.get(anneNew)).toMatchObject({
        name_key: "anne marie lee", is_active: false, inactive_reason: `duplicate of ${anneOld}`, duplicate_of: anneOld,
        clickup_task_id: null, email: "amlee@example.com",
      });
      expect(byId.get(joKeeper)).toMatchObject({ name_key: "jo park", is_active: true, duplicate_of: null, clickup_task_id: "task-jo-1" });
      expect(byId.get(joOther)).toMatchObject({ is_active: false, duplicate_of: joKeeper, clickup_task_id: "task-jo-2" });
      expect(byId.get(joInactive)).toMatchObject({ is_active: false, duplicate_of: joKeeper, inactive_reason: `duplicate of ${joKeeper}` });
      expect(byId.get(bob)).toMatchObject({ name_key: "bob smith", is_active: true, duplicate_of: null });
      const [call] = await s`select contact_id from public.agent_calls where call_key = 'A3:anne'`;
      expect(call?.contact_id).toBe(anneOld);

      // One contact per key from now on: a run finds the kept rows.
      const result = await rpc<{ contacts: { id: string; name_key: string; clickup_task_id: string | null }[] }>(s, "apply_enrichment", {
        run_id: randomUUID(),
        course_id: courseId,
        status: "succeeded",
        contacts: [{ name: "Anne Marie Lee" }, { name: "JO PARK" }, { name: "Bob Smith" }],
      } satisfies JsonObject);
      expect(result.contacts.map((c) => [c.id, c.name_key, c.clickup_task_id])).toEqual([
        [anneOld, "anne marie lee", "task-anne"],
        [joKeeper, "jo park", "task-jo-1"],
        [bob, "bob smith", null],
      ]);
      const [{ n } = { n: -1 }] = await s<{ n: number }[]>`select count(*)::int as n from public.contacts where course_id = ${courseId}`;
      expect(n).toBe(6);
      await expect(s`insert into public.contacts (course_id, full_name) values (${courseId}, 'Bob  Smith Jr.')`).rejects.toMatchObject({ code: "23505" });

      // Deleting the course still takes every contact with it, duplicates included.
      await s`delete from public.courses where id = ${courseId}`;
      const [{ left } = { left: -1 }] = await s<{ left: number }[]>`select count(*)::int as left from public.contacts where course_id = ${courseId}`;
      expect(left).toBe(0);
    } finally {
      await s.end();
    }
  });
});
