// The few lines `npm start` prints once the Worker answers: what is configured, what is missing, and
// the one command to run next. Built from the Worker's own GET /health (what the Worker sees, not
// what this script guesses from .dev.vars). Pure: test/node/startup-summary.test.ts.
import { z } from "zod";

const Reasoned = z.looseObject({ status: z.string(), reason: z.string().optional() });

/** The parts of GET /health the summary reads; anything else is ignored. */
export const HealthForSummary = z.looseObject({
  providers: z.record(z.string(), z.looseObject({ configured: z.boolean(), reason: z.string().optional() })),
  clickup_setup: Reasoned.optional(),
  clickup_webhook: z
    .looseObject({
      status: z.string(),
      secret: z.string(),
      secret_note: z.string().optional(),
      deliveries: z.looseObject({ last_accepted_at: z.string().nullable(), last_refused_at: z.string().nullable() }).optional(),
      clickup: Reasoned.extend({ fail_count: z.number().optional() }).optional(),
    })
    .optional(),
  outreach: Reasoned.optional(),
  routes: z.record(z.string(), z.string()).optional(),
  errors: z.array(z.string()).optional(),
  invalid_configuration: z.array(z.looseObject({ variable: z.string(), message: z.string() })).optional(),
});
export type HealthForSummary = z.infer<typeof HealthForSummary>;

/** What to run (or change) next: the first thing that stands between the admin and a working loop. */
export function nextStep(health: HealthForSummary, url: string): string {
  const providers = health.providers;
  if (health.invalid_configuration?.length) {
    return `fix ${health.invalid_configuration.map((v) => v.variable).join(", ")} in .dev.vars (ignored as invalid), then npm start again`;
  }
  if (health.clickup_webhook?.secret === "stored_and_configured") return "remove CLICKUP_WEBHOOK_SECRET from .dev.vars (npm run clickup:setup stored the webhook's secret), then npm start again";
  if (!providers.clickup?.configured) return "set CLICKUP_API_TOKEN (and CLICKUP_TEAM_ID) in .dev.vars (see .dev.vars.example), then npm start again; or try everything against the emulators: npm start -- --sandbox";
  if (health.clickup_setup?.status === "not_set_up") return "npm run clickup:setup (with CLICKUP_SPACE_ID and APP_URL in .dev.vars)";
  if (!providers.anthropic?.configured) return "set ANTHROPIC_API_KEY in .dev.vars (every agent needs it), then npm start again";
  const hook = health.clickup_webhook?.clickup?.status;
  if (hook === "suspended" || hook === "failing" || hook === "missing") return "npm run reconcile (repairs the ClickUp webhook and picks up the events it missed)";
  if (health.routes?.["POST /api/enrich-course"]?.startsWith("disabled")) return "set AGENT_API_KEY in .dev.vars (the API's X-API-Key), then npm start again";
  if (health.outreach?.status === "disabled") return `for outreach emails: ${health.outreach.reason ?? "see outreach in /health"}`;
  return `create a task in the ClickUp Intake list ("Course name, ST"), or: curl -X POST ${url}/api/enrich-course -H "X-API-Key: $AGENT_API_KEY" -H "content-type: application/json" -d '{"course_name":"Pinehurst No. 2","state":"NC"}'`;
}

/** How the dashboard is signed into: the sandbox's demo key (shown), "ADMIN_API_KEY" (set, not shown), or null (not set). */
export interface DashboardSignIn {
  signIn: string | null;
}

function dashboardLine(url: string, dashboard: DashboardSignIn | undefined): string | null {
  if (!dashboard) return null;
  if (dashboard.signIn === null) return `${url}/admin (set ADMIN_API_KEY in .dev.vars to sign in)`;
  if (dashboard.signIn === "ADMIN_API_KEY") return `${url}/admin (sign in with ADMIN_API_KEY from .dev.vars)`;
  return `${url}/admin (sign in with the key ${dashboard.signIn})`;
}

/** The human summary, a few lines; `health` is GET /health's body (checked here). */
export function startupSummary(body: unknown, url: string, dashboard?: DashboardSignIn): string {
  const parsed = HealthForSummary.safeParse(body);
  if (!parsed.success) return `Golf Outreach is running at ${url}, but its /health answer could not be read: open ${url}/health`;
  const health = parsed.data;
  const entries = Object.entries(health.providers);
  const configured = entries.filter(([, p]) => p.configured).map(([name]) => name);
  const missing = entries.filter(([, p]) => !p.configured).map(([name, p]) => `${name} (${p.reason ?? "not configured"})`);
  // A route in error is listed under ERROR (health.errors) already.
  const routesOff = Object.entries(health.routes ?? {}).filter(([, status]) => status.startsWith("disabled"));

  const lines = [`Golf Outreach is ready at ${url} (details: ${url}/health)`];
  const row = (label: string, text: string) => lines.push(`  ${`${label}:`.padEnd(12)}${text}`);
  row("configured", configured.length ? configured.join(", ") : "no provider");
  if (missing.length) row("missing", missing.join("; "));
  const setup = health.clickup_setup;
  if (setup) row("ClickUp", setup.status === "ok" ? "set up (npm run clickup:setup has run)" : setup.status === "not_set_up" ? "not set up: run npm run clickup:setup" : `${setup.status}${setup.reason ? `: ${setup.reason}` : ""}`);
  const hook = health.clickup_webhook;
  if (hook) {
    const seen = hook.clickup && hook.clickup.status !== "not_set_up" ? `, ClickUp says ${hook.clickup.status}${hook.clickup.fail_count ? ` (fail_count ${hook.clickup.fail_count})` : ""}` : "";
    row("webhook", `${hook.status}: verifies with ${hook.secret_note ?? hook.secret}${seen}`);
  }
  if (health.outreach) row("outreach", health.outreach.status === "ok" ? "ok" : `${health.outreach.status}${health.outreach.reason ? `: ${health.outreach.reason}` : ""}`);
  if (routesOff.length) row("routes off", routesOff.map(([route, status]) => `${route} (${status.replace(/^disabled: /, "")})`).join("; "));
  const admin = dashboardLine(url, dashboard);
  if (admin) row("dashboard", admin);
  for (const error of health.errors ?? []) row("ERROR", error);
  for (const bad of health.invalid_configuration ?? []) row("ERROR", `${bad.variable} ignored: ${bad.message}`);
  row("next", nextStep(health, url));
  return lines.join("\n");
}
