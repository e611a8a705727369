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
import type { AppConfig } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import type { ClickUpRunContext } from "./run-context.ts";

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

/** `context` null: the stored settings could not be read. */
export function webhookSecrets(configured: string | undefined, context: ClickUpRunContext | null): WebhookSecrets {
  const stored = context?.settings?.webhook.secret;
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
