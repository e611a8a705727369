// `npm start`'s human summary (scripts/startup-summary.ts), from /health answers shaped as the Worker
// gives them (test/worker/health.integration.test.ts checks that shape on the real Worker).
import { describe, expect, it } from "vitest";
import { nextStep, startupSummary, type HealthForSummary } from "../../scripts/startup-summary.ts";

const URL = "http://127.0.0.1:8787";
const on = { configured: true };
const off = (variable: string) => ({ configured: false, reason: `${variable} is not set; this provider is disabled` });

function health(overrides: Partial<HealthForSummary> = {}): HealthForSummary {
  return {
    status: "ok",
    providers: { anthropic: on, clickup: on, hunter: on, perplexity: on, jina: on, mailgun: on, database: on },
    clickup_setup: { status: "ok" },
    clickup_webhook: {
      status: "ok",
      secret: "stored",
      secret_note: "the secret npm run clickup:setup stored",
      deliveries: { last_accepted_at: null, last_refused_at: null },
      clickup: { status: "active", fail_count: 0 },
    },
    outreach: { status: "ok" },
    routes: { "POST /webhooks/clickup": "enabled", "POST /api/enrich-course": "enabled" },
    ...overrides,
  };
}

describe("startupSummary", () => {
  it("on a fresh checkout (no keys) lists what is missing and says to set the ClickUp token first", () => {
    const text = startupSummary(
      health({
        providers: { anthropic: off("ANTHROPIC_API_KEY"), clickup: off("CLICKUP_API_TOKEN"), hunter: off("HUNTER_API_KEY"), jina: { configured: true, reason: "keyless" }, database: on },
        clickup_setup: { status: "disabled", reason: "CLICKUP_API_TOKEN is not set: runs write nothing to ClickUp" },
        clickup_webhook: { status: "disabled", secret: "none", secret_note: "none: run npm run clickup:setup", clickup: { status: "not_set_up", reason: "npm run clickup:setup has not run" } },
        outreach: { status: "disabled", reason: "MAILGUN_API_KEY is not set" },
        routes: { "POST /webhooks/clickup": "disabled: no webhook secret: run npm run clickup:setup", "POST /api/enrich-course": "disabled: AGENT_API_KEY is not set" },
      }),
      URL,
    );
    expect(text).toContain(`ready at ${URL}`);
    expect(text).toMatch(/configured: +jina, database/);
    expect(text).toContain("anthropic (ANTHROPIC_API_KEY is not set");
    expect(text).toContain("clickup (CLICKUP_API_TOKEN is not set");
    expect(text).toContain("POST /api/enrich-course (AGENT_API_KEY is not set)");
    expect(text).toMatch(/next: +set CLICKUP_API_TOKEN/);
    expect(text).toContain("npm start -- --sandbox");
    // A few lines, not a page.
    expect(text.split("\n").length).toBeLessThanOrEqual(12);
  });

  it("with a token but no setup, the next command is npm run clickup:setup", () => {
    const text = startupSummary(
      health({
        clickup_setup: { status: "not_set_up", reason: "ClickUp not set up: run npm run clickup:setup" },
        clickup_webhook: { status: "disabled", secret: "none", clickup: { status: "not_set_up" } },
      }),
      URL,
    );
    expect(text).toMatch(/ClickUp: +not set up: run npm run clickup:setup/);
    expect(text).toMatch(/next: +npm run clickup:setup/);
  });

  it("a CLICKUP_WEBHOOK_SECRET that differs from the stored one is an ERROR line, and removing it is the next step", () => {
    const error = "CLICKUP_WEBHOOK_SECRET is set and differs from the webhook secret npm run clickup:setup stored";
    const text = startupSummary(
      health({
        clickup_webhook: { status: "error", secret: "stored_and_configured", secret_note: "the secret npm run clickup:setup stored, and CLICKUP_WEBHOOK_SECRET, which differs from it", clickup: { status: "active" } },
        routes: { "POST /webhooks/clickup": `error: ${error}` },
        errors: [`POST /webhooks/clickup: ${error}`],
      }),
      URL,
    );
    expect(text).toContain(`ERROR:      POST /webhooks/clickup: ${error}`);
    expect(text).toMatch(/next: +remove CLICKUP_WEBHOOK_SECRET from .dev.vars/);
    expect(text).not.toContain("routes off");
  });

  it("a webhook ClickUp suspended points at the reconcile job", () => {
    const text = startupSummary(health({ clickup_webhook: { status: "error", secret: "stored", clickup: { status: "suspended", fail_count: 100 } } }), URL);
    expect(text).toContain("ClickUp says suspended (fail_count 100)");
    expect(nextStep(health({ clickup_webhook: { status: "error", secret: "stored", clickup: { status: "suspended" } } }), URL)).toMatch(/^npm run reconcile/);
  });

  it("when everything is configured, the next step is to try it", () => {
    const text = startupSummary(health(), URL);
    expect(text).not.toContain("missing:");
    expect(text).toMatch(/ClickUp: +set up/);
    expect(text).toMatch(/webhook: +ok: verifies with the secret npm run clickup:setup stored, ClickUp says active/);
    expect(text).toMatch(/outreach: +ok/);
    expect(text).toContain(`curl -X POST ${URL}/api/enrich-course`);
  });

  it("invalid variables come first", () => {
    const text = startupSummary(health({ invalid_configuration: [{ variable: "HUNTER_BASE_URL", message: "Invalid URL" }] }), URL);
    expect(text).toContain("ERROR:      HUNTER_BASE_URL ignored: Invalid URL");
    expect(text).toMatch(/next: +fix HUNTER_BASE_URL in .dev.vars/);
  });

  it("prints the dashboard's URL and how to sign in (the sandbox's demo key; never a real key)", () => {
    expect(startupSummary(health(), URL, { signIn: "sandbox-admin-key" })).toMatch(/dashboard: +http:\/\/127\.0\.0\.1:8787\/admin \(sign in with the key sandbox-admin-key\)/);
    expect(startupSummary(health(), URL, { signIn: "ADMIN_API_KEY" })).toContain(`${URL}/admin (sign in with ADMIN_API_KEY from .dev.vars)`);
    expect(startupSummary(health(), URL, { signIn: null })).toContain(`${URL}/admin (set ADMIN_API_KEY in .dev.vars to sign in)`);
  });

  it("an unreadable /health answer still says where the app is", () => {
    expect(startupSummary({ unreadable: "fetch failed" }, URL)).toContain(`${URL}/health`);
  });
});
