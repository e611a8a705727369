// Leads ready for outreach, and the Mailgun side of a sequence, for the workerd outreach tests.
import { env } from "cloudflare:workers";
import { API_KEY, call, deliverClickUp, eventually, withDb } from "./helpers.ts";

/** A sales rep (not the app's ClickUp user): their status changes are decisions. */
export const REP_USER_ID = 81942002;

export interface Lead {
  taskId: string;
  contactId: string;
  courseId: string;
  email: string | null;
  listId: string;
  name: string;
}

interface ClickUpSettingsRow {
  lead_lists: Record<"high-end" | "budget" | "both", string>;
  statuses: { leads: Record<string, string> };
}

export async function clickupSettings(): Promise<ClickUpSettingsRow> {
  const [row] = await withDb((sql) => sql`select value from settings where key = 'clickup'`);
  return row!.value as ClickUpSettingsRow;
}

/** ClickUp's API on the emulator, with the app's token. */
export async function clickupApi(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2${path}`, {
    method,
    headers: { authorization: String(env.CLICKUP_API_TOKEN), "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * A course with intel and one contact whose lead task exists in the emulated workspace, as an
 * enrichment leaves it (the rows written directly: these tests are about what happens next).
 */
export async function makeLead(opts: { label: string; email?: string | null; state?: string; segment?: "high-end" | "budget" | "both"; emailStatus?: string; assignee?: number }): Promise<Lead> {
  const settings = await clickupSettings();
  const segment = opts.segment ?? "high-end";
  const suffix = crypto.randomUUID().slice(0, 8);
  const course = `${opts.label} ${suffix} Country Club`;
  const name = `Jordan ${suffix.replace(/\d/g, "x")} Pike`;
  const email = opts.email === undefined ? `jordan.${suffix}@${suffix}-club.test` : opts.email;
  const listId = settings.lead_lists[segment];
  const task = await clickupApi("POST", `/list/${listId}/task`, { name: `${name} - General Manager | ${course}`, status: settings.statuses.leads.new_lead, ...(opts.assignee ? { assignees: [opts.assignee] } : {}) });
  const taskId = String(task.id);
  const ids = await withDb(async (sql) => {
    const [c] = await sql`insert into courses (course_name, state, city, status, source) values (${course}, ${opts.state ?? "NC"}, 'Pinehurst', 'enriched', 'api') returning id`;
    await sql`insert into business_intelligence (course_id, segment, segment_confidence, opportunities, conversation_starters, summary)
              values (${c!.id}, ${segment}, 8, ${sql.json({ range_ball_lease: 9, range_ball_buy: 6 })},
                      ${sql.json([{ text: "Your new practice facility opened this spring", score: 9 }, { text: "Hosting the state amateur in June", score: 7 }])}, 'A busy club')`;
    const [p] = await sql`insert into contacts (course_id, full_name, title, clickup_task_id) values (${c!.id}, ${name}, 'General Manager', ${taskId}) returning id`;
    await sql`insert into contact_enrichment (contact_id, email, email_status) values (${p!.id}, ${email}, ${opts.emailStatus ?? "valid"})`;
    return { courseId: String(c!.id), contactId: String(p!.id) };
  });
  return { taskId, listId, email, name, ...ids };
}

let deliveries = 0;

/** A rep moves the task: the emulated task's status changes, and ClickUp's taskStatusUpdated is delivered. */
export async function moveLead(lead: Lead, from: string, to: string, opts: { userId?: number; historyId?: string; update?: boolean } = {}) {
  if (opts.update !== false) await clickupApi("PUT", `/task/${lead.taskId}`, { status: to });
  const historyId = opts.historyId ?? `hist-${lead.taskId}-${++deliveries}-${Date.now()}`;
  const response = await deliverClickUp({
    webhook_id: "wh-outreach",
    event: "taskStatusUpdated",
    task_id: lead.taskId,
    history_items: [
      {
        id: historyId,
        type: 1,
        date: String(Date.now()),
        field: "status",
        parent_id: lead.listId,
        data: { status_type: "custom" },
        source: null,
        user: { id: opts.userId ?? REP_USER_ID, username: "Riley Rep", email: "riley.rep@golf-outreach.test" },
        before: { status: from, color: "#d3d3d3", type: "open", orderindex: 0 },
        after: { status: to, color: "#4194f6", type: "custom", orderindex: 1 },
      },
    ],
  });
  return { response, json: (await response.json()) as Record<string, unknown>, historyId };
}

export const contacted = (lead: Lead) => moveLead(lead, "new lead", "contacted");

export interface SequenceView {
  id: string;
  status: string;
  current_step: number;
  stop_reason: string | null;
  next_send_at: string | null;
  workflow_instance_id: string;
  thread_message_id: string | null;
  messages: { step: number; status: string; message_id: string; mailgun_message_id: string | null; subject: string; scheduled_for: string; sent_at: string | null; attempts: number }[];
  events: { kind: string; body_text: string | null }[];
}

export async function sequencesOf(lead: Lead): Promise<{ sequences: SequenceView[]; unsubscribed: boolean }> {
  const response = await call(`/api/contacts/${lead.contactId}/sequence`, { headers: { "x-api-key": API_KEY } });
  if (response.status !== 200) throw new Error(`sequence of ${lead.contactId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as never;
}

export async function sequenceOf(lead: Lead): Promise<SequenceView | undefined> {
  return (await sequencesOf(lead)).sequences[0];
}

export async function sendNow(lead: Lead): Promise<Response> {
  return call(`/api/contacts/${lead.contactId}/sequence/send-now`, { method: "POST", headers: { "x-api-key": API_KEY } });
}

export interface SentMail {
  id: string;
  time: number;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
}

export async function mailsTo(address: string | null): Promise<SentMail[]> {
  const response = await fetch(`${String(env.MAILGUN_BASE_URL)}/__emulator/mailgun/messages`);
  const { messages } = (await response.json()) as { messages: SentMail[] };
  return messages.filter((m) => m.to.some((t) => t.toLowerCase().includes(String(address).toLowerCase())));
}

export async function waitForMails(lead: Lead, count: number): Promise<SentMail[]> {
  return eventually(async () => {
    const mails = await mailsTo(lead.email);
    return mails.length >= count ? mails : null;
  }, `${count} email(s) to ${lead.email}`, 90_000);
}

/** Until the sequence's workflow instance has finished (it heard its stop, or it sent everything). */
export async function waitForSequenceEnd(instanceId: string): Promise<string> {
  return eventually(async () => {
    const status = (await (await env.OUTREACH_SEQUENCE.get(instanceId)).status()).status;
    return status === "complete" || status === "errored" || status === "terminated" ? status : null;
  }, `sequence instance ${instanceId} to end`, 90_000);
}

/** A signed Mailgun request built by the Mailgun emulator (as Mailgun would send it), posted to the Worker. */
async function relayFromEmulator(kind: "replies" | "events", path: string, options: Record<string, unknown>): Promise<Response> {
  const response = await fetch(`${String(env.MAILGUN_BASE_URL)}/__emulator/mailgun/${kind}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...options, render_only: true }),
  });
  if (!response.ok) throw new Error(`mailgun emulator ${kind}: ${response.status} ${await response.text()}`);
  const rendered = (await response.json()) as { payload: Record<string, unknown> | Record<string, string> };
  if (kind === "events") return call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rendered.payload) });
  const form = new FormData();
  for (const [k, v] of Object.entries(rendered.payload as Record<string, string>)) form.append(k, v);
  return call(path, { method: "POST", body: form });
}

/** A reply (or an auto-reply) to a message we sent, as the inbound route forwards it. */
export function mailgunReply(options: { inReplyTo: string; text?: string; subject?: string; from?: string; headers?: Array<[string, string]>; token?: string; timestamp?: number; badSignature?: boolean }) {
  return relayFromEmulator("replies", "/webhooks/mailgun/inbound", options);
}

/** A Mailgun event webhook about a message we sent. */
export function mailgunEvent(options: { event: string; messageId: string; severity?: "permanent" | "temporary"; reason?: string; token?: string; timestamp?: number; badSignature?: boolean }) {
  return relayFromEmulator("events", "/webhooks/mailgun/events", options);
}
