import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import type { ClickUpSettings } from "../../src/clickup/config.ts";
import { reportSecretMismatchOnce, SECRET_MISMATCH, webhookSecrets } from "../../src/clickup/webhook-secret.ts";
import { parseConfig } from "../../src/env.ts";
import type { Logger } from "../../src/lib/log.ts";
import { call, CLICKUP_SECRET, deliverClickUp, emulatorRequests, eventually, hmacHex, withDb } from "./helpers.ts";

const CLICKUP = String(env.CLICKUP_BASE_URL);
const TOKEN = String(env.CLICKUP_API_TOKEN);

interface WebhookSection {
  status: string;
  secret: string;
  secret_note: string;
  set_up: boolean | null;
  webhook_id: string | null;
  deliveries: {
    last_accepted_at: string | null;
    last_accepted_secret: string | null;
    accepted: number;
    last_refused_at: string | null;
    last_refused: { status: number; code: string | null; message: string | null } | null;
    refused: number;
  };
  clickup: { status: string; fail_count?: number; checked_at?: string; reason?: string };
  errors?: string[];
}
interface HealthBody {
  status: string;
  clickup_setup: { status: string; reason?: string };
  clickup_webhook: WebhookSection;
  routes: Record<string, string>;
  errors?: string[];
}

/** The settings `npm run clickup:setup` stored for the worker tests (test/support/worker-test-env.ts). */
async function storedSettings(): Promise<ClickUpSettings> {
  const [row] = await withDb((sql) => sql`select value from settings where key = 'clickup'`);
  return row!.value as ClickUpSettings;
}

/**
 * The real app on the suite's bindings with some changed (say CLICKUP_WEBHOOK_SECRET unset): a new
 * bindings object is a new configuration, so its per-isolate caches start empty. Waits for the
 * request's waitUntil work (the delivery records) before answering.
 */
