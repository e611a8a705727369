/** Structured JSON logs (one object per line), with secrets redacted by key name. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVEL_RANK: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEY = /(key|token|secret|password|authorization|signature)$/i;

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
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

export function createLogger(minLevel: LogLevel | "silent" = "info", base: LogFields = {}): Logger {
  const emit = (level: LogLevel, action: string, fields: LogFields = {}) => {
    if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
    const line = JSON.stringify({
      timestamp: new Date().toISOString(),
      level: level.toUpperCase(),
      action,
      ...(redact({ ...base, ...fields }) as LogFields),
    });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (a, f) => emit("debug", a, f),
    info: (a, f) => emit("info", a, f),
    warn: (a, f) => emit("warn", a, f),
    error: (a, f) => emit("error", a, f),
    child: (fields) => createLogger(minLevel, { ...base, ...fields }),
  };
}
