// When a webhook route last accepted and refused a delivery (migrations/20261202000700_webhook_health.sql),
// recorded off the hot path: the route hands the promise to waitUntil, and an isolate keeps at most
// one write in flight per route, folding the deliveries that arrive meanwhile into its next write
// (a burst of 100 deliveries is a handful of writes, not 100 database connections).
import { z } from "zod";
import type { AppConfig } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import type { Store } from "../store/index.ts";
import type { WebhookSecretSource } from "./webhook-secret.ts";

export type WebhookRoute = "clickup";

export type DeliveryOutcome =
  | { kind: "accepted"; at: number; secret: WebhookSecretSource }
  | { kind: "refused"; at: number; status: number; code: string | null; message: string | null };

interface Pending {
  accepted: { at: number; count: number; secret: WebhookSecretSource } | null;
  refused: { at: number; count: number; status: number; code: string | null; message: string | null } | null;
  /** ms epoch when the write in flight started; null when none is. */
  writingSince: number | null;
}

/** A write in flight longer than this is taken for lost (its request's waitUntil was cut short). */
const STALE_WRITE_MS = 30_000;
/** Writes one waitUntil makes before leaving the rest to the next delivery (waitUntil is bounded). */
const MAX_WRITES_PER_FLUSH = 10;

const pendingByConfig = new WeakMap<AppConfig, Map<WebhookRoute, Pending>>();

/**
 * Notes a delivery's outcome. Returns the write to hand to waitUntil, or null when a write already
 * in flight will carry this one too (or there is no database).
 */
export function recordWebhookDelivery(config: AppConfig, store: () => Store, log: Logger, route: WebhookRoute, outcome: DeliveryOutcome): Promise<void> | null {
  if (!config.providers.database.configured) return null;
  const routes = pendingByConfig.get(config) ?? new Map<WebhookRoute, Pending>();
  pendingByConfig.set(config, routes);
  const pending = routes.get(route) ?? { accepted: null, refused: null, writingSince: null };
  routes.set(route, pending);

  if (outcome.kind === "accepted") {
    const count = (pending.accepted?.count ?? 0) + 1;
    pending.accepted = !pending.accepted || outcome.at >= pending.accepted.at ? { at: outcome.at, count, secret: outcome.secret } : { ...pending.accepted, count };
  } else {
    const count = (pending.refused?.count ?? 0) + 1;
    const { kind: _kind, ...detail } = outcome;
    pending.refused = !pending.refused || outcome.at >= pending.refused.at ? { ...detail, count } : { ...pending.refused, count };
  }
  if (pending.writingSince !== null && Date.now() - pending.writingSince < STALE_WRITE_MS) return null;
  return flush(store, log, route, pending);
}

async function flush(store: () => Store, log: Logger, route: WebhookRoute, pending: Pending): Promise<void> {
  const startedAt = Date.now();
  pending.writingSince = startedAt;
  try {
    for (let i = 0; i < MAX_WRITES_PER_FLUSH && (pending.accepted || pending.refused); i++) {
      const { accepted, refused } = pending;
      pending.accepted = null;
      pending.refused = null;
      try {
        await store().call(
          "record_webhook_deliveries",
          { route, ...(accepted ? { accepted: { ...accepted, at: new Date(accepted.at).toISOString() } } : {}), ...(refused ? { refused: { ...refused, at: new Date(refused.at).toISOString() } } : {}) },
          z.unknown(),
        );
      } catch (error) {
        // Health bookkeeping never fails a delivery; what this write carried is lost.
        log.warn("webhook_health_not_recorded", { route, error });
      }
    }
  } finally {
    // A newer flush may have taken over from one taken for lost: leave its mark alone.
    if (pending.writingSince === startedAt) pending.writingSince = null;
  }
}

const Timestamp = z.string().nullable();
export const WebhookHealthRow = z.object({
  last_accepted_at: Timestamp,
  last_accepted_secret: z.enum(["stored", "configured"]).nullable(),
  accepted_count: z.coerce.number(),
  last_refused_at: Timestamp,
  last_refused_status: z.number().nullable(),
  last_refused_code: z.string().nullable(),
  last_refused_message: z.string().nullable(),
  refused_count: z.coerce.number(),
});
export type WebhookHealthRow = z.infer<typeof WebhookHealthRow>;

/** The route's row; null when it has answered no delivery yet. */
export async function readWebhookHealth(store: Store, route: WebhookRoute): Promise<WebhookHealthRow | null> {
  return (await store.call("get_webhook_health", { route }, z.object({ health: WebhookHealthRow.nullable() }))).health;
}
