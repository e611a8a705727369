import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { HonoEnv } from "./app-types.ts";
import { configFor } from "./env.ts";
import { AppError, type ErrorCode } from "./lib/errors.ts";
import { createLogger } from "./lib/log.ts";
import { clickupWebhook } from "./routes/clickup-webhook.ts";
import { enrichCourse } from "./routes/enrich-course.ts";
import { health } from "./routes/health.ts";
import { jobs } from "./routes/jobs.ts";
import { supabaseWebhook } from "./routes/supabase-webhook.ts";
import { mailgunWebhooks } from "./routes/mailgun-webhooks.ts";
import { unsubscribe } from "./routes/unsubscribe.ts";
import { contacts } from "./routes/contacts.ts";
import { freshness } from "./routes/freshness.ts";
import { admin } from "./routes/admin.ts";
import { alerts } from "./routes/alerts.ts";
import { imports } from "./routes/imports.ts";
import { createCoordinators } from "./services/coordinators.ts";
import { cachedClickUpContext } from "./clickup/run-context.ts";
import { createStore } from "./store/index.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const loggedConfigs = new WeakSet<object>();

/** Maps errors raised by Hono itself (malformed JSON in a validator, etc.) onto our codes. */
function fromHttpException(error: HTTPException): AppError {
  const byStatus: Partial<Record<number, ErrorCode>> = { 400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE" };
  const code = byStatus[error.status] ?? (error.status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
  return new AppError(code, error.message || "bad request");
}

export function createApp() {
  const app = new Hono<HonoEnv>();

  app.use(async (c, next) => {
    const config = configFor(c.env);
    const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
    const log = createLogger(config.env.LOG_LEVEL, { request_id: requestId }, config.secrets);
    if (!loggedConfigs.has(c.env)) {
      loggedConfigs.add(c.env);
      for (const [name, provider] of Object.entries(config.providers)) {
        if (!provider.configured) log.warn("provider_disabled", { provider: name, reason: provider.reason });
      }
      for (const bad of config.invalid) log.error("invalid_configuration", bad);
    }
    c.set("config", config);
    c.set("log", log);
    c.set("requestId", requestId);
    c.set("coordinators", createCoordinators(c.env));
    c.set("clickupContext", async () => {
      if (!config.providers.database.configured) return null;
      try {
        return await cachedClickUpContext(config, () => createStore(config));
      } catch (error) {
        log.warn("clickup_settings_unavailable", { error });
        return null;
      }
    });
    await next();
  });

  const defaultBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });
  // A CSV import has its own, larger limit (src/routes/imports.ts).
  app.use((c, next) => (c.req.method === "POST" && c.req.path === "/api/imports" ? next() : defaultBodyLimit(c, next)));

  app.route("/", health);
  app.route("/", clickupWebhook);
  app.route("/", supabaseWebhook);
  app.route("/", enrichCourse);
  app.route("/", jobs);
  app.route("/", mailgunWebhooks);
  app.route("/", unsubscribe);
  app.route("/", contacts);
  app.route("/", imports);
  app.route("/", freshness);
  app.route("/", admin);
  app.route("/", alerts);

  app.notFound((c) => c.json(new AppError("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  app.onError((error, c) => {
    const appError =
      error instanceof AppError
        ? error
        : error instanceof HTTPException
          ? fromHttpException(error)
          : new AppError("INTERNAL_ERROR", "internal error; see the logs for this request id", { request_id: c.var.requestId });
    const log = c.var.log ?? createLogger();
    if (appError.status >= 500) log.error("request_failed", { path: c.req.path, error });
    else log.info("request_refused", { path: c.req.path, code: appError.code, message: appError.message });
    return c.json(appError.toBody(), appError.status);
  });

  return app;
}
