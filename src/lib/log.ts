/** Structured JSON logs (one object per line), with secrets redacted by exact field name and by value. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVEL_RANK: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Fields whose value is a credential wherever they appear (compared lower-cased, exactly: a pattern
 * like /key$/ also blanked `dedupe_key` and `call_key`, which an operator needs). The configuration's
 * own secrets are blanked by value as well (see createLogger), so a field not named here leaks nothing.
 */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-signature", "cf-access-jwt-assertion",
  "api_key", "apikey", "password", "secret", "token", "signature", "access_token", "refresh_token", "client_secret",
  "webhook_secret", "signing_key", "csrf_token",
  // The configuration's secret variables (src/env.ts SECRET_VARIABLES), by name and lower-cased.
  "anthropic_api_key", "clickup_api_token", "clickup_webhook_secret", "hunter_api_key", "perplexity_api_key", "jina_api_key",
  "mailgun_api_key", "mailgun_webhook_signing_key", "supabase_service_role_key", "database_url", "agent_api_key",
  "supabase_webhook_secret", "callback_signing_secret", "admin_api_key", "unsubscribe_signing_secret",
]);

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(action: string, fields?: LogFields): void;
  info(action: string, fields?: LogFields): void;
  warn(action: string, fields?: LogFields): void;
  error(action: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k.toLowerCase()) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/** Blanks every secret value in a serialized line (an error message may quote a URL or a header). */
function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    // Short values ("1", "true") would blank ordinary text; no real secret is that short.
    if (secret.length < 6) continue;
    const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
    for (const form of forms) if (out.includes(form)) out = out.split(form).join("[redacted]");
  }
  return out;
}

/** `secrets`: the configured secret values (AppConfig.secrets), blanked wherever they appear in a line. */
export function createLogger(minLevel: LogLevel | "silent" = "info", base: LogFields = {}, secrets: readonly string[] = []): Logger {
  const emit = (level: LogLevel, action: string, fields: LogFields = {}) => {
    if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
    const line = scrub(
      JSON.stringify({
        timestamp: new Date().toISOString(),
        level: level.toUpperCase(),
        action,
        ...(redact({ ...base, ...fields }) as LogFields),
      }),
      secrets,
    );
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (a, f) => emit("debug", a, f),
    info: (a, f) => emit("info", a, f),
    warn: (a, f) => emit("warn", a, f),
    error: (a, f) => emit("error", a, f),
    child: (fields) => createLogger(minLevel, { ...base, ...fields }, secrets),
  };
}
