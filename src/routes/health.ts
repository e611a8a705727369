import { Hono } from "hono";
import type { HonoEnv } from "../app-types.ts";
import { type ClickUpRunContext, loadClickUpContext } from "../clickup/run-context.ts";
import { readWebhookHealth } from "../clickup/webhook-deliveries.ts";
import { clickUpWebhookHealth, type ClickUpWebhookHealth } from "../clickup/webhook-health.ts";
import { reportSecretMismatchOnce, SECRET_MISMATCH, type WebhookSecrets, webhookRouteStatus, webhookSecrets } from "../clickup/webhook-secret.ts";
import { createStore } from "../store/index.ts";
import { z } from "zod";
import { outreachConfigurationProblem, resolveOutreachSettings } from "../outreach/settings.ts";

type Vars = HonoEnv["Variables"];

/**
 * `GET /health`: up, and which providers and routes are configured (never their secrets), whether
 * ClickUp is set up, and the truth about the ClickUp webhook: which secret its route verifies with,
 * when it last accepted and refused a delivery, and ClickUp's own view of it. `errors` lists what
 * an admin must fix.
 */
export const health = new Hono<HonoEnv>().get("/health", async (c) => {
  const { env, providers, invalid } = c.var.config;
  // Read fresh (not the webhook's cached copy): an admin checks /health right after running setup.
  // The route itself may use the copy it read up to a minute before.
  const context = c.var.config.providers.database.configured ? await loadClickUpContext(createStore(c.var.config)).catch(() => null) : null;
  const secrets = webhookSecrets(env.CLICKUP_WEBHOOK_SECRET, context, c.var.config.providers.database.configured);
  reportSecretMismatchOnce(c.var.config, c.var.log, secrets);
  const [outreach, webhook] = await Promise.all([outreachStatus(c.var), clickupWebhook(c.var, c.env, context, secrets)]);
  const errors = [...(webhook.errors ?? []).map((e) => `POST /webhooks/clickup: ${e}`)];
  return c.json({
    status: "ok",
    environment: env.ENVIRONMENT,
    providers,
    clickup_setup: clickupSetup(c.var, context),
    clickup_webhook: webhook,
    outreach,
    // Run callbacks (callback_url): signed with their own secret, so they are off without it.
    callbacks: !env.CALLBACK_SIGNING_SECRET
      ? "disabled: CALLBACK_SIGNING_SECRET is not set (a request with callback_url answers 503)"
      : env.CALLBACK_ALLOWED_HOSTS ? "enabled" : "disabled: CALLBACK_ALLOWED_HOSTS is empty",
    routes: {
      "POST /webhooks/clickup": webhookRouteStatus(secrets),
      "POST /webhooks/supabase": env.SUPABASE_WEBHOOK_SECRET ? "enabled" : "disabled: SUPABASE_WEBHOOK_SECRET is not set",
      "POST /api/enrich-course": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "GET /api/jobs/:job_id": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "POST /webhooks/mailgun/*": env.MAILGUN_WEBHOOK_SIGNING_KEY ? "enabled" : "disabled: MAILGUN_WEBHOOK_SIGNING_KEY is not set",
      "GET|POST /unsubscribe/:token": env.UNSUBSCRIBE_SIGNING_SECRET ? "enabled" : "disabled: UNSUBSCRIBE_SIGNING_SECRET is not set",
    },
    ...(errors.length ? { errors } : {}),
    ...(invalid.length ? { invalid_configuration: invalid } : {}),
  });
});

/** With a ClickUp token, runs write to ClickUp only once `npm run clickup:setup` has stored valid settings: say which. */
function clickupSetup(vars: Vars, context: ClickUpRunContext | null): { status: "ok" | "not_set_up" | "unknown" | "disabled"; reason?: string } {
  if (!vars.config.providers.clickup.configured) return { status: "disabled", reason: "CLICKUP_API_TOKEN is not set: runs write nothing to ClickUp" };
  if (!context) return { status: "unknown", reason: "the database is not configured or not answering, so the ClickUp settings cannot be read" };
  if (!context.settings) return { status: "not_set_up", reason: `ClickUp not set up: ${context.settings_problem ?? "run npm run clickup:setup"}` };
  return { status: "ok" };
}

interface DeliveriesView {
  last_accepted_at: string | null;
  last_accepted_secret: "stored" | "configured" | null;
  accepted: number;
  last_refused_at: string | null;
  last_refused: { status: number; code: string | null; message: string | null } | null;
  refused: number;
  reason?: string;
}

interface WebhookView {
  status: "ok" | "error" | "disabled";
  /** Which secret the route verifies `X-Signature` with. */
  secret: "stored" | "configured" | "stored_and_configured" | "none";
  secret_note: string;
  /** Whether `npm run clickup:setup` has stored the webhook; null when the settings cannot be read. */
  set_up: boolean | null;
  webhook_id: string | null;
  deliveries: DeliveriesView;
  /** ClickUp's view (Get Webhooks), cached a minute. */
  clickup: ClickUpWebhookHealth | { status: "not_set_up"; reason: string };
  errors?: string[];
}

