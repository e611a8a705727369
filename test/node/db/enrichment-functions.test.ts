// The enrichment RPCs, called as service_role with realistic payloads.
import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlClient, type TestDatabase } from "../../support/database.ts";
import { count, rpc, rpcError, snapshot, type JsonObject } from "./helpers.ts";

let db: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = sqlClient(db.url);
});
afterAll(async () => {
  await sql?.end();
  await db?.stop();
});

interface CourseRow {
  id: string;
  course_name: string;
  state: string;
  name_key: string;
  status: string;
  source: string | null;
  clickup_intake_task_id: string | null;
  last_run_id: string | null;
  last_error: string | null;
  website: string | null;
  updated_at: string;
}

interface RunRow {
  id: string;
  course_id: string;
  status: string;
  trigger_source: string;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  applied_at: string | null;
  cost_usd: string | number | null;
  duration_ms: number | null;
}

interface ApplyResult {
  applied: boolean;
  run_id: string;
  course_id: string;
  course_status: string;
  contacts: { id: string; name: string; title: string | null; clickup_task_id: string | null }[];
}

let courseCounter = 0;
async function newCourse(extra: JsonObject = {}): Promise<CourseRow> {
  courseCounter += 1;
  return rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
    course_name: `Test Course ${courseCounter} Golf Club`,
    state: "VA",
    source: "api",
    ...extra,
  });
}

async function startRun(courseId: string, runId = randomUUID()): Promise<string> {
  await rpc(sql, "start_enrichment_run", { run_id: runId, course_id: courseId, trigger_source: "api" });
  return runId;
}

function contact(name: string, extra: JsonObject = {}): JsonObject {
  const slug = name.toLowerCase().replace(/[^a-z]+/g, "");
  return {
    name,
    title: "General Manager",
    email: `${slug}@richmondcountryclubva.com`,
    email_score: 92,
    email_status: "valid",
    email_source: "hunter",
    linkedin_url: `https://www.linkedin.com/in/${slug}`,
    phone: "804-592-5861",
    phone_type: "direct",
    phone_source: "perplexity",
    tenure_years: 6.5,
    previous_clubs: ["Hermitage Country Club", "Kinloch Golf Club"],
    background_summary: `${name} has run the club since 2019.`,
    sources: ["https://www.richmondcountryclubva.com/staff"],
    ...extra,
  };
}

