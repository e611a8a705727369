// Admin alerts: the typed causes and their severities, and raising, clearing and listing them in the
// database (migrations/20261202001000_alerts.sql). One open alert per cause and subject; the database
// says when to notify (on opening, then at most once an hour). Delivery (ClickUp, email) is the
// caller's `AlertSink` (src/durable/alerts.ts), so any layer can raise through an injected sink.
import { z } from "zod";
import type { Store } from "./store.ts";

export const ALERT_SEVERITIES = ["critical", "error", "warning"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Every cause an admin is told about, with its severity and what it is about in words. */
export const ALERT_CAUSES = {
  run_failed: { severity: "error", title: "Enrichment run failed" },
  provider_unavailable: { severity: "critical", title: "Provider unavailable" },
  database_unavailable: { severity: "critical", title: "Database unavailable" },
  clickup_webhook_failing: { severity: "critical", title: "ClickUp webhook failing or suspended" },
  spend_cap_reached: { severity: "warning", title: "Spend cap reached" },
  outreach_sending_blocked: { severity: "error", title: "Outreach sending blocked" },
  import_failures: { severity: "warning", title: "Import finished with failures" },
  sweep_failed: { severity: "error", title: "Freshness sweep failed" },
} as const satisfies Record<string, { severity: AlertSeverity; title: string }>;
export type AlertCause = keyof typeof ALERT_CAUSES;
export const ALERT_CAUSE_NAMES = Object.keys(ALERT_CAUSES) as AlertCause[];

/** An occurrence of a cause, as the code that saw it describes it (never a secret or page text). */
export interface AlertInput {
  cause: AlertCause;
  /** What it is about: a provider, a course id, a webhook id, a sweep id. */
  subject: string;
  message: string;
  /** Where to look: `/api/jobs/<id>`, a sweep, a task. */
  link?: string | undefined;
  /** What will be retried, and by whom (the run's steps, the reconcile job). */
  retry?: string | undefined;
  details?: Record<string, string | number | boolean | null> | undefined;
  /** Names this occurrence: raising it twice (a retried step) counts it once. */
  occurrence?: string | undefined;
}

export const AlertRecord = z.object({
  id: z.uuid(),
  cause: z.enum(ALERT_CAUSE_NAMES as [AlertCause, ...AlertCause[]]),
  subject: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  status: z.enum(["open", "closed"]),
  count: z.number().int(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  closed_at: z.string().nullable(),
  cleared_by: z.string().nullable(),
  message: z.string(),
  link: z.string().nullable(),
  retry: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  notifications: z.number().int(),
  last_notified_at: z.string().nullable(),
  clickup_task_id: z.string().nullable(),
  emailed_at: z.string().nullable(),
  duration_seconds: z.number(),
});
export type AlertRecord = z.infer<typeof AlertRecord>;

export const RaiseResult = z.object({ alert: AlertRecord, created: z.boolean(), notify: z.boolean(), notification: z.number().int() });
export type RaiseResult = z.infer<typeof RaiseResult>;
const ClearResult = z.object({ cleared: z.array(AlertRecord) });
const ListResult = z.object({ alerts: z.array(AlertRecord) });
const DeliveryResult = z.object({ alert: AlertRecord });
export const AlertSettings = z.object({ email_to: z.string().trim().min(3).optional(), email_from: z.string().trim().min(3).optional() });
export type AlertSettings = z.infer<typeof AlertSettings>;

/** One delivery of an alert (an AlertDelivery Workflow instance): it opened, a reminder, or it cleared. */
export interface AlertDeliveryParams {
  alert_id: string;
  kind: "opened" | "reminder" | "closed";
  /** The notification's number (raise_alert's answer); 0 for "closed". */
  notification: number;
}

/** Where alerts go once the database has decided (ClickUp task, email). Injected by the Workflow layer. */
export interface AlertSink {
  raise(input: AlertInput): Promise<RaiseResult | null>;
  /** Closes the open alert of each subject; answers the ones it closed. */
  clear(cause: AlertCause, subjects: string[], clearedBy: string): Promise<AlertRecord[]>;
}

/** Replaces every secret value in `text`, then bounds it (an error message may quote a request). */
export function redact(text: string, secrets: readonly string[], max = 500): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join("[redacted]");
  // Bearer tokens and basic-auth pairs that were not in the configuration.
  out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [redacted]").replace(/\b(pk|sk|key)[-_][A-Za-z0-9_-]{12,}\b/g, "[redacted]");
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

export async function raiseAlert(store: Store, input: AlertInput, secrets: readonly string[]): Promise<RaiseResult> {
  const details = Object.fromEntries(Object.entries(input.details ?? {}).map(([k, v]) => [k, typeof v === "string" ? redact(v, secrets, 300) : v]));
  const result = await store.call(
    "raise_alert",
    {
      cause: input.cause,
      subject: input.subject.slice(0, 200),
      severity: ALERT_CAUSES[input.cause].severity,
      message: redact(input.message, secrets),
      ...(input.link ? { link: input.link } : {}),
      ...(input.retry ? { retry: redact(input.retry, secrets) } : {}),
      details,
      ...(input.occurrence ? { occurrence: input.occurrence } : {}),
    },
    RaiseResult,
  );
  noteOpen(store, result.alert.cause, result.alert.subject);
  return result;
}

export async function clearAlerts(store: Store, cause: AlertCause, subjects: string[], clearedBy: string): Promise<AlertRecord[]> {
  if (subjects.length === 0) return [];
  const { cleared } = await store.call("clear_alert", { cause, subjects, cleared_by: clearedBy }, ClearResult);
  const open = openCache.get(cacheKey(store));
  if (open) for (const s of subjects) open.value.delete(`${cause}:${s}`);
  return cleared;
}

export async function listAlerts(store: Store, filter: { id?: string; status?: "open" | "closed" | "all"; cause?: AlertCause; limit?: number } = {}): Promise<AlertRecord[]> {
  return (await store.call("list_alerts", filter, ListResult)).alerts;
}

export async function recordAlertDelivery(store: Store, input: { id: string; clickup_task_id?: string; emailed?: boolean }): Promise<AlertRecord> {
  return (await store.call("record_alert_delivery", input, DeliveryResult)).alert;
}

export async function loadAlertSettings(store: Store): Promise<AlertSettings> {
  const { settings } = await store.call("get_alert_settings", {}, z.object({ settings: z.unknown().nullable() }));
  const parsed = AlertSettings.safeParse(settings ?? {});
  return parsed.success ? parsed.data : {};
}

// Which alerts are open, per isolate for 30 s: a run asks before clearing, so a healthy system pays
// one list a half-minute instead of a clear per run. Raising in this isolate marks its alert at once.
const OPEN_TTL_MS = 30_000;
const openCache = new Map<string, { at: number; value: Set<string> }>();
const cacheKey = (store: Store): string => store.kind;

function noteOpen(store: Store, cause: string, subject: string): void {
  openCache.get(cacheKey(store))?.value.add(`${cause}:${subject}`);
}

/** Of these (cause, subject) pairs, the ones that may have an open alert. */
export async function possiblyOpen(store: Store, pairs: { cause: AlertCause; subject: string }[]): Promise<{ cause: AlertCause; subject: string }[]> {
  if (pairs.length === 0) return [];
  const key = cacheKey(store);
  let hit = openCache.get(key);
  if (!hit || Date.now() - hit.at > OPEN_TTL_MS) {
    const open = await listAlerts(store, { status: "open", limit: 500 });
    hit = { at: Date.now(), value: new Set(open.map((a) => `${a.cause}:${a.subject}`)) };
    openCache.set(key, hit);
  }
  const open = hit.value;
  return pairs.filter((p) => open.has(`${p.cause}:${p.subject}`));
}
