// Mailgun emulator: sending, the events query, routes and domain webhooks, and the two things
// Mailgun POSTs back to an app (signed event webhooks, signed inbound-route replies), each modeled on
// the page cited beside it. Where the docs are silent the comment says so.
//
// - Sending (`POST /v3/<domain>/messages`): form fields (urlencoded or multipart) `from`, `to`
//   (repeatable / comma-separated), `cc`, `bcc`, `subject`, `text` / `html` / `template`, `h:<Header>`,
//   `o:<option>` (`o:tag` repeatable, `o:testmode`), `v:<var>` (also `h:X-Mailgun-Variables` JSON).
//   Basic auth `api:<key>` → 200 `{id: "<…@domain>", message: "Queued. Thank you."}`; bad auth → 401
//   "Forbidden"; missing fields → 400 `{message}`. A valid `h:Message-Id` becomes the message's id.
//   Every accepted send records one `accepted` event per recipient.
// - Events (`GET /v3/<domain>/events`, and its paging URLs): filters, time range, `{items, paging}`.
// - Routes (`/v3/routes`) and domain webhooks (`/v3/domains/<domain>/webhooks`): the account's
//   configuration. `emulator.reset()` keeps it (as the ClickUp emulator keeps its workspace);
//   `clearConfig()` / `DELETE /__emulator/mailgun/config` drops it.
// - Event webhook (`deliverEvent`, `POST /__emulator/mailgun/events`): JSON `{signature: {timestamp,
//   token, signature}, "event-data": {…}}` to `url`, or, without one, to the domain webhook for the event.
// - Inbound reply (`deliverReply`, `POST /__emulator/mailgun/replies`): the fields a route's
//   `forward("<url>")` POSTs, to `url`, or, without one, to the matching routes' forward URLs.
// - Both are signed: signature = hex HMAC-SHA256(signing key, timestamp + token). `renderOnly` /
//   `render_only` builds and signs one without POSTing it (the caller relays it, e.g. into workerd).
// - Control API: `GET|DELETE /__emulator/mailgun/messages`, `GET /__emulator/mailgun/events` (stored
//   events), `POST /__emulator/mailgun/events`, `POST /__emulator/mailgun/replies`,
//   `DELETE /__emulator/mailgun/config`.
// Faults: the core's `lost_answer` runs this handler (the message and its accepted event are kept)
// and then drops the connection, as a send that timed out at the client but reached Mailgun.

import { createHmac, randomBytes } from "node:crypto";
import { createEmulatorServer, type EmulatorRequest, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";

export const DEFAULT_MAILGUN_SIGNING_KEY = "sandbox-mailgun-webhook-signing-key";


export const mailgunFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  if (kind === "rate_limit") {
    return { body: { message: message ?? "Too many requests" }, headers: { "retry-after": String(fault.retryAfter ?? 1), "x-ratelimit-remaining": "0" } };
  }
  return { body: { message: message ?? "Injected error" } };
};

// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac("sha256", signingKey).update(timestamp + token).digest("hex");
}

export interface SentMessage {
  /** With angle brackets, as returned to the sender: "<2026…@domain>" (or the sender's own h:Message-Id). */
  id: string;
  domain: string;
  time: number;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  template: string | undefined;
  /** `h:` headers without the prefix, e.g. {"Reply-To": "..."} */
  headers: Record<string, string>;
  /** `o:` options without the prefix; `tag` may repeat. */
  options: Record<string, string | string[]>;
  tags: string[];
  /** `v:` variables (and h:X-Mailgun-Variables). */
  variables: Record<string, string>;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
}

export type MailgunEventName = "accepted" | "delivered" | "opened" | "clicked" | "failed" | "unsubscribed" | "complained";

/** Domain webhook ids (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/domain-webhooks). */
export const MAILGUN_WEBHOOK_NAMES = ["accepted", "clicked", "opened", "unsubscribed", "delivered", "permanent_fail", "temporary_fail", "complained"] as const;
export type MailgunWebhookName = (typeof MAILGUN_WEBHOOK_NAMES)[number];

/** An event as the events API and webhooks show it (`event-data`), with the domain it belongs to. */
export interface StoredEvent {
  domain: string;
  data: Record<string, unknown>;
  /** Epoch ms from which the events API shows it (see `eventVisibilityDelayMs`). */
  visibleAt: number;
}

export interface MailgunRoute {
  id: string;
  priority: number;
  description: string;
  expression: string;
  actions: string[];
  created_at: string;
}

export interface DeliverEventOptions {
  /** The app's webhook URL; without it, the domain's webhook for this event (see `webhookNameFor`). */
  url?: string;
  event: MailgunEventName;
  /** Message id (with or without <>); defaults to the last sent message. */
  messageId?: string;
  /** The domain whose webhooks apply; defaults to the message's domain. */
  domain?: string;
  recipient?: string;
  /** For failed: permanent (default) or temporary. */
  severity?: "permanent" | "temporary";
  reason?: string;
  signingKey?: string;
  timestamp?: number;
  token?: string;
  /** Send a wrong signature (for negative tests). */
  badSignature?: boolean;
  /** Build and sign the payload, record the event, POST nothing (for an app no URL reaches, e.g. in workerd tests). */
  renderOnly?: boolean;
}

