import { Hono } from "hono";
import type { AppEnvironment } from "../app-types.ts";
import { loadClickUpContext } from "../clickup/clickup-sync.ts";
import { createStore } from "../store/index.ts";

/** `GET /health`: up, and which providers and routes are configured (never their secrets), and whether ClickUp is set up. */
export const health = new Hono<AppEnvironment>().get("/health", async (c) => {
  const { env, providers, invalid } = c.var.config;
  return c.json({
    status: "ok",
    environment: env.ENVIRONMENT,
    providers,
    clickup_setup: await clickupSetup(c.var),
    routes: {
      "POST /webhooks/clickup": env.CLICKUP_WEBHOOK_SECRET ? "enabled" : "disabled: CLICKUP_WEBHOOK_SECRET is not set",
      "POST /webhooks/supabase": env.SUPABASE_WEBHOOK_SECRET ? "enabled" : "disabled: SUPABASE_WEBHOOK_SECRET is not set",
      "POST /api/enrich-course": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "GET /api/jobs/:job_id": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
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
