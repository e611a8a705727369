import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../app-types.ts";
import type { ConfigVars } from "../env.ts";
import { secretsEqual } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";

type SecretName = "AGENT_API_KEY" | "SUPABASE_WEBHOOK_SECRET";

/**
 * Requires a shared secret in a header (`X-API-Key: <key>` or `Authorization: Bearer <key>`),
 * compared in constant time. A route whose secret is not configured answers 503, not 401.
 */
export function requireSecret(opts: { secret: SecretName; header: string; scheme?: "Bearer" }) {
  return createMiddleware<HonoEnv>(async (c, next) => {
    const expected = c.var.config.env[opts.secret satisfies keyof ConfigVars];
    if (!expected) {
      throw new AppError("NOT_CONFIGURED", `${opts.secret} is not set on the server, so this route is disabled`);
    }
    let presented = c.req.header(opts.header) ?? "";
    if (opts.scheme) {
      const prefix = `${opts.scheme} `;
      presented = presented.startsWith(prefix) ? presented.slice(prefix.length).trim() : "";
    }
    if (!presented || !(await secretsEqual(presented, expected))) {
      throw new AppError("UNAUTHORIZED", `missing or invalid ${opts.header} header`);
    }
    await next();
  });
}
