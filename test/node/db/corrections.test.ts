// ClickUp → Supabase corrections in SQL: apply_correction (every field, idempotency, out-of-order
// events, emptied values, name conflicts, atomicity), apply_enrichment keeping what a rep owns (and
// suggesting its own values), the audit log readable by admins only, record_lead_status,
// record_email_verification and get_lead_for_correction.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asRole } from "../../support/database.ts";
import { count, rpc, snapshot, type Json, type JsonObject, useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

type CorrectionRpc = "apply_correction" | "record_lead_status" | "record_email_verification" | "get_lead_for_correction";

/** public.<name>(payload) as service_role, the way the Worker calls it. */
async function call<T = JsonObject>(name: CorrectionRpc, payload: JsonObject): Promise<T> {
  const rows = await asRole(database.sql, "service_role", (tx) =>
    tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload)]),
  );
  return rows[0]!.result;
}

async function callError(name: CorrectionRpc, payload: JsonObject): Promise<{ code: string; message: string }> {
  try {
    await call(name, payload);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { code: e.code ?? "", message: e.message ?? "" };
  }
  throw new Error(`${name} did not fail`);
}

interface Correction {
  status: string;
  applied: boolean;
  field: string;
  before: Json;
  after: Json;
  contact_id: string | null;
  course_id: string | null;
  reason?: string;
  original_status?: string;
  conflicting_contact_id?: string;
}

interface Suggestion {
  entity: "contact" | "course";
  contact_id: string | null;
  field: string;
  kept: Json;
  suggested: Json;
}

interface ApplyResult {
  applied: boolean;
  run_id: string;
  course_id: string;
  run_status: string;
  course_status: string;
  contacts: { id: string; name: string; name_key: string; title: string | null; clickup_task_id: string | null; clickup_synced: JsonObject }[];
  suggestions: Suggestion[];
}

interface AuditRow {
  direction: string;
  entity: string;
  entity_id: string;
  field: string;
  before: Json;
  after: Json;
  actor: string | null;
  source_event_id: string;
  clickup_user_id: string | null;
  status: string;
  source: string;
  received_at: Date | null;
  applied_at: Date | null;
}

function person(name: string, extra: JsonObject = {}): JsonObject {
  const slug = name.toLowerCase().replace(/[^a-z]+/g, "");
  return {
    name,
    title: "General Manager",
    email: `${slug}@pineview.example`,
    email_score: 91,
    email_status: "valid",
    email_source: "hunter",
    linkedin_url: `https://www.linkedin.com/in/${slug}`,
    phone: "+18045925861",
    phone_type: "course",
    phone_source: "perplexity",
    ...extra,
  };
}

function enrichment(courseId: string, contacts: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {
    run_id: randomUUID(),
    course_id: courseId,
    status: "succeeded",
    course: { website: "https://www.pineview.example" },
    business_intelligence: { segment: "budget", segment_confidence: 6 },
    contacts,
    ...extra,
  };
}

let leads = 0;

/** A course enriched with the given people, each with a lead task `<prefix>-<index>`. */
async function lead(
  people: JsonObject[] = [person("Stacy Foster")],
  { withIntel = true }: { withIntel?: boolean } = {},
): Promise<{ courseId: string; contactIds: string[]; taskIds: string[] }> {
  leads += 1;
  const sql = database.sql;
  const course = await rpc<{ id: string }>(sql, "upsert_course_for_enrichment", { course_name: `Pineview ${leads} Golf Club`, state: "VA" });
  const payload = enrichment(course.id, people);
  if (!withIntel) delete payload.business_intelligence;
  const applied = await rpc<ApplyResult>(sql, "apply_enrichment", payload);
  const taskIds: string[] = [];
  for (const [i, c] of applied.contacts.entries()) {
    const taskId = `lead-${leads}-${i}`;
    await sql`update public.contacts set clickup_task_id = ${taskId}, clickup_synced = ${sql.json({ name: c.name, fields: { title: c.title } })} where id = ${c.id}`;
    taskIds.push(taskId);
  }
  return { courseId: course.id, contactIds: applied.contacts.map((c) => c.id), taskIds };
}

