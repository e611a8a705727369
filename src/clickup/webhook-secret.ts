// Which secret POST /webhooks/clickup verifies `X-Signature` with: one rule, read by the signature
// middleware and by GET /health, so what /health says is what the route does.
//
// The rule:
// - `npm run clickup:setup` registered the webhook and stored the secret ClickUp returned: ClickUp
//   signs every delivery of that webhook with it, so the stored secret is always accepted.
// - CLICKUP_WEBHOOK_SECRET (for a webhook registered by hand, or before setup has run) is accepted too.
// - Both set and different is a configuration error, never a silent override: the route still
//   accepts the stored secret (refusing it would refuse every real delivery, ClickUp would mark the
//   webhook failing and intake tasks would stay `new`), /health reports the error and the route's
//   status says so, and the logs say it at error level once per isolate.
//
// The stored secret is read through the settings cache; when that read fails (the database is down,
// or slower than SETTINGS_READ_BUDGET_MS) the last stored secret this isolate read is used, so a
// database blip never turns ClickUp's deliveries away (CLICKUP_WEBHOOK_SECRET is accepted as always).
import type { AppConfig } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import { createStore } from "../store/index.ts";
import { cachedClickUpContext, type ClickUpRunContext } from "./run-context.ts";

/** Where an accepted secret comes from: the settings `npm run clickup:setup` stored, or CLICKUP_WEBHOOK_SECRET. */
export type WebhookSecretSource = "stored" | "configured";

export interface WebhookSecrets {
  /** The secrets a delivery may be signed with, the stored one first; empty: every delivery is refused (503). */
  accepted: { source: WebhookSecretSource; secret: string }[];
  /** Whether setup's stored secret exists; "unknown" when the settings cannot be read (no database, or it failed). */
  stored: "present" | "absent" | "unknown";
  configured: boolean;
  /** CLICKUP_WEBHOOK_SECRET is set and differs from the stored secret. */
  mismatch: boolean;
  /** The stored webhook's id (not a secret), when setup has run. */
  webhook_id: string | null;
}

/** The stored secret last read in this isolate (one database per deployment). */
let lastStoredSecret: string | null = null;

/**
 * `context` null: the stored settings could not be read (or there is no database); with a database
 * configured, the last stored secret read is then still accepted (a webhook re-created meanwhile is
 * picked up by the next read that succeeds).
 */
export function webhookSecrets(configured: string | undefined, context: ClickUpRunContext | null, databaseConfigured = true): WebhookSecrets {
  const read = context?.settings?.webhook.secret;
  if (read) lastStoredSecret = read;
  const stored = context === null ? (databaseConfigured ? (lastStoredSecret ?? undefined) : undefined) : read;
  const accepted: WebhookSecrets["accepted"] = [];
  if (stored) accepted.push({ source: "stored", secret: stored });
  if (configured && configured !== stored) accepted.push({ source: "configured", secret: configured });
  return {
    accepted,
    stored: context === null ? "unknown" : stored ? "present" : "absent",
    configured: !!configured,
    mismatch: !!configured && !!stored && configured !== stored,
    webhook_id: context?.settings?.webhook.id ?? null,
  };
}

/** How long the webhook route waits for the stored settings before going on without them (ClickUp allows 7 s for the whole answer). */
export const SETTINGS_READ_BUDGET_MS = 3_000;

/** The stored settings as the webhook route sees them: `unavailable` when the read failed or ran out of time. */
export interface WebhookSettings {
  context: ClickUpRunContext | null;
  unavailable: boolean;
}

/** Reads the stored settings (cached a minute) within a time budget; never throws. */
export async function webhookSettings(config: AppConfig, log: Logger, budgetMs = SETTINGS_READ_BUDGET_MS): Promise<WebhookSettings> {
  if (!config.providers.database.configured) return { context: null, unavailable: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), budgetMs);
    });
    const read = await Promise.race([cachedClickUpContext(config, () => createStore(config)), late]);
    if (read === "late") {
      log.warn("clickup_settings_unavailable", { reason: `no answer within ${budgetMs} ms` });
      return { context: null, unavailable: true };
    }
    return { context: read, unavailable: false };
  } catch (error) {
    log.warn("clickup_settings_unavailable", { error });
    return { context: null, unavailable: true };
  } finally {
    clearTimeout(timer);
  }
}

export const SECRET_MISMATCH =
  "CLICKUP_WEBHOOK_SECRET is set and differs from the webhook secret npm run clickup:setup stored (the one ClickUp signs this webhook's deliveries with): deliveries signed with either are accepted; remove CLICKUP_WEBHOOK_SECRET (from .dev.vars, or wrangler secret delete CLICKUP_WEBHOOK_SECRET)";

/** The route's line in /health's `routes`. */
export function webhookRouteStatus(secrets: WebhookSecrets): string {
  if (secrets.mismatch) return `error: ${SECRET_MISMATCH}`;
  if (secrets.accepted.length) return "enabled";
  return secrets.stored === "unknown"
    ? "disabled: CLICKUP_WEBHOOK_SECRET is not set and the secret npm run clickup:setup stores cannot be read (the database is not configured or not answering)"
    : "disabled: no webhook secret: run npm run clickup:setup (it registers the webhook and stores its secret)";
}

const reported = new WeakMap<AppConfig, Set<string>>();

/** Logs the mismatch at error level once per isolate (config) and stored webhook. */
export function reportSecretMismatchOnce(config: AppConfig, log: Logger, secrets: WebhookSecrets): void {
  if (!secrets.mismatch) return;
  const seen = reported.get(config) ?? new Set<string>();
  reported.set(config, seen);
  const key = secrets.webhook_id ?? "";
  if (seen.has(key)) return;
  seen.add(key);
  log.error("clickup_webhook_secret_mismatch", { alert: "admin", webhook_id: secrets.webhook_id, message: SECRET_MISMATCH });
}
