// No secret value of the configuration ever appears in a log line: every secret variable of the env
// schema set to a recognizable value, logged every way code tends to log things (by its own name, in a
// headers object, inside an error message, a URL, nested), then every captured line scanned.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigSchema, parseConfig, SECRET_VARIABLES } from "../../../src/env.ts";
import { createLogger } from "../../../src/lib/log.ts";

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const method of ["log", "warn", "error"] as const) vi.spyOn(console, method).mockImplementation((line: unknown) => void lines.push(String(line)));
});
afterEach(() => vi.restoreAllMocks());

const recognizable = (name: string) => (name === "DATABASE_URL" ? "postgres://golf:pw-DATABASE-URL-3f9a@db.internal:5432/golf" : `sk-${name}-value-7c1e`);

describe("log redaction", () => {
  it("SECRET_VARIABLES names every variable of the env schema that holds a key, token, secret or connection string", () => {
    const looksSecret = Object.keys(ConfigSchema.shape).filter((name) => /KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL|SIGNING/.test(name));
    expect([...SECRET_VARIABLES].sort()).toEqual(looksSecret.sort());
  });

  it("no configured secret value appears in any line, however it is logged", () => {
    const bindings = Object.fromEntries(SECRET_VARIABLES.map((name) => [name, recognizable(name)]));
    const config = parseConfig({ ...bindings, LOG_LEVEL: "debug" });
    expect(config.secrets).toHaveLength(SECRET_VARIABLES.length);
    const log = createLogger("debug", { request_id: "r-1" }, config.secrets).child({ component: "test" });
    for (const name of SECRET_VARIABLES) {
      const value = recognizable(name);
      log.info("by_variable_name", { [name]: value, [name.toLowerCase()]: value });
      log.warn("in_headers", { headers: { authorization: `Bearer ${value}`, "x-api-key": value, "x-signature": value } });
      log.error("in_an_error", { error: new Error(`request to https://api.example.com/v2/x?api_key=${encodeURIComponent(value)} failed: ${value}`) });
      log.debug("nested_and_quoted", { request: { url: `https://api.example.com/?key=${value}`, body: JSON.stringify({ token: value }) }, note: `"${value}"` });
      log.info("under_an_innocent_name", { detail: value, list: [value] });
    }
    expect(lines.length).toBe(SECRET_VARIABLES.length * 5);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      for (const name of SECRET_VARIABLES) expect(line, name).not.toContain(recognizable(name));
    }
  });

  it("fields that only end like a secret are kept: dedupe_key, call_key, name_key, idempotency_key", () => {
    const log = createLogger("info", {}, []);
    log.info("keys_an_operator_needs", { dedupe_key: "clickup:wh-1:taskCreated:h-1", call_key: "A3.research:ana-lopez", name_key: "richmond|va", idempotency_key: "abc" });
    expect(JSON.parse(lines[0]!)).toMatchObject({ dedupe_key: "clickup:wh-1:taskCreated:h-1", call_key: "A3.research:ana-lopez", name_key: "richmond|va", idempotency_key: "abc" });
  });

  it("credential fields are blanked by exact name, whatever their value", () => {
    const log = createLogger("info", {}, []);
    log.info("headers", { authorization: "Bearer abc", Cookie: "s=1", "X-Api-Key": "k", password: "p", api_key: "q" });
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: "[redacted]", Cookie: "[redacted]", "X-Api-Key": "[redacted]", password: "[redacted]", api_key: "[redacted]" });
  });
});