let events = 0;
function correction(taskId: string, field: string, value: Json, extra: JsonObject = {}): JsonObject {
  events += 1;
  return {
    task_id: taskId,
    field,
    value,
    clickup_user_id: 4242,
    event_id: `wh-1:${events}`,
    occurred_at: new Date(Date.UTC(2026, 11, 1, 10, 0, events)).toISOString(),
    source: "webhook",
    ...extra,
  };
}

async function audits(eventId: string): Promise<AuditRow[]> {
  return database.sql<AuditRow[]>`
    select direction, entity, entity_id, field, before, after, actor, source_event_id, clickup_user_id::text,
           status, source, received_at, applied_at
    from public.sync_audit_log where source_event_id = ${eventId} order by id`;
}

async function ownership(entity: string, entityId: string, field: string) {
  const [row] = await database.sql<{ clickup_user_id: string | null; event_id: string; changed_at: Date }[]>`
    select clickup_user_id::text, event_id, changed_at from public.field_ownership
    where entity = ${entity} and entity_id = ${entityId} and field = ${field}`;
  return row;
}

async function contactRow(id: string) {
  const [row] = await database.sql<{
    full_name: string; name_key: string; title: string | null; email: string | null; email_status: string | null;
    email_score: number | null; email_source: string | null; phone: string | null; phone_type: string | null;
    phone_source: string | null; linkedin_url: string | null; clickup_synced: JsonObject;
    lead_status: string | null; lead_status_at: Date | null;
  }[]>`
    select c.full_name, c.name_key, c.title, c.clickup_synced, c.lead_status, c.lead_status_at, e.email, e.email_status,
           e.email_score, e.email_source, e.phone, e.phone_type, e.phone_source, e.linkedin_url
    from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id where c.id = ${id}`;
  return row!;
}

async function courseRow(id: string) {
  const [row] = await database.sql<{ website: string | null; segment: string | null; segment_confidence: number | null }[]>`
    select co.website, b.segment, b.segment_confidence
    from public.courses co left join public.business_intelligence b on b.course_id = co.id where co.id = ${id}`;
  return row!;
}

