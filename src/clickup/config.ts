// The app's ClickUp configuration, as `npm run clickup:setup` stores it: ONE row of `settings`,
// key 'clickup', value validated by `ClickUpSettings` (it holds the webhook secret: service_role only).
// Every id is also in `clickup_entities` (kind, key, clickup_id, meta) for humans and joins.
//
// Also the specification the setup checks the workspace against (lists, fields, statuses), so the
// writer and the setup agree on names and keys. Runs in workerd and Node (no node: imports).
import { z } from "zod";
import { type Segment, SEGMENTS } from "../lib/segment.ts";

export const CLICKUP_SETTINGS_KEY = "clickup";

/** The folder (in the space) that holds each segment's "New Leads" list. */
export const LEAD_FOLDER_NAMES: Record<Segment, string> = { "high-end": "High-End", budget: "Budget", both: "Both" };
export const LEAD_LIST_NAME = "New Leads";
export const INTAKE_LIST_NAME = "Intake";
/** The folderless list where admin alerts are tasks (src/clickup/alert-task.ts). */
export const ALERTS_LIST_NAME = "Alerts";

/** ClickUp custom-field types (`type` in Get Accessible Custom Fields). */
export type FieldType = "drop_down" | "number" | "email" | "phone" | "url" | "short_text" | "text";

export interface LeadFieldSpec {
  /** The name to give it in ClickUp (matched case- and punctuation-insensitively). */
  name: string;
  /** The type to create it with. */
  type: FieldType;
  /** Types the app also accepts when the field already exists. */
  accepts: readonly FieldType[];
  /** Drop-down options (labels), by segment. */
  options?: Record<Segment, string>;
}

/** The custom fields every lead list needs, by the key the app uses for them. */
export const LEAD_FIELDS = {
  segment: { name: "Segment", type: "drop_down", accepts: ["drop_down"], options: { "high-end": "High-End", budget: "Budget", both: "Both" } },
  confidence: { name: "Confidence", type: "number", accepts: ["number"] },
  email: { name: "Email", type: "email", accepts: ["email", "short_text"] },
  phone: { name: "Phone", type: "phone", accepts: ["phone", "short_text"] },
  linkedin: { name: "LinkedIn URL", type: "url", accepts: ["url", "short_text"] },
  top_opp_1: { name: "Top Opp 1", type: "short_text", accepts: ["short_text", "text"] },
  top_opp_1_score: { name: "Top Opp 1 Score", type: "number", accepts: ["number"] },
  top_opp_2: { name: "Top Opp 2", type: "short_text", accepts: ["short_text", "text"] },
  top_opp_2_score: { name: "Top Opp 2 Score", type: "number", accepts: ["number"] },
  course: { name: "Course", type: "short_text", accepts: ["short_text", "text"] },
  website: { name: "Website", type: "url", accepts: ["url", "short_text"] },
} as const satisfies Record<string, LeadFieldSpec>;
export type LeadFieldKey = keyof typeof LEAD_FIELDS;
export const LEAD_FIELD_KEYS = Object.keys(LEAD_FIELDS) as LeadFieldKey[];

/** Statuses the app sets or reacts to, by key → the name it needs in ClickUp. */
export const INTAKE_STATUSES = { new: "new", enriching: "enriching", enriched: "enriched", needs_attention: "needs attention" } as const;
export const LEAD_STATUSES = { new_lead: "new lead", contacted: "contacted", replied: "replied", unsubscribed: "unsubscribed", closed: "closed" } as const;
export type IntakeStatusKey = keyof typeof INTAKE_STATUSES;
export type LeadStatusKey = keyof typeof LEAD_STATUSES;

/** The events the app's webhook needs (on the space). */
// taskDeleted lets the app forget a lead task a rep deleted, so the next run creates it again.
export const WEBHOOK_EVENTS = ["taskCreated", "taskStatusUpdated", "taskUpdated", "taskDeleted"] as const;
export const WEBHOOK_PATH = "/webhooks/clickup";

/** ClickUp's per-token rate limit by plan (requests per minute). */
export function rateLimitForPlan(planName: string | null): number {
  const name = (planName ?? "").toLowerCase();
  if (name.includes("enterprise")) return 10_000;
  if (name.includes("business plus")) return 1_000;
  return 100;
}

/** Custom-field uses the plan allows (Free Forever: 60), or null when unlimited. */
export function customFieldLimitForPlan(planName: string | null): number | null {
  return (planName ?? "").toLowerCase().replace(/\s+/g, " ").includes("free forever") ? 60 : null;
}

// ---- the stored settings -----------------------------------------------------------------------

const Id = z.string().min(1);
const FieldRef = z.object({ id: Id, name: z.string(), type: z.string() });
const BySegment = z.object({ "high-end": Id, budget: Id, both: Id });

export const ClickUpSettings = z.object({
  version: z.literal(1),
  team_id: Id,
  space_id: Id,
  /** The token's user: webhook events whose history item `user.id` is this are the app's own writes. */
  app_user_id: z.number().int(),
  intake_list_id: Id,
  /** The folder per segment, and its "New Leads" list (where lead tasks are created). */
  lead_folders: BySegment,
  lead_lists: BySegment,
  /** Lead custom fields (one field shared by the three lead lists). Drop-down values are written as option UUIDs. */
  fields: z.object({
    segment: FieldRef.extend({ options: BySegment }),
    confidence: FieldRef,
    email: FieldRef,
    phone: FieldRef,
    linkedin: FieldRef,
    top_opp_1: FieldRef,
    top_opp_1_score: FieldRef,
    top_opp_2: FieldRef,
    top_opp_2_score: FieldRef,
    course: FieldRef,
    website: FieldRef,
  }),
  /** Fields of the Intake list the app reads (a "State" field, when the list has one). */
  intake_fields: z.object({ state: FieldRef.nullable() }),
  webhook: z.object({ id: Id, endpoint: z.url(), secret: z.string().min(1), events: z.array(z.string()) }),
  plan: z.object({
    id: z.number().int().nullable(),
    name: z.string().nullable(),
    /** Free Forever: 60 custom-field uses; null: unlimited. */
    custom_field_limit: z.number().int().nullable(),
    /** Requests per minute per token (100, 1,000 or 10,000). */
    rate_limit_per_minute: z.number().int().positive(),
  }),
  /**
   * The Alerts list (admin alerts as tasks) and the admin they are assigned to. Optional: settings
   * stored before alerts existed still parse; without it alerts are not sent to ClickUp.
   */
  alerts: z
    .object({
      list_id: Id,
      /** CLICKUP_ADMIN_USER_ID at setup, else the token's own user. */
      admin_user_id: z.number().int().nullable(),
      /** The list's first open status and its closed status (every ClickUp list has one of each). */
      statuses: z.object({ open: z.string(), closed: z.string() }),
    })
    .optional(),
  /** The status names as they exist in ClickUp (send these in Create/Update Task). */
  statuses: z.object({
    intake: z.object({ new: z.string(), enriching: z.string(), enriched: z.string(), needs_attention: z.string() }),
    leads: z.object({ new_lead: z.string(), contacted: z.string(), replied: z.string(), unsubscribed: z.string(), closed: z.string() }),
  }),
});
export type ClickUpSettings = z.infer<typeof ClickUpSettings>;

/** The segment of a lead list id, or undefined for any other list. */
export function segmentOfLeadList(settings: ClickUpSettings, listId: string): Segment | undefined {
  return SEGMENTS.find((s) => settings.lead_lists[s] === listId);
}

/** Matching names the way a person reads them: "High-End" = "high end" = "HIGH_END". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "");
}