function applyPayload(runId: string, courseId: string, extra: JsonObject = {}): JsonObject {
  return {
    run_id: runId,
    course_id: courseId,
    status: "succeeded",
    duration_ms: 21450,
    cost_usd: 0.0412,
    course: {
      website: "https://www.richmondcountryclubva.com",
      listing_url: "https://vsga.org/courselisting/11950",
      phone: "804-784-5663",
      address: "12121 Gayton Rd",
      city: "Richmond",
      details: { holes: 18, par: 72, type: "private" },
      water_hazard_count: 7,
      water_hazard_confidence: "low",
    },
    business_intelligence: {
      segment: "high-end",
      segment_confidence: 8,
      range_intel: { has_range: true, stalls: 30, ball_brand: "Titleist" },
      opportunities: { range_ball_buy: 8, range_ball_lease: 9, retrieval_service: 6 },
      conversation_starters: [
        { text: "I noticed Richmond Country Club renovated its practice facility...", score: 9 },
        { text: "Many premium clubs are exploring range ball leasing...", score: 8 },
      ],
      summary: "Private club, strong practice culture.",
      model: "claude-sonnet-4-5",
    },
    contacts: [
      contact("Stacy Foster"),
      contact("Mike Ramirez", { title: "Head Golf Professional", phone_type: "course", email_score: 70 }),
      contact("Jen Park", { title: "Director of Golf", email: null, email_score: null, email_status: null }),
    ],
    agent_calls: [
      { agent: "A1", call_key: "A1", provider: "anthropic", model: "claude-haiku-4-5", status: "succeeded", attempts: 1, duration_ms: 3100, input_tokens: 1200, output_tokens: 150, cost_usd: 0.0021 },
      { agent: "A2", call_key: "A2", provider: "jina", status: "succeeded", attempts: 2, duration_ms: 4200, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
      { agent: "A3", call_key: "A3:stacy foster", contact_name: "Stacy Foster", provider: "hunter", status: "succeeded", attempts: 1, duration_ms: 900, input_tokens: 0, output_tokens: 0, cost_usd: 0.01 },
      { agent: "A5", call_key: "A5:stacy foster", contact_name: "Stacy Foster", provider: "perplexity", status: "succeeded", attempts: 1, duration_ms: 2500, input_tokens: 400, output_tokens: 60, cost_usd: 0.005 },
      { agent: "A6.5", call_key: "A6.5:jen park", contact_name: "Jen Park", provider: "perplexity", status: "failed", attempts: 3, duration_ms: 9000, input_tokens: 0, output_tokens: 0, cost_usd: 0, error: "HTTP 503" },
      { agent: "A7", call_key: "A7", provider: "anthropic", model: "claude-haiku-4-5", status: "succeeded", attempts: 1, duration_ms: 2800, input_tokens: 900, output_tokens: 80, cost_usd: 0.0013 },
      { agent: "A6", call_key: "A6", provider: "anthropic", model: "claude-sonnet-4-5", status: "succeeded", attempts: 1, duration_ms: 6100, input_tokens: 2100, output_tokens: 700, cost_usd: 0.0168 },
    ],
    ...extra,
  };
}

async function course(id: string): Promise<CourseRow> {
  const [row] = await sql<CourseRow[]>`select * from public.courses where id = ${id}`;
  if (!row) throw new Error(`course ${id} missing`);
  return row;
}

async function run(id: string): Promise<RunRow | undefined> {
  const [row] = await sql<RunRow[]>`select * from public.enrichment_runs where id = ${id}`;
  return row;
}

describe("upsert_course_for_enrichment", () => {
  it("inserts a new course with a normalized name_key and pending status", async () => {
    const row = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_name: "  Richmond   Country Club ",
      state: "VA",
      source: "clickup",
      clickup_intake_task_id: "intake-86a1",
    });
    expect(row).toMatchObject({
      course_name: "Richmond Country Club",
      state: "VA",
      name_key: "richmond country club|va",
      status: "pending_enrichment",
      source: "clickup",
      clickup_intake_task_id: "intake-86a1",
    });
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await count(sql, "courses", `id = '${row.id}'`)).toBe(1);
  });

  it("finds the same course by name_key instead of duplicating it", async () => {
    const first = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", { course_name: "Kinloch Golf Club", state: "VA" });
    const again = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_name: "kinloch  GOLF club",
      state: "va",
      source: "csv",
      clickup_intake_task_id: "intake-kinloch",
    });
    expect(again.id).toBe(first.id);
    expect(again.course_name).toBe("Kinloch Golf Club");
    expect(again.clickup_intake_task_id).toBe("intake-kinloch");
    expect(again.source).toBe("csv"); // set because the course had none
    expect(await count(sql, "courses", `name_key = 'kinloch golf club|va'`)).toBe(1);
  });

  it("creates the course under a given course_id, and returns it by that id afterwards", async () => {
    const id = randomUUID();
    const created = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_id: id,
      course_name: "Hermitage Country Club",
      state: "Virginia",
      source: "supabase",
    });
    expect(created.id).toBe(id);
    // Found by id, the payload's normalized state replaces the hand-typed one.
    const again = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_id: id,
      course_name: "Hermitage Country Club",
      state: "VA",
    });
    expect(again).toMatchObject({ id, state: "VA", name_key: "hermitage country club|va", source: "supabase" });
  });

  it("finds a course by its ClickUp intake task", async () => {
    const created = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_name: "Country Club of Virginia",
      state: "VA",
      clickup_intake_task_id: "intake-ccv",
    });
    const renamed = await rpc<CourseRow>(sql, "upsert_course_for_enrichment", {
      course_name: "The Country Club of Virginia",
      state: "VA",
      clickup_intake_task_id: "intake-ccv",
    });
    expect(renamed.id).toBe(created.id);
    expect(renamed.course_name).toBe("The Country Club of Virginia");
  });

  it("rejects invalid payloads with 22023 naming the field", async () => {
    expect(await rpcError(sql, "upsert_course_for_enrichment", { state: "VA" })).toMatchObject({
      code: "22023",
      message: expect.stringContaining("course_name"),
    });
    expect(await rpcError(sql, "upsert_course_for_enrichment", { course_name: "X", state: "  " })).toMatchObject({
      code: "22023",
      message: expect.stringContaining("state"),
    });
    expect(await rpcError(sql, "upsert_course_for_enrichment", { course_id: "nope", course_name: "X", state: "VA" })).toMatchObject({
      code: "22023",
      message: "course_id must be a UUID",
    });
    expect(await rpcError(sql, "upsert_course_for_enrichment", { course_name: "X", state: "VA", source: "fax" })).toMatchObject({
      code: "22023",
      message: expect.stringContaining("source must be one of"),
    });
  });
});