async function callWith(bindings: Record<string, unknown>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await createApp().fetch(new Request(`http://golf.test${path}`, init), bindings as never, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

function bindingsWith(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...env, ...overrides };
}

async function healthOf(response: Response): Promise<{ body: HealthBody; text: string }> {
  expect(response.status).toBe(200);
  const text = await response.text();
  return { body: JSON.parse(text) as HealthBody, text };
}

/** A delivery the route acknowledges and ignores (no run, no database write). */
function ignoredEvent(webhookId: string) {
  return { webhook_id: webhookId, event: "taskCommentPosted", task_id: `health-${crypto.randomUUID().slice(0, 8)}`, history_items: [] };
}

async function signedDelivery(secret: string, payload: unknown): Promise<RequestInit> {
  const body = JSON.stringify(payload);
  return { method: "POST", headers: { "content-type": "application/json", "x-signature": await hmacHex(secret, body) }, body };
}

/** ClickUp's own API, as the token's user. */
async function clickupApi(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${CLICKUP}/api/v2${path}`, {
    method,
    headers: { authorization: TOKEN, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`ClickUp ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

type Hook = { id: string; endpoint: string; events: string[]; health: { status: string; fail_count: number } };
async function ourWebhook(settings: ClickUpSettings): Promise<Hook> {
  const hooks = (await clickupApi("GET", `/team/${settings.team_id}/webhook`)).webhooks as Hook[];
  return hooks.find((w) => w.id === settings.webhook.id)!;
}

async function setWebhookStatus(hook: Hook, status: "active" | "suspended"): Promise<void> {
  await clickupApi("PUT", `/webhook/${hook.id}`, { endpoint: hook.endpoint, events: hook.events.join(","), status });
}

const isoAtLeast = (iso: string | null, since: number) => iso !== null && Date.parse(iso) >= since - 1_000;

describe("GET /health (integration)", () => {
  it("answers 200 and says which providers are configured", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; providers: Record<string, { configured: boolean; reason?: string }> };
    expect(body.status).toBe("ok");
    expect(body.providers.database).toMatchObject({ configured: true });
    // The suite points every provider at its emulator on loopback.
    for (const name of ["anthropic", "clickup", "hunter", "perplexity", "jina", "mailgun"]) {
      expect(body.providers[name], name).toMatchObject({ configured: true, base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    }
    expect(Object.keys(body.providers).sort()).toEqual(["anthropic", "clickup", "database", "hunter", "jina", "mailgun", "perplexity"]);
  });

  it("with no keys at all it still answers, listing every provider and route as disabled (never a crash)", async () => {
    const bare = { COURSE_COORDINATOR: env.COURSE_COORDINATOR, JOB_DIRECTORY: env.JOB_DIRECTORY, ENRICH_COURSE: env.ENRICH_COURSE, HUNTER_BASE_URL: "ftp://bad" };
    const response = await createApp().fetch(new Request("http://golf.test/health"), bare, createExecutionContext());
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const providers = body.providers as Record<string, { configured: boolean; reason?: string }>;
    for (const name of ["anthropic", "clickup", "hunter", "perplexity", "mailgun", "database"]) {
      expect(providers[name], name).toMatchObject({ configured: false, reason: expect.stringMatching(/not set|neither/) });
    }
    // Jina Reader works keyless, and says so.
    expect(providers.jina).toMatchObject({ configured: true, reason: expect.stringContaining("keyless") });
    expect(body.routes).toMatchObject({ "POST /webhooks/clickup": expect.stringContaining("disabled") });
    expect(body.clickup_webhook).toMatchObject({ status: "disabled", secret: "none", set_up: null });
    expect(body.invalid_configuration).toEqual([expect.objectContaining({ variable: "HUNTER_BASE_URL" })]);
  });
});

describe("GET /health: the truth about the ClickUp webhook (integration)", () => {
  let restoreWebhook: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await restoreWebhook?.();
  });

  it("a CLICKUP_WEBHOOK_SECRET that differs from the secret setup stored (this suite's own configuration) is an error in /health, not an override: deliveries signed with the stored secret are accepted", async () => {
    const settings = await storedSettings();
    const stored = settings.webhook.secret;
    expect(stored).not.toBe(CLICKUP_SECRET);

    const { body, text } = await healthOf(await call("/health"));
    expect(body.routes["POST /webhooks/clickup"]).toBe(`error: ${SECRET_MISMATCH}`);
    expect(body.clickup_webhook).toMatchObject({ status: "error", secret: "stored_and_configured", set_up: true, webhook_id: settings.webhook.id });
    expect(body.clickup_webhook.errors).toContain(SECRET_MISMATCH);
    expect(body.errors).toContain(`POST /webhooks/clickup: ${SECRET_MISMATCH}`);
    expect(body.clickup_setup).toEqual({ status: "ok" });
    // Never a secret.
    expect(text).not.toContain(stored);
    expect(text).not.toContain(CLICKUP_SECRET);

    // What ClickUp signs with (the stored secret) is accepted; so is the configured one; anything else is refused.
    const sinceStored = Date.now();
    expect((await deliverClickUp(ignoredEvent(settings.webhook.id), { signature: "0".repeat(64) })).status).toBe(401);
    const payload = ignoredEvent(settings.webhook.id);
    expect((await deliverClickUp(payload, { signature: await hmacHex(stored, JSON.stringify(payload)) })).status).toBe(200);
    const afterStored = await eventually(async () => {
      const { body: now } = await healthOf(await call("/health"));
      const d = now.clickup_webhook.deliveries;
      return isoAtLeast(d.last_accepted_at, sinceStored) && d.last_accepted_secret === "stored" && isoAtLeast(d.last_refused_at, sinceStored) ? d : null;
    }, "the accepted and the refused delivery in /health");
    expect(afterStored.last_refused).toEqual({ status: 401, code: "UNAUTHORIZED", message: "X-Signature does not match the request body" });

    const sinceConfigured = Date.now();
    expect((await deliverClickUp(ignoredEvent(settings.webhook.id))).status).toBe(200);
    const afterConfigured = await eventually(async () => {
      const { body: now } = await healthOf(await call("/health"));
      const d = now.clickup_webhook.deliveries;
      return isoAtLeast(d.last_accepted_at, sinceConfigured) && d.last_accepted_secret === "configured" ? d : null;
    }, "the delivery signed with CLICKUP_WEBHOOK_SECRET in /health");
    expect(afterConfigured.accepted).toBeGreaterThanOrEqual(afterStored.accepted + 1);
  });

  it("the mismatch is logged at error level once per isolate, never with a secret", async () => {
    const settings = await storedSettings();
    const config = parseConfig({ CLICKUP_WEBHOOK_SECRET: "placeholder-from-dev-vars", DATABASE_URL: "postgres://x" });
    const errors: unknown[][] = [];
    const log = { error: (...args: unknown[]) => errors.push(args), warn() {}, info() {}, debug() {}, child: () => log } as unknown as Logger;
    const secrets = webhookSecrets(config.env.CLICKUP_WEBHOOK_SECRET, { settings, settings_problem: null, routing_rules: [] });
    expect(secrets).toMatchObject({ mismatch: true, stored: "present", configured: true });
    expect(secrets.accepted.map((a) => a.source)).toEqual(["stored", "configured"]);
    reportSecretMismatchOnce(config, log, secrets);
    reportSecretMismatchOnce(config, log, secrets);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe("clickup_webhook_secret_mismatch");
    const line = JSON.stringify(errors[0]);
    expect(line).not.toContain(settings.webhook.secret);
    expect(line).not.toContain("placeholder-from-dev-vars");
  });

  it("after setup, without CLICKUP_WEBHOOK_SECRET, the route is enabled with the stored secret (and only that)", async () => {
    const settings = await storedSettings();
    const bindings = bindingsWith({ CLICKUP_WEBHOOK_SECRET: undefined });
    const { body, text } = await healthOf(await callWith(bindings, "/health"));
    expect(body.routes["POST /webhooks/clickup"]).toBe("enabled");
    expect(body.clickup_webhook).toMatchObject({ secret: "stored", secret_note: "the secret npm run clickup:setup stored", set_up: true, webhook_id: settings.webhook.id });
    expect(body.clickup_webhook.errors ?? []).not.toContain(SECRET_MISMATCH);
    expect(text).not.toContain(settings.webhook.secret);

    const since = Date.now();
    expect((await callWith(bindings, "/webhooks/clickup", await signedDelivery(settings.webhook.secret, ignoredEvent(settings.webhook.id)))).status).toBe(200);
    expect((await callWith(bindings, "/webhooks/clickup", await signedDelivery(CLICKUP_SECRET, ignoredEvent(settings.webhook.id)))).status).toBe(401);
    // The request waited for its waitUntil work: the records are there.
    const { body: after } = await healthOf(await callWith(bindings, "/health"));
    expect(isoAtLeast(after.clickup_webhook.deliveries.last_accepted_at, since)).toBe(true);
    expect(after.clickup_webhook.deliveries.last_accepted_secret).toBe("stored");
    expect(isoAtLeast(after.clickup_webhook.deliveries.last_refused_at, since)).toBe(true);
    expect(after.clickup_webhook.deliveries.last_refused).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  });

  it("a CLICKUP_WEBHOOK_SECRET equal to the stored secret is fine, and /health says both agree", async () => {
    const settings = await storedSettings();
    const { body } = await healthOf(await callWith(bindingsWith({ CLICKUP_WEBHOOK_SECRET: settings.webhook.secret }), "/health"));
    expect(body.routes["POST /webhooks/clickup"]).toBe("enabled");
    expect(body.clickup_webhook).toMatchObject({ secret: "stored", secret_note: expect.stringContaining("CLICKUP_WEBHOOK_SECRET is the same") });
    expect(body.clickup_webhook.errors ?? []).not.toContain(SECRET_MISMATCH);
  });

  it("before setup has run: the route uses CLICKUP_WEBHOOK_SECRET when it is set, and is disabled when it is not", async () => {
    // Setup's row is moved aside (and back): the database as before `npm run clickup:setup`.
    const moved = await withDb((sql) => sql`update settings set key = 'clickup_moved_by_health_test' where key = 'clickup' returning key`);
    expect(moved).toHaveLength(1);
    try {
      const { body } = await healthOf(await callWith(bindingsWith({}), "/health"));
      expect(body.clickup_setup.status).toBe("not_set_up");
      expect(body.routes["POST /webhooks/clickup"]).toBe("enabled");
      expect(body.clickup_webhook).toMatchObject({ status: "ok", secret: "configured", secret_note: "CLICKUP_WEBHOOK_SECRET (npm run clickup:setup has not run)", set_up: false, webhook_id: null, clickup: { status: "not_set_up" } });

      const { body: bare } = await healthOf(await callWith(bindingsWith({ CLICKUP_WEBHOOK_SECRET: undefined }), "/health"));
      expect(bare.routes["POST /webhooks/clickup"]).toMatch(/^disabled: no webhook secret: run npm run clickup:setup/);
      expect(bare.clickup_webhook).toMatchObject({ status: "disabled", secret: "none", set_up: false });
    } finally {
      await withDb((sql) => sql`update settings set key = 'clickup' where key = 'clickup_moved_by_health_test'`);
    }
    expect((await storedSettings()).webhook.id).toBeTruthy();
  });

  it("shows the webhook's health as ClickUp reports it (Get Webhooks), cached a minute", { timeout: 90_000 }, async () => {
    // Deliveries earlier files left retrying (to the closed port) would change fail_count meanwhile.
    await fetch(`${CLICKUP}/__emulator/clickup/flush-webhooks`, { method: "POST" });
    const settings = await storedSettings();
    const hook = await ourWebhook(settings);
    restoreWebhook = () => setWebhookStatus(hook, "active");
    await setWebhookStatus(hook, "suspended");
    expect((await ourWebhook(settings)).health.status).toBe("suspended");

    const bindings = bindingsWith({ CLICKUP_WEBHOOK_SECRET: undefined });
    const since = Date.now();
    const { body, text } = await healthOf(await callWith(bindings, "/health"));
    expect(body.clickup_webhook.clickup).toMatchObject({ status: "suspended", fail_count: hook.health.fail_count, checked_at: expect.any(String) });
    expect(body.clickup_webhook.status).toBe("error");
    expect(body.clickup_webhook.errors).toEqual([expect.stringContaining("ClickUp has suspended the webhook")]);
    expect(body.errors).toEqual([expect.stringContaining("POST /webhooks/clickup: ClickUp has suspended the webhook")]);
    // Get Webhooks answers with every webhook's secret: none of it reaches /health.
    expect(text).not.toContain(settings.webhook.secret);

    // ClickUp reactivates it; the same isolate (configuration) answers from its cache without asking again.
    await setWebhookStatus(hook, "active");
    const getWebhooks = async (from: number) =>
      (await emulatorRequests("clickup", from)).filter((r) => r.method === "GET" && r.path === `/api/v2/team/${settings.team_id}/webhook`);
    expect((await getWebhooks(since)).length).toBeGreaterThanOrEqual(1);
    // Only the cached call's own window is counted: a workflow an earlier file left behind may ask ClickUp too.
    const beforeCached = Date.now();
    const { body: cached } = await healthOf(await callWith(bindings, "/health"));
    expect(cached.clickup_webhook.clickup.status).toBe("suspended");
    expect(await getWebhooks(beforeCached)).toHaveLength(0);

    // A fresh configuration asks again and sees it active.
    const { body: fresh } = await healthOf(await callWith(bindingsWith({ CLICKUP_WEBHOOK_SECRET: undefined }), "/health"));
    expect(fresh.clickup_webhook.clickup).toMatchObject({ status: "active", fail_count: 0 });
    expect(fresh.clickup_webhook.status).toBe("ok");
    expect(fresh.errors).toBeUndefined();
  });

  it("a webhook ClickUp no longer has is reported missing", async () => {
    const settings = await storedSettings();
    const bindings = bindingsWith({ CLICKUP_WEBHOOK_SECRET: undefined });
    const original = settings.webhook.id;
    // The stored id points at no webhook (as after someone deleted it in ClickUp); restored below.
    await withDb((sql) => sql`update settings set value = jsonb_set(value, '{webhook,id}', '"gone-webhook"') where key = 'clickup'`);
    try {
      const { body } = await healthOf(await callWith(bindings, "/health"));
      expect(body.clickup_webhook).toMatchObject({ status: "error", webhook_id: "gone-webhook", clickup: { status: "missing" } });
      expect(body.clickup_webhook.errors).toEqual([expect.stringContaining("ClickUp has no webhook gone-webhook")]);
    } finally {
      await withDb((sql) => sql`update settings set value = jsonb_set(value, '{webhook,id}', to_jsonb(${original}::text)) where key = 'clickup'`);
    }
    expect((await storedSettings()).webhook.id).toBe(original);
  });
});
