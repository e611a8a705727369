// `npm run mailgun:setup`: points Mailgun's inbound route and event webhooks at the deployed app.
//
// Inputs (environment, then .dev.vars): MAILGUN_API_KEY, MAILGUN_DOMAIN (required), MAILGUN_BASE_URL
// (default https://api.mailgun.net; https://api.eu.mailgun.net for an EU domain), APP_URL (the deployed
// Worker), OUTREACH_REPLY_TO (default reply@<MAILGUN_DOMAIN>), MAILGUN_WEBHOOK_SIGNING_KEY (only
// checked for: the app verifies every callback with it).
//
// Idempotent. It finds, or creates, or updates:
//   - the route  match_recipient("<reply-to>")  →  forward("<APP_URL>/webhooks/mailgun/inbound"), stop()
//     (routes: https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Routes/);
//   - the domain webhooks permanent_fail, complained, unsubscribed, delivered → <APP_URL>/webhooks/mailgun/events
//     (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/domain-webhooks). A webhook's
//     other URLs are kept, except earlier deployments of this app (same path); Mailgun allows 3 per webhook.
// A second run makes no write.
//
// Output: a readable summary, then one JSON line (never the API key).
// Exit code: 0 everything is in place; 2 manual steps remain (listed); 1 an error.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";

export const DEFAULT_MAILGUN_BASE_URL = "https://api.mailgun.net";
export const INBOUND_PATH = "/webhooks/mailgun/inbound";
export const EVENTS_PATH = "/webhooks/mailgun/events";
/** The events the app acts on: bounces, complaints and unsubscribes stop a sequence; deliveries are recorded. */
export const MAILGUN_WEBHOOKS = ["permanent_fail", "complained", "unsubscribed", "delivered"] as const;

type Outcome = "created" | "updated" | "unchanged";

export interface MailgunSetupReport {
  status: "complete" | "incomplete" | "error";
  exit_code: 0 | 1 | 2;
  domain: string | null;
  reply_to: string | null;
  route: { id: string; outcome: Outcome } | null;
  webhooks: Partial<Record<(typeof MAILGUN_WEBHOOKS)[number], Outcome>>;
  manual_steps: string[];
  warnings: string[];
  requests: { get: number; post: number; put: number };
  error?: string;
}

