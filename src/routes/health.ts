import { Hono } from "hono";
import type { AppEnvironment } from "../app-types.ts";

/** `GET /health`: up, and which providers and routes are configured (never their secrets). */
export const health = new Hono<AppEnvironment>().get("/health", (c) => {
  const { env, providers, invalid } = c.var.config;
  return c.json({
    status: "ok",
    environment: env.ENVIRONMENT,
    providers,
    routes: {
      "POST /webhooks/clickup": env.CLICKUP_WEBHOOK_SECRET ? "enabled" : "disabled: CLICKUP_WEBHOOK_SECRET is not set",
      "POST /webhooks/supabase": env.SUPABASE_WEBHOOK_SECRET ? "enabled" : "disabled: SUPABASE_WEBHOOK_SECRET is not set",
      "POST /api/enrich-course": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
      "GET /api/jobs/:job_id": env.AGENT_API_KEY ? "enabled" : "disabled: AGENT_API_KEY is not set",
    },
    ...(invalid.length ? { invalid_configuration: invalid } : {}),
  });
});
