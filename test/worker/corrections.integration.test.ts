// A rep corrects a lead in ClickUp: the real Worker learns it (audited, rep-owned, exactly once),
// refuses what the enrichment would refuse with one comment, keeps the newest of out-of-order
// deliveries, never takes its own writes for corrections, and a later enrichment keeps the rep's value.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clickupComments, clickupTask, deliverClickUp, enrich, eventually, forgetCourse, getJob, withDb } from "./helpers.ts";
import { clickupApi, clickupSettings, type Lead, makeLead, moveLead, REP_USER_ID } from "./outreach-helpers.ts";

type FieldKey = "email" | "phone" | "linkedin" | "segment" | "confidence" | "website";

async function fieldId(key: FieldKey): Promise<string> {
  const settings = (await clickupSettings()) as unknown as { fields: Record<FieldKey, { id: string }> };
  return settings.fields[key].id;
}


let history = 0;

/** The rep changes a custom field in ClickUp: the task holds the new value, and its taskUpdated is delivered. */
async function repSets(lead: Lead, key: FieldKey, value: unknown, opts: { historyId?: string; date?: number; userId?: number; write?: boolean } = {}) {
  const id = await fieldId(key);
  if (opts.write !== false) await clickupApi("POST", `/task/${lead.taskId}/field/${id}`, { value });
  const historyId = opts.historyId ?? `corr-${lead.taskId}-${++history}`;
  const response = await deliverClickUp({
    webhook_id: "wh-corrections",
    event: "taskUpdated",
    task_id: lead.taskId,
    history_items: [
      {
        id: historyId,
        type: 1,
        date: String(opts.date ?? Date.now()),
        field: "custom_field",
        parent_id: lead.listId,
        data: {},
        source: null,
        user: { id: opts.userId ?? REP_USER_ID, username: "Riley Rep", email: "riley.rep@golf-outreach.test" },
        before: null,
        after: value,
        custom_field: { id, name: key, type: "short_text" },
      },
    ],
  });
  return { response, json: (await response.json()) as Record<string, unknown>, historyId };
}

async function correctionsDone(instanceId: string): Promise<{ applied: number; refused: number; skipped: string[] }> {
  return eventually(async () => {
    const instance = await env.APPLY_CORRECTIONS.get(instanceId);
    const { status, output } = await instance.status();
    if (status === "errored") throw new Error(`corrections ${instanceId} errored`);
    return status === "complete" ? (output as { applied: number; refused: number; skipped: string[] }) : null;
  }, `corrections ${instanceId}`, 90_000);
}

async function enrichmentOf(lead: Lead) {
  const [row] = await withDb((sql) => sql`select e.email, e.email_source, e.phone, e.linkedin_url, c.full_name, c.title from contacts c
                                          left join contact_enrichment e on e.contact_id = c.id where c.id = ${lead.contactId}`);
  return row!;
}

async function auditRows(lead: Lead, field: string) {
  return withDb((sql) => sql`select field, status, before, after, clickup_user_id, source from sync_audit_log
                             where field = ${field} and (entity_id = ${lead.contactId} or entity_id = ${lead.courseId}) order by id`);
}

