// ClickUp webhooks: registrations and delivery.
//
// As documented (developer.clickup.com: Webhooks, Webhook signature, Webhook health status, Task
// webhook payloads):
// - the payload is `{event, history_items, task_id, webhook_id}` (taskDeleted has no history_items),
//   POSTed as JSON with `X-Signature` = hex HMAC-SHA256 of the exact body with the webhook's secret;
// - a delivery fails on a non-2xx answer or when it takes longer than 7 s;
// - a failed event is tried up to five times in all (`maxAttempts`), then dropped for good;
// - after an event's attempts are used up `health.fail_count` goes up by one and the webhook is
//   "failing"; a success resets it to 0 and "active"; a 410 answer suspends at once; at 100 the
//   webhook is "suspended" and gets nothing more. `failCountPer: "attempt"` counts every failed
//   attempt instead (a stricter reading some clients assume).
// Timeouts, attempts, backoff and the suspension threshold are options so tests run in milliseconds.

import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { TaskChange, User } from "./workspace.ts";

export const WEBHOOK_EVENTS = [
  "taskCreated",
  "taskUpdated",
  "taskDeleted",
  "taskPriorityUpdated",
  "taskStatusUpdated",
  "taskAssigneeUpdated",
  "taskDueDateUpdated",
  "taskTagUpdated",
  "taskMoved",
  "taskCommentPosted",
  "taskCommentUpdated",
  "taskTimeEstimateUpdated",
  "taskTimeTrackedUpdated",
  "listCreated",
  "listUpdated",
  "listDeleted",
  "folderCreated",
  "folderUpdated",
  "folderDeleted",
  "spaceCreated",
  "spaceUpdated",
  "spaceDeleted",
  "goalCreated",
  "goalUpdated",
  "goalDeleted",
  "keyResultCreated",
  "keyResultUpdated",
  "keyResultDeleted",
] as const;

export type WebhookHealthStatus = "active" | "failing" | "suspended";

export interface Webhook {
  id: string;
  userid: number;
  team_id: number;
  endpoint: string;
  client_id: string;
  events: string[];
  task_id: string | null;
  list_id: string | null;
  folder_id: string | null;
  space_id: string | null;
  health: { status: WebhookHealthStatus; fail_count: number };
  secret: string;
}

export interface DeliveryAttempt {
  /** ms epoch when the attempt started. */
  at: number;
  /** HTTP status of the answer; undefined when there was none (timeout, connection error). */
  status?: number;
  error?: string;
  duration_ms: number;
}

export interface WebhookDelivery {
  id: number;
  webhook_id: string;
  endpoint: string;
  event: string;
  task_id: string;
  /** The exact raw body sent (and signed). */
  body: string;
  signature: string;
  state: "pending" | "delivered" | "failed" | "dropped";
  attempts: DeliveryAttempt[];
  created_at: number;
}

export interface WebhookDeliveryOptions {
  /** A delivery not answered within this many ms fails (ClickUp: 7 s). */
  timeoutMs: number;
  /** Attempts per event, the first included (ClickUp: 5). */
  maxAttempts: number;
  /** Delay before attempt n+1 after attempt n failed (n = 1, 2, ...). Default 1 s, 2 s, 4 s, 8 s. */
  retryDelayMs: number | ((attempt: number) => number);
  /** fail_count at which the webhook is suspended (ClickUp: 100). */
  suspendAfter: number;
  /** What one unit of fail_count is: an event whose attempts all failed (default), or one failed attempt. */
  failCountPer: "event" | "attempt";
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookDeliveryOptions = {
  timeoutMs: 7_000,
  maxAttempts: 5,
  retryDelayMs: (n) => 1_000 * 2 ** (n - 1),
  suspendAfter: 100,
  failCountPer: "event",
};

export function signWebhookBody(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

function randomToken(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export interface WebhookInput {
  endpoint: string;
  events: string[];
  space_id?: string | null;
  folder_id?: string | null;
  list_id?: string | null;
  task_id?: string | null;
}

export class WebhookHub {
  readonly webhooks = new Map<string, Webhook>();
  readonly deliveries: WebhookDelivery[] = [];
  options: WebhookDeliveryOptions;
  /** When set, every webhook created gets this secret instead of a random one (sandbox convenience). */
  fixedSecret: string | undefined;
  readonly #inflight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #deliverySeq = 0;

  constructor(options: Partial<WebhookDeliveryOptions> = {}, fixedSecret?: string) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options };
    this.fixedSecret = fixedSecret;
  }

  create(input: WebhookInput, user: User, teamId: string): Webhook {
    const id = randomUUID();
    const webhook: Webhook = {
      id,
      userid: user.id,
      team_id: Number(teamId),
      endpoint: input.endpoint,
      client_id: randomToken(32),
      events: [...input.events],
      task_id: input.task_id ?? null,
      list_id: input.list_id ?? null,
      folder_id: input.folder_id ?? null,
      space_id: input.space_id ?? null,
      health: { status: "active", fail_count: 0 },
      secret: this.fixedSecret ?? randomToken(64),
    };
    this.webhooks.set(id, webhook);
    return webhook;
  }

  list(userId: number, teamId: string): Webhook[] {
    return [...this.webhooks.values()].filter((w) => w.userid === userId && String(w.team_id) === teamId);
  }

  delete(id: string): boolean {
    return this.webhooks.delete(id);
  }

  json(w: Webhook): Record<string, unknown> {
    return {
      id: w.id,
      userid: w.userid,
      team_id: w.team_id,
      endpoint: w.endpoint,
      client_id: w.client_id,
      events: [...w.events],
      task_id: w.task_id,
      list_id: w.list_id,
      folder_id: w.folder_id,
      space_id: w.space_id,
      health: { ...w.health },
      secret: w.secret,
    };
  }

  #matches(w: Webhook, change: TaskChange): boolean {
    if (w.health.status === "suspended") return false;
    const all = w.events.length === 0 || w.events.includes("*");
    if (!all && !w.events.includes(change.event)) return false;
    const loc = change.location;
    if (w.task_id !== null && w.task_id !== loc.task_id) return false;
    if (w.list_id !== null && w.list_id !== loc.list_id) return false;
    if (w.folder_id !== null && w.folder_id !== loc.folder_id) return false;
    if (w.space_id !== null && w.space_id !== loc.space_id) return false;
    return true;
  }