describe("apply_correction", () => {
  it("applies each field, with an audit row and the rep's ownership", async () => {
    const { courseId, contactIds: [contactId], taskIds: [taskId] } = await lead();
    const cases: { field: string; value: Json; before: Json; after: Json; entity: string; owner: "contact" | "course" }[] = [
      { field: "email", value: "  Stacy.F@PineView.example ", before: "stacyfoster@pineview.example", after: "stacy.f@pineview.example", entity: "contact_enrichment", owner: "contact" },
      { field: "phone", value: "+18045550101", before: "+18045925861", after: "+18045550101", entity: "contact_enrichment", owner: "contact" },
      { field: "linkedin", value: "https://www.linkedin.com/in/stacy-f", before: "https://www.linkedin.com/in/stacyfoster", after: "https://www.linkedin.com/in/stacy-f", entity: "contact_enrichment", owner: "contact" },
      { field: "name", value: "Stacy  Foster-Jones", before: "Stacy Foster", after: "Stacy Foster-Jones", entity: "contacts", owner: "contact" },
      { field: "title", value: "Head Golf Professional", before: "General Manager", after: "Head Golf Professional", entity: "contacts", owner: "contact" },
      { field: "segment", value: "high-end", before: "budget", after: "high-end", entity: "business_intelligence", owner: "course" },
      { field: "confidence", value: 9, before: 6, after: 9, entity: "business_intelligence", owner: "course" },
      { field: "website", value: "https://pineview-golf.example", before: "https://www.pineview.example", after: "https://pineview-golf.example", entity: "courses", owner: "course" },
    ];
    for (const c of cases) {
      const payload = correction(taskId!, c.field, c.value, { synced_key: c.field, synced_value: c.value });
      const result = await call<Correction>("apply_correction", payload);
      expect(result, c.field).toEqual({
        status: "applied", applied: true, field: c.field, before: c.before, after: c.after, contact_id: contactId, course_id: courseId,
      });
      const rows = await audits(payload.event_id as string);
      expect(rows, c.field).toHaveLength(1);
      expect(rows[0], c.field).toMatchObject({
        direction: "clickup_to_supabase", entity: c.entity, entity_id: c.owner === "course" ? courseId : contactId,
        field: c.field, before: c.before, after: c.after, actor: "4242", clickup_user_id: "4242",
        status: "applied", source: "webhook",
      });
      expect(rows[0]!.received_at, c.field).toBeInstanceOf(Date);
      expect(rows[0]!.applied_at, c.field).toBeInstanceOf(Date);
      const owned = await ownership(c.owner, c.owner === "course" ? courseId : contactId!, c.field);
      expect(owned, c.field).toEqual({ clickup_user_id: "4242", event_id: payload.event_id, changed_at: new Date(payload.occurred_at as string) });
    }

    expect(await contactRow(contactId!)).toMatchObject({
      full_name: "Stacy Foster-Jones", name_key: "stacy foster jones", title: "Head Golf Professional",
      email: "stacy.f@pineview.example", email_status: "unverified", email_score: null, email_source: "rep",
      phone: "+18045550101", phone_type: "direct", phone_source: "rep", linkedin_url: "https://www.linkedin.com/in/stacy-f",
    });
    expect(await courseRow(courseId)).toEqual({ website: "https://pineview-golf.example", segment: "high-end", segment_confidence: 9 });
    // What the app holds of the lead task: merged, the task's name and earlier fields kept.
    // An emptied field is no key there (as the lead task writer leaves it out).
    await call("apply_correction", correction(taskId!, "linkedin", null, { synced_key: "linkedin", synced_value: null }));
    expect((await contactRow(contactId!)).clickup_synced).toEqual({
      name: "Stacy Foster",
      fields: {
        title: "Head Golf Professional", email: "  Stacy.F@PineView.example ", phone: "+18045550101",
        name: "Stacy  Foster-Jones", segment: "high-end", confidence: 9,
        website: "https://pineview-golf.example",
      },
    });
  });

  it("creates what is missing: the enrichment row for an email, the intelligence row for a segment", async () => {
    const { courseId, contactIds: [contactId], taskIds: [taskId] } = await lead([{ name: "Jen Park" }], { withIntel: false });
    await database.sql`delete from public.contact_enrichment where contact_id = ${contactId!}`;
    expect(await call<Correction>("apply_correction", correction(taskId!, "email", "jen@pineview.example"))).toMatchObject({ status: "applied", before: null, after: "jen@pineview.example" });
    // A confidence needs a segment: refused (and audited) while there is none.
    const early = correction(taskId!, "confidence", 7);
    expect(await call<Correction>("apply_correction", early)).toMatchObject({ status: "invalid", applied: false });
    expect((await audits(early.event_id as string)).map((r) => r.status)).toEqual(["invalid"]);
    expect(await ownership("course", courseId, "confidence")).toBeUndefined();

    expect(await call<Correction>("apply_correction", correction(taskId!, "segment", "Both"))).toMatchObject({ status: "applied", before: null, after: "both" });
    expect(await courseRow(courseId)).toMatchObject({ segment: "both", segment_confidence: 10 });
    // A confidence typed as text is read as the number.
    expect(await call<Correction>("apply_correction", correction(taskId!, "confidence", "4"))).toMatchObject({ status: "applied", before: 10, after: 4 });
    expect(await contactRow(contactId!)).toMatchObject({ email: "jen@pineview.example", email_status: "unverified", email_source: "rep" });
  });

  it("applies a repeated event once: duplicate, one audit row, nothing changed", async () => {
    const { taskIds: [taskId] } = await lead();
    const payload = correction(taskId!, "title", "Director of Golf");
    expect(await call<Correction>("apply_correction", payload)).toMatchObject({ status: "applied" });
    const before = await snapshot(database.sql);
    const again = await call<Correction>("apply_correction", payload);
    expect(again).toMatchObject({ status: "duplicate", applied: false, original_status: "applied", before: "General Manager", after: "Director of Golf" });
    expect(await snapshot(database.sql)).toEqual(before);
    expect(await audits(payload.event_id as string)).toHaveLength(1);
  });

  it("never lets an older change overwrite a newer one: the late one is audited stale", async () => {
    const { contactIds: [contactId], taskIds: [taskId] } = await lead();
    const newer = correction(taskId!, "email", "newer@pineview.example", { occurred_at: "2026-12-01T12:00:00.000Z" });
    const older = correction(taskId!, "email", "older@pineview.example", { occurred_at: "2026-12-01T11:00:00.000Z", source: "reconcile", clickup_user_id: null });
    expect(await call<Correction>("apply_correction", newer)).toMatchObject({ status: "applied" });
    const late = await call<Correction>("apply_correction", older);
    expect(late).toMatchObject({ status: "stale", applied: false, before: "newer@pineview.example", after: "older@pineview.example" });
    expect(late.reason).toContain(newer.event_id as string);
    expect((await contactRow(contactId!)).email).toBe("newer@pineview.example");
    expect(await audits(older.event_id as string)).toEqual([
      expect.objectContaining({ status: "stale", source: "reconcile", actor: null, clickup_user_id: null, applied_at: null, before: "newer@pineview.example", after: "older@pineview.example" }),
    ]);
    expect(await ownership("contact", contactId!, "email")).toMatchObject({ event_id: newer.event_id, changed_at: new Date("2026-12-01T12:00:00.000Z") });
    // The same moment is not older; an ms epoch is read as such.
    const sameMoment = correction(taskId!, "email", "same@pineview.example", { occurred_at: Date.parse("2026-12-01T12:00:00.000Z") });
    expect(await call<Correction>("apply_correction", sameMoment)).toMatchObject({ status: "applied" });
  });

  it("clears an emptied field (and the email's verdict with it)", async () => {
    const { courseId, contactIds: [contactId], taskIds: [taskId] } = await lead();
    expect(await call<Correction>("apply_correction", correction(taskId!, "email", null))).toMatchObject({ status: "applied", before: "stacyfoster@pineview.example", after: null });
    expect(await call<Correction>("apply_correction", correction(taskId!, "title", "  "))).toMatchObject({ status: "applied", after: null });
    expect(await call<Correction>("apply_correction", correction(taskId!, "phone", null))).toMatchObject({ status: "applied", after: null });
    expect(await call<Correction>("apply_correction", correction(taskId!, "website", null))).toMatchObject({ status: "applied", after: null });
    expect(await contactRow(contactId!)).toMatchObject({ email: null, email_status: null, email_score: null, email_source: "rep", title: null, phone: null, phone_type: null, phone_source: "rep" });
    expect((await courseRow(courseId)).website).toBeNull();
    // A name, a segment and a confidence cannot be emptied: refused, audited, not owned.
    for (const field of ["name", "segment", "confidence"]) {
      const payload = correction(taskId!, field, null);
      expect(await call<Correction>("apply_correction", payload), field).toMatchObject({ status: "invalid", applied: false, reason: `${field} cannot be emptied` });
      expect((await audits(payload.event_id as string)).map((r) => r.status)).toEqual(["invalid"]);
    }
    expect(await courseRow(courseId)).toMatchObject({ segment: "budget", segment_confidence: 6 });
  });

  it("audits a value already there as unchanged, and the rep owns it from then on", async () => {
    const { contactIds: [contactId], taskIds: [taskId] } = await lead();
    const payload = correction(taskId!, "title", "General Manager", { synced_key: "title", synced_value: "General Manager" });
    expect(await call<Correction>("apply_correction", payload)).toEqual(expect.objectContaining({ status: "unchanged", applied: false, before: "General Manager", after: "General Manager" }));
    expect(await audits(payload.event_id as string)).toEqual([expect.objectContaining({ status: "unchanged", applied_at: null })]);
    expect(await ownership("contact", contactId!, "title")).toMatchObject({ event_id: payload.event_id });
    // An email is compared as it is stored (lower-cased).
    expect(await call<Correction>("apply_correction", correction(taskId!, "email", "StacyFoster@Pineview.example"))).toMatchObject({ status: "unchanged" });
  });

  it("refuses a name another contact of the course already has (same person key): conflict, nothing written", async () => {
    const { contactIds: [stacy, mike], taskIds: [stacyTask] } = await lead([person("Stacy Foster"), person("Mike Ramirez")]);
    const before = await snapshot(database.sql);
    const payload = correction(stacyTask!, "name", "Mike Ramirez, PGA");
    const result = await call<Correction>("apply_correction", payload);
    expect(result).toMatchObject({ status: "conflict", applied: false, before: "Stacy Foster", after: "Mike Ramirez, PGA", conflicting_contact_id: mike });
    expect(result.reason).toContain("mike ramirez");
    const after = await snapshot(database.sql);
    // Only the audit row is new.
    expect({ ...after, sync_audit_log: [] }).toEqual({ ...before, sync_audit_log: [] });
    expect(await audits(payload.event_id as string)).toEqual([expect.objectContaining({ status: "conflict", entity: "contacts", entity_id: stacy })]);
    expect(await ownership("contact", stacy!, "name")).toBeUndefined();
    // A spelling of the contact's own key is no conflict.
    expect(await call<Correction>("apply_correction", correction(stacyTask!, "name", "STACY FOSTER"))).toMatchObject({ status: "applied", after: "STACY FOSTER" });
  });

  it("writes nothing for a task that is no lead", async () => {
    await lead();
    const before = await snapshot(database.sql);
    expect(await call<Correction>("apply_correction", correction("not-a-lead-task", "email", "x@pineview.example"))).toMatchObject({
      status: "not_a_lead", applied: false, contact_id: null, course_id: null,
    });
    expect(await snapshot(database.sql)).toEqual(before);
  });

  it("is atomic: a malformed payload, or a failure after the value was written, leaves nothing behind", async () => {
    const { taskIds: [taskId] } = await lead();
    const before = await snapshot(database.sql);
    const bad: [JsonObject, string][] = [
      [correction(taskId!, "confidence", 11), "value must be an integer between 1 and 10"],
      [correction(taskId!, "confidence", 0), "value must be an integer between 1 and 10"],
      [correction(taskId!, "confidence", 7.5), "value must be an integer between 1 and 10"],
      [correction(taskId!, "segment", "luxury"), "value must be one of high-end, budget, both for segment (got luxury)"],
      [correction(taskId!, "favorite_color", "green"), "field must be one of"],
      [{ ...correction(taskId!, "title", "Owner"), event_id: undefined } as unknown as JsonObject, "event_id is required"],
      [{ ...correction(taskId!, "title", "Owner"), value: undefined } as unknown as JsonObject, "value is required"],
      [correction(taskId!, "title", 12), "value must be a string or null for title"],
      [correction(taskId!, "title", "Owner", { occurred_at: "yesterday-ish" }), "occurred_at must be an ISO 8601 timestamp"],
      [correction(taskId!, "title", "Owner", { source: "email" }), "source must be one of webhook, reconcile"],
    ];
    for (const [payload, message] of bad) {
      const error = await callError("apply_correction", JSON.parse(JSON.stringify(payload)) as JsonObject);
      expect(error.code, message).toBe("22023");
      expect(error.message).toContain(message);
    }
    // A failure at the very end (the audit insert) undoes the value, the ownership and clickup_synced.
    await database.sql.unsafe(`
      create function app_private.test_fail_audit() returns trigger language plpgsql set search_path = public, pg_temp as $$
      begin raise exception 'audit insert failed' using errcode = 'XX000'; end $$;
      create trigger test_fail_audit before insert on public.sync_audit_log for each row execute function app_private.test_fail_audit();`);
    try {
      const error = await callError("apply_correction", correction(taskId!, "email", "boom@pineview.example", { synced_key: "email", synced_value: "boom@pineview.example" }));
      expect(error).toEqual({ code: "XX000", message: "audit insert failed" });
    } finally {
      await database.sql.unsafe(`drop trigger test_fail_audit on public.sync_audit_log; drop function app_private.test_fail_audit();`);
    }
    expect(await snapshot(database.sql)).toEqual(before);
  });
});

