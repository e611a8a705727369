import { z } from "zod";
import type { CourseCoordinator } from "./durable/course-coordinator.ts";
import type { ClickUpRateGate } from "./durable/clickup-rate-gate.ts";
import type { JobDirectory } from "./durable/job-directory.ts";
import type { OutreachMailbox } from "./durable/outreach-mailbox.ts";
import type { EnrichCourseParams, ResolveIntakeParams } from "./pipeline/jobs.types.ts";
import type { OutreachEventParams, OutreachSequenceParams } from "./outreach/outreach.types.ts";
import type { ApplyCorrectionsParams, ReconcileParams } from "./clickup/corrections.types.ts";
import type { FreshnessSweepParams } from "./freshness/freshness.types.ts";
import type { AlertDeliveryParams } from "./store/alerts.ts";
import type { ClickUpDeliveryParams } from "./clickup/webhook-delivery.types.ts";

/** What workerd hands the Worker: bindings from wrangler.toml plus vars and secrets (all strings). */
export interface WorkerBindings {
  COURSE_COORDINATOR: DurableObjectNamespace<CourseCoordinator>;
  JOB_DIRECTORY: DurableObjectNamespace<JobDirectory>;
  CLICKUP_RATE_GATE: DurableObjectNamespace<ClickUpRateGate>;
  ENRICH_COURSE: Workflow<EnrichCourseParams>;
  RESOLVE_INTAKE_TASK: Workflow<ResolveIntakeParams>;
  OUTREACH_MAILBOX: DurableObjectNamespace<OutreachMailbox>;
  OUTREACH_SEQUENCE: Workflow<OutreachSequenceParams>;
  OUTREACH_EVENT_EFFECTS: Workflow<OutreachEventParams>;
  APPLY_CORRECTIONS: Workflow<ApplyCorrectionsParams>;
  RECONCILE: Workflow<ReconcileParams>;
  FRESHNESS_SWEEP: Workflow<FreshnessSweepParams>;
  ALERT_DELIVERY: Workflow<AlertDeliveryParams>;
  CLICKUP_DELIVERY: Workflow<ClickUpDeliveryParams>;
  [variable: string]: unknown;
}

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();
const baseUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .optional()
    .transform((v) => (v ?? fallback).replace(/\/+$/, ""));