export interface MailgunSetupOptions {
  /** The environment (the CLI merges process.env over .dev.vars). */
  env: Record<string, string | undefined>;
  /** Where the summary goes, line by line (default console.log). */
  print?: (line: string) => void;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

class SetupError extends Error {}

interface Route {
  id: string;
  priority?: number;
  description?: string;
  expression: string;
  actions: string[];
}

/** Quotes and spacing do not change a Mailgun expression or action; compare without them. */
const normalize = (s: string): string => s.replace(/'/g, '"').replace(/\s+/g, "").toLowerCase();

export async function runMailgunSetup(options: MailgunSetupOptions): Promise<{ exitCode: 0 | 1 | 2; report: MailgunSetupReport }> {
  const print = options.print ?? ((line: string) => console.log(line));
  const env = options.env;
  const report: MailgunSetupReport = { status: "error", exit_code: 1, domain: null, reply_to: null, route: null, webhooks: {}, manual_steps: [], warnings: [], requests: { get: 0, post: 0, put: 0 } };
  const lines: string[] = [];
  const say = (line: string): void => void lines.push(line);
  const apiKey = env.MAILGUN_API_KEY?.trim() ?? "";
  const finish = (): { exitCode: 0 | 1 | 2; report: MailgunSetupReport } => {
    // Never print the key, whatever a message may contain.
    const redact = (s: string): string => (apiKey ? s.split(apiKey).join("[redacted]") : s);
    for (const line of lines) print(redact(line));
    print(redact(JSON.stringify({ action: "mailgun_setup", ...report })));
    return { exitCode: report.exit_code, report };
  };

  const domain = env.MAILGUN_DOMAIN?.trim();
  if (!apiKey || !domain) {
    report.error = `${!apiKey ? "MAILGUN_API_KEY" : "MAILGUN_DOMAIN"} is not set (in the environment or .dev.vars)`;
    say(`Mailgun setup failed: ${report.error}`);
    return finish();
  }
  report.domain = domain;
  const replyTo = env.OUTREACH_REPLY_TO?.trim() || `reply@${domain}`;
  report.reply_to = replyTo;
  const appUrl = env.APP_URL?.trim();
  if (!appUrl || !URL.canParse(appUrl) || !/^https?:$/.test(new URL(appUrl).protocol)) {
    report.manual_steps.push(
      appUrl
        ? `APP_URL "${appUrl}" is not an http(s) URL: set it to the deployed Worker's URL and run setup again.`
        : `Set APP_URL to the deployed Worker's URL (e.g. https://golf-outreach.<account>.workers.dev) and run setup again: Mailgun posts to <APP_URL>${INBOUND_PATH} and <APP_URL>${EVENTS_PATH}.`,
    );
    report.status = "incomplete";
    report.exit_code = 2;
    say(`Mailgun setup: nothing changed. ${report.manual_steps[0]}`);
    return finish();
  }
  const app = appUrl.replace(/\/+$/, "");
  const inboundUrl = `${app}${INBOUND_PATH}`;
  const eventsUrl = `${app}${EVENTS_PATH}`;
  if (new URL(app).protocol !== "https:" && !/^(127\.|localhost$|\[::1\]$)/.test(new URL(app).hostname)) report.warnings.push(`${app} is not https: Mailgun would post replies and events in the clear`);
  if (!env.MAILGUN_WEBHOOK_SIGNING_KEY?.trim()) {
    report.warnings.push("MAILGUN_WEBHOOK_SIGNING_KEY is not set: the app refuses Mailgun's callbacks until it has the account's HTTP webhook signing key (shown in Mailgun's control panel beside the API keys)");
  }

  const base = (env.MAILGUN_BASE_URL?.trim() || DEFAULT_MAILGUN_BASE_URL).replace(/\/+$/, "");
  const authorization = `Basic ${Buffer.from(`api:${apiKey}`).toString("base64")}`;
  const doFetch = options.fetch ?? fetch;
  /** One Mailgun call; forms are urlencoded (the docs' multipart/form-data is one of the two encodings Mailgun takes). */
  const api = async <T>(method: "GET" | "POST" | "PUT", path: string, form?: Array<[string, string]>): Promise<T> => {
    report.requests[method.toLowerCase() as "get" | "post" | "put"]++;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: { authorization, accept: "application/json", ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      // A write that timed out may have happened: running setup again finds it.
      throw new SetupError(`${method} ${path}: ${error instanceof Error && error.name === "TimeoutError" ? "timed out" : `network error: ${error instanceof Error ? error.message : String(error)}`}`);
    }
    const text = await res.text();
    if (!res.ok) {
      const hint =
        res.status === 401
          ? " (check MAILGUN_API_KEY, and MAILGUN_BASE_URL: an EU domain answers at https://api.eu.mailgun.net)"
          : res.status === 404 && path.includes("/domains/")
            ? ` (is ${domain} a domain of this account, in this region?)`
            : "";
      throw new SetupError(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}${hint}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SetupError(`${method} ${path}: HTTP ${res.status} with a body that is not JSON`);
    }
  };

  try {
    // ---- the inbound route (routes belong to the account, so they are listed page by page)
    const expression = `match_recipient("${replyTo}")`;
    const actions = [`forward("${inboundUrl}")`, "stop()"];
    const description = `golf-outreach: replies to ${replyTo}`;
    const routes: Route[] = [];
    for (let skip = 0; ; skip += 100) {
      const page = await api<{ total_count?: number; items?: Route[] }>("GET", `/v3/routes?skip=${skip}&limit=100`);
      const items = page.items ?? [];
      routes.push(...items);
      if (items.length < 100 || routes.length >= (page.total_count ?? Infinity)) break;
    }
    const ours = routes.filter((r) => normalize(r.expression ?? "") === normalize(expression));
    if (ours.length > 1) report.warnings.push(`${ours.length} routes match ${expression} (${ours.map((r) => r.id).join(", ")}): the first is kept up to date; delete the others in Mailgun`);
    const found = ours[0];
    if (!found) {
      const created = await api<{ route?: Route }>("POST", "/v3/routes", [["priority", "0"], ["description", description], ["expression", expression], ...actions.map((a): [string, string] => ["action", a])]);
      report.route = { id: created.route?.id ?? "?", outcome: "created" };
    } else if (normalize((found.actions ?? []).join(",")) !== normalize(actions.join(","))) {
      await api("PUT", `/v3/routes/${encodeURIComponent(found.id)}`, [["description", description], ...actions.map((a): [string, string] => ["action", a])]);
      report.route = { id: found.id, outcome: "updated" };
    } else report.route = { id: found.id, outcome: "unchanged" };

    // ---- the domain webhooks
    const listed = await api<{ webhooks?: Record<string, { urls?: string[]; url?: string } | undefined> }>("GET", `/v3/domains/${encodeURIComponent(domain)}/webhooks`);
    for (const name of MAILGUN_WEBHOOKS) {
      const entry = listed.webhooks?.[name];
      // `urls` is the current shape; a single `url` is the shape of the deprecated webhooks API.
      const current = entry?.urls ?? (entry?.url ? [entry.url] : undefined);
      if (!current || current.length === 0) {
        await api("POST", `/v3/domains/${encodeURIComponent(domain)}/webhooks`, [["id", name], ["url", eventsUrl]]);
        report.webhooks[name] = "created";
        continue;
      }
      if (current.includes(eventsUrl)) {
        report.webhooks[name] = "unchanged";
        continue;
      }
      const kept = current.filter((u) => !(URL.canParse(u) && new URL(u).pathname === EVENTS_PATH));
      if (kept.length >= 3) {
        report.manual_steps.push(`Webhook ${name} of ${domain} already has 3 URLs (${kept.join(", ")}), Mailgun's maximum: remove one in Mailgun, then run setup again.`);
        continue;
      }
      await api("PUT", `/v3/domains/${encodeURIComponent(domain)}/webhooks/${name}`, [...kept, eventsUrl].map((u): [string, string] => ["url", u]));
      report.webhooks[name] = "updated";
    }

    report.status = report.manual_steps.length === 0 ? "complete" : "incomplete";
    report.exit_code = report.manual_steps.length === 0 ? 0 : 2;
    say(`Mailgun setup: domain ${domain} (${base})`);
    say(`  ✓ route ${report.route.id} (${report.route.outcome}): ${expression} → ${actions.join(", ")}`);
    for (const name of MAILGUN_WEBHOOKS) say(`  ${report.webhooks[name] ? "✓" : "✗"} webhook ${name} → ${eventsUrl}${report.webhooks[name] ? ` (${report.webhooks[name]})` : ""}`);
    for (const w of report.warnings) say(`  ! ${w}`);
    report.manual_steps.forEach((s, i) => say(`  ${i + 1}. ${s}`));
    say(`Mailgun requests: ${report.requests.get} GET, ${report.requests.post} POST, ${report.requests.put} PUT.`);
    say(report.exit_code === 0 ? "Mailgun is ready for the app." : "Mailgun is not ready yet (exit code 2).");
  } catch (error) {
    report.status = "error";
    report.exit_code = 1;
    report.error = error instanceof SetupError ? error.message : `unexpected: ${error instanceof Error ? error.message : String(error)}`;
    say(`Mailgun setup failed: ${report.error}`);
  }
  return finish();
}

if (import.meta.main) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const devVarsPath = join(root, ".dev.vars");
  const devVars = existsSync(devVarsPath) ? parseEnv(readFileSync(devVarsPath, "utf8")) : {};
  const { exitCode } = await runMailgunSetup({ env: { ...devVars, ...process.env } });
  process.exitCode = exitCode;
}