export interface DeliverReplyOptions {
  /** The app's inbound URL; without it, the forward() URLs of the routes matching `recipient`. */
  url?: string;
  /** The message being replied to (with or without <>); defaults to the last sent message. */
  inReplyTo?: string;
  /** The replier; defaults to the original recipient. */
  from?: string;
  /** The address the reply was sent to; defaults to the original Reply-To or From. */
  recipient?: string;
  subject?: string;
  text?: string;
  html?: string;
  signingKey?: string;
  timestamp?: number;
  token?: string;
  badSignature?: boolean;
  encoding?: "multipart" | "urlencoded";
  /** More MIME headers of the reply (e.g. ["Auto-Submitted", "auto-replied"]): in message-headers and as fields. */
  headers?: Array<[string, string]>;
  /** Build and sign the fields, POST nothing. */
  renderOnly?: boolean;
}

export interface DeliveryResult {
  /** Where it was POSTed (the first URL when a webhook or routes named several); "" when render-only. */
  url: string;
  status: number;
  body: string;
  payload: unknown;
}

export interface MailgunEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted API keys; any non-empty key when omitted. */
  apiKeys?: string[];
  /** Accepted sending domains; any when omitted. */
  domains?: string[];
  signingKey?: string;
  /**
   * How long a new event stays out of the events API. The docs warn that events reach storage late
   * (the "Event Polling" section of the events page); 0 (default) shows them at once.
   */
  eventVisibilityDelayMs?: number;
}

export interface MailgunEmulator extends EmulatorServer {
  readonly messages: SentMessage[];
  readonly events: StoredEvent[];
  readonly routes: MailgunRoute[];
  /** Domain → webhook id → URLs. */
  readonly webhooks: Map<string, Map<MailgunWebhookName, string[]>>;
  clearMessages(): void;
  /** Drops the routes and webhooks (which `reset()` keeps). */
  clearConfig(): void;
  deliverEvent(opts: DeliverEventOptions): Promise<DeliveryResult>;
  deliverReply(opts: DeliverReplyOptions): Promise<DeliveryResult>;
  signingKey: string;
}

const bare = (id: string): string => id.trim().replace(/^</, "").replace(/>$/, "");
const addr = (s: string): string => s.match(/<([^>]+)>/)?.[1]?.trim() ?? s.trim();
const validAddress = (s: string): boolean => /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(addr(s));
// An RFC 5322 msg-id is "<left@right>"; the mailgun.js maintainers' answer (mailgun/mailgun.js#394)
// is that a Message-Id not of the form id@domain is not used.
const validMessageId = (s: string): boolean => /^<?[^\s<>@]+@[^\s<>@]+>?$/.test(s.trim());
const splitList = (values: string[]): string[] =>
  values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
const lower = (s: unknown): string => (typeof s === "string" ? s.toLowerCase() : "");

/** The domain webhook Mailgun calls for an event (`failed` splits by severity). */
export function webhookNameFor(event: MailgunEventName, severity: "permanent" | "temporary" = "permanent"): MailgunWebhookName {
  if (event === "failed") return severity === "temporary" ? "temporary_fail" : "permanent_fail";
  return event;
}

// ---- route expressions (https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/routes)
// Supported: match_recipient(pattern), match_header(header, pattern), catch_all(). The docs do not say
// whether patterns are anchored or case-sensitive; their examples write `^…$` when they mean a whole
// match, so a pattern is searched (unanchored), case-insensitively. Combined filters ("… and …") are
// not modeled: such a route never matches here.
type Filter = { kind: "recipient"; pattern: RegExp } | { kind: "header"; header: string; pattern: RegExp } | { kind: "catch_all" };