/** One schema for the whole environment, parsed once at the entry. Every provider key is optional. */
export const EnvSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),

  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_MODEL: z.string().default("claude-haiku-4-5"),
  ANTHROPIC_MODEL_STRONG: z.string().default("claude-sonnet-4-6"),
  CLICKUP_API_TOKEN: optionalText,
  CLICKUP_WEBHOOK_SECRET: optionalText,
  CLICKUP_TEAM_ID: optionalText,
  CLICKUP_INTAKE_LIST_ID: optionalText,
  HUNTER_API_KEY: optionalText,
  PERPLEXITY_API_KEY: optionalText,
  JINA_API_KEY: optionalText,
  MAILGUN_API_KEY: optionalText,
  MAILGUN_DOMAIN: optionalText,
  MAILGUN_WEBHOOK_SIGNING_KEY: optionalText,

  SUPABASE_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  SUPABASE_SERVICE_ROLE_KEY: optionalText,
  DATABASE_URL: optionalText,
  AGENT_API_KEY: optionalText,
  SUPABASE_WEBHOOK_SECRET: optionalText,
  CALLBACK_ALLOWED_HOSTS: optionalText,
  /** Signs run callbacks (`X-Signature`); its own key, so a callback receiver never holds the API key. Unset: no callbacks. */
  CALLBACK_SIGNING_SECRET: optionalText,
  /** The admin dashboard's sign-in key (/admin): locally, and wherever Cloudflare Access does not front it. */
  ADMIN_API_KEY: optionalText,
  /** Cloudflare Access in front of /admin: the team domain (`<team>.cloudflareaccess.com`) and the application's AUD tag. */
  CF_ACCESS_TEAM_DOMAIN: optionalText,
  CF_ACCESS_AUD: optionalText,

  CLICKUP_BASE_URL: baseUrl("https://api.clickup.com"),
  ANTHROPIC_BASE_URL: baseUrl("https://api.anthropic.com"),
  HUNTER_BASE_URL: baseUrl("https://api.hunter.io"),
  PERPLEXITY_BASE_URL: baseUrl("https://api.perplexity.ai"),
  JINA_BASE_URL: baseUrl("https://r.jina.ai"),
  MAILGUN_BASE_URL: baseUrl("https://api.mailgun.net"),

  /** A run stops making paid model/research calls once its spend reaches this, and ends `partial`. */
  SPEND_CAP_USD: z.coerce.number().positive().default(0.25),
  /** `parallel` (the dependency graph) or `sequential` (every agent awaited in turn, as the seed did; for the benchmark). */
  PIPELINE_MODE: z.enum(["parallel", "sequential"]).default("parallel"),
  PERPLEXITY_MODEL: z.string().default("perplexity/sonar"),
  /** Per-request timeout for provider calls (a slow answer is retried like any transient failure). */
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Pause between polls of Hunter's verifier while it answers 202 ("still verifying"). */
  HUNTER_VERIFY_POLL_MS: z.coerce.number().int().min(0).default(1500),

  /** The ClickUp plan's request limit per token (100 Free/Unlimited/Business, 1,000 Business Plus, 10,000 Enterprise). */
  CLICKUP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(100),
  /** The window that limit applies to (60 s; the benchmark scales it with its time scale). */
  CLICKUP_RATE_WINDOW_MS: z.coerce.number().int().positive().default(60_000),

  /** The app's public base URL (unsubscribe links in emails point at it). */
  APP_URL: z.url({ protocol: /^https?$/ }).optional().or(z.literal("").transform(() => undefined)),
  /** Signs the unsubscribe links (an HMAC key; any long random string). */
  UNSUBSCRIBE_SIGNING_SECRET: optionalText,
  // Outreach defaults; the `settings` row 'outreach' overrides each of them (see src/outreach/settings.ts).
  /** The company's postal address, printed in every email (CAN-SPAM): no email goes out without it. */
  OUTREACH_POSTAL_ADDRESS: optionalText,
  OUTREACH_COMPANY_NAME: optionalText,
  /** "Name <address>": the sender when the lead's assignee has no row in outreach_senders. */
  OUTREACH_DEFAULT_SENDER: optionalText,
  /** Where replies go (a Mailgun inbound route forwards them to /webhooks/mailgun/inbound); default reply@<MAILGUN_DOMAIN>. */
  OUTREACH_REPLY_TO: optionalText,
  /** "08:00-11:00" in the course's local time. */
  OUTREACH_SEND_WINDOW: optionalText,
  OUTREACH_DAILY_CAP: z.coerce.number().int().positive().optional(),
  OUTREACH_SPACING_SECONDS: z.coerce.number().int().min(0).optional(),
  /** Demos and acceptance runs: the window is always open and a business day lasts a minute. Refused in production. */
  OUTREACH_DEMO_MODE: z.enum(["0", "1", "true", "false"]).optional().transform((v) => v === "1" || v === "true"),

  /** The Cron Trigger (one of wrangler.toml's [triggers] crons) that starts the monthly freshness sweep; every other cron is the hourly reconcile. */
  FRESHNESS_CRON: z.string().trim().default("0 6 1 * *"),
  /** A sweep checks active contacts last verified more than this many days ago (0: everyone). */
  FRESHNESS_OLDER_THAN_DAYS: z.coerce.number().int().min(0).default(30),
  /** A sweep stops making paid calls (model, research) once it has spent this much, and ends `stopped`. */
  FRESHNESS_SPEND_CAP_USD: z.coerce.number().min(0).default(5),
  /** Courses a sweep checks at once (each course's contacts are checked together). */
  FRESHNESS_CONCURRENCY: z.coerce.number().int().min(1).max(20).default(3),
  /** What happens to the lead task of a contact who left: moved to `closed`, or archived. */
  FRESHNESS_LEFT_ACTION: z.enum(["close", "archive"]).default("close"),

  /** Admin alerts by email (through Mailgun) besides the ClickUp Alerts list; settings 'alerts' overrides both. */
  ALERT_EMAIL_TO: optionalText,
  /** "Name <address>"; default "Golf Outreach alerts <alerts@<MAILGUN_DOMAIN>>". */
  ALERT_EMAIL_FROM: optionalText,

  /** How often the coordinator checks that the workflow of a run in flight is still alive. */
  RUN_WATCHDOG_SECONDS: z.coerce.number().int().positive().default(300),
});

