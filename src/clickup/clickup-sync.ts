import type { AppConfig, WorkerBindings } from "../env.ts";
import type { Store } from "../store/index.ts";
import { z } from "zod";
import { type ClickUpClient, createClickUpClient, type RateGate } from "./client.ts";
import { type ClickUpSettings, ClickUpSettings as ClickUpSettingsSchema, type LeadSegment } from "./config.ts";
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

export const ClickUpContext = z.object({
  settings: z.unknown().nullable(),
  routing_rules: z.array(
    z.object({ priority: z.number(), segment: z.string().nullable(), state: z.string().nullable(), assignee_clickup_user_id: z.coerce.number() }),
  ),
});
export type RoutingRule = z.infer<typeof ClickUpContext>["routing_rules"][number];

/** The ClickUp configuration a run works with: `settings` null when `npm run clickup:setup` has not run. */
export interface ClickUpRunContext {
  settings: ClickUpSettings | null;
  settings_problem: string | null;
  routing_rules: RoutingRule[];
}

export async function loadClickUpContext(store: Store): Promise<ClickUpRunContext> {
  const context = await store.call("get_clickup_context", {}, ClickUpContext);
  if (context.settings === null) return { settings: null, settings_problem: "ClickUp is not set up: run npm run clickup:setup", routing_rules: context.routing_rules };
  const parsed = ClickUpSettingsSchema.safeParse(context.settings);
  return parsed.success
    ? { settings: parsed.data, settings_problem: null, routing_rules: context.routing_rules }
    : { settings: null, settings_problem: `ClickUp settings are invalid (run npm run clickup:setup): ${parsed.error.issues[0]?.message ?? ""}`, routing_rules: context.routing_rules };
}

const settingsCache = new Map<string, { at: number; value: Promise<ClickUpRunContext> }>();

/**
 * The same, cached per isolate for a minute (one read in flight at a time, shared by every caller):
 * the webhook route needs it on its fast path.
 */
export async function cachedClickUpContext(config: AppConfig, store: () => Store): Promise<ClickUpRunContext | null> {
  const key = config.env.DATABASE_URL ?? config.env.SUPABASE_URL ?? "";
  if (!key) return null;
  const hit = settingsCache.get(key);
  if (hit && Date.now() - hit.at < 60_000) return hit.value;
  const value = loadClickUpContext(store());
  settingsCache.set(key, { at: Date.now(), value });
  value.catch(() => settingsCache.delete(key));
  return value;
}

async function tokenKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest).slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The client every run shares per token, gated by the token's ClickUpRateGate Durable Object. */
export function clickUpClientFor(config: AppConfig, env: WorkerBindings): ClickUpClient | null {
  const token = config.env.CLICKUP_API_TOKEN;
  if (!token) return null;
  let gate: DurableObjectStub<import("../durable/clickup-rate-gate.ts").ClickUpRateGate> | null = null;
  const stub = async () => (gate ??= env.CLICKUP_RATE_GATE.get(env.CLICKUP_RATE_GATE.idFromName(await tokenKey(token))));
  const rateGate: RateGate = {
    async acquire() {
      const wait = await (await stub()).reserve();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    async observe(info) {
      await (await stub()).observe(info);
    },
  };
  return createClickUpClient({ token, baseUrl: config.env.CLICKUP_BASE_URL, gate: rateGate, timeoutMs: Math.min(config.env.PROVIDER_TIMEOUT_MS, 30_000) });
}

export function assigneeFor(rules: RoutingRule[], segment: LeadSegment | null, state: string): number | null {
  const match = rules.find((r) => (r.segment === null || r.segment === segment) && (r.state === null || r.state.toUpperCase() === state.toUpperCase()));
  return match?.assignee_clickup_user_id ?? null;
}

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
  action: "created" | "updated" | "unchanged" | "recreated";
  requests: number;
}

/**
 * Creates (one request, custom fields inline) or updates (only what changed: one request for the
 * name/description, one per changed field) a contact's lead task in its segment's "New Leads" list.
 * A task deleted in ClickUp is created again.
 */
export async function syncLeadTask(input: {
  client: ClickUpClient;
  settings: ClickUpSettings;
  contactId: string;
  existingTaskId: string | null;
  synced: LeadSynced;
  contact: LeadContact;
  course: LeadCourse;
  intel: LeadIntel | null;
  assignee: number | null;
}): Promise<LeadSyncResult> {
  const { client, settings, contact, course, intel } = input;
  const segment: LeadSegment = intel?.segment ?? "both";
  const fields = leadFieldValues(contact, course, intel, settings.fields.segment.options);
  const name = leadTaskName(contact, course);
  const description = leadDescription(contact, course, intel);
  const synced: LeadSynced = { name, description: fingerprint(description), fields };
  const customFields = (Object.entries(fields) as [keyof ClickUpSettings["fields"], string | number][]).map(([key, value]) => ({ id: settings.fields[key].id, value }));

  const create = async (action: "created" | "recreated", requestsSoFar: number): Promise<LeadSyncResult> => {
    const task = await client.createTask(settings.lead_lists[segment], {
      name,
      markdown_content: description,
      status: settings.statuses.leads.new_lead,
      ...(input.assignee !== null ? { assignees: [input.assignee] } : {}),
      custom_fields: customFields,
    });
    return { contact_id: input.contactId, task_id: String(task.id), task_url: task.url ?? null, synced, action, requests: requestsSoFar + 1 };
  };

  if (!input.existingTaskId) return create("created", 0);

  const taskId = input.existingTaskId;
  let requests = 0;
  try {
    const textChanged = input.synced.name !== name || input.synced.description !== synced.description;
    if (textChanged) {
      requests++;
      await client.updateTask(taskId, { name, markdown_content: description });
    }
    for (const key of changedFields(fields, input.synced.fields ?? {})) {
      requests++;
      const value = fields[key];
      if (value !== undefined) await client.setCustomField(taskId, settings.fields[key].id, value);
    }
  } catch (error) {
    // Deleted (or moved out of reach) in ClickUp: a lead must exist, so it is created again.
    if (isClickUpError(error) && error.status === 404) return create("recreated", requests);
    throw error;
  }
  return { contact_id: input.contactId, task_id: taskId, task_url: null, synced, action: requests ? "updated" : "unchanged", requests };
}
