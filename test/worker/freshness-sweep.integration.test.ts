// Agent 8 on the real Worker against the emulators: the world advances a month (Eagle's Landing's
// Director of Golf leaves and the page shows his successor, the head pro's address dies, Maple
// Hills' site goes down), and a sweep finds it all: the leaver's task closed with the evidence and
// the successor's lead created with the course's intel, the dead email gone from the database and
// from ClickUp, the others verified, the down page unknown (never "left"), a rep-owned address kept,
// a sweep killed midway and resumed checks nobody twice and replaces nobody twice, the spend cap
// stops a sweep cleanly, and the cron tick starts one.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, introspectWorkflow, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/worker.ts";
import { MONTH_1 } from "../../sandbox/world/index.ts";
import { API_KEY, call, clearFaults, clickupComments, clickupTask, emulatorRequests, enrichAndWait, eventually, forgetCourse, injectFault, postJson, withDb } from "./helpers.ts";
import { clickupSettings } from "./outreach-helpers.ts";

const EAGLES = { course_name: "Eagle's Landing Resort & Golf", state: "AZ" };
const MAPLE = { course_name: "Maple Hills Golf Course", state: "MI" };
const JINA = String(env.JINA_BASE_URL);

interface SweepJson {
  id: string;
  status: string;
  stop_reason: string | null;
  counts: { checked: number; still_there: number; left: number; replaced: number; emails_invalidated: number; unknown: number };
  cost_usd: number;
  spend_cap_usd: number;
  clickup_requests: number;
  workflow_instance_id: string | null;
  checks: {
    contact_id: string;
    full_name: string;
    course_name: string;
    outcome: string;
    decided_by: string;
    email_status: string | null;
    email_invalidated: boolean;
    evidence_url: string | null;
    now_at: string | null;
    replacement_contact_id: string | null;
    replacement_name: string | null;
    cost_usd: number;
    followup_done: boolean;
  }[];
}

async function world(action: "advance" | "reset"): Promise<void> {
  const response = await fetch(`${JINA}/__emulator/world/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: action === "advance" ? JSON.stringify({ months: 1 }) : "{}" });
  if (!response.ok) throw new Error(`world ${action}: ${response.status}`);
}

async function startSweep(body: Record<string, unknown>): Promise<string> {
  const response = await postJson("/api/freshness/sweeps", body, { "x-api-key": API_KEY });
  const json = (await response.json()) as { sweep_id: string };
  if (response.status !== 202) throw new Error(`sweep refused: ${response.status} ${JSON.stringify(json)}`);
  return json.sweep_id;
}

async function getSweep(id: string): Promise<SweepJson> {
  const response = await call(`/api/freshness/sweeps/${id}`, { headers: { "x-api-key": API_KEY } });
  if (response.status !== 200) throw new Error(`sweep ${id}: ${response.status}`);
  return (await response.json()) as SweepJson;
}

async function sweepDone(id: string): Promise<SweepJson> {
  return eventually(async () => {
    const sweep = await getSweep(id);
    return sweep.status !== "running" && sweep.checks.every((c) => c.followup_done) ? sweep : null;
  }, `sweep ${id}`, 180_000);
}

interface ContactRow {
  id: string;
  full_name: string;
  is_active: boolean;
  inactive_reason: string | null;
  freshness_flag: string | null;
  email: string | null;
  email_status: string | null;
  clickup_task_id: string | null;
  replaced_by_contact_id: string | null;
  verified_minutes_ago: number | null;
}

async function contactsOf(course: { course_name: string; state: string }): Promise<ContactRow[]> {
  return withDb((sql) => sql<ContactRow[]>`
    select c.id, c.full_name, c.is_active, c.inactive_reason, c.freshness_flag, e.email, e.email_status, c.clickup_task_id, c.replaced_by_contact_id,
           (extract(epoch from now() - c.last_verified_at) / 60)::float as verified_minutes_ago
      from contacts c join courses co on co.id = c.course_id left join contact_enrichment e on e.contact_id = c.id
     where co.name_key = lower(${course.course_name}) || '|' || lower(${course.state}) and c.duplicate_of is null
     order by c.full_name`);
}

/** As if the contacts of these courses were last verified 40 days ago (the sweep's default threshold is 30). */
async function age(...courses: { course_name: string; state: string }[]): Promise<void> {
  for (const course of courses) {
    await withDb((sql) => sql`update contacts c set last_verified_at = now() - interval '40 days' from courses co
                              where co.id = c.course_id and co.name_key = lower(${course.course_name}) || '|' || lower(${course.state})`);
  }
}

async function taskCustomField(taskId: string, fieldId: string): Promise<unknown> {
  const response = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2/task/${taskId}`, { headers: { authorization: String(env.CLICKUP_API_TOKEN) } });
  const task = (await response.json()) as { custom_fields: { id: string; value?: unknown }[] };
  return task.custom_fields.find((f) => f.id === fieldId)?.value;
}