export type AppEnv = z.infer<typeof EnvSchema>;

/** The variables whose values are secrets: never logged, never in an alert or a URL. */
export const SECRET_VARIABLES = [
  "ANTHROPIC_API_KEY", "CLICKUP_API_TOKEN", "CLICKUP_WEBHOOK_SECRET", "HUNTER_API_KEY", "PERPLEXITY_API_KEY", "JINA_API_KEY",
  "MAILGUN_API_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL", "AGENT_API_KEY",
  "SUPABASE_WEBHOOK_SECRET", "CALLBACK_SIGNING_SECRET", "ADMIN_API_KEY", "UNSUBSCRIBE_SIGNING_SECRET",
] as const satisfies readonly (keyof AppEnv)[];

export type ProviderName = "anthropic" | "clickup" | "hunter" | "perplexity" | "jina" | "mailgun" | "database";

export interface ProviderStatus {
  configured: boolean;
  /** Why the provider is off, in words an admin can act on. */
  reason?: string;
  base_url?: string;
}

export interface AppConfig {
  env: AppEnv;
  providers: Record<ProviderName, ProviderStatus>;
  /** Variables that had a value the schema refused; those variables are treated as unset. */
  invalid: { variable: string; message: string }[];
  /** The values of SECRET_VARIABLES that are set: loggers blank them wherever they appear. */
  secrets: string[];
}

function status(configured: boolean, missing: string, baseUrlValue?: string): ProviderStatus {
  return configured
    ? { configured: true, ...(baseUrlValue ? { base_url: baseUrlValue } : {}) }
    : { configured: false, reason: `${missing} is not set; this provider is disabled` };
}

/** Parses the bindings; a bad value disables its variable (and is reported) instead of crashing the Worker. */
export function parseConfig(bindings: Record<string, unknown>): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = bindings[key];
    if (typeof value === "string" || typeof value === "number") raw[key] = String(value);
  }
  const invalid: AppConfig["invalid"] = [];
  let parsed = EnvSchema.safeParse(raw);
  while (!parsed.success) {
    const badKeys = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
    for (const issue of parsed.error.issues) invalid.push({ variable: String(issue.path[0]), message: issue.message });
    for (const key of badKeys) delete raw[key];
    parsed = EnvSchema.safeParse(raw);
  }
  const env = parsed.data;
  const database = env.DATABASE_URL
    ? { configured: true }
    : env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY
      ? { configured: true, base_url: env.SUPABASE_URL }
      : { configured: false, reason: "neither DATABASE_URL nor SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY is set" };
  const secrets = SECRET_VARIABLES.map((name) => env[name]).filter((v): v is string => typeof v === "string" && v.length > 0);
  return {
    env,
    invalid,
    secrets,
    providers: {
      anthropic: status(!!env.ANTHROPIC_API_KEY, "ANTHROPIC_API_KEY", env.ANTHROPIC_BASE_URL),
      clickup: status(!!env.CLICKUP_API_TOKEN, "CLICKUP_API_TOKEN", env.CLICKUP_BASE_URL),
      hunter: status(!!env.HUNTER_API_KEY, "HUNTER_API_KEY", env.HUNTER_BASE_URL),
      perplexity: status(!!env.PERPLEXITY_API_KEY, "PERPLEXITY_API_KEY", env.PERPLEXITY_BASE_URL),
      // Jina Reader answers without a key too, at a lower rate limit.
      jina: env.JINA_API_KEY
        ? { configured: true, base_url: env.JINA_BASE_URL }
        : { configured: true, base_url: env.JINA_BASE_URL, reason: "JINA_API_KEY is not set: Jina Reader is used keyless, at its lower rate limit" },
      mailgun: status(
        !!env.MAILGUN_API_KEY && !!env.MAILGUN_DOMAIN,
        "MAILGUN_API_KEY or MAILGUN_DOMAIN",
        env.MAILGUN_BASE_URL,
      ),
      database,
    },
  };
}

const parsedConfigs = new WeakMap<object, AppConfig>();

/** Parses once per bindings object (once per isolate in production). */
export function configFor(bindings: object): AppConfig {
  let config = parsedConfigs.get(bindings);
  if (!config) {
    config = parseConfig(bindings as Record<string, unknown>);
    parsedConfigs.set(bindings, config);
  }
  return config;
}
