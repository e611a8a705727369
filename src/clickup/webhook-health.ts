// ClickUp's own view of the app's webhook (Get Webhooks: `health: {status, fail_count}`), for GET
// /health. ClickUp marks a webhook `failing` once an event's five attempts all failed (non-2xx or
// over 7 s), back to `active` on a success, and `suspended` at fail_count 100 or at once on a 410;
// it notifies no one (https://developer.clickup.com/docs/webhookhealth). Read through the token's
// rate gate and cached per isolate, so a monitor polling /health costs at most one request a minute.
import type { AppConfig, Env } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import { createClickUpClient, type RateGate } from "./client.ts";
import type { ClickUpSettings } from "./config.ts";
import { clickUpRateGateStub, type ClickUpRateGateStub } from "./rate-gate-client.ts";

export interface ClickUpWebhookHealth {
  /** ClickUp's status; `missing`: no webhook with the stored id; `unknown`: ClickUp could not be asked (see reason). */
  status: "active" | "failing" | "suspended" | "missing" | "unknown" | (string & {});
  fail_count?: number;
  /** When ClickUp was asked (ISO 8601): the answer is cached for a minute. */
  checked_at: string;
  reason?: string;
}

export const HEALTH_CACHE_MS = 60_000;
/** An unanswered question is asked again sooner. */
const UNKNOWN_CACHE_MS = 15_000;
/** /health does not wait longer than this for a slot of the token's rate budget (runs come first). */
const MAX_GATE_WAIT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 5_000;

const cache = new WeakMap<AppConfig, Map<string, { until: number; value: Promise<ClickUpWebhookHealth> }>>();

export function clickUpWebhookHealth(config: AppConfig, env: Env, settings: ClickUpSettings, log: Logger): Promise<ClickUpWebhookHealth> {
  const byWebhook = cache.get(config) ?? new Map<string, { until: number; value: Promise<ClickUpWebhookHealth> }>();
  cache.set(config, byWebhook);
  const key = `${settings.team_id}:${settings.webhook.id}`;
  const hit = byWebhook.get(key);
  if (hit && Date.now() < hit.until) return hit.value;
  const entry = { until: Date.now() + HEALTH_CACHE_MS, value: askClickUp(config, env, settings, log) };
  byWebhook.set(key, entry);
  void entry.value.then((health) => {
    if (health.status === "unknown") entry.until = Math.min(entry.until, Date.now() + UNKNOWN_CACHE_MS);
  });
  return entry.value;
}

async function askClickUp(config: AppConfig, env: Env, settings: ClickUpSettings, log: Logger): Promise<ClickUpWebhookHealth> {
  const checked_at = new Date().toISOString();
  const token = config.env.CLICKUP_API_TOKEN;
  if (!token) return { status: "unknown", checked_at, reason: "CLICKUP_API_TOKEN is not set, so ClickUp cannot be asked" };
  try {
    const stub = clickUpRateGateStub(config, env)!;
    const client = createClickUpClient({ token, baseUrl: config.env.CLICKUP_BASE_URL, gate: healthGate(stub), timeoutMs: REQUEST_TIMEOUT_MS });
    const hook = (await client.getWebhooks(settings.team_id)).find((w) => w.id === settings.webhook.id);
    if (!hook) return { status: "missing", checked_at, reason: `ClickUp has no webhook ${settings.webhook.id} (the hourly reconcile job creates it again, or run npm run clickup:setup)` };
    // ClickUp documents `health` on every webhook; an answer without it is taken as active, as the reconcile job does.
    return { status: hook.health?.status ?? "active", ...(hook.health?.fail_count !== undefined ? { fail_count: hook.health.fail_count } : {}), checked_at };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.warn("clickup_webhook_health_unavailable", { error: reason });
    return { status: "unknown", checked_at, reason: `ClickUp could not be asked: ${reason}` };
  }
}

class RateBudgetBusy extends Error {
  constructor(waitMs: number) {
    super(`the token's ClickUp rate budget is busy for ${Math.ceil(waitMs / 1000)} s more (runs go first); asked again shortly`);
  }
}

/** One slot, waited for briefly; when the budget is busy the slot goes back and the question is skipped. */
function healthGate(stub: ClickUpRateGateStub): RateGate {
  return {
    async acquire() {
      const grant = await stub.reserve({ priority: "background" });
      if (grant.wait_ms > MAX_GATE_WAIT_MS) {
        await stub.release(grant.ticket);
        throw new RateBudgetBusy(grant.wait_ms);
      }
      if (grant.wait_ms > 0) await new Promise((resolve) => setTimeout(resolve, grant.wait_ms));
      return grant.ticket;
    },
    async observe(info, ticket) {
      if (typeof ticket === "string" && ticket) await stub.settle(ticket, info);
    },
  };
}
