// Writing a course's result to ClickUp: the lead tasks, and each intake task that asked for it.
// Every write goes through a ClickUpCall (gated, durable, safe to repeat): a retried create looks
// for the task its earlier attempt made, a retried comment for the comment.
import type { CourseWriteback } from "../store/records.ts";
import type { ClickUpCall, ClickUpPriority } from "./call.ts";
import { taskUrl } from "./call.ts";
import type { ClickUpClient } from "./client.ts";
import { type LeadSynced, type LeadSyncResult, leadPlanRequests, planLeadTask, type LeadTaskInput, writeLeadTask } from "./clickup-sync.ts";
import { type ClickUpSettings, INTAKE_STATUSES, type LeadStatusKey } from "./config.ts";
import { intakeSummary, type LeadContact, type LeadCourse, type LeadIntel, mailboxesOf } from "./lead-content.ts";

export interface LeadToWrite {
  contact_id: string;
  /** The person's key: names the durable steps of this contact. */
  key: string;
  existing_task_id: string | null;
  synced: LeadSynced;
  contact: LeadContact;
}

/**
 * Every contact's lead task, all at once (the rate gate spaces them). Unchanged tasks cost nothing.
 * `priority`: "interactive" when a rep is waiting for these leads (their intake task asked for the
 * course), so they pass a backlog of background writes (an import) at the gate; "background" otherwise.
 */
export async function writeLeadTasks(
  call: ClickUpCall,
  input: { settings: ClickUpSettings; course: LeadCourse; intel: LeadIntel | null; assignee: number | null; leads: LeadToWrite[]; priority?: ClickUpPriority },
): Promise<LeadSyncResult[]> {
  const { settings } = input;
  const priority = input.priority ?? "background";
  // Contacts of the course sharing one address, and role mailboxes, are flagged on each of their tasks.
  const mailboxes = mailboxesOf(input.leads.map((l) => ({ key: l.key, name: l.contact.name, title: l.contact.title, email: l.contact.email })));
  return Promise.all(
    input.leads.map(async (lead) => {
      const mailbox = mailboxes.get(lead.key);
      const taskInput: LeadTaskInput = {
        settings, contactId: lead.contact_id, existingTaskId: lead.existing_task_id, synced: lead.synced,
        contact: mailbox ? { ...lead.contact, mailbox } : lead.contact, course: input.course, intel: input.intel, assignee: input.assignee,
      };
      const { plan, synced } = planLeadTask(taskInput);
      if (plan.kind === "unchanged") {
        return { contact_id: lead.contact_id, task_id: plan.task_id, task_url: taskUrl(plan.task_id), synced, action: "unchanged", requests: 0 } satisfies LeadSyncResult;
      }
      const outcome = await call(`clickup_lead:${lead.key}`, { priority, requests: leadPlanRequests(plan) }, (client, ctx) =>
        writeLeadTask(client, plan, { ...ctx, appUserId: settings.app_user_id }),
      );
      if (outcome.done) return { contact_id: lead.contact_id, task_id: outcome.task_id, task_url: outcome.task_url, synced, action: outcome.action, requests: outcome.requests } satisfies LeadSyncResult;
      // The task was deleted in ClickUp: create it again (a lead must exist).
      const again = planLeadTask(taskInput, { forceCreate: true });
      const created = await call(`clickup_lead:${lead.key}:recreate`, { priority, requests: 1 }, (client, ctx) =>
        writeLeadTask(client, again.plan, { ...ctx, appUserId: settings.app_user_id }),
      );
      if (!created.done) throw new Error(`the lead task of ${lead.contact.name} could not be created again`);
      return { contact_id: lead.contact_id, task_id: created.task_id, task_url: created.task_url, synced: again.synced, action: "recreated", requests: outcome.requests + created.requests } satisfies LeadSyncResult;
    }),
  );
}

/** The rep sees the intake task move to "enriching" while the agents work. */
export async function markIntakeEnriching(call: ClickUpCall, settings: ClickUpSettings, taskId: string, name = "clickup_intake_enriching"): Promise<void> {
  await call(name, { priority: "interactive", requests: 1 }, async (client) => {
    await client.updateTask(taskId, { status: settings.statuses.intake.enriching });
    return true;
  });
}

/**
 * An intake task's outcome: one update (status, and the summary when there is one) and one comment
 * that notifies the rep. Without settings (not set up, or the database is down) the statuses are the
 * names `npm run clickup:setup` requires, so a failure still reaches the rep.
 */