const CLICKUP_ANSWER_WAIT_MS = 10_000;

async function clickupWebhook(vars: Vars, bindings: HonoEnv["Bindings"], context: ClickUpRunContext | null, secrets: WebhookSecrets): Promise<WebhookView> {
  const settings = context?.settings ?? null;
  const [deliveries, clickup] = await Promise.all([
    deliveriesView(vars),
    settings
      ? withinTime(clickUpWebhookHealth(vars.config, bindings, settings, vars.log), CLICKUP_ANSWER_WAIT_MS, () => ({ status: "unknown", checked_at: new Date().toISOString(), reason: "ClickUp did not answer in time" }))
      : Promise.resolve({ status: "not_set_up" as const, reason: context ? "npm run clickup:setup has not run, so there is no webhook to ask ClickUp about" : "the stored settings cannot be read" }),
  ]);

  const errors: string[] = [];
  const failCount = "fail_count" in clickup ? clickup.fail_count : undefined;
  if (secrets.mismatch) errors.push(SECRET_MISMATCH);
  if (clickup.status === "failing") {
    errors.push(`ClickUp reports the webhook failing (fail_count ${failCount ?? "?"}): its deliveries were not answered 2xx within 7 s (see deliveries.last_refused); ClickUp drops an event after 5 attempts, and the hourly reconcile job picks up what was missed`);
  } else if (clickup.status === "suspended") {
    errors.push(`ClickUp has suspended the webhook (fail_count ${failCount ?? "?"}) and sends it nothing: the hourly reconcile job reactivates it (npm run reconcile runs it now)`);
  } else if (clickup.status === "missing") {
    errors.push(clickup.reason ?? "ClickUp has no webhook with the stored id");
  }

  const secret = secrets.mismatch ? "stored_and_configured" : secrets.stored === "present" ? "stored" : secrets.configured ? "configured" : "none";
  return {
    status: !secrets.accepted.length ? "disabled" : errors.length ? "error" : "ok",
    secret,
    secret_note: secretNote(secrets),
    set_up: secrets.stored === "unknown" ? null : !!settings,
    webhook_id: secrets.webhook_id,
    deliveries,
    clickup,
    ...(errors.length ? { errors } : {}),
  };
}

/** /health answers even when a cached question to ClickUp hangs (its request was cut short). */
async function withinTime<T>(value: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([value, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function secretNote(secrets: WebhookSecrets): string {
  if (secrets.mismatch) return "the secret npm run clickup:setup stored, and CLICKUP_WEBHOOK_SECRET, which differs from it (a configuration error)";
  if (secrets.stored === "present") return secrets.configured ? "the secret npm run clickup:setup stored (CLICKUP_WEBHOOK_SECRET is the same)" : "the secret npm run clickup:setup stored";
  if (secrets.configured) {
    return secrets.stored === "unknown" ? "CLICKUP_WEBHOOK_SECRET (the stored settings cannot be read)" : "CLICKUP_WEBHOOK_SECRET (npm run clickup:setup has not run)";
  }
  return secrets.stored === "unknown" ? "none: CLICKUP_WEBHOOK_SECRET is not set and the stored settings cannot be read" : "none: run npm run clickup:setup";
}

async function deliveriesView(vars: Vars): Promise<DeliveriesView> {
  const empty: DeliveriesView = { last_accepted_at: null, last_accepted_secret: null, accepted: 0, last_refused_at: null, last_refused: null, refused: 0 };
  if (!vars.config.providers.database.configured) return { ...empty, reason: "the database is not configured, so deliveries are not recorded" };
  const row = await readWebhookHealth(createStore(vars.config), "clickup").catch(() => undefined);
  if (row === undefined) return { ...empty, reason: "the database is not answering" };
  if (row === null) return { ...empty, reason: "no delivery has reached this route yet" };
  return {
    last_accepted_at: row.last_accepted_at,
    last_accepted_secret: row.last_accepted_secret,
    accepted: row.accepted_count,
    last_refused_at: row.last_refused_at,
    last_refused: row.last_refused_status === null ? null : { status: row.last_refused_status, code: row.last_refused_code, message: row.last_refused_message },
    refused: row.refused_count,
  };
}

/** Whether a lead moved to "contacted" can get its emails, and if not, what an admin must set. */
async function outreachStatus(vars: Vars): Promise<{ status: "ok" | "disabled" | "unknown"; reason?: string; demo_mode?: boolean; problems?: string[] }> {
  const stored = vars.config.providers.database.configured
    ? await createStore(vars.config).call("get_outreach_settings", {}, z.object({ settings: z.unknown().nullable() })).catch(() => null)
    : null;
  if (!stored) return { status: "unknown", reason: "the database is not configured or not answering, so the outreach settings cannot be read" };
  const { settings, problems } = resolveOutreachSettings(vars.config.env, stored.settings);
  const problem = outreachConfigurationProblem(vars.config.env, settings, settings.defaultSender ?? undefined);
  return {
    status: problem ? "disabled" : "ok",
    ...(problem ? { reason: problem } : {}),
    ...(settings.demo ? { demo_mode: true } : {}),
    ...(problems.length ? { problems } : {}),
  };
}