describe("start_enrichment_run", () => {
  it("creates a running run and marks the course enriching; repeating it changes nothing", async () => {
    const c = await newCourse();
    const runId = randomUUID();
    const result = await rpc<{ run: RunRow; course: CourseRow }>(sql, "start_enrichment_run", {
      run_id: runId,
      course_id: c.id,
      trigger_source: "clickup",
      trigger_key: "wh-1:hist-1",
      callback_url: "https://example.test/callback",
    });
    expect(result.run).toMatchObject({ id: runId, course_id: c.id, status: "running", trigger_source: "clickup" });
    expect(result.run.started_at).not.toBeNull();
    expect(result.course).toMatchObject({ id: c.id, status: "enriching", last_run_id: runId });

    const before = await snapshot(sql);
    const again = await rpc<{ run: RunRow; course: CourseRow }>(sql, "start_enrichment_run", {
      run_id: runId,
      course_id: c.id,
      trigger_source: "clickup",
    });
    expect(again.run.started_at).toBe(result.run.started_at);
    expect(await snapshot(sql)).toEqual(before);
  });

  it("never moves a finished run back to running", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    await rpc(sql, "apply_enrichment", applyPayload(runId, c.id));
    const result = await rpc<{ run: RunRow; course: CourseRow }>(sql, "start_enrichment_run", {
      run_id: runId,
      course_id: c.id,
      trigger_source: "api",
    });
    expect(result.run.status).toBe("succeeded");
    expect(result.course.status).toBe("enriched");
  });

  it("fails clearly for an unknown course or a bad trigger_source", async () => {
    expect(
      await rpcError(sql, "start_enrichment_run", { run_id: randomUUID(), course_id: randomUUID(), trigger_source: "api" }),
    ).toMatchObject({ code: "P0002", message: expect.stringContaining("not found") });
    const c = await newCourse();
    expect(
      await rpcError(sql, "start_enrichment_run", { run_id: randomUUID(), course_id: c.id, trigger_source: "email" }),
    ).toMatchObject({ code: "22023", message: expect.stringContaining("trigger_source") });
  });
});

