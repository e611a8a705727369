// The freshness sweep in SQL: which contacts a sweep selects, what each outcome changes (verified,
// left, unknown, email invalid, rep-owned kept), that a contact is checked once per sweep and
// replaced once ever, and the sweep's counts.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asRole } from "../../support/database.ts";
import { rpc, type Json, type JsonObject, useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

async function call<T = JsonObject>(name: string, payload: JsonObject): Promise<T> {
  const rows = await asRole(database.sql, "service_role", (tx) =>
    tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload)]),
  );
  return rows[0]!.result;
}

async function callError(name: string, payload: JsonObject): Promise<string> {
  try {
    await call(name, payload);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${name} did not fail`);
}

let courses = 0;
/** A course enriched with these people (verified `daysAgo` days ago). */
async function course(names: string[], daysAgo = 40): Promise<{ courseId: string; contactIds: string[] }> {
  courses += 1;
  const sql = database.sql;
  const row = await rpc<{ id: string }>(sql, "upsert_course_for_enrichment", { course_name: `Freshwater ${courses} Golf Club`, state: "AZ" });
  const applied = await rpc<{ contacts: { id: string; name: string }[] }>(sql, "apply_enrichment", {
    run_id: randomUUID(),
    course_id: row.id,
    status: "succeeded",
    course: { website: `https://www.freshwater${courses}.example` },
    business_intelligence: { segment: "high-end", segment_confidence: 8 },
    contacts: names.map((name) => {
      const slug = name.toLowerCase().replace(/[^a-z]+/g, "");
      return { name, title: "General Manager", email: `${slug}@freshwater${courses}.example`, email_status: "valid", phone: "+16025550100", phone_type: "direct" };
    }),
  });
  const ids = names.map((n) => applied.contacts.find((c) => c.name === n)!.id);
  await sql`update public.contacts set last_verified_at = now() - make_interval(days => ${daysAgo}) where id in ${sql(ids)}`;
  return { courseId: row.id, contactIds: ids };
}

interface Sweep {
  id: string;
  status: string;
  counts: Record<string, number>;
  cost_usd: string | number;
}

async function sweep(extra: JsonObject = {}): Promise<Sweep> {
  const started = await call<{ created: boolean; sweep: Sweep }>("start_freshness_sweep", { trigger: "api", older_than_days: 30, spend_cap_usd: 5, ...extra });
  return started.sweep;
}

type Batch = { remaining_courses: number; courses: { id: string; contacts: { id: string; full_name: string; rep_owned: string[] }[] }[] };

describe("start_freshness_sweep", () => {
  it("creates one sweep per cron tick: a repeated tick finds the same sweep", async () => {
    const first = await call<{ created: boolean; sweep: Sweep }>("start_freshness_sweep", { trigger: "cron", trigger_key: "cron-1", older_than_days: 30, spend_cap_usd: 5 });
    const again = await call<{ created: boolean; sweep: Sweep }>("start_freshness_sweep", { trigger: "cron", trigger_key: "cron-1", older_than_days: 30, spend_cap_usd: 5 });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, sweep: { id: first.sweep.id, status: "running" } });
  });

  it("refuses a bad selection with the field named", async () => {
    expect(await callError("start_freshness_sweep", { trigger: "api", older_than_days: -1, spend_cap_usd: 5 })).toMatch(/older_than_days/);
    expect(await callError("start_freshness_sweep", { trigger: "api", older_than_days: 30, spend_cap_usd: 5, course_id: randomUUID() })).toMatch(/no course/);
  });
});

describe("next_freshness_courses", () => {
  it("selects active contacts older than the threshold, of the course asked for, and not those checked already", async () => {
    const stale = await course(["Ana Stale", "Ben Stale"], 40);
    const fresh = await course(["Cleo Fresh"], 3);
    const s = await sweep({ course_id: stale.courseId });
    const batch = await call<Batch>("next_freshness_courses", { sweep_id: s.id, limit: 10 });
    expect(batch.courses.map((c) => c.id)).toEqual([stale.courseId]);
    expect(batch.courses[0]!.contacts.map((c) => c.full_name)).toEqual(["Ana Stale", "Ben Stale"]);

    await call("record_freshness_check", { sweep_id: s.id, contact_id: stale.contactIds[0]!, outcome: "still_there", decided_by: "staff_page" });
    const next = await call<Batch>("next_freshness_courses", { sweep_id: s.id, limit: 10 });
    expect(next.courses[0]!.contacts.map((c) => c.full_name)).toEqual(["Ben Stale"]);

    // older_than_days 0 checks everyone, the freshly verified too.
    const everyone = await sweep({ older_than_days: 0, course_id: fresh.courseId });
    const all = await call<Batch>("next_freshness_courses", { sweep_id: everyone.id, limit: 10 });
    expect(all.courses[0]!.contacts.map((c) => c.full_name)).toEqual(["Cleo Fresh"]);
    const thirty = await sweep({ course_id: fresh.courseId });
    expect((await call<Batch>("next_freshness_courses", { sweep_id: thirty.id, limit: 10 })).courses).toEqual([]);
  });
});

