/** Middleware that admits a request carrying a configured shared secret (an API key header, or a Bearer token). */
import { bearerAuth } from "hono/bearer-auth";
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
  const refuse = (): never => {
    throw new AppError("UNAUTHORIZED", `missing or invalid ${opts.header} header`);
  };
  const expectedOf = (c: { var: HonoEnv["Variables"] }) => c.var.config.env[opts.secret satisfies keyof ConfigVars];
  // Hono's bearerAuth parses the scheme; every refusal is our one 401 (app.onError renders it), never its plain-text answer.
  const bearer = opts.scheme
    ? bearerAuth<HonoEnv>({
        prefix: opts.scheme,
        headerName: opts.header,
        verifyToken: async (token, c) => secretsEqual(token, expectedOf(c) ?? ""),
        noAuthenticationHeader: { message: refuse },
        invalidAuthenticationHeader: { message: refuse },
        invalidToken: { message: refuse },
      })
    : null;
  return createMiddleware<HonoEnv>(async (c, next) => {
    const expected = expectedOf(c);
    if (!expected) {
      throw new AppError("NOT_CONFIGURED", `${opts.secret} is not set on the server, so this route is disabled`);
    }
    if (bearer) return bearer(c, next);
    const presented = c.req.header(opts.header) ?? "";
    if (!presented || !(await secretsEqual(presented, expected))) refuse();
    await next();
  });
}