describe("apply_enrichment", () => {
  it("writes course, intelligence, contacts, enrichment, agent calls and finishes the run", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    const result = await rpc<ApplyResult>(sql, "apply_enrichment", applyPayload(runId, c.id));

    expect(result).toMatchObject({ applied: true, run_id: runId, course_id: c.id, course_status: "enriched" });
    expect(result.contacts.map((x) => [x.name, x.title, x.clickup_task_id])).toEqual([
      ["Stacy Foster", "General Manager", null],
      ["Mike Ramirez", "Head Golf Professional", null],
      ["Jen Park", "Director of Golf", null],
    ]);

    const updated = await course(c.id);
    expect(updated).toMatchObject({
      status: "enriched",
      website: "https://www.richmondcountryclubva.com",
      last_run_id: runId,
      last_error: null,
    });
    expect(new Date(updated.updated_at).getTime()).toBeGreaterThan(new Date(c.updated_at).getTime());
    const [courseExtra] = await sql`select city, details, water_hazard_count, water_hazard_confidence, enriched_at from public.courses where id = ${c.id}`;
    expect(courseExtra).toMatchObject({
      city: "Richmond",
      details: { holes: 18, par: 72, type: "private" },
      water_hazard_count: 7,
      water_hazard_confidence: "low",
    });
    expect(courseExtra?.enriched_at).not.toBeNull();

    const [bi] = await sql`select * from public.business_intelligence where course_id = ${c.id}`;
    expect(bi).toMatchObject({
      segment: "high-end",
      segment_confidence: 8,
      opportunities: { range_ball_buy: 8, range_ball_lease: 9, retrieval_service: 6 },
      water_hazard_count: 7,
      model: "claude-sonnet-4-5",
      run_id: runId,
    });
    expect(bi?.conversation_starters).toHaveLength(2);

    const contacts = await sql`
      select c.full_name, c.name_key, c.is_active, c.last_seen_run_id, e.email, e.email_score, e.phone_type,
             e.tenure_years::float8 as tenure_years, e.previous_clubs, e.sources
      from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id
      where c.course_id = ${c.id} order by c.name_key`;
    expect(contacts).toHaveLength(3);
    expect(contacts[0]).toMatchObject({
      full_name: "Jen Park",
      email: null,
      is_active: true,
      last_seen_run_id: runId,
    });
    expect(contacts[2]).toMatchObject({
      full_name: "Stacy Foster",
      name_key: "stacy foster",
      email: "stacyfoster@richmondcountryclubva.com",
      email_score: 92,
      phone_type: "direct",
      tenure_years: 6.5,
      previous_clubs: ["Hermitage Country Club", "Kinloch Golf Club"],
    });

    const calls = await sql`
      select a.agent, a.call_key, a.status, a.attempts, a.cost_usd::float8 as cost_usd, a.error, c.full_name as contact
      from public.agent_calls a left join public.contacts c on c.id = a.contact_id
      where a.run_id = ${runId} order by a.id`;
    expect(calls.map((x) => x.agent)).toEqual(["A1", "A2", "A3", "A5", "A6.5", "A7", "A6"]);
    expect(calls[2]).toMatchObject({ call_key: "A3:stacy foster", contact: "Stacy Foster", cost_usd: 0.01 });
    expect(calls[4]).toMatchObject({ status: "failed", attempts: 3, error: "HTTP 503", contact: "Jen Park" });

    const r = await run(runId);
    expect(r).toMatchObject({ status: "succeeded", duration_ms: 21450, error: null });
    expect(Number(r?.cost_usd)).toBeCloseTo(0.0412, 6);
    expect(r?.finished_at).not.toBeNull();
    expect(r?.applied_at).not.toBeNull();
  });

  it("is idempotent: applying the same run again changes nothing at all", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    const payload = applyPayload(runId, c.id);
    const first = await rpc<ApplyResult>(sql, "apply_enrichment", payload);
    const before = await snapshot(sql);
    const second = await rpc<ApplyResult>(sql, "apply_enrichment", payload);
    expect(await snapshot(sql)).toEqual(before);
    expect(second).toMatchObject({ applied: false, run_id: runId, course_id: c.id, course_status: "enriched" });
    expect(second.contacts).toEqual(first.contacts);
  });

  it("a second run updates the course's contacts instead of duplicating them", async () => {
    const c = await newCourse();
    const run1 = await startRun(c.id);
    const first = await rpc<ApplyResult>(sql, "apply_enrichment", applyPayload(run1, c.id));
    const stacyId = first.contacts[0]?.id;
    await sql`update public.contacts set clickup_task_id = 'lead-stacy' where id = ${stacyId ?? null}`;

    const run2 = await startRun(c.id);
    const second = await rpc<ApplyResult>(
      sql,
      "apply_enrichment",
      applyPayload(run2, c.id, {
        status: "partial",
        business_intelligence: {
          segment: "both",
          segment_confidence: 6,
          range_intel: {},
          opportunities: { range_ball_lease: 7 },
          conversation_starters: [{ text: "Your range is busy year-round...", score: 7 }],
          summary: "Semi-private.",
        },
        contacts: [
          contact("  stacy   FOSTER ", { title: "General Manager & COO", email: "S.Foster@RichmondCountryClubVA.com", email_score: 97 }),
          contact("Mike Ramirez", { email: null, email_score: null, phone: null }),
          contact("Alex Chen", { title: "Superintendent" }),
        ],
        agent_calls: [{ agent: "A1", call_key: "A1", provider: "anthropic", status: "succeeded", attempts: 1, duration_ms: 100, input_tokens: 10, output_tokens: 5, cost_usd: 0.0001 }],
      }),
    );

    expect(second.course_status).toBe("partial");
    expect(second.contacts.map((x) => x.name)).toEqual(["stacy FOSTER", "Mike Ramirez", "Alex Chen"]);
    expect(second.contacts[0]).toMatchObject({ id: stacyId, clickup_task_id: "lead-stacy", title: "General Manager & COO" });

    const rows = await sql`
      select c.full_name, c.is_active, c.last_seen_run_id, e.email, e.email_score, e.phone
      from public.contacts c join public.contact_enrichment e on e.contact_id = c.id
      where c.course_id = ${c.id} order by c.name_key`;
    expect(rows.map((x) => x.full_name)).toEqual(["Alex Chen", "Jen Park", "Mike Ramirez", "stacy FOSTER"]);
    // Not in the second result: kept, still active, last seen by run 1.
    expect(rows[1]).toMatchObject({ is_active: true, last_seen_run_id: run1 });
    // Nulls in a newer result do not erase what an earlier run found.
    expect(rows[2]).toMatchObject({ email: "mikeramirez@richmondcountryclubva.com", email_score: 70, phone: "804-592-5861", last_seen_run_id: run2 });
    expect(rows[3]).toMatchObject({ email: "s.foster@richmondcountryclubva.com", email_score: 97 });

    const [bi] = await sql`select segment, opportunities, run_id from public.business_intelligence where course_id = ${c.id}`;
    expect(bi).toEqual({ segment: "both", opportunities: { range_ball_lease: 7 }, run_id: run2 });
    expect(await count(sql, "business_intelligence", `course_id = '${c.id}'`)).toBe(1);
    expect(await count(sql, "agent_calls", `run_id = '${run2}'`)).toBe(1);
    expect((await course(c.id)).last_run_id).toBe(run2);
  });

  it("creates the run when it was never started", async () => {
    const c = await newCourse();
    const runId = randomUUID();
    const result = await rpc<ApplyResult>(sql, "apply_enrichment", applyPayload(runId, c.id, { trigger_source: "csv" }));
    expect(result.applied).toBe(true);
    expect(await run(runId)).toMatchObject({ status: "succeeded", trigger_source: "csv" });
  });

  describe("is atomic: a payload that fails part-way writes nothing", () => {
    const cases: [string, (p: JsonObject) => JsonObject, string][] = [
      [
        "the 3rd contact has an invalid field",
        (p) => ({ ...p, contacts: [contact("Ann One"), contact("Bob Two"), contact("Cy Three", { email_score: "high" })] }),
        "contacts[2].email_score must be an integer between 0 and 100",
      ],
      [
        "the 3rd contact has an invalid phone_type",
        (p) => ({ ...p, contacts: [contact("Ann One"), contact("Bob Two"), contact("Cy Three", { phone_type: "mobile" })] }),
        "contacts[2].phone_type must be one of direct, course (got mobile)",
      ],
      [
        "the segment is invalid",
        (p) => ({ ...p, business_intelligence: { ...(p.business_intelligence as JsonObject), segment: "luxury" } }),
        "business_intelligence.segment must be one of high-end, budget, both (got luxury)",
      ],
      [
        "an opportunity score is out of range",
        (p) => ({ ...p, business_intelligence: { ...(p.business_intelligence as JsonObject), opportunities: { range_ball_buy: 11 } } }),
        "business_intelligence.opportunities.range_ball_buy must be an integer between 1 and 10",
      ],
      [
        "the last agent call has no provider",
        (p) => ({ ...p, agent_calls: [...(p.agent_calls as JsonObject[]), { agent: "A6", call_key: "A6-retry", status: "succeeded" }] }),
        "agent_calls[7].provider is required",
      ],
    ];
    for (const [label, breakIt, message] of cases) {
      it(label, async () => {
        const c = await newCourse();
        const runId = await startRun(c.id);
        const before = await snapshot(sql);
        const error = await rpcError(sql, "apply_enrichment", breakIt(applyPayload(runId, c.id)));
        expect(error).toEqual({ code: "22023", message });
        expect(await snapshot(sql)).toEqual(before);
        expect((await course(c.id)).status).toBe("enriching");
        expect((await run(runId))?.status).toBe("running");
      });
    }
  });
});