describe("record_freshness_check", () => {
  it("still there: verified now, the page's new phone saved, a rep-owned email kept and suggested", async () => {
    const { contactIds } = await course(["Dina Stays"]);
    const id = contactIds[0]!;
    await database.sql`insert into public.field_ownership (entity, entity_id, field, event_id, changed_at) values ('contact', ${id}, 'email', 'wh:1', now())`;
    const s = await sweep();
    const result = await call<JsonObject>("record_freshness_check", {
      sweep_id: s.id, contact_id: id, outcome: "still_there", decided_by: "staff_page", email_status: "valid",
      found_email: "dina.new@freshwater.example", found_phone: "+16025550199", cost_usd: 0.002, sweep_cost_usd: 0.004,
    });
    expect(result).toMatchObject({ duplicate: false, suggestions: { email: "dina.new@freshwater.example" }, changes: { phone: { after: "+16025550199" } } });
    const [row] = await database.sql<{ verified_recently: boolean; phone: string; email: string }[]>`
      select c.last_verified_at > now() - interval '1 minute' as verified_recently, e.phone, e.email
        from public.contacts c join public.contact_enrichment e on e.contact_id = c.id where c.id = ${id}`;
    expect(row).toMatchObject({ verified_recently: true, phone: "+16025550199", email: "dinastays@freshwater" + courses + ".example" });

    const again = await call<JsonObject>("record_freshness_check", { sweep_id: s.id, contact_id: id, outcome: "left", decided_by: "research" });
    expect(again).toMatchObject({ duplicate: true });
    const got = await call<{ sweep: Sweep; checks: JsonObject[] }>("get_freshness_sweep", { sweep_id: s.id });
    expect(got.sweep.counts).toMatchObject({ checked: 1, still_there: 1, left: 0 });
    expect(Number(got.sweep.cost_usd)).toBeCloseTo(0.004);
    expect(got.checks).toHaveLength(1);
  });

  it("left: inactive with the reason, its active sequence stopped; unknown: flagged, never deactivated", async () => {
    const { contactIds } = await course(["Eli Leaves", "Fay Unknown"]);
    const [eli, fay] = contactIds as [string, string];
    await database.sql`insert into public.outreach_sequences (contact_id, workflow_instance_id) values (${eli}, ${"outreach-eli-" + courses})`;
    const s = await sweep();
    const left = await call<{ stopped: { workflow_instance_id: string }[] }>("record_freshness_check", {
      sweep_id: s.id, contact_id: eli, outcome: "left", decided_by: "research", now_at: "Kinross Golf Club", now_title: "General Manager",
      evidence_url: "https://news.example/eli", replacement_name: "Gus New",
    });
    expect(left.stopped.map((x) => x.workflow_instance_id)).toEqual([`outreach-eli-${courses}`]);
    await call("record_freshness_check", { sweep_id: s.id, contact_id: fay, outcome: "unknown", decided_by: "none" });
    const rows = await database.sql<{ full_name: string; is_active: boolean; inactive_reason: string | null; freshness_flag: string | null }[]>`
      select full_name, is_active, inactive_reason, freshness_flag from public.contacts where id in (${eli}, ${fay}) order by full_name`;
    expect(rows).toEqual([
      { full_name: "Eli Leaves", is_active: false, inactive_reason: "left the club: now General Manager at Kinross Golf Club", freshness_flag: null },
      { full_name: "Fay Unknown", is_active: true, inactive_reason: null, freshness_flag: "unknown" },
    ]);
    const [seq] = await database.sql<{ status: string }[]>`select status from public.outreach_sequences where contact_id = ${eli}`;
    expect(seq!.status).toBe("stopped");
  });

  it("email invalid: the address cleared and its sequence stopped; a rep-owned address kept and flagged", async () => {
    const { contactIds } = await course(["Gia Bounces", "Hal Owned"]);
    const [gia, hal] = contactIds as [string, string];
    await database.sql`insert into public.field_ownership (entity, entity_id, field, event_id, changed_at) values ('contact', ${hal}, 'email', 'wh:2', now())`;
    await database.sql`insert into public.outreach_sequences (contact_id, workflow_instance_id) values (${gia}, ${"outreach-gia-" + courses})`;
    const s = await sweep();
    const r1 = await call<JsonObject>("record_freshness_check", { sweep_id: s.id, contact_id: gia, outcome: "still_there", decided_by: "staff_page", email_status: "invalid", email_invalid: true });
    const r2 = await call<JsonObject>("record_freshness_check", { sweep_id: s.id, contact_id: hal, outcome: "still_there", decided_by: "staff_page", email_status: "invalid", email_invalid: true });
    expect(r1).toMatchObject({ email_invalidated: true, contact: { email: null }, stopped: [{ workflow_instance_id: `outreach-gia-${courses}` }] });
    expect(r2).toMatchObject({ email_invalidated: true, suggestions: { email: null }, contact: { email: `halowned@freshwater${courses}.example` } });
    const rows = await database.sql<{ full_name: string; email: string | null; email_status: string; freshness_flag: string | null }[]>`
      select c.full_name, e.email, e.email_status, c.freshness_flag from public.contacts c join public.contact_enrichment e on e.contact_id = c.id
       where c.id in (${gia}, ${hal}) order by c.full_name`;
    expect(rows).toEqual([
      { full_name: "Gia Bounces", email: null, email_status: "invalid", freshness_flag: null },
      { full_name: "Hal Owned", email: `halowned@freshwater${courses}.example`, email_status: "invalid", freshness_flag: "email_invalid" },
    ]);
    const got = await call<{ sweep: Sweep }>("get_freshness_sweep", { sweep_id: s.id });
    expect(got.sweep.counts).toMatchObject({ checked: 2, emails_invalidated: 2 });
  });
});

