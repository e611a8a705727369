import { Hono } from "hono";
import type { AppEnvironment } from "../app-types.ts";
import { loadClickUpContext } from "../clickup/clickup-sync.ts";
import { createStore } from "../store/index.ts";
import { z } from "zod";
import { outreachConfigurationProblem, resolveOutreachSettings } from "../outreach/settings.ts";

/** `GET /health`: up, and which providers and routes are configured (never their secrets), and whether ClickUp is set up. */
export const health = new Hono<AppEnvironment>().get("/health", async (c) => {
  const { env, providers, invalid } = c.var.config;
  return c.json({
    status: "ok",
    environment: env.ENVIRONMENT,
    providers,
    clickup_setup: await clickupSetup(c.var),
    outreach: await outreachStatus(c.var),
    routes: {
      "POST /webhooks/clickup": env.CLICKUP_WEBHOOK_SECRET ? "enabled" : "disabled: CLICKUP_WEBHOOK_SECRET is not set",
      "POST /webhooks/supabase": env.SUPABASE_WEBHOOK_SECRET ? "enabled" : "disabled: SUPABASE_WEBHOOK_SECRET is not set",
      "POST /api/enrich-course": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "GET /api/jobs/:job_id": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "POST /webhooks/mailgun/*": env.MAILGUN_WEBHOOK_SIGNING_KEY ? "enabled" : "disabled: MAILGUN_WEBHOOK_SIGNING_KEY is not set",
      "GET|POST /unsubscribe/:token": env.UNSUBSCRIBE_SIGNING_SECRET ? "enabled" : "disabled: UNSUBSCRIBE_SIGNING_SECRET is not set",
    },
    ...(invalid.length ? { invalid_configuration: invalid } : {}),
  });
});

/** With a ClickUp token, runs write to ClickUp only once `npm run clickup:setup` has stored valid settings: say which. */
async function clickupSetup(vars: AppEnvironment["Variables"]): Promise<{ status: "ok" | "not_set_up" | "unknown" | "disabled"; reason?: string }> {
  if (!vars.config.providers.clickup.configured) return { status: "disabled", reason: "CLICKUP_API_TOKEN is not set: runs write nothing to ClickUp" };
  // Read fresh (not the webhook's cached copy): an admin checks /health right after running setup.
  const context = vars.config.providers.database.configured ? await loadClickUpContext(createStore(vars.config)).catch(() => null) : null;
  if (!context) return { status: "unknown", reason: "the database is not configured or not answering, so the ClickUp settings cannot be read" };
  if (!context.settings) return { status: "not_set_up", reason: `ClickUp not set up: ${context.settings_problem ?? "run npm run clickup:setup"}` };
  return { status: "ok" };
}

/** Whether a lead moved to "contacted" can get its emails, and if not, what an admin must set. */
async function outreachStatus(vars: AppEnvironment["Variables"]): Promise<{ status: "ok" | "disabled" | "unknown"; reason?: string; demo_mode?: boolean; problems?: string[] }> {
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