describe("apply_enrichment after a rep's corrections", () => {
  it("keeps the rep's email, title and segment, reports the machine's values as suggestions, and updates the rest", async () => {
    const { courseId, contactIds: [stacy, mike], taskIds: [stacyTask] } = await lead([person("Stacy Foster"), person("Mike Ramirez")]);
    await call("apply_correction", correction(stacyTask!, "email", "stacy.f@pineview.example"));
    await call("apply_correction", correction(stacyTask!, "title", "Head Golf Professional"));
    await call("apply_correction", correction(stacyTask!, "segment", "high-end"));
    await call("apply_correction", correction(stacyTask!, "phone", null));

    const rerun = enrichment(courseId, [
      person("Stacy Foster", { title: "General Manager / COO", email: "sfoster@pineview.example", email_score: 99, linkedin_url: "https://www.linkedin.com/in/stacy-new", phone: "+18045559999" }),
      person("Mike Ramirez", { title: "Head Pro" }),
    ], { business_intelligence: { segment: "budget", segment_confidence: 3 }, course: { website: "https://new.pineview.example" } });
    const result = await rpc<ApplyResult>(database.sql, "apply_enrichment", rerun);

    expect(Object.keys(result).sort()).toEqual(["applied", "contacts", "course_id", "course_status", "run_id", "run_status", "suggestions"]);
    expect(result).toMatchObject({ applied: true, course_id: courseId, course_status: "enriched", run_status: "succeeded" });
    expect(result.suggestions).toEqual([
      { entity: "course", contact_id: null, field: "segment", kept: "high-end", suggested: "budget" },
      { entity: "contact", contact_id: stacy, field: "title", kept: "Head Golf Professional", suggested: "General Manager / COO" },
      { entity: "contact", contact_id: stacy, field: "email", kept: "stacy.f@pineview.example", suggested: "sfoster@pineview.example" },
      { entity: "contact", contact_id: stacy, field: "phone", kept: null, suggested: "+18045559999" },
    ]);
    // contact_summaries (what lead tasks are written from) carries the kept title.
    expect(result.contacts.map((c) => [c.id, c.title])).toEqual([[stacy, "Head Golf Professional"], [mike, "Head Pro"]]);

    expect(await contactRow(stacy!)).toMatchObject({
      title: "Head Golf Professional", email: "stacy.f@pineview.example", email_status: "unverified", email_score: null,
      email_source: "rep", phone: null, phone_source: "rep", linkedin_url: "https://www.linkedin.com/in/stacy-new",
    });
    expect(await contactRow(mike!)).toMatchObject({ title: "Head Pro", email: "mikeramirez@pineview.example" });
    // The segment is the rep's; the confidence, not corrected, is the machine's; so is the website.
    expect(await courseRow(courseId)).toEqual({ website: "https://new.pineview.example", segment: "high-end", segment_confidence: 3 });

    // Applying the same run again is a no-op, with no suggestions.
    const again = await rpc<ApplyResult>(database.sql, "apply_enrichment", rerun);
    expect(again).toMatchObject({ applied: false, suggestions: [] });
  });

  it("suggests nothing when the machine agrees or knows nothing, and takes Hunter's verdict on the rep's own address", async () => {
    const { courseId, contactIds: [stacy], taskIds: [task] } = await lead();
    await call("apply_correction", correction(task!, "email", "Stacy.F@pineview.example"));
    await call("apply_correction", correction(task!, "website", "https://rep.pineview.example"));
    await call("apply_correction", correction(task!, "confidence", 9));
    const result = await rpc<ApplyResult>(database.sql, "apply_enrichment", enrichment(courseId, [
      person("Stacy Foster", { email: "stacy.f@pineview.example", email_score: 97, email_status: "valid", email_source: "hunter", title: null }),
    ], { course: { website: "https://rep.pineview.example" }, business_intelligence: { segment: "both", segment_confidence: 9 } }));
    expect(result.suggestions).toEqual([]);
    expect(await contactRow(stacy!)).toMatchObject({ email: "stacy.f@pineview.example", email_score: 97, email_status: "valid", email_source: "rep", title: "General Manager" });
    expect(await courseRow(courseId)).toEqual({ website: "https://rep.pineview.example", segment: "both", segment_confidence: 9 });
    // The first enrichment of a course has nothing owned: an empty list.
    const fresh = await rpc<{ id: string }>(database.sql, "upsert_course_for_enrichment", { course_name: "Fresh Meadows Golf Club", state: "VA" });
    expect((await rpc<ApplyResult>(database.sql, "apply_enrichment", enrichment(fresh.id, [person("Al Green")]))).suggestions).toEqual([]);
  });

  it("keeps a renamed contact's spelling when the machine reports the same person", async () => {
    const { courseId, contactIds: [stacy], taskIds: [task] } = await lead();
    await call("apply_correction", correction(task!, "name", "Stacy  FOSTER"));
    const result = await rpc<ApplyResult>(database.sql, "apply_enrichment", enrichment(courseId, [person("Stacy Foster")]));
    expect(result.contacts).toEqual([expect.objectContaining({ id: stacy, name: "Stacy FOSTER", name_key: "stacy foster" })]);
    expect(result.suggestions).toEqual([{ entity: "contact", contact_id: stacy, field: "name", kept: "Stacy FOSTER", suggested: "Stacy Foster" }]);
  });
});

