/** A contact's lead task kept in sync: planned from the lead content (create, or only what changed), then written repeat-safely. */
import { type ClickUpCallContext, taskUrl } from "./call.ts";
import type { ClickUpClient, CreateTaskBody } from "./client.ts";
import type { ClickUpSettings } from "./config.ts";
import type { Segment } from "../lib/segment.ts";
import { isClickUpError } from "./errors.ts";
import {
  changedFields,
  fingerprint,
  type LeadContact,
  type LeadCourse,
  type LeadFieldValues,
  type LeadIntel,
  leadDescription,
  leadFieldValues,
  leadTaskName,
} from "./lead-content.ts";

/** What was last written to a lead task (stored with the contact). */
export interface LeadSynced {
  name?: string;
  description?: string;
  fields?: LeadFieldValues;
}

export interface LeadSyncResult {
  contact_id: string;
  task_id: string;
  task_url: string | null;
  synced: LeadSynced;
  action: "created" | "updated" | "unchanged" | "recreated" | "found";
  requests: number;
}

/** What writing one lead task takes: a create, or only the changed parts of an existing task. */
export type LeadTaskPlan =
  | { kind: "create"; list_id: string; body: CreateTaskBody }
  | { kind: "update"; task_id: string; text: { name: string; markdown_content: string } | null; fields: { id: string; value: string | number }[] }
  | { kind: "unchanged"; task_id: string };

export interface LeadTaskInput {
  settings: ClickUpSettings;
  contactId: string;
  existingTaskId: string | null;
  synced: LeadSynced;
  contact: LeadContact;
  course: LeadCourse;
  intel: LeadIntel | null;
  assignee: number | null;
}

/**
 * A contact's lead task in its segment's "New Leads" list: created (one request, custom fields
 * inline) or updated (one request for the name/description, one per changed field). Pure: the
 * caller reserves `leadPlanRequests(plan)` requests and then runs `writeLeadTask`.
 */
export function planLeadTask(input: LeadTaskInput, opts: { forceCreate?: boolean } = {}): { plan: LeadTaskPlan; synced: LeadSynced } {
  const { settings, contact, course, intel } = input;
  const segment: Segment = intel?.segment ?? "both";
  const fields = leadFieldValues(contact, course, intel, settings.fields.segment.options);
  const name = leadTaskName(contact, course);
  const description = leadDescription(contact, course, intel);
  const synced: LeadSynced = { name, description: fingerprint(description), fields };
  if (!input.existingTaskId || opts.forceCreate) {
    const customFields = (Object.entries(fields) as [keyof ClickUpSettings["fields"], string | number][]).map(([key, value]) => ({ id: settings.fields[key].id, value }));
    const body: CreateTaskBody = {
      name,
      markdown_content: description,
      status: settings.statuses.leads.new_lead,
      ...(input.assignee !== null ? { assignees: [input.assignee] } : {}),
      custom_fields: customFields,
    };
    return { plan: { kind: "create", list_id: settings.lead_lists[segment], body }, synced };
  }
  const textChanged = input.synced.name !== name || input.synced.description !== synced.description;
  const changed = changedFields(fields, input.synced.fields ?? {}).flatMap((key) => {
    const value = fields[key];
    return value === undefined ? [] : [{ id: settings.fields[key].id, value }];
  });
  if (!textChanged && changed.length === 0) return { plan: { kind: "unchanged", task_id: input.existingTaskId }, synced };
  return { plan: { kind: "update", task_id: input.existingTaskId, text: textChanged ? { name, markdown_content: description } : null, fields: changed }, synced };
}

export function leadPlanRequests(plan: LeadTaskPlan): number {
  return plan.kind === "create" ? 1 : plan.kind === "update" ? (plan.text ? 1 : 0) + plan.fields.length : 0;
}

/** What came of a plan: done, or the task is gone in ClickUp (deleted by a rep) and must be created again. */
export type LeadWriteOutcome = { done: true; task_id: string; task_url: string | null; action: LeadSyncResult["action"]; requests: number } | { done: false; gone: true; requests: number };

/**
 * Runs a plan. A create that may have reached ClickUp before (`ctx.retry`) first looks in the list
 * for a task of that exact name the app created since the first attempt, so a retried create never
 * makes a second task.
 */
export async function writeLeadTask(client: ClickUpClient, plan: LeadTaskPlan, ctx: ClickUpCallContext & { appUserId: number }): Promise<LeadWriteOutcome> {
  if (plan.kind === "unchanged") return { done: true, task_id: plan.task_id, task_url: taskUrl(plan.task_id), action: "unchanged", requests: 0 };
  if (plan.kind === "create") {
    if (ctx.retry) {
      const found = await findCreatedTask(client, plan.list_id, String(plan.body.name), ctx);
      if (found) return { done: true, task_id: String(found.id), task_url: found.url ?? taskUrl(String(found.id)), action: "found", requests: 1 };
    }
    const task = await client.createTask(plan.list_id, plan.body);
    return { done: true, task_id: String(task.id), task_url: task.url ?? taskUrl(String(task.id)), action: "created", requests: ctx.retry ? 2 : 1 };
  }
  let requests = 0;
  try {
    if (plan.text) {
      requests++;
      await client.updateTask(plan.task_id, plan.text);
    }
    for (const field of plan.fields) {
      requests++;
      await client.setCustomField(plan.task_id, field.id, field.value);
    }
  } catch (error) {
    // Deleted (or moved out of reach) in ClickUp: a lead must exist, so the caller creates it again.
    if (isClickUpError(error) && error.status === 404) return { done: false, gone: true, requests };
    throw error;
  }
  return { done: true, task_id: plan.task_id, task_url: taskUrl(plan.task_id), action: "updated", requests };
}

/** A task named `name` that the app created in the list since `ctx.intent_at` (newest first, one page). */
export async function findCreatedTask(client: ClickUpClient, listId: string, name: string, ctx: ClickUpCallContext & { appUserId: number }) {
  const { tasks } = await client.getTasks(listId, { date_created_gt: ctx.intent_at - 5_000, order_by: "created", include_closed: true, subtasks: true });
  return tasks.find((t) => t.name === name && (t.creator?.id === undefined || t.creator.id === ctx.appUserId)) ?? null;
}
