// The ClickUp side of a freshness check: the successor's lead task (the course's segment list, its
// routing and conversation starters: the intel is reused, no new A6 call), and the old lead task
// updated in one reservation at the gate (background: reps' work goes first). Safe to repeat: a
// retried comment looks for the one an earlier attempt left, a retried create for its task.
import type { SuccessorProfile } from "../freshness/successor.ts";
import type { SweepCheck } from "../freshness/freshness.types.ts";
import { changedTo, freshnessNote } from "../freshness/lead-notes.ts";
import type { Store } from "../store/index.ts";
import { CourseWriteback } from "../store/records.ts";
import { z } from "zod";
import { type ClickUpCall, taskUrl } from "./call.ts";
import type { LeadSynced } from "./clickup-sync.ts";
import { assigneeFor } from "./routing.ts";
import type { ClickUpRunContext } from "./run-context.ts";
import { type LeadContact, type LeadCourse, type LeadIntel } from "./lead-content.ts";
import { internationalPhone } from "../lib/phone.ts";
import { writeLeadTasks } from "./write-back.ts";

const RecordedTasks = z.object({ recorded: z.number() });

export interface FreshnessWriteDeps {
  call: ClickUpCall;
  context: ClickUpRunContext;
  store(): Store;
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  leftAction: "close" | "archive";
}

/** The successor's lead task, its id recorded on the contact. */
export async function writeSuccessorLead(deps: FreshnessWriteDeps, check: SweepCheck, successor: SuccessorProfile | { contact_id: string }): Promise<{ task_id: string; requests: number }> {
  const settings = deps.context.settings!;
  const known = await deps.step(`successor_course:${check.contact_id}`, () => deps.store().call("get_course_writeback", { course_id: check.course_id }, CourseWriteback));
  if (!known) throw new Error(`course ${check.course_id} is gone`);
  const { course, business_intelligence: bi } = known;
  const onFile = known.contacts.find((c) => c.id === successor.contact_id);
  // A resumed sweep has only what the database kept of the successor.
  const contact: LeadContact =
    "name" in successor
      ? { name: successor.name, title: successor.title, email: successor.email, email_status: successor.email_status, phone: successor.phone, phone_source: successor.phone_source,
          linkedin_url: successor.linkedin_url, tenure_years: successor.tenure_years, previous_clubs: successor.previous_clubs, sources: successor.sources }
      : { name: onFile?.name ?? check.replacement_name ?? "", title: onFile?.title ?? check.replacement_title ?? "", email: onFile?.email ?? null, email_status: null,
          phone: null, phone_source: null, linkedin_url: null, tenure_years: null, previous_clubs: [], sources: [] };
  const leadCourse: LeadCourse = { course_name: course.course_name, state: course.state, website: course.website, water_hazard_count: course.water_hazard_count, water_hazard_confidence: course.water_hazard_confidence };
  const intel: LeadIntel | null = bi
    ? { segment: bi.segment, segment_confidence: bi.segment_confidence, segment_reasoning: bi.range_intel?.reasoning ?? null, opportunities: bi.opportunities, conversation_starters: bi.conversation_starters, summary: bi.summary ?? "" }
    : null;
  const assignee = assigneeFor(deps.context.routing_rules, intel?.segment ?? null, course.state);
  const [result] = await writeLeadTasks(deps.call, {
    settings, course: leadCourse, intel, assignee,
    leads: [{ contact_id: successor.contact_id, key: `fresh:${successor.contact_id}`, existing_task_id: null, synced: {} as LeadSynced, contact }],
  });
  if (!result) throw new Error("the successor's lead task was not written");
  await deps.step(`successor_task:${successor.contact_id}`, () =>
    deps.store().call("record_clickup_tasks", { contacts: [{ contact_id: successor.contact_id, clickup_task_id: result.task_id, synced: result.synced }] }, RecordedTasks),
  );
  return { task_id: result.task_id, requests: result.requests };
}

/** The checked contact's own lead task: fields, the comment, and (for a leaver) closed or archived last. */
export async function updateCheckedLead(deps: FreshnessWriteDeps, check: SweepCheck, taskId: string, successorTask: string | null): Promise<number> {
  const settings = deps.context.settings!;
  const note = freshnessNote(check, successorTask ? taskUrl(successorTask) : null);
  const repOwnsEmail = Object.hasOwn(check.suggestions, "email");
  const clearEmail = check.email_invalidated && !repOwnsEmail;
  const newEmail = changedTo(check, "email");
  const newPhone = changedTo(check, "phone");
  const closing = check.outcome === "left";
  const requests = (note ? 1 : 0) + (clearEmail || newEmail ? 1 : 0) + (newPhone ? 1 : 0) + (closing ? 1 : 0);
  if (requests === 0) return 0;
  await deps.call(`fu:${check.contact_id}`, { priority: "background", requests }, async (client, ctx) => {
    if (clearEmail) await client.removeCustomField(taskId, settings.fields.email.id);
    else if (newEmail) await client.setCustomField(taskId, settings.fields.email.id, newEmail);
    if (newPhone) await client.setCustomField(taskId, settings.fields.phone.id, internationalPhone(newPhone) ?? newPhone);
    if (note) {
      const already = ctx.retry && (await client.getTaskComments(taskId)).some((c) => c.comment_text === note);
      if (!already) await client.createTaskComment(taskId, { comment_text: note, notify_all: closing });
    }
    // Closed last: the comment is on the task before it leaves the rep's open view.
    if (closing) await client.updateTask(taskId, deps.leftAction === "archive" ? { archived: true } : { status: settings.statuses.leads.closed });
    return true;
  });
  return requests;
}
