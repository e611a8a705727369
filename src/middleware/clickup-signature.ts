import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import type { HonoEnv } from "../app-types.ts";
import { type DeliveryOutcome, recordWebhookDelivery } from "../clickup/webhook-deliveries.ts";
import { reportSecretMismatchOnce, type WebhookSecretSource, webhookSecrets, webhookSettings } from "../clickup/webhook-secret.ts";
import { verifyHmacSha256Hex } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";
import { createStore } from "../store/index.ts";

/**
 * ClickUp signs each delivery: `X-Signature` = hex HMAC-SHA256 of the raw body with the webhook's
 * secret. Checked over the exact bytes, before anything parses them, against the secrets the rule in
 * src/clickup/webhook-secret.ts accepts (setup's stored secret, and CLICKUP_WEBHOOK_SECRET); the
 * settings read is bounded and its failure falls back to the last stored secret read, so the check
 * never waits on a database that is down. The settings read is handed to the handler
 * (`clickupWebhookSettings`). Every delivery's outcome (accepted: answered 2xx; refused: anything
 * else) is recorded for /health.
 */
export function clickupSignature() {
  return createMiddleware<HonoEnv>(async (c, next) => {
    const { config, log } = c.var;
    const settings = await webhookSettings(config, log);
    c.set("clickupWebhookSettings", settings);
    const secrets = webhookSecrets(config.env.CLICKUP_WEBHOOK_SECRET, settings.context, config.providers.database.configured);
    reportSecretMismatchOnce(config, log, secrets);
    let signedWith: WebhookSecretSource;
    try {
      if (!secrets.accepted.length) {
        throw new AppError("NOT_CONFIGURED", "no ClickUp webhook secret: run npm run clickup:setup (or set CLICKUP_WEBHOOK_SECRET), so ClickUp webhooks are refused");
      }
      const signature = c.req.header("x-signature");
      if (!signature) throw new AppError("UNAUTHORIZED", "missing X-Signature header");
      const raw = new Uint8Array(await c.req.arrayBuffer());
      let matched: WebhookSecretSource | null = null;
      for (const { source, secret } of secrets.accepted) {
        if (await verifyHmacSha256Hex(secret, raw, signature)) {
          matched = source;
          break;
        }
      }
      if (!matched) throw new AppError("UNAUTHORIZED", "X-Signature does not match the request body");
      signedWith = matched;
      c.set("rawBody", raw);
    } catch (error) {
      const refusal = error instanceof AppError ? error : null;
      record(c, { kind: "refused", at: Date.now(), status: refusal?.status ?? 500, code: refusal?.code ?? null, message: refusal?.message ?? null });
      throw error;
    }
    await next();
    // The handler's own failures (a bad envelope, a 5xx) reach ClickUp as failed deliveries too.
    const failure = c.error instanceof AppError ? c.error : null;
    record(
      c,
      c.res.status < 300
        ? { kind: "accepted", at: Date.now(), secret: signedWith }
        : { kind: "refused", at: Date.now(), status: c.res.status, code: failure?.code ?? null, message: failure?.message ?? null },
    );
  });
}

function record(c: Context<HonoEnv>, outcome: DeliveryOutcome): void {
  const { config, log } = c.var;
  const write = recordWebhookDelivery(config, () => createStore(config), log, "clickup", outcome);
  if (!write) return;
  try {
    c.executionCtx.waitUntil(write);
  } catch {
    // No execution context (a bare app.fetch): the write runs on its own.
  }
}