describe("a rep's correction of a lead", () => {
  it("is saved for each mapped field, audited and rep-owned, exactly once for a repeated delivery", { timeout: 180_000 }, async () => {
    const lead = await makeLead({ label: "Corrected" });
    const email = await repSets(lead, "email", "New.Address@Corrected-Club.test");
    expect(email.json).toMatchObject({ action: "accepted", fields: ["email"] });
    expect(await correctionsDone(String(email.json.corrections_id))).toMatchObject({ applied: 1, refused: 0 });
    expect(await enrichmentOf(lead)).toMatchObject({ email: "new.address@corrected-club.test", email_source: "rep" });
    const again = await repSets(lead, "email", "New.Address@Corrected-Club.test", { historyId: email.historyId, write: false });
    expect(again.json.action).toBe("duplicate");
    const audit = await auditRows(lead, "email");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ status: "applied", source: "webhook", after: "new.address@corrected-club.test" });
    expect(Number(audit[0]!.clickup_user_id)).toBe(REP_USER_ID);
    const [owned] = await withDb((sql) => sql`select clickup_user_id from field_ownership where entity = 'contact' and entity_id = ${lead.contactId} and field = 'email'`);
    expect(Number(owned!.clickup_user_id)).toBe(REP_USER_ID);

    for (const [key, value, expected] of [
      ["phone", "+1 (804) 555-0134", { phone: "+18045550134" }],
      ["linkedin", "https://linkedin.com/in/jordan-pike/", { linkedin_url: "https://www.linkedin.com/in/jordan-pike" }],
    ] as const) {
      const change = await repSets(lead, key, value);
      expect(await correctionsDone(String(change.json.corrections_id))).toMatchObject({ applied: 1 });
      expect(await enrichmentOf(lead)).toMatchObject(expected);
    }
    const site = await repSets(lead, "website", "https://www.corrected-club.test/");
    await correctionsDone(String(site.json.corrections_id));
    const confidence = await repSets(lead, "confidence", 4);
    await correctionsDone(String(confidence.json.corrections_id));
    const [course] = await withDb((sql) => sql`select c.website, b.segment_confidence from courses c join business_intelligence b on b.course_id = c.id where c.id = ${lead.courseId}`);
    expect(course).toEqual({ website: "https://www.corrected-club.test", segment_confidence: 4 });
  });

  it("that the enrichment would refuse is not saved, and one comment says why", { timeout: 180_000 }, async () => {
    const lead = await makeLead({ label: "Refused" });
    const before = await enrichmentOf(lead);
    const phone = await repSets(lead, "phone", "+1 555 0100");
    expect(await correctionsDone(String(phone.json.corrections_id))).toMatchObject({ applied: 0, refused: 1 });
    const linkedin = await repSets(lead, "linkedin", "https://example.com/people/jordan");
    expect(await correctionsDone(String(linkedin.json.corrections_id))).toMatchObject({ applied: 0, refused: 1 });
    expect(await enrichmentOf(lead)).toEqual(before);
    const comments = (await clickupComments(lead.taskId)).map((c) => c.comment_text).filter((t) => t.startsWith("Not saved"));
    expect(comments).toHaveLength(2);
    expect(comments.join("\n")).toMatch(/Phone: "\+1 555 0100" is not a phone number/);
    expect(comments.join("\n")).toMatch(/LinkedIn URL: .* is not a LinkedIn profile URL/);
    expect(await auditRows(lead, "phone")).toHaveLength(0);
  });

  it("delivered out of order keeps the newest value", { timeout: 180_000 }, async () => {
    const lead = await makeLead({ label: "Out Of Order" });
    const t = Date.now();
    // The later change arrives first (ClickUp retries the earlier delivery after it).
    const newer = await repSets(lead, "email", "newest@order-club.test", { date: t + 60_000 });
    await correctionsDone(String(newer.json.corrections_id));
    const older = await repSets(lead, "email", "older@order-club.test", { date: t, write: false });
    const outcome = await correctionsDone(String(older.json.corrections_id));
    expect(outcome.applied).toBe(0);
    expect((await enrichmentOf(lead)).email).toBe("newest@order-club.test");
    // The older delivery reads the task, which holds the newer value the database already has: nothing to apply.
    // (An older change that does carry another value is audited `stale`: test/node/db/corrections.test.ts.)
    expect((await auditRows(lead, "email")).map((r) => r.status)).toEqual(["applied"]);
  });

  it("is never the app's own write coming back", { timeout: 180_000 }, async () => {
    const lead = await makeLead({ label: "Own Write" });
    const settings = (await clickupSettings()) as unknown as { app_user_id: number };
    const own = await repSets(lead, "email", "app.wrote@own-club.test", { userId: settings.app_user_id });
    expect(own.json).toMatchObject({ action: "ignored", reason: "the app's own write" });
    // A person's delivery whose value is what the app last wrote there is not a correction either.
    await withDb((sql) => sql`update contacts set clickup_synced = ${sql.json({ fields: { email: "app.wrote@own-club.test" } })} where id = ${lead.contactId}`);
    const echo = await repSets(lead, "email", "app.wrote@own-club.test", { write: false });
    expect(await correctionsDone(String(echo.json.corrections_id))).toMatchObject({ applied: 0, refused: 0 });
    expect(await auditRows(lead, "email")).toHaveLength(0);
  });

  it("of the Segment changes the course's segment, and the task says its folder stays", { timeout: 180_000 }, async () => {
    const lead = await makeLead({ label: "Resegmented", segment: "high-end" });
    const settings = (await clickupSettings()) as unknown as { fields: { segment: { options: Record<string, string> } } };
    const change = await repSets(lead, "segment", settings.fields.segment.options.budget);
    expect(await correctionsDone(String(change.json.corrections_id))).toMatchObject({ applied: 1 });
    const [bi] = await withDb((sql) => sql`select segment from business_intelligence where course_id = ${lead.courseId}`);
    expect(bi!.segment).toBe("budget");
    await eventually(async () => (await clickupComments(lead.taskId)).some((c) => /Segment saved as Budget/.test(c.comment_text)), "the segment comment");
  });

  it("survives a re-enrichment: the rep's value is kept in the database and on the task, and the machine's is left as a comment", { timeout: 240_000 }, async () => {
    await forgetCourse("Richmond Country Club", "VA");
    const runOnce = async () => {
      const { response, json } = await enrich({ course_name: "Richmond Country Club", state: "VA" });
      expect(response.status).toBe(202);
      return eventually(async () => {
        const job = (await getJob(String(json.job_id))).json;
        return job.status === "succeeded" || job.status === "failed" ? job : null;
      }, "the enrichment run", 180_000);
    };
    try {
      expect((await runOnce()).status).toBe("succeeded");
      const [row] = await withDb((sql) => sql`select c.id, c.course_id, c.clickup_task_id, e.email from contacts c join courses k on k.id = c.course_id
                                              join contact_enrichment e on e.contact_id = c.id
                                              where k.name_key = 'richmond country club|va' and c.full_name = 'Stacy Foster'`);
      const settings = (await clickupSettings()) as unknown as { lead_lists: Record<string, string> };
      const task = await clickupTask(String(row!.clickup_task_id));
      const lead: Lead = { taskId: String(row!.clickup_task_id), contactId: String(row!.id), courseId: String(row!.course_id), email: String(row!.email), listId: String((task as { list?: { id: string } }).list?.id ?? settings.lead_lists["high-end"]), name: "Stacy Foster" };
      const machineEmail = String(row!.email);

      const change = await repSets(lead, "email", "stacy.direct@richmond-rep.test");
      expect(await correctionsDone(String(change.json.corrections_id))).toMatchObject({ applied: 1 });
      expect((await runOnce()).status).toBe("succeeded");

      expect((await enrichmentOf(lead)).email).toBe("stacy.direct@richmond-rep.test");
      const after = (await clickupTask(lead.taskId)) as unknown as { custom_fields: { id: string; value?: unknown }[] };
      expect(after.custom_fields.find((f) => f.id === ((settings as unknown as { fields: { email: { id: string } } }).fields.email.id))?.value).toBe("stacy.direct@richmond-rep.test");
      const note = await eventually(async () => (await clickupComments(lead.taskId)).map((c) => c.comment_text).find((t) => t.startsWith("The latest enrichment did not change")), "the suggestion comment");
      expect(note).toContain(`the enrichment found "${machineEmail}"`);
      expect(note).toContain('your "stacy.direct@richmond-rep.test" is kept');
    } finally {
      // Other files enrich this world course too, and expect the world's own values.
      await forgetCourse("Richmond Country Club", "VA");
    }
  });

  it("status changes are kept with their time on the contact, for the funnel", { timeout: 120_000 }, async () => {
    const lead = await makeLead({ label: "Funnel" });
    const t = Date.now();
    await moveLead(lead, "new lead", "closed");
    const [contact] = await withDb((sql) => sql`select lead_status, lead_status_at from contacts where id = ${lead.contactId}`);
    expect(contact!.lead_status).toBe("closed");
    expect(new Date(contact!.lead_status_at as string).getTime()).toBeGreaterThanOrEqual(t - 5_000);
    const history = await withDb((sql) => sql`select status, previous_status, clickup_user_id from lead_status_changes where contact_id = ${lead.contactId} order by occurred_at`);
    expect(history.map((h) => [h.status, h.previous_status, Number(h.clickup_user_id)])).toEqual([["closed", "new lead", REP_USER_ID]]);
  });

  it("of the task name saves the person's name and title", { timeout: 120_000 }, async () => {
    const lead = await makeLead({ label: "Renamed" });
    const task = (await clickupApi("GET", `/task/${lead.taskId}`)) as { name: string };
    const course = task.name.split(" | ")[1]!;
    await clickupApi("PUT", `/task/${lead.taskId}`, { name: `Jordan Pike-Smith - Director of Golf | ${course}` });
    const response = await deliverClickUp({
      webhook_id: "wh-corrections",
      event: "taskUpdated",
      task_id: lead.taskId,
      history_items: [{ id: `rename-${lead.taskId}`, type: 1, date: String(Date.now()), field: "name", parent_id: lead.listId, data: {}, source: null,
        user: { id: REP_USER_ID, username: "Riley Rep", email: "riley.rep@golf-outreach.test" }, before: task.name, after: "renamed" }],
    });
    const json = (await response.json()) as { fields: string[]; corrections_id: string };
    expect(json.fields).toEqual(["name", "title"]);
    expect(await correctionsDone(json.corrections_id)).toMatchObject({ applied: 2 });
    expect(await enrichmentOf(lead)).toMatchObject({ full_name: "Jordan Pike-Smith", title: "Director of Golf" });
    expect((await auditRows(lead, "title")).map((r) => r.status)).toEqual(["applied"]);
  });
});
