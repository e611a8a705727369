/** The dashboard's shapes: what the admin routes accept (the same schemas the page's edits go through) and what the database answers. */
import Mustache from "mustache";
import { z } from "zod";
import { SEGMENTS } from "../lib/segment.ts";
import { toStateCode } from "../lib/us-states.ts";

export const Segment = z.enum(SEGMENTS);

/** ?days= : the range picker's 7 / 30 / 90, or any 1..365. */
export const RangeQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) });

export const RunsQuery = z.object({
  status: z.enum(["queued", "running", "succeeded", "partial", "failed"]).optional(),
  source: z.enum(["clickup", "supabase", "api", "csv", "cron", "manual"]).optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const StateCode = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const code = toStateCode(value);
    if (!code) {
      ctx.addIssue({ code: "custom", message: "a US state name or two-letter code" });
      return z.NEVER;
    }
    return code;
  });

/** A routing rule as an admin writes it: null segment or state matches any. */
export const RoutingRuleInput = z.object({
  priority: z.number().int().min(0).max(100_000),
  segment: Segment.nullable(),
  state: z.union([z.literal("").transform(() => null), StateCode]).nullable(),
  assignee_clickup_user_id: z.number().int().positive(),
  active: z.boolean(),
});
export type RoutingRuleInput = z.infer<typeof RoutingRuleInput>;

export const RoutingPreviewInput = z.object({ segment: Segment.nullable(), state: StateCode });

const Parses = (part: string) => (value: string, ctx: z.RefinementCtx) => {
  try {
    Mustache.parse(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `the ${part} does not parse as a Mustache template: ${error instanceof Error ? error.message : String(error)}` });
  }
};

/** A template edit: subject and body must parse (the sequence refuses a template that does not). */
export const TemplateInput = z.object({
  subject: z.string().trim().min(1).max(300).superRefine(Parses("subject")),
  body: z.string().max(20_000).refine((v) => v.trim() !== "", "must not be empty").superRefine(Parses("body")),
  active: z.boolean(),
  delay_business_days: z.number().int().min(0).max(30).nullable().optional(),
});
export type TemplateInput = z.infer<typeof TemplateInput>;

export const TemplateParam = z.object({ segment: Segment, step: z.coerce.number().int().min(1).max(3) });

export const TemplatePreviewInput = TemplateInput.pick({ subject: true, body: true }).extend({
  segment: Segment,
  step: z.number().int().min(1).max(3),
  contact_id: z.uuid().optional(),
});

export const SignInInput = z.object({ key: z.string().min(1).max(500) });

// ---- answers from the database (checked at the seam; numbers may be null where nothing was measured)

const N = z.number();
const Nn = z.number().nullable();
const Day = z.string();

export const Overview = z.object({
  since: z.string(),
  days: z.array(z.object({ day: Day, runs: N, succeeded: N, partial: N, failed: N, courses_enriched: N, leads: N, qualified_leads: N, cost_usd: N })),
  totals: z.object({
    runs: N, succeeded: N, partial: N, failed: N, in_flight: N, courses: N, courses_enriched: N, leads: N, qualified_leads: N, lead_tasks: N,
    cost_usd: N, cost_per_course_usd: Nn, cost_per_qualified_lead_usd: Nn, mean_duration_ms: Nn, clickup_task_rate: Nn,
  }),
  segments: z.array(z.object({ segment: z.string(), courses: N })),
});

export const Agents = z.object({
  since: z.string(),
  agents: z.array(
    z.object({
      agent: z.string(), calls: N, succeeded: N, failed: N, skipped: N, success_rate: Nn, cost_usd: N, mean_cost_usd: Nn,
      mean_duration_ms: Nn, p50_ms: Nn, p95_ms: Nn,
      errors: z.array(z.object({ type: z.string(), count: N })),
      days: z.array(z.object({ day: Day, calls: N, success_rate: Nn, cost_usd: N, p95_ms: Nn })),
    }),
  ),
});

