import { createMiddleware } from "hono/factory";
import type { AppEnvironment } from "../app-types.ts";
import { verifyHmacSha256Hex } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";

/**
 * ClickUp signs each delivery: `X-Signature` = hex HMAC-SHA256 of the raw body with the webhook's
 * secret. Checked over the exact bytes, before anything parses them.
 */
export function clickupSignature() {
  return createMiddleware<AppEnvironment>(async (c, next) => {
    // The secret `npm run clickup:setup` stored, unless the environment sets one.
    const secret = c.var.config.env.CLICKUP_WEBHOOK_SECRET ?? (await c.var.clickupContext())?.settings?.webhook.secret;
    if (!secret) {
      throw new AppError("NOT_CONFIGURED", "no ClickUp webhook secret: set CLICKUP_WEBHOOK_SECRET or run npm run clickup:setup, so ClickUp webhooks are refused");
    }
    const signature = c.req.header("x-signature");
    if (!signature) throw new AppError("UNAUTHORIZED", "missing X-Signature header");
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!(await verifyHmacSha256Hex(secret, raw, signature))) {
      throw new AppError("UNAUTHORIZED", "X-Signature does not match the request body");
    }
    c.set("rawBody", raw);
    await next();
  });
}