  /** Sends the events of a change to every matching webhook (in the background). */
  dispatch(changes: TaskChange[]): void {
    for (const change of changes) {
      for (const w of this.webhooks.values()) {
        if (!this.#matches(w, change)) continue;
        const payload: Record<string, unknown> = { event: change.event };
        if (change.history_items) payload.history_items = change.history_items;
        payload.task_id = change.location.task_id;
        payload.webhook_id = w.id;
        const body = JSON.stringify(payload);
        const delivery: WebhookDelivery = {
          id: ++this.#deliverySeq,
          webhook_id: w.id,
          endpoint: w.endpoint,
          event: change.event,
          task_id: change.location.task_id,
          body,
          signature: signWebhookBody(w.secret, body),
          state: "pending",
          attempts: [],
          created_at: Date.now(),
        };
        this.deliveries.push(delivery);
        const p = this.#deliver(w, delivery).finally(() => this.#inflight.delete(p));
        this.#inflight.add(p);
      }
    }
  }

  #suspended(w: Webhook): boolean {
    return w.health.status === "suspended";
  }

  #failed(w: Webhook): void {
    w.health.fail_count++;
    w.health.status = w.health.fail_count >= this.options.suspendAfter ? "suspended" : "failing";
  }

  async #attempt(w: Webhook, d: WebhookDelivery): Promise<DeliveryAttempt> {
    const at = Date.now();
    const timeoutMs = this.options.timeoutMs;
    try {
      const res = await fetch(w.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": d.signature, "user-agent": "ClickUp-Emulator-Webhooks/1.0" },
        body: d.body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#abort.signal]),
      });
      await res.arrayBuffer();
      return { at, status: res.status, duration_ms: Date.now() - at };
    } catch (err) {
      const e = err as Error;
      const error = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.name === "AbortError" ? "emulator closed" : `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}`;
      return { at, error, duration_ms: Date.now() - at };
    }
  }

  async #deliver(w: Webhook, d: WebhookDelivery): Promise<void> {
    const { maxAttempts, retryDelayMs, failCountPer } = this.options;
    for (let n = 1; n <= maxAttempts; n++) {
      if (this.#abort.signal.aborted || this.webhooks.get(w.id) !== w || w.health.status === "suspended") {
        d.state = "dropped";
        return;
      }
      const attempt = await this.#attempt(w, d);
      d.attempts.push(attempt);
      if (this.webhooks.get(w.id) !== w) {
        d.state = "dropped";
        return;
      }
      const status = attempt.status;
      if (status !== undefined && status >= 200 && status < 300) {
        w.health = { status: "active", fail_count: 0 };
        d.state = "delivered";
        return;
      }
      if (status === 410) {
        w.health.status = "suspended";
        d.state = "failed";
        return;
      }
      if (failCountPer === "attempt") this.#failed(w);
      if (n < maxAttempts && !this.#suspended(w)) {
        const delay = typeof retryDelayMs === "number" ? retryDelayMs : retryDelayMs(n);
        try {
          await sleep(Math.max(0, delay), undefined, { signal: this.#abort.signal });
        } catch {
          d.state = "dropped";
          return;
        }
      }
    }
    if (failCountPer === "event") this.#failed(w);
    d.state = "failed";
  }

  /** Resolves once every delivery in flight (retries included) has settled. */
  async flush(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Stops retries and aborts deliveries in flight. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.flush();
  }
}