describe("fail_enrichment_run", () => {
  it("fails the run and the course with the reason, records its agent calls, and is idempotent", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    const result = await rpc<{ run: RunRow; course: CourseRow; changed: boolean }>(sql, "fail_enrichment_run", {
      run_id: runId,
      course_id: c.id,
      error: "A1: no website found for Test Course",
      duration_ms: 5300,
      cost_usd: 0.004,
      agent_calls: [{ agent: "A1", call_key: "A1", provider: "anthropic", status: "failed", attempts: 3, duration_ms: 5200, input_tokens: 900, output_tokens: 40, cost_usd: 0.004, error: "not found" }],
    });
    expect(result.changed).toBe(true);
    expect(result.run).toMatchObject({ status: "failed", error: "A1: no website found for Test Course", duration_ms: 5300 });
    expect(result.run.finished_at).not.toBeNull();
    expect(result.course).toMatchObject({ status: "failed", last_error: "A1: no website found for Test Course", last_run_id: runId });
    expect(await count(sql, "agent_calls", `run_id = '${runId}'`)).toBe(1);

    const before = await snapshot(sql);
    const again = await rpc<{ changed: boolean }>(sql, "fail_enrichment_run", { run_id: runId, course_id: c.id, error: "later error" });
    expect(again.changed).toBe(false);
    expect(await snapshot(sql)).toEqual(before);
  });

  it("does not override a run that already succeeded", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    await rpc(sql, "apply_enrichment", applyPayload(runId, c.id));
    const before = await snapshot(sql);
    const result = await rpc<{ run: RunRow; course: CourseRow; changed: boolean }>(sql, "fail_enrichment_run", {
      run_id: runId,
      course_id: c.id,
      error: "workflow timed out",
    });
    expect(result).toMatchObject({ changed: false, run: { status: "succeeded", error: null }, course: { status: "enriched", last_error: null } });
    expect(await snapshot(sql)).toEqual(before);
  });

  it("creates the run when it does not exist", async () => {
    const c = await newCourse();
    const runId = randomUUID();
    await rpc(sql, "fail_enrichment_run", { run_id: runId, course_id: c.id, error: "coordinator gave up", trigger_source: "cron" });
    expect(await run(runId)).toMatchObject({ status: "failed", error: "coordinator gave up", trigger_source: "cron" });
    expect(await course(c.id)).toMatchObject({ status: "failed", last_error: "coordinator gave up", last_run_id: runId });
  });

  it("a course has one run in flight at a time: a second start is refused with the reason, until the first ends", async () => {
    const c = await newCourse();
    const oldRun = await startRun(c.id);
    await expect(startRun(c.id)).rejects.toThrow(/another run \(.*\) of this course is still in flight/);
    await rpc(sql, "fail_enrichment_run", { run_id: oldRun, course_id: c.id, error: "stalled" });
    const newRun = await startRun(c.id);
    expect(await run(oldRun)).toMatchObject({ status: "failed" });
    // The old run failing again late (a replay) leaves the newer run's status alone.
    await rpc(sql, "fail_enrichment_run", { run_id: oldRun, course_id: c.id, error: "stalled again" });
    expect(await course(c.id)).toMatchObject({ status: "enriching", last_run_id: newRun });
  });

  it("the partial unique index holds even without the function's check (two writers at once)", async () => {
    const c = await newCourse();
    await sql`insert into public.enrichment_runs (course_id, trigger_source, status) values (${c.id}, 'manual', 'running')`;
    await expect(sql`insert into public.enrichment_runs (course_id, trigger_source, status) values (${c.id}, 'manual', 'queued')`).rejects.toThrow(/enrichment_runs_one_active_per_course/);
  });

  it("note_run_problem makes a saved run partial with the reason, and its course too", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    await rpc(sql, "apply_enrichment", { run_id: runId, course_id: c.id, status: "succeeded" });
    expect(await rpc(sql, "note_run_problem", { run_id: runId, course_id: c.id, error: "ClickUp write-back failed: HTTP 503" })).toEqual({ run_status: "partial", course_status: "partial" });
    expect(await run(runId)).toMatchObject({ status: "partial", error: "ClickUp write-back failed: HTTP 503" });
    expect(await course(c.id)).toMatchObject({ status: "partial", last_error: "ClickUp write-back failed: HTTP 503" });
  });

  it("a second intake task for a course is kept beside the first; a task of another course is refused", async () => {
    const first = await rpc<CourseRow & { intake_task_ids: string[] }>(sql, "upsert_course_for_enrichment", { course_name: "Two Tasks Golf Club", state: "VA", clickup_intake_task_id: "task-a" });
    const second = await rpc<CourseRow & { intake_task_ids: string[] }>(sql, "upsert_course_for_enrichment", { course_name: "two tasks golf club", state: "VA", clickup_intake_task_id: "task-b" });
    expect(second.id).toBe(first.id);
    expect(second.intake_task_ids).toEqual(["task-a", "task-b"]);
    expect(second).toMatchObject({ clickup_intake_task_id: "task-a" });
    await expect(rpc(sql, "upsert_course_for_enrichment", { course_name: "Another Golf Club", state: "VA", course_id: crypto.randomUUID(), clickup_intake_task_id: "task-a" })).rejects.toThrow(/already belongs to another course/);
  });
});