function parseExpression(expression: string): Filter | null {
  const e = expression.trim();
  if (/^catch_all\(\s*\)$/.test(e)) return { kind: "catch_all" };
  const toRegExp = (p: string): RegExp | null => {
    try {
      return new RegExp(p, "i");
    } catch {
      return null;
    }
  };
  const rec = e.match(/^match_recipient\(\s*(["'])(.*)\1\s*\)$/);
  if (rec) {
    const pattern = toRegExp(rec[2]!);
    return pattern ? { kind: "recipient", pattern } : null;
  }
  const hdr = e.match(/^match_header\(\s*(["'])(.+?)\1\s*,\s*(["'])(.*)\3\s*\)$/);
  if (hdr) {
    const pattern = toRegExp(hdr[4]!);
    return pattern ? { kind: "header", header: hdr[2]!.toLowerCase(), pattern } : null;
  }
  return null;
}

/** forward("a, b") destinations that are URLs (forwarding to an email address is not emulated). */
function forwardUrls(action: string): string[] {
  const m = action.trim().match(/^forward\(\s*(["'])(.*)\1\s*\)$/);
  if (!m) return [];
  return m[2]!
    .split(",")
    .map((d) => d.trim())
    .filter((d) => /^https?:\/\//i.test(d));
}

// ---- events query (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/events/get-v3-domain_name-events)
// Filter fields: event, message-id, recipient, from, to, subject, tags, severity. Of the filter
// expression grammar, "a OR b", `NOT a` and "quoted phrases" are modeled; parentheses and numeric
// ranges are not. Keyword fields compare whole values; from/to/subject match a contained term.
const KEYWORD_FILTERS = ["event", "message-id", "recipient", "severity", "tags"] as const;
const TEXT_FILTERS = ["from", "to", "subject"] as const;

function eventField(data: Record<string, unknown>, field: string): string[] {
  const headers = ((data.message as Record<string, unknown> | undefined)?.headers ?? {}) as Record<string, unknown>;
  switch (field) {
    case "message-id":
      return [String(headers["message-id"] ?? "")];
    case "from":
    case "to":
    case "subject":
      return [String(headers[field] ?? "")];
    case "tags":
      return Array.isArray(data.tags) ? data.tags.map(String) : [];
    default:
      return [String(data[field] ?? "")];
  }
}

function matchesExpression(values: string[], expression: string, whole: boolean): boolean {
  return expression.split(/\s+OR\s+/).some((alt) => {
    const negated = /^NOT\s+/.test(alt);
    const term = alt
      .replace(/^NOT\s+/, "")
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
    const hit = values.some((v) => (whole ? v.toLowerCase() === term : v.toLowerCase().includes(term)));
    return negated ? !hit : hit;
  });
}

/** Epoch seconds or an RFC 2822 date → epoch seconds (NaN when neither). */
function parseTime(value: string): number {
  return /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Date.parse(value) / 1000;
}

export async function startMailgunEmulator(opts: MailgunEmulatorOptions = {}): Promise<MailgunEmulator> {
  const messages: SentMessage[] = [];
  const events: StoredEvent[] = [];
  const routes: MailgunRoute[] = [];
  const webhooks = new Map<string, Map<MailgunWebhookName, string[]>>();
  const signingKey = opts.signingKey ?? DEFAULT_MAILGUN_SIGNING_KEY;
  let baseUrl = "";

  const findMessage = (id: string | undefined): SentMessage | undefined => {
    if (!id) return messages[messages.length - 1];
    // The last one: a retried send with the same h:Message-Id is a second message with that id.
    return messages.findLast((m) => bare(m.id) === bare(id));
  };

  const recordEvent = (domain: string, data: Record<string, unknown>): void => {
    events.push({ domain, data, visibleAt: Date.now() + (opts.eventVisibilityDelayMs ?? 0) });
  };

  const sign = (key: string, timestamp: number | undefined, token: string | undefined, bad: boolean | undefined) => {
    const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
    // "Randomly generated string with length of 50" (securing-webhooks page).
    const tok = token ?? randomBytes(25).toString("hex");
    const sig = bad ? "0".repeat(64) : mailgunSignature(key, ts, tok);
    return { timestamp: ts, token: tok, signature: sig };
  };

  const post = async (url: string, init: RequestInit): Promise<{ status: number; body: string }> => {
    const res = await fetch(url, { method: "POST", ...init });
    return { status: res.status, body: await res.text() };
  };

  // Event shape: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhooks (event-data)
  // and the samples of the events page.
  const eventData = (o: DeliverEventOptions): { data: Record<string, unknown>; domain: string | undefined; message: SentMessage | undefined } => {
    const m = findMessage(o.messageId);
    const messageId = o.messageId ? bare(o.messageId) : m ? bare(m.id) : `${Date.now()}.unknown@sandbox.local`;
    const recipient = o.recipient ?? (m ? addr(m.to[0] ?? "") : "recipient@example.com");
    const data: Record<string, unknown> = {
      id: randomBytes(11).toString("base64url"),
      event: o.event,
      timestamp: Date.now() / 1000,
      "log-level": o.event === "failed" ? (o.severity === "temporary" ? "warn" : "error") : "info",
      recipient,
      "recipient-domain": recipient.split("@")[1] ?? "",
      tags: m?.tags ?? [],
      campaigns: [],
      "user-variables": m?.variables ?? {},
      envelope: { sender: m ? addr(m.from) : "postmaster@sandbox.local", targets: recipient, transport: "smtp" },
      flags: { "is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false },
      message: {
        headers: { "message-id": messageId, to: m?.to.join(", ") ?? recipient, from: m?.from ?? "", subject: m?.subject ?? "" },
        attachments: [],
        size: m ? (m.text?.length ?? 0) + (m.html?.length ?? 0) : 0,
      },
    };
    if (o.event === "delivered") data["delivery-status"] = { code: 250, message: "OK", description: "", "attempt-no": 1, tls: true };
    if (o.event === "failed") {
      data.severity = o.severity ?? "permanent";
      data.reason = o.reason ?? (o.severity === "temporary" ? "generic" : "bounce");
      data["delivery-status"] = {
        code: o.severity === "temporary" ? 452 : 550,
        message: o.severity === "temporary" ? "4.2.2 Mailbox full" : "5.1.1 The email account that you tried to reach does not exist.",
        description: "",
        "attempt-no": 1,
      };
    }
    if (o.event === "opened" || o.event === "clicked") {
      data.ip = "203.0.113.10";
      data["client-info"] = { "client-type": "mobile browser", "client-os": "iOS", "device-type": "mobile", "client-name": "Mobile Safari", "user-agent": "Mozilla/5.0" };
      data.geolocation = { country: "US", region: "VA", city: "Richmond" };
    }
    return { data, domain: o.domain ?? m?.domain, message: m };
  };

  const deliverEvent = async (o: DeliverEventOptions): Promise<DeliveryResult> => {
    const { data, domain } = eventData(o);
    const name = webhookNameFor(o.event, o.severity);
    const configured = domain ? webhooks.get(domain)?.get(name) : undefined;
    const urls = o.url ? [o.url] : (configured ?? []);
    if (urls.length === 0 && !o.renderOnly) {
      throw new Error(`no url given and no "${name}" webhook for domain ${domain ?? "(unknown: pass domain or send a message first)"}: create one with POST /v3/domains/<domain>/webhooks, or pass url`);
    }
    // The event happened whether or not anyone hears of it: the events API shows it too.
    if (domain) recordEvent(domain, data);
    const payload = { signature: sign(o.signingKey ?? signingKey, o.timestamp, o.token, o.badSignature), "event-data": data };
    if (o.renderOnly) return { url: "", status: 0, body: "", payload };
    const results: DeliveryResult[] = [];
    for (const url of urls) {
      const r = await post(url, { headers: { "content-type": "application/json", "user-agent": "mailgun/treq-16.12.0" }, body: JSON.stringify(payload) });
      results.push({ url, ...r, payload });
    }
    return results[0]!;
  };

  /** The forward() URLs of the routes an inbound message matches, in priority order, up to a stop(). */
  const routeUrls = (recipient: string, headers: Array<[string, string]>): string[] => {
    const ordered = routes.map((r, i) => ({ r, i })).sort((a, b) => a.r.priority - b.r.priority || a.i - b.i);
    const urls: string[] = [];
    let matchedAny = false;
    for (const { r } of ordered) {
      const f = parseExpression(r.expression);
      const hit =
        f?.kind === "recipient"
          ? f.pattern.test(recipient)
          : f?.kind === "header"
            ? headers.some(([k, v]) => k.toLowerCase() === f.header && f.pattern.test(v))
            : f?.kind === "catch_all"
              ? !matchedAny
              : false;
      if (!hit) continue;
      matchedAny = true;
      for (const a of r.actions) urls.push(...forwardUrls(a));
      // "stop(): stops the priority waterfall so the subsequent routes will not be evaluated".
      if (r.actions.some((a) => /^stop\(\s*\)$/.test(a.trim()))) break;
    }
    return [...new Set(urls)];
  };

  // Fields of https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/receive-http.
  // That page says the POST is urlencoded unless the message has attachments; multipart stays the
  // default here (the tests rely on it) and `encoding: "urlencoded"` gives the other, so an app
  // must read both.
  const deliverReply = async (o: DeliverReplyOptions): Promise<DeliveryResult> => {
    const m = findMessage(o.inReplyTo);
    const original = o.inReplyTo ? bare(o.inReplyTo) : m ? bare(m.id) : undefined;
    const from = o.from ?? (m ? (m.to[0] ?? "someone@example.com") : "someone@example.com");
    const recipient = o.recipient ?? (m ? addr(m.headers["Reply-To"] ?? m.from) : "reply@sandbox.local");
    const subject = o.subject ?? (m ? `Re: ${m.subject}` : "Re: (no subject)");
    const text = o.text ?? "Thanks for reaching out — happy to talk next week.";
    const domain = recipient.split("@")[1] ?? "sandbox.local";
    const messageId = `<CA${randomBytes(12).toString("hex")}@mail.${addr(from).split("@")[1] ?? "example.com"}>`;
    const headers: Array<[string, string]> = [
      ["From", from],
      ["To", recipient],
      ["Subject", subject],
      ["Message-Id", messageId],
      ["Date", new Date().toUTCString()],
    ];
    if (original) {
      headers.push(["In-Reply-To", `<${original}>`]);
      headers.push(["References", `<${original}>`]);
    }
    headers.push(...(o.headers ?? []));
    const urls = o.url ? [o.url] : routeUrls(recipient, headers);
    if (urls.length === 0 && !o.renderOnly) throw new Error(`no url given and no route forwards mail for ${recipient} to a URL: create one with POST /v3/routes, or pass url`);
    const signature = sign(o.signingKey ?? signingKey, o.timestamp, o.token, o.badSignature);
    const fields: Record<string, string> = {
      recipient,
      sender: addr(from),
      from,
      subject,
      "body-plain": `${text}\n\nOn a previous day, ${m?.from ?? recipient} wrote:\n> ${m?.text?.split("\n")[0] ?? ""}`,
      "stripped-text": text,
      "stripped-signature": "",
      "body-html": o.html ?? `<p>${text}</p>`,
      "stripped-html": o.html ?? `<p>${text}</p>`,
      "attachment-count": "0",
      "message-headers": JSON.stringify(headers),
      "Message-Id": messageId,
      From: from,
      To: recipient,
      Subject: subject,
      Date: new Date().toUTCString(),
      "X-Mailgun-Incoming": "Yes",
      domain,
      ...signature,
    };
    if (original) {
      fields["In-Reply-To"] = `<${original}>`;
      fields.References = `<${original}>`;
    }
    // The MIME headers are posted as fields too (the forward() sample payload of the routes docs).
    for (const [k, v] of o.headers ?? []) fields[k] = v;
    if (o.renderOnly) return { url: "", status: 0, body: "", payload: fields };
    const results: DeliveryResult[] = [];
    for (const url of urls) {
      let body: URLSearchParams | FormData;
      if (o.encoding === "urlencoded") body = new URLSearchParams(fields);
      else {
        body = new FormData();
        for (const [k, v] of Object.entries(fields)) body.append(k, v);
      }
      results.push({ url, ...(await post(url, { body })), payload: fields });
    }
    return results[0]!;
  };

  const unauthorized = (): EmulatorResponse => ({ status: 401, headers: { "content-type": "text/plain", "www-authenticate": 'Basic realm="MG API"' }, body: "Forbidden" });

  const authorized = (req: EmulatorRequest): boolean => {
    const basic = (req.headers.authorization ?? "").match(/^Basic\s+(.+)$/i)?.[1];
    if (!basic) return false;
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const sep = decoded.indexOf(":");
    const key = decoded.slice(sep + 1);
    return sep >= 0 && decoded.slice(0, sep) === "api" && !!key && (!opts.apiKeys || opts.apiKeys.includes(key));
  };
  const knownDomain = (domain: string): boolean => !opts.domains || opts.domains.includes(domain);
  const noForm = (): EmulatorResponse => json(400, { message: "Content-Type must be application/x-www-form-urlencoded or multipart/form-data" });

  // ---- POST /v3/<domain>/messages
  const send = (req: EmulatorRequest, domain: string): EmulatorResponse => {
    const form = req.form;
    if (!form) return noForm();
    const from = form.get("from");
    if (!from) return json(400, { message: "'from' parameter is missing" });
    if (!validAddress(from)) return json(400, { message: "'from' parameter is not a valid address. please check documentation" });
    const to = splitList(form.getAll("to"));
    if (to.length === 0) return json(400, { message: "'to' parameter is missing" });
    if (to.some((t) => !validAddress(t))) return json(400, { message: "'to' parameter is not a valid address. please check documentation" });
    const subject = form.get("subject");
    if (subject === null) return json(400, { message: "'subject' parameter is missing" });
    const text = form.get("text") ?? undefined;
    const html = form.get("html") ?? undefined;
    const template = form.get("template") ?? undefined;
    if (!text && !html && !template) return json(400, { message: "Need at least one of 'text', 'html' or 'template' parameters specified" });

    const headers: Record<string, string> = {};
    const options: Record<string, string | string[]> = {};
    const variables: Record<string, string> = {};
    const tags: string[] = [];
    for (const [k, v] of form) {
      if (k.startsWith("h:")) headers[k.slice(2)] = v;
      else if (k.startsWith("o:")) {
        const name = k.slice(2);
        if (name === "tag") tags.push(v);
        const prev = options[name];
        options[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      } else if (k.startsWith("v:")) variables[k.slice(2)] = v;
    }
    const mgVars = headers["X-Mailgun-Variables"];
    if (mgVars) {
      try {
        const parsed = JSON.parse(mgVars) as Record<string, unknown>;
        for (const [k, v] of Object.entries(parsed)) variables[k] = typeof v === "string" ? v : JSON.stringify(v);
      } catch {
        return json(400, { message: "h:X-Mailgun-Variables must be valid JSON" });
      }
    }
    if (tags.length > 10) return json(400, { message: "Too many tags: a message can have at most 10 tags" });
    const cc = splitList(form.getAll("cc"));
    const bcc = splitList(form.getAll("bcc"));

    // "Mailgun will automatically include a unique Message-ID or you can set your own"
    // (https://documentation.mailgun.com/en/latest/faqs.html#how-do-i-track-which-email-a-recipient-has-replied-to),
    // as an h: header like any other (…/messages/post-v3--domain-name--messages). The docs do not say
    // which `id` the send then returns; a message's id is its Message-Id (the events API filters on
    // "a Mailgun message id returned by the messages API" and shows it as message.headers["message-id"]),
    // so it is the sender's. A second send with the same Message-Id is a second message: the docs
    // promise no deduplication.
    const ownId = Object.entries(headers).find(([k]) => k.toLowerCase() === "message-id")?.[1];
    const stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
    const id = ownId && validMessageId(ownId) ? `<${bare(ownId)}>` : `<${stamp}.${randomBytes(8).toString("hex")}@${domain}>`;
    const message: SentMessage = {
      id,
      domain,
      time: Date.now(),
      from,
      to,
      cc,
      bcc,
      subject,
      text,
      html,
      template,
      headers,
      options,
      tags,
      variables,
      attachments: (req.files ?? []).map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.data.length })),
    };
    messages.push(message);
    // "accepted: Mailgun accepted the request to send/forward the email and the message has been
    // placed in queue" — one event per recipient ("each event … tracks one recipient"), events page.
    for (const rcpt of [...to, ...cc, ...bcc]) {
      const recipient = addr(rcpt);
      recordEvent(domain, {
        id: randomBytes(11).toString("base64url"),
        event: "accepted",
        timestamp: message.time / 1000,
        "log-level": "info",
        method: "http",
        recipient,
        "recipient-domain": recipient.split("@")[1] ?? "",
        tags,
        campaigns: [],
        "user-variables": variables,
        envelope: { sender: addr(from), targets: recipient, transport: "smtp" },
        flags: { "is-authenticated": true, "is-test-mode": options.testmode === "yes" },
        message: {
          headers: { to: to.join(", "), "message-id": bare(id), from, subject },
          attachments: message.attachments,
          recipients: [...to, ...cc, ...bcc].map(addr),
          size: (text?.length ?? 0) + (html?.length ?? 0),
        },
        // The storage URL is shown as Mailgun shows it; fetching stored messages is not emulated.
        storage: { url: `${baseUrl}/v3/domains/${domain}/messages/${bare(id)}`, key: bare(id) },
      });
    }
    return json(200, { id, message: "Queued. Thank you." });
  };

  // ---- GET /v3/<domain>/events[/<page>]   (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/events/get-v3-domain_name-events;
  // deprecated there in favour of the Logs API, POST /v1/analytics/logs, which is not emulated)
  const queryEvents = (domain: string, query: URLSearchParams, offset: number): EmulatorResponse => {
    const limitParam = query.get("limit");
    const limit = limitParam === null ? 100 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > 300) return json(400, { message: "limit must be an integer between 1 and 300" });
    const begin = query.get("begin");
    const end = query.get("end");
    const ascending = query.get("ascending");
    if (ascending !== null && ascending !== "yes" && ascending !== "no") return json(400, { message: "ascending must be 'yes' or 'no'" });
    const beginS = begin === null ? undefined : parseTime(begin);
    const endS = end === null ? undefined : parseTime(end);
    if (Number.isNaN(beginS) || Number.isNaN(endS)) return json(400, { message: "begin and end must be epoch seconds or RFC 2822 dates" });
    // "If an end timestamp is not given, a search direction must be provided"; with neither a begin
    // nor an end (docs silent) the newest events come first.
    if (beginS !== undefined && endS === undefined && ascending === null) return json(400, { message: "'ascending' is required when 'end' is not given" });
    let asc = ascending === "yes";
    if (beginS !== undefined && endS !== undefined) {
      const ordered = endS >= beginS;
      if (ascending !== null && asc !== ordered) return json(400, { message: "the range direction and 'ascending' disagree" });
      asc = ordered;
    }
    const lo = beginS !== undefined && endS !== undefined ? Math.min(beginS, endS) : asc ? beginS : endS;
    const hi = beginS !== undefined && endS !== undefined ? Math.max(beginS, endS) : asc ? endS : beginS;
    const now = Date.now();
    const matched = events
      .filter((e) => e.domain === domain && e.visibleAt <= now)
      .filter((e) => {
        const t = Number(e.data.timestamp);
        if (lo !== undefined && t < lo) return false;
        if (hi !== undefined && t > hi) return false;
        for (const f of KEYWORD_FILTERS) {
          const v = query.get(f);
          if (v !== null && !matchesExpression(eventField(e.data, f), v, true)) return false;
        }
        for (const f of TEXT_FILTERS) {
          const v = query.get(f);
          if (v !== null && !matchesExpression(eventField(e.data, f), v, false)) return false;
        }
        return true;
      })
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (Number(a.e.data.timestamp) - Number(b.e.data.timestamp) || a.i - b.i) * (asc ? 1 : -1))
      .map(({ e }) => e.data);
    const page = (at: number): string => {
      const token = Buffer.from(JSON.stringify({ q: query.toString(), o: Math.max(0, at) })).toString("base64url");
      return `${baseUrl}/v3/${domain}/events/${token}`;
    };
    // "Both next and previous page URLs are always returned, even when retrieving one of them makes no sense."
    return json(200, {
      items: matched.slice(offset, offset + limit),
      paging: { first: page(0), last: page(Math.max(0, matched.length - limit)), next: page(offset + limit), previous: page(offset - limit) },
    });
  };

  // ---- /v3/routes   (https://documentation.mailgun.com/docs/mailgun/api-reference/openapi-final/tag/Routes/;
  // routes are per account, not per domain)
  const routeApi = (req: EmulatorRequest, id: string | undefined): EmulatorResponse => {
    if (id === undefined) {
      if (req.method === "GET") {
        const skip = Number(req.query.get("skip") ?? 0);
        const limit = Number(req.query.get("limit") ?? 100);
        return json(200, { total_count: routes.length, items: routes.slice(skip, skip + limit) });
      }
      if (req.method !== "POST") return json(405, { message: "Method Not Allowed" });
      const form = req.form;
      if (!form) return noForm();
      const priority = Number(form.get("priority") ?? 0);
      if (!Number.isInteger(priority)) return json(400, { message: "'priority' must be an integer" });
      // The docs list expression and action without saying they are required; a route without
      // either does nothing, so they are required here.
      const expression = form.get("expression");
      if (!expression) return json(400, { message: "'expression' parameter is missing" });
      const actions = form.getAll("action");
      if (actions.length === 0) return json(400, { message: "'action' parameter is missing" });
      const route: MailgunRoute = { id: randomBytes(12).toString("hex"), priority, description: form.get("description") ?? "", expression, actions, created_at: new Date().toUTCString() };
      routes.push(route);
      return json(200, { message: "Route has been created", route });
    }
    const route = routes.find((r) => r.id === id);
    if (!route) return json(404, { message: "Route not found" });
    if (req.method === "GET") return json(200, { route });
    if (req.method === "DELETE") {
      routes.splice(routes.indexOf(route), 1);
      return json(200, { message: "Route has been deleted", id });
    }
    if (req.method !== "PUT") return json(405, { message: "Method Not Allowed" });
    // "All parameters are optional: this API call only updates the specified fields."
    const form = req.form ?? new URLSearchParams();
    const priority = form.get("priority");
    if (priority !== null) {
      if (!Number.isInteger(Number(priority))) return json(400, { message: "'priority' must be an integer" });
      route.priority = Number(priority);
    }
    const description = form.get("description");
    if (description !== null) route.description = description;
    const expression = form.get("expression");
    if (expression !== null) route.expression = expression;
    if (form.getAll("action").length > 0) route.actions = form.getAll("action");
    // The update's answer is not documented beyond "200"; it is the route with a message.
    return json(200, { message: "Route has been updated", ...route });
  };

  // ---- /v3/domains/<domain>/webhooks[/<name>]   (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/domain-webhooks;
  // v4 adds a one-URL-many-events create, not emulated: v3 is current for the rest)
  const webhookApi = (req: EmulatorRequest, domain: string, name: string | undefined): EmulatorResponse => {
    if (!knownDomain(domain)) return json(404, { message: "Domain not found" });
    const hooks = webhooks.get(domain) ?? new Map<MailgunWebhookName, string[]>();
    webhooks.set(domain, hooks);
    const isName = (n: string | null | undefined): n is MailgunWebhookName => MAILGUN_WEBHOOK_NAMES.includes(n as MailgunWebhookName);
    // "url … Use multiple times to associate more than one url. Maximum of 3 urls for a given webhook type."
    const urlsOf = (form: URLSearchParams): string[] | EmulatorResponse => {
      const urls = form.getAll("url").filter(Boolean);
      if (urls.length === 0) return json(400, { message: "'url' parameter is missing" });
      if (urls.length > 3) return json(400, { message: "at most 3 urls per webhook" });
      if (urls.some((u) => !/^https?:\/\//i.test(u))) return json(400, { message: "url must be an http(s) URL" });
      return urls;
    };
    if (name === undefined) {
      if (req.method === "GET") return json(200, { webhooks: Object.fromEntries([...hooks].map(([k, urls]) => [k, { urls }])) });
      if (req.method !== "POST") return json(405, { message: "Method Not Allowed" });
      const form = req.form;
      if (!form) return noForm();
      const id = form.get("id");
      if (!isName(id)) return json(400, { message: `'id' must be one of ${MAILGUN_WEBHOOK_NAMES.join(", ")}` });
      // The docs do not say what creating an existing webhook does; it is refused (update it with PUT).
      if (hooks.has(id)) return json(400, { message: `Webhook ${id} already exists` });
      const urls = urlsOf(form);
      if (!Array.isArray(urls)) return urls;
      hooks.set(id, urls);
      return json(200, { message: "Webhook has been created", webhook: { urls } });
    }
    if (!isName(name)) return json(400, { message: `webhook name must be one of ${MAILGUN_WEBHOOK_NAMES.join(", ")}` });
    const current = hooks.get(name);
    if (!current) return json(404, { message: "Webhook not found" });
    if (req.method === "GET") return json(200, { webhook: { urls: current } });
    if (req.method === "DELETE") {
      hooks.delete(name);
      return json(200, { message: "Webhook has been deleted", webhook: { urls: current } });
    }
    if (req.method !== "PUT") return json(405, { message: "Method Not Allowed" });
    // "Replace the list of urls by the given one with the url param."
    const urls = urlsOf(req.form ?? new URLSearchParams());
    if (!Array.isArray(urls)) return urls;
    hooks.set(name, urls);
    return json(200, { message: "Webhook has been updated", webhook: { urls } });
  };

  const controlApi = async (req: EmulatorRequest): Promise<EmulatorResponse | undefined> => {
    if (req.path === "/__emulator/mailgun/messages") {
      if (req.method === "GET") return json(200, { count: messages.length, messages });
      if (req.method === "DELETE") {
        messages.length = 0;
        return json(200, { cleared: true });
      }
    }
    if (req.path === "/__emulator/mailgun/config" && req.method === "DELETE") {
      routes.length = 0;
      webhooks.clear();
      return json(200, { cleared: true });
    }
    if (req.path === "/__emulator/mailgun/events" && req.method === "GET") return json(200, { count: events.length, events });
    try {
      if (req.path === "/__emulator/mailgun/events" && req.method === "POST") {
        const b = req.json as (Partial<DeliverEventOptions> & { message_id?: string; signing_key?: string; bad_signature?: boolean; render_only?: boolean }) | undefined;
        if (!b?.event) return json(400, { error: { code: "invalid", message: "event is required (and url, unless the domain has a webhook for it)" } });
        return json(
          200,
          await deliverEvent({ ...b, event: b.event, messageId: b.messageId ?? b.message_id, signingKey: b.signingKey ?? b.signing_key, badSignature: b.badSignature ?? b.bad_signature, renderOnly: b.renderOnly ?? b.render_only }),
        );
      }
      if (req.path === "/__emulator/mailgun/replies" && req.method === "POST") {
        const b = (req.json ?? {}) as Partial<DeliverReplyOptions> & { in_reply_to?: string; signing_key?: string; bad_signature?: boolean; render_only?: boolean };
        const headers = Array.isArray(b.headers) ? b.headers.filter((h): h is [string, string] => Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string") : undefined;
        return json(
          200,
          await deliverReply({ ...b, headers, inReplyTo: b.inReplyTo ?? b.in_reply_to, signingKey: b.signingKey ?? b.signing_key, badSignature: b.badSignature ?? b.bad_signature, renderOnly: b.renderOnly ?? b.render_only }),
        );
      }
    } catch (err) {
      return json(400, { error: { code: "undeliverable", message: (err as Error).message } });
    }
    return undefined;
  };

  const server = await createEmulatorServer({
    name: "mailgun",
    port: opts.port,
    host: opts.host,
    routes: [
      "POST /v3/*/messages",
      "GET /v3/*/events/*",
      "GET /v3/*/events",
      "* /v3/routes/*",
      "* /v3/routes",
      "* /v3/domains/*/webhooks/*",
      "* /v3/domains/*/webhooks",
    ],
    faultShaper: mailgunFaultShaper,
    onReset: () => {
      messages.length = 0;
      events.length = 0;
    },
    handler: async (req, ctx) => {
      baseUrl = ctx.url;
      if (req.path.startsWith("/__emulator/")) return (await controlApi(req)) ?? json(404, { message: "Not Found" });

      const path = req.path;
      const webhook = path.match(/^\/v3\/domains\/([^/]+)\/webhooks(?:\/([^/]+))?$/);
      const route = path.match(/^\/v3\/routes(?:\/([^/]+))?$/);
      const eventsPath = path.match(/^\/v3\/([^/]+)\/events(?:\/([^/]+))?$/);
      const messagesPath = path.match(/^\/v3\/([^/]+)\/messages$/);
      if (!webhook && !route && !eventsPath && !messagesPath) return json(404, { message: "Not Found" });
      if (!authorized(req)) return unauthorized();

      if (webhook) return webhookApi(req, decodeURIComponent(webhook[1]!), webhook[2] === undefined ? undefined : decodeURIComponent(webhook[2]));
      if (route) return routeApi(req, route[1]);
      if (eventsPath) {
        if (req.method !== "GET") return json(405, { message: "Method Not Allowed" });
        const domain = decodeURIComponent(eventsPath[1]!);
        if (!knownDomain(domain)) return json(404, { message: `Domain not found: ${domain}` });
        if (eventsPath[2] === undefined) return queryEvents(domain, req.query, 0);
        try {
          const { q, o } = JSON.parse(Buffer.from(eventsPath[2], "base64url").toString("utf8")) as { q: string; o: number };
          return queryEvents(domain, new URLSearchParams(q), o);
        } catch {
          return json(400, { message: "invalid page token" });
        }
      }
      if (req.method !== "POST") return json(405, { message: "Method Not Allowed" });
      const domain = decodeURIComponent(messagesPath![1]!);
      if (!knownDomain(domain)) return json(404, { message: `Domain not found: ${domain}` });
      return send(req, domain);
    },
  });
  baseUrl = server.url;

  return Object.assign(server, {
    messages,
    events,
    routes,
    webhooks,
    signingKey,
    clearMessages: () => {
      messages.length = 0;
    },
    clearConfig: () => {
      routes.length = 0;
      webhooks.clear();
    },
    deliverEvent,
    deliverReply,
  });
}