describe("the audit log", () => {
  async function readAudit(claims: string | null): Promise<number> {
    const rows = await asRole(database.sql, "authenticated", async (tx) => {
      if (claims !== null) await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      return tx`select id from public.sync_audit_log`;
    });
    return rows.length;
  }

  it("is readable by admins (JWT app_metadata.role = admin) and service_role only", async () => {
    const { taskIds: [task] } = await lead();
    await call("apply_correction", correction(task!, "title", "Owner"));
    const total = await count(database.sql, "sync_audit_log");
    expect(total).toBeGreaterThan(0);
    expect(await readAudit(null)).toBe(0);
    expect(await readAudit("")).toBe(0);
    expect(await readAudit(JSON.stringify({ role: "authenticated", app_metadata: { role: "rep" } }))).toBe(0);
    // A role the user can write themselves (user_metadata) is not a role.
    expect(await readAudit(JSON.stringify({ role: "authenticated", user_metadata: { role: "admin" } }))).toBe(0);
    expect(await readAudit(JSON.stringify({ role: "authenticated", app_metadata: { role: "admin" } }))).toBe(total);
    const service = await asRole(database.sql, "service_role", (tx) => tx`select id from public.sync_audit_log`);
    expect(service.length).toBe(total);
    // Nobody but service_role writes it.
    await expect(
      asRole(database.sql, "authenticated", async (tx) => {
        await tx`select set_config('request.jwt.claims', ${JSON.stringify({ app_metadata: { role: "admin" } })}, true)`;
        return tx`insert into public.sync_audit_log (direction, entity) values ('clickup_to_supabase', 'contacts')`;
      }),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("record_lead_status", () => {
  it("keeps every change once, and the contact's status is the latest by when it happened", async () => {
    const { contactIds: [contactId], taskIds: [task] } = await lead();
    const status = (event_id: string, s: string, occurred_at: string, previous_status?: string) =>
      call<{ recorded: boolean; contact_id: string | null; current: boolean; lead_status: string | null }>("record_lead_status", {
        task_id: task!, status: s, event_id, occurred_at, clickup_user_id: 77, ...(previous_status ? { previous_status } : {}),
      });
    expect(await status("st-2", "Contacted", "2026-12-01T12:00:00Z", "new lead")).toEqual({ recorded: true, contact_id: contactId, current: true, lead_status: "contacted" });
    // Repeated: nothing new.
    expect(await status("st-2", "Contacted", "2026-12-01T12:00:00Z", "new lead")).toMatchObject({ recorded: false, contact_id: contactId, reason: "duplicate" });
    // Older, arriving late: history only.
    expect(await status("st-1", "new lead", "2026-12-01T11:00:00Z")).toEqual({ recorded: true, contact_id: contactId, current: false, lead_status: "contacted" });
    expect(await contactRow(contactId!)).toMatchObject({ lead_status: "contacted", lead_status_at: new Date("2026-12-01T12:00:00Z") });
    expect(await status("st-3", "replied", "2026-12-01T13:00:00Z", "contacted")).toMatchObject({ recorded: true, current: true, lead_status: "replied" });
    const history = await database.sql<{ status: string; previous_status: string | null; event_id: string; clickup_user_id: string }[]>`
      select status, previous_status, event_id, clickup_user_id::text from public.lead_status_changes where contact_id = ${contactId!} order by occurred_at`;
    expect(history).toEqual([
      { status: "new lead", previous_status: null, event_id: "st-1", clickup_user_id: "77" },
      { status: "contacted", previous_status: "new lead", event_id: "st-2", clickup_user_id: "77" },
      { status: "replied", previous_status: "contacted", event_id: "st-3", clickup_user_id: "77" },
    ]);
    expect(await call("record_lead_status", { task_id: "no-such-task", status: "contacted", event_id: "st-x", occurred_at: "2026-12-01T12:00:00Z" }))
      .toMatchObject({ recorded: false, contact_id: null });
    expect((await callError("record_lead_status", { task_id: task!, status: "contacted", occurred_at: "2026-12-01T12:00:00Z" })).code).toBe("22023");
  });
});

describe("record_email_verification", () => {
  it("records Hunter's verdict only while the contact still has that email", async () => {
    const { contactIds: [contactId], taskIds: [task] } = await lead();
    await call("apply_correction", correction(task!, "email", "first@pineview.example"));
    await call("apply_correction", correction(task!, "email", "second@pineview.example"));
    // The verdict on the first address arrives after the rep replaced it: dropped.
    expect(await call("record_email_verification", { contact_id: contactId!, email: "first@pineview.example", status: "valid", score: 95 })).toEqual({ recorded: false });
    expect(await contactRow(contactId!)).toMatchObject({ email: "second@pineview.example", email_status: "unverified", email_score: null });
    expect(await call("record_email_verification", { contact_id: contactId!, email: "Second@PineView.example", status: "invalid", score: 12 })).toEqual({ recorded: true });
    expect(await contactRow(contactId!)).toMatchObject({ email: "second@pineview.example", email_status: "invalid", email_score: 12, email_source: "rep" });
    expect(await call("record_email_verification", { contact_id: randomUUID(), email: "second@pineview.example", status: "valid" })).toEqual({ recorded: false });
    expect((await callError("record_email_verification", { contact_id: contactId!, email: "second@pineview.example", status: "valid", score: 101 })).code).toBe("22023");
  });
});

describe("get_lead_for_correction", () => {
  it("returns the lead's current values and what the rep owns, or null", async () => {
    const { courseId, contactIds: [contactId], taskIds: [task] } = await lead();
    const email = correction(task!, "email", "stacy.f@pineview.example", { clickup_user_id: 9 });
    await call("apply_correction", email);
    const segment = correction(task!, "segment", "high-end", { clickup_user_id: null });
    await call("apply_correction", segment);
    const lead_ = await call<JsonObject>("get_lead_for_correction", { task_id: task! });
    expect(lead_).toEqual({
      contact_id: contactId, course_id: courseId, course_name: expect.stringMatching(/^Pineview \d+ Golf Club$/), course_state: "VA",
      full_name: "Stacy Foster", title: "General Manager", is_active: true, lead_status: null,
      email: "stacy.f@pineview.example", email_status: "unverified", phone: "+18045925861",
      linkedin_url: "https://www.linkedin.com/in/stacyfoster", website: "https://www.pineview.example",
      segment: "high-end", segment_confidence: 6,
      clickup_synced: { name: "Stacy Foster", fields: { title: "General Manager" } },
      ownership: {
        email: { changed_at: expect.any(String), clickup_user_id: 9 },
        segment: { changed_at: expect.any(String), clickup_user_id: null },
      },
    });
    const owned = lead_.ownership as Record<string, { changed_at: string }>;
    expect(new Date(owned.email!.changed_at)).toEqual(new Date(email.occurred_at as string));
    expect(await call("get_lead_for_correction", { task_id: "no-such-task" })).toBeNull();
  });
});