describe("updated_at", () => {
  it("moves when a row changes and stays when an update changes nothing", async () => {
    const stamp = async (table: string, id: string): Promise<string> => {
      const rows = await sql.unsafe<{ t: string }[]>(`select updated_at::text as t from public.${table} where id = $1`, [id]);
      return rows[0]?.t ?? "";
    };
    // courses has a generated column (name_key); routing_rules has none.
    const c = await newCourse();
    const [rule] = await sql<{ id: string }[]>`insert into public.routing_rules (assignee_clickup_user_id) values (42) returning id`;
    const ruleId = rule?.id ?? "";
    for (const [table, id, change] of [
      ["courses", c.id, "city = 'Richmond'"],
      ["routing_rules", ruleId, "priority = 5"],
    ] as const) {
      const created = await stamp(table, id);
      await sql.unsafe(`update public.${table} set ${change} where id = $1`, [id]);
      const changed = await stamp(table, id);
      expect(changed, table).not.toBe(created);
      await sql.unsafe(`update public.${table} set ${change} where id = $1`, [id]);
      expect(await stamp(table, id), table).toBe(changed);
    }
  });
});

describe("concurrent calls (separate connections)", () => {
  it("apply the same run once and find-or-create a course once", async () => {
    const others = [sqlClient(db.url, { max: 1 }), sqlClient(db.url, { max: 1 }), sqlClient(db.url, { max: 1 })];
    try {
      const name = { course_name: "Concurrent Golf Club", state: "VA" };
      const courses = await Promise.all(others.map((client) => rpc<CourseRow>(client, "upsert_course_for_enrichment", name)));
      expect(new Set(courses.map((x) => x.id)).size).toBe(1);
      const courseId = courses[0]?.id ?? "";

      const runId = await startRun(courseId);
      const payload = applyPayload(runId, courseId);
      const results = await Promise.all(others.map((client) => rpc<ApplyResult>(client, "apply_enrichment", payload)));
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      expect(new Set(results.map((r) => JSON.stringify(r.contacts))).size).toBe(1);
      expect(await count(sql, "contacts", `course_id = '${courseId}'`)).toBe(3);
      expect(await count(sql, "agent_calls", `run_id = '${runId}'`)).toBe(7);
    } finally {
      await Promise.all(others.map((client) => client.end()));
    }
  });
});

describe("get_enrichment_run", () => {
  it("returns the run with its agent calls in order, or null", async () => {
    const c = await newCourse();
    const runId = await startRun(c.id);
    await rpc(sql, "apply_enrichment", applyPayload(runId, c.id));
    const result = await rpc<{ run: RunRow; agent_calls: { agent: string; run_id: string }[] }>(sql, "get_enrichment_run", { run_id: runId });
    expect(result.run).toMatchObject({ id: runId, course_id: c.id, status: "succeeded" });
    expect(result.agent_calls.map((a) => a.agent)).toEqual(["A1", "A2", "A3", "A5", "A6.5", "A7", "A6"]);
    expect(result.agent_calls.every((a) => a.run_id === runId)).toBe(true);

    expect(await rpc(sql, "get_enrichment_run", { run_id: randomUUID() })).toBeNull();
    expect(await rpcError(sql, "get_enrichment_run", {})).toEqual({ code: "22023", message: "run_id is required" });
  });
});