const Rates = { email_found: Nn, email_verified: Nn, phone_found: Nn, phone_direct: Nn, linkedin: Nn };
export const Quality = z.object({
  since: z.string(),
  contacts: N,
  rates: z.object(Rates).nullable(),
  by_segment: z.array(z.object({ segment: z.string(), contacts: N, ...Rates })),
  by_state: z.array(z.object({ state: z.string(), contacts: N, ...Rates })),
  confidence: z.array(z.object({ confidence: N, high_end: N, budget: N, both: N })),
  opportunities: z.array(z.object({ opportunity: z.string(), scores: z.array(N), mean: Nn, mean_by_segment: z.record(z.string(), N) })),
});

export const Runs = z.object({
  runs: z.array(
    z.object({
      id: z.string(), course_id: z.string(), course_name: z.string(), state: z.string(), status: z.string(), trigger_source: z.string(),
      cost_usd: Nn, duration_ms: Nn, error: z.string().nullable(), calls: N, failed_calls: N, created_at: z.string(), finished_at: z.string().nullable(),
    }),
  ),
});

export const RunDetail = z.object({
  run: z
    .looseObject({
      id: z.string(), course_name: z.string(), status: z.string(),
      steps: z.array(z.looseObject({ step: z.string(), agent: z.string(), status: z.string(), calls: N, duration_ms: Nn, cost_usd: Nn })),
      calls: z.array(z.looseObject({ agent: z.string(), call_key: z.string(), provider: z.string(), status: z.string(), duration_ms: Nn, cost_usd: N })),
    })
    .nullable(),
});

export const OutreachFigures = z.looseObject({
  since: z.string(),
  funnel: z.object({ contacted: N, sent: N, replied: N, bounced: N, unsubscribed: N }),
  by_segment: z.array(z.looseObject({ segment: z.string(), reply_rate: Nn })),
  by_template: z.array(z.looseObject({ segment: z.string(), step: N, sent: N, replied: N, reply_rate: Nn })),
});
export const SyncFigures = z.looseObject({
  since: z.string(),
  corrections: z.looseObject({ total: N, by_status: z.array(z.looseObject({})), by_field: z.array(z.looseObject({})), recent: z.array(z.looseObject({})) }),
  webhooks: z.array(z.looseObject({ route: z.string() })),
});
export const FreshnessFigures = z.looseObject({ since: z.string(), sweeps: z.array(z.looseObject({ id: z.string() })), job_changes: z.array(z.looseObject({})) });

const Audit = z.array(z.looseObject({ actor: z.string(), action: z.string(), entity_id: z.string(), created_at: z.string() }));
export const StoredRoutingRule = z.object({
  id: z.string(), priority: N, segment: Segment.nullable(), state: z.string().nullable(), assignee_clickup_user_id: z.coerce.number(), active: z.boolean(), updated_at: z.string(),
});
export type StoredRoutingRule = z.infer<typeof StoredRoutingRule>;
export const RoutingRules = z.object({ rules: z.array(StoredRoutingRule), audit: Audit });
export const SavedRoutingRule = z.object({ rule: StoredRoutingRule, action: z.enum(["created", "updated", "unchanged"]) });

export const StoredTemplate = z.object({
  segment: Segment, step: N, subject: z.string(), body: z.string(), active: z.boolean(), delay_business_days: Nn, updated_at: z.string(),
});
export const Templates = z.object({ templates: z.array(StoredTemplate), audit: Audit });
export const SavedTemplate = z.object({ template: StoredTemplate, action: z.enum(["created", "updated", "unchanged"]) });

export const PreviewContact = z.object({
  contact: z
    .object({
      id: z.string(), full_name: z.string(), title: z.string().nullable(), course_name: z.string(), course_city: z.string().nullable(),
      course_state: z.string(), segment: z.string().nullable(),
      intel: z
        .object({
          conversation_starters: z.array(z.looseObject({ text: z.string(), score: z.number().catch(0) })).catch([]),
          opportunities: z.record(z.string(), z.number()).catch({}),
        })
        .nullable(),
    })
    .nullable(),
  candidates: z.array(z.object({ id: z.string(), full_name: z.string(), course_name: z.string(), segment: z.string().nullable() })),
});