describe("record_freshness_replacement", () => {
  it("creates the successor once: a second call (another sweep, a resumed one) answers the same contact", async () => {
    const { courseId, contactIds } = await course(["Ivy Gone"]);
    const s = await sweep();
    await call("record_freshness_check", { sweep_id: s.id, contact_id: contactIds[0]!, outcome: "left", decided_by: "research" });
    const successor: JsonObject = { name: "Jack Next", title: "General Manager", email: "jack@freshwater.example", email_status: "valid", phone: "+16025550111", phone_type: "direct" };
    const first = await call<{ created: boolean; contact_id: string }>("record_freshness_replacement", { sweep_id: s.id, left_contact_id: contactIds[0]!, contact: successor });
    const second = await call<{ created: boolean; duplicate: boolean; contact_id: string }>("record_freshness_replacement", { sweep_id: randomUUID(), left_contact_id: contactIds[0]!, contact: { ...successor, name: "Someone Else" } });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, duplicate: true, contact_id: first.contact_id });
    const people = await database.sql<{ full_name: string; is_active: boolean }[]>`select full_name, is_active from public.contacts where course_id = ${courseId} order by full_name`;
    expect(people).toEqual([{ full_name: "Ivy Gone", is_active: false }, { full_name: "Jack Next", is_active: true }]);
    const got = await call<{ sweep: Sweep; checks: { replacement_contact_id: Json }[] }>("get_freshness_sweep", { sweep_id: s.id });
    expect(got.sweep.counts).toMatchObject({ left: 1, replaced: 1 });
    expect(got.checks[0]!.replacement_contact_id).toBe(first.contact_id);
    // The successor was created after the sweep started: it is not checked by it.
    expect((await call<Batch>("next_freshness_courses", { sweep_id: s.id, limit: 10 })).courses.filter((c) => c.id === courseId)).toEqual([]);
    // And a contact is never replaced twice, even by a direct update.
    await expect(database.sql`update public.contacts set replaced_by_contact_id = ${contactIds[0]!} where id = ${contactIds[0]!}`).rejects.toThrow(/already replaced/);
  });
});