export async function writeIntakeOutcome(
  call: ClickUpCall,
  settings: ClickUpSettings | null,
  input: { name: string; task_id: string; status: "enriched" | "needs_attention"; summary?: string; comment: string },
): Promise<void> {
  const statuses = settings?.statuses.intake ?? INTAKE_STATUSES;
  const status = input.status === "enriched" ? statuses.enriched : statuses.needs_attention;
  // One reservation for both requests: the rep's outcome is one wait at the gate, not two. The
  // update is safe to repeat; a retried comment first looks for the one an earlier attempt left.
  await call(input.name, { priority: "interactive", requests: 2 }, async (client, ctx) => {
    await client.updateTask(input.task_id, { status, ...(input.summary !== undefined ? { markdown_content: input.summary } : {}) });
    if (ctx.retry && (await hasComment(client, input.task_id, input.comment, settings?.app_user_id))) return true;
    await client.createTaskComment(input.task_id, { comment_text: input.comment, notify_all: true });
    return true;
  });
}

/** A comment on an intake task that changes nothing else (e.g. which state the app found). */
export async function commentOnIntake(call: ClickUpCall, settings: ClickUpSettings | null, input: { name: string; task_id: string; comment: string }): Promise<void> {
  await call(input.name, { priority: "interactive", requests: 1 }, async (client, ctx) => {
    if (ctx.retry && (await hasComment(client, input.task_id, input.comment, settings?.app_user_id))) return true;
    await client.createTaskComment(input.task_id, { comment_text: input.comment, notify_all: true });
    return true;
  });
}

/** Whether the app already left this comment on the task (an earlier attempt that did reach ClickUp). */
async function hasComment(client: ClickUpClient, taskId: string, text: string, appUserId: number | undefined): Promise<boolean> {
  const comments = await client.getTaskComments(taskId);
  return comments.some((c) => c.comment_text === text && (appUserId === undefined || c.user?.id === undefined || c.user.id === appUserId));
}

/** What an intake task says about a course's leads (the lead tasks linked). */
export function intakeSummaryOf(input: {
  course: LeadCourse;
  intel: LeadIntel | null;
  status: "succeeded" | "partial";
  contacts: { name: string; title: string | null; email: string | null; task_id: string | null }[];
}): string {
  return intakeSummary({
    course: input.course,
    intel: input.intel,
    status: input.status,
    contacts: input.contacts.map((c) => ({ name: c.name, title: c.title ?? "", email: c.email, task_url: c.task_id ? taskUrl(c.task_id) : null })),
  });
}

/**
 * An intake task that asks for a course already enriched: linked to the same lead tasks (summary and
 * a comment saying so), and nothing new is created.
 */
export async function linkIntakeToCourse(call: ClickUpCall, settings: ClickUpSettings, taskId: string, known: NonNullable<CourseWriteback>): Promise<void> {
  const { course, business_intelligence: bi, contacts } = known;
  const intel: LeadIntel | null = bi
    ? { segment: bi.segment, segment_confidence: bi.segment_confidence, segment_reasoning: bi.range_intel?.reasoning ?? null, opportunities: bi.opportunities, conversation_starters: bi.conversation_starters, summary: bi.summary ?? "" }
    : null;
  const summary = intakeSummaryOf({
    course: { course_name: course.course_name, state: course.state, website: course.website, water_hazard_count: course.water_hazard_count, water_hazard_confidence: course.water_hazard_confidence },
    intel,
    status: course.status === "enriched" ? "succeeded" : "partial",
    contacts: contacts.map((c) => ({ name: c.name, title: c.title, email: c.email, task_id: c.clickup_task_id })),
  });
  const when = course.enriched_at ? ` on ${course.enriched_at.slice(0, 10)}` : "";
  const n = contacts.length;
  await writeIntakeOutcome(call, settings, {
    name: "clickup_intake_linked",
    task_id: taskId,
    status: course.status === "enriched" ? "enriched" : "needs_attention",
    summary,
    comment: `${course.course_name} (${course.state}) was already enriched${when}: this task is linked to the same ${n} lead task${n === 1 ? "" : "s"}. Nothing new was created.`,
  });
}

/** A comment on the lead task, and optionally a status change, in one reservation at the gate. */
export async function noteOnLead(
  call: ClickUpCall,
  settings: ClickUpSettings,
  input: { name: string; task_id: string; comment: string; status?: LeadStatusKey; priority?: ClickUpPriority; notify?: boolean },
): Promise<void> {
  const requests = input.status ? 2 : 1;
  await call(input.name, { priority: input.priority ?? "background", requests }, async (client, ctx) => {
    if (input.status) await client.updateTask(input.task_id, { status: settings.statuses.leads[input.status] });
    if (ctx.retry && (await hasComment(client, input.task_id, input.comment, settings.app_user_id))) return true;
    await client.createTaskComment(input.task_id, { comment_text: input.comment, notify_all: input.notify ?? false });
    return true;
  });
}