describe("the freshness sweep (Agent 8)", () => {
  beforeAll(async () => {
    await world("reset");
    await forgetCourse(EAGLES.course_name, EAGLES.state);
    await forgetCourse(MAPLE.course_name, MAPLE.state);
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    for (const course of [EAGLES, MAPLE]) {
      const { output } = await enrichAndWait(workflows, course);
      expect(["succeeded", "partial"]).toContain(output.status);
    }
    const eagles = await contactsOf(EAGLES);
    expect(eagles.map((c) => c.full_name)).toEqual(["Jordan Blake", "Owen McAllister", "Priya Shah"]);
    expect(eagles.every((c) => c.clickup_task_id)).toBe(true);
    // A month passes in the world; the contacts were last verified 40 days ago. Every other file's
    // contacts (in the same database) count as verified today, so the sweeps select these two courses.
    await world("advance");
    await withDb((sql) => sql`update contacts set last_verified_at = now()`);
    await age(EAGLES, MAPLE);
  }, 240_000);

  afterAll(async () => {
    await clearFaults("jina");
    await world("reset");
    await forgetCourse(EAGLES.course_name, EAGLES.state);
    await forgetCourse(MAPLE.course_name, MAPLE.state);
  });

  it("stops cleanly at its spend cap: what it checked is recorded, nobody else is touched", async () => {
    const id = await startSweep({ spend_cap_usd: 0.000001 });
    const sweep = await sweepDone(id);
    expect(sweep.status).toBe("stopped");
    expect(sweep.stop_reason).toMatch(/spend cap/);
    // Eagle's Landing's page was read (the first paid call), then research stopped: only Owen, listed on the page, is settled;
    // Jordan and Priya (the page does not settle them) wait for the next sweep, untouched.
    const eaglesChecks = sweep.checks.filter((c) => c.course_name === EAGLES.course_name);
    expect(eaglesChecks.map((c) => [c.full_name, c.outcome, c.decided_by])).toEqual([["Owen McAllister", "still_there", "staff_page"]]);
    const eagles = await contactsOf(EAGLES);
    expect(eagles.filter((c) => !c.is_active || c.freshness_flag !== null)).toEqual([]);
    // Maple Hills' site is down: no paid call can settle it, so it is unknown (when checked before the cap) or not checked.
    for (const c of sweep.checks.filter((c) => c.course_name === MAPLE.course_name)) expect(c.outcome).toBe("unknown");
    expect((await contactsOf(MAPLE)).every((c) => c.is_active)).toBe(true);
    expect(sweep.cost_usd).toBeLessThan(0.05);
    await age(EAGLES, MAPLE);
  }, 240_000);

  it("finds who left, closes their task with the evidence, creates the successor's lead, kills the dead email; killed midway and resumed it repeats nothing", async () => {
    const settings = (await clickupSettings()) as unknown as { fields: { email: { id: string }; segment: { id: string; options: Record<string, string> } }; lead_lists: Record<string, string> };
    const before = await contactsOf(EAGLES);
    const jordan = before.find((c) => c.full_name === "Jordan Blake")!;
    const priya = before.find((c) => c.full_name === "Priya Shah")!;
    expect(priya.email).toBe(MONTH_1.eaglesLanding.undeliverable.email);
    expect(await taskCustomField(priya.clickup_task_id!, settings.fields.email.id)).toBe(priya.email);
    const since = Date.now();

    // Maple Hills' site answers nothing at all for a while, so the first instance is still at work when it is killed.
    await injectFault("jina", { route: "GET /https://www.maplehillsgolfmi.com*", kind: "timeout" });
    const id = await startSweep({});
    const first = (await getSweep(id)).workflow_instance_id!;
    await eventually(async () => (await getSweep(id)).checks.length >= 1, "a first check");
    const instance = await env.FRESHNESS_SWEEP.get(first);
    await instance.terminate();
    expect((await instance.status()).status).toBe("terminated");
    await clearFaults("jina");
    const killedAt = await getSweep(id);

    const resumed = await postJson(`/api/freshness/sweeps/${id}/resume`, {}, { "x-api-key": API_KEY });
    expect(resumed.status).toBe(202);
    const sweep = await sweepDone(id);
    expect(sweep.status).toBe("succeeded");
    // Everyone due was checked exactly once across both instances (the kill lost and repeated nothing).
    // The kill came midway: the resumed instance checked the rest (Maple Hills was still waiting on its site).
    expect(killedAt.checks.length).toBeGreaterThan(0);
    expect(killedAt.checks.length).toBeLessThan(sweep.checks.length);
    const maple = await contactsOf(MAPLE);
    expect(sweep.checks.map((c) => c.full_name).sort()).toEqual([...before.map((c) => c.full_name), ...maple.map((c) => c.full_name)].sort());
    expect(new Set(sweep.checks.map((c) => c.contact_id)).size).toBe(sweep.checks.length);
    expect(sweep.counts.checked).toBe(sweep.checks.length);

    const byName = new Map(sweep.checks.map((c) => [c.full_name, c]));
    // Jordan left: research with its source, the successor named, a successor contact created once.
    expect(byName.get("Jordan Blake")).toMatchObject({ outcome: "left", decided_by: "research", evidence_url: MONTH_1.eaglesLanding.evidenceUrl, now_at: "Coyote Springs Golf Club", replacement_name: "Marcus Ortiz" });
    expect(byName.get("Owen McAllister")).toMatchObject({ outcome: "still_there", decided_by: "staff_page", email_status: "valid" });
    expect(byName.get("Priya Shah")).toMatchObject({ outcome: "still_there", email_invalidated: true, email_status: "invalid" });
    expect(sweep.counts).toMatchObject({ left: 1, replaced: 1, emails_invalidated: 1 });
    // Maple Hills' site is down: unknown, flagged, never deactivated.
    expect(maple.length).toBeGreaterThan(0);
    for (const c of maple) {
      expect(byName.get(c.full_name)).toMatchObject({ outcome: "unknown" });
      expect(c).toMatchObject({ is_active: true, freshness_flag: "unknown" });
    }

    const after = await contactsOf(EAGLES);
    const marcus = after.filter((c) => c.full_name === "Marcus Ortiz");
    expect(marcus).toHaveLength(1);
    expect(after.find((c) => c.full_name === "Jordan Blake")).toMatchObject({ is_active: false, replaced_by_contact_id: marcus[0]!.id });
    expect(after.find((c) => c.full_name === "Jordan Blake")!.inactive_reason).toMatch(/Coyote Springs Golf Club/);
    expect(after.find((c) => c.full_name === "Priya Shah")).toMatchObject({ email: null, email_status: "invalid", is_active: true });
    expect(after.find((c) => c.full_name === "Owen McAllister")!.verified_minutes_ago).toBeLessThan(30);
    expect(marcus[0]).toMatchObject({ is_active: true, email: MONTH_1.eaglesLanding.successor.email });

    // ClickUp: Jordan's task closed with the evidence and a link to the successor's task; one task for Marcus.
    const jordanTask = await clickupTask(jordan.clickup_task_id!);
    expect(jordanTask.status.status).toBe("closed");
    const successorTask = marcus[0]!.clickup_task_id!;
    expect(successorTask).toBeTruthy();
    const notes = (await clickupComments(jordan.clickup_task_id!)).map((c) => c.comment_text).filter((t) => t.includes("has left"));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(MONTH_1.eaglesLanding.evidenceUrl);
    expect(notes[0]).toContain(`https://app.clickup.com/t/${successorTask}`);
    const marcusTask = await clickupTask(successorTask);
    expect(marcusTask.name).toContain("Marcus Ortiz");
    // The course's intel is reused: its segment and conversation starters, with no new A6 call.
    const segment = await taskCustomField(successorTask, settings.fields.segment.id);
    expect(segment).not.toBeUndefined();
    expect(marcusTask.markdown_description ?? marcusTask.description ?? "").toMatch(/Conversation Starters/i);
    const modelCalls = await emulatorRequests("anthropic", since);
    expect(modelCalls.length).toBeGreaterThan(0);
    expect(modelCalls.filter((r) => JSON.stringify(r.body).includes("You are a sales analyst"))).toEqual([]);
    const listTasks = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2/list/${settings.lead_lists["high-end"]}/task?include_closed=true`, { headers: { authorization: String(env.CLICKUP_API_TOKEN) } });
    const named = ((await listTasks.json()) as { tasks: { name: string }[] }).tasks.filter((t) => t.name.startsWith("Marcus Ortiz"));
    expect(named.length).toBeLessThanOrEqual(1);

    // Priya's dead address: out of the database and of her lead task's Email field, with a comment.
    expect(await taskCustomField(priya.clickup_task_id!, settings.fields.email.id)).toBeUndefined();
    const priyaNotes = (await clickupComments(priya.clickup_task_id!)).map((c) => c.comment_text);
    expect(priyaNotes.some((t) => t.includes("no longer accepts mail") && t.includes("removed"))).toBe(true);
  }, 300_000);

  it("keeps a rep-owned address that fails verification (flagged, and the rep told)", async () => {
    const priya = (await contactsOf(EAGLES)).find((c) => c.full_name === "Priya Shah")!;
    const address = MONTH_1.eaglesLanding.undeliverable.email;
    // A rep typed the address back in ClickUp: the field is theirs.
    await withDb(async (sql) => {
      await sql`update contact_enrichment set email = ${address}, email_status = 'valid' where contact_id = ${priya.id}`;
      await sql`insert into field_ownership (entity, entity_id, field, event_id, changed_at) values ('contact', ${priya.id}, 'email', 'test:rep-owned', now())
                on conflict (entity, entity_id, field) do nothing`;
    });
    const id = await startSweep({ older_than_days: 0, contact_id: priya.id });
    const sweep = await sweepDone(id);
    expect(sweep.checks).toHaveLength(1);
    expect(sweep.checks[0]).toMatchObject({ full_name: "Priya Shah", email_invalidated: true });
    const row = (await contactsOf(EAGLES)).find((c) => c.full_name === "Priya Shah")!;
    expect(row).toMatchObject({ email: address, email_status: "invalid", freshness_flag: "email_invalid", is_active: true });
    const notes = (await clickupComments(priya.clickup_task_id!)).map((c) => c.comment_text);
    expect(notes.some((t) => t.includes("kept because a rep set it"))).toBe(true);
  }, 240_000);

  it("is started by its cron tick, once per tick", async () => {
    const scheduledTime = Date.UTC(2027, 0, 1, 6, 0, 0);
    const tick = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime, cron: "0 6 1 * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await tick();
    await tick();
    const rows = await withDb((sql) => sql<{ id: string; trigger: string }[]>`select id, trigger from freshness_sweeps where trigger_key = ${`cron-${scheduledTime}`}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.trigger).toBe("cron");
    const sweep = await sweepDone(rows[0]!.id);
    expect(sweep.status).toBe("succeeded");
  }, 240_000);

  it("refuses a bad request with a clear error, and answers only with the API key", async () => {
    expect((await postJson("/api/freshness/sweeps", {}, {})).status).toBe(401);
    const bad = await postJson("/api/freshness/sweeps", { older_than_days: -3 }, { "x-api-key": API_KEY });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("older_than_days");
    const unknownCourse = await postJson("/api/freshness/sweeps", { course_id: crypto.randomUUID() }, { "x-api-key": API_KEY });
    expect(unknownCourse.status).toBe(400);
    expect((await call(`/api/freshness/sweeps/${crypto.randomUUID()}`, { headers: { "x-api-key": API_KEY } })).status).toBe(404);
  });
});
