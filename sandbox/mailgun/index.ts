// Mailgun emulator: sending (`POST /v3/<domain>/messages`) and the two things Mailgun POSTs back to
// an app: signed event webhooks and signed inbound-route replies.
//
// - Sending: form fields (urlencoded or multipart) `from`, `to` (repeatable / comma-separated), `cc`,
//   `bcc`, `subject`, `text` / `html` / `template`, `h:<Header>` custom headers (e.g. `h:Reply-To`,
//   `h:In-Reply-To`), `o:<option>` (e.g. `o:tag`, `o:testmode`), `v:<var>` user variables (also
//   `h:X-Mailgun-Variables` JSON). Basic auth `api:<key>` → 200 `{id: "<…@domain>", message: "Queued.
//   Thank you."}`; bad auth → 401 "Forbidden"; missing fields → 400 `{message}`.
// - Sent messages are kept (`emulator.messages`, `GET /__emulator/mailgun/messages`).
// - Event webhook (`deliverEvent`, `POST /__emulator/mailgun/events`): JSON `{signature: {timestamp,
//   token, signature}, "event-data": {event, id, timestamp, recipient, message: {headers:
//   {"message-id", …}}, tags, "user-variables", …}}`.
// - Inbound reply (`deliverReply`, `POST /__emulator/mailgun/replies`): a form POST (multipart by
//   default) with `sender`, `recipient`, `from`, `subject`, `body-plain`, `stripped-text`,
//   `Message-Id`, `In-Reply-To`, `References`, `message-headers`, `timestamp`, `token`, `signature`.
// - Both are signed: signature = hex HMAC-SHA256(signing key, timestamp + token).

import { createHmac, randomBytes } from "node:crypto";
import { createEmulatorServer, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";

export const DEFAULT_MAILGUN_SIGNING_KEY = "sandbox-mailgun-webhook-signing-key";

export const mailgunFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  if (kind === "rate_limit") {
    return { body: { message: message ?? "Too many requests" }, headers: { "retry-after": String(fault.retryAfter ?? 1), "x-ratelimit-remaining": "0" } };
  }
  return { body: { message: message ?? "Injected error" } };
};

export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac("sha256", signingKey).update(timestamp + token).digest("hex");
}

export interface SentMessage {
  /** With angle brackets, as returned to the sender: "<2026…@domain>". */
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

export interface DeliverEventOptions {
  /** The app's webhook URL. */
  url: string;
  event: MailgunEventName;
  /** Message id (with or without <>); defaults to the last sent message. */
  messageId?: string;
  recipient?: string;
  /** For failed: permanent (default) or temporary. */
  severity?: "permanent" | "temporary";
  reason?: string;
  signingKey?: string;
  timestamp?: number;
  token?: string;
  /** Send a wrong signature (for negative tests). */
  badSignature?: boolean;
}

export interface DeliverReplyOptions {
  /** The app's inbound route URL. */
  url: string;
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
}

export interface DeliveryResult {
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
}

export interface MailgunEmulator extends EmulatorServer {
  readonly messages: SentMessage[];
  clearMessages(): void;
  deliverEvent(opts: DeliverEventOptions): Promise<DeliveryResult>;
  deliverReply(opts: DeliverReplyOptions): Promise<DeliveryResult>;
  signingKey: string;
}

const bare = (id: string): string => id.replace(/^</, "").replace(/>$/, "");
const addr = (s: string): string => s.match(/<([^>]+)>/)?.[1]?.trim() ?? s.trim();
const validAddress = (s: string): boolean => /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(addr(s));
const splitList = (values: string[]): string[] =>
  values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);

export async function startMailgunEmulator(opts: MailgunEmulatorOptions = {}): Promise<MailgunEmulator> {
  const messages: SentMessage[] = [];
  const signingKey = opts.signingKey ?? DEFAULT_MAILGUN_SIGNING_KEY;

  const findMessage = (id: string | undefined): SentMessage | undefined => {
    if (!id) return messages[messages.length - 1];
    return messages.find((m) => bare(m.id) === bare(id));
  };

  const sign = (key: string, timestamp: number | undefined, token: string | undefined, bad: boolean | undefined) => {
    const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
    const tok = token ?? randomBytes(25).toString("hex");
    const sig = bad ? "0".repeat(64) : mailgunSignature(key, ts, tok);
    return { timestamp: ts, token: tok, signature: sig };
  };

  const deliverEvent = async (o: DeliverEventOptions): Promise<DeliveryResult> => {
    const m = findMessage(o.messageId);
    const messageId = o.messageId ? bare(o.messageId) : m ? bare(m.id) : `${Date.now()}.unknown@sandbox.local`;
    const recipient = o.recipient ?? (m ? addr(m.to[0] ?? "") : "recipient@example.com");
    const signature = sign(o.signingKey ?? signingKey, o.timestamp, o.token, o.badSignature);
    const now = Date.now() / 1000;
    const eventData: Record<string, unknown> = {
      id: randomBytes(11).toString("base64url"),
      event: o.event,
      timestamp: now,
      "log-level": o.event === "failed" ? (o.severity === "temporary" ? "warn" : "error") : "info",
      recipient,
      "recipient-domain": recipient.split("@")[1] ?? "",
      tags: m?.tags ?? [],
      "user-variables": m?.variables ?? {},
      envelope: { sender: m ? addr(m.from) : "postmaster@sandbox.local", targets: recipient, transport: "smtp" },
      flags: { "is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false },
      message: {
        headers: { "message-id": messageId, to: m?.to.join(", ") ?? recipient, from: m?.from ?? "", subject: m?.subject ?? "" },
        attachments: [],
        size: m ? (m.text?.length ?? 0) + (m.html?.length ?? 0) : 0,
      },
    };
    if (o.event === "delivered") eventData["delivery-status"] = { code: 250, message: "OK", description: "", "attempt-no": 1, "tls": true };
    if (o.event === "failed") {
      eventData.severity = o.severity ?? "permanent";
      eventData.reason = o.reason ?? (o.severity === "temporary" ? "generic" : "bounce");
      eventData["delivery-status"] = {
        code: o.severity === "temporary" ? 452 : 550,
        message: o.severity === "temporary" ? "4.2.2 Mailbox full" : "5.1.1 The email account that you tried to reach does not exist.",
        description: "",
        "attempt-no": 1,
      };
    }
    if (o.event === "opened" || o.event === "clicked") {
      eventData.ip = "203.0.113.10";
      eventData["client-info"] = { "client-type": "mobile browser", "client-os": "iOS", "device-type": "mobile", "client-name": "Mobile Safari", "user-agent": "Mozilla/5.0" };
      eventData.geolocation = { country: "US", region: "VA", city: "Richmond" };
    }
    const payload = { signature, "event-data": eventData };
    const res = await fetch(o.url, { method: "POST", headers: { "content-type": "application/json", "user-agent": "mailgun/treq-16.12.0" }, body: JSON.stringify(payload) });
    return { status: res.status, body: await res.text(), payload };
  };

  const deliverReply = async (o: DeliverReplyOptions): Promise<DeliveryResult> => {
    const m = findMessage(o.inReplyTo);
    const original = o.inReplyTo ? bare(o.inReplyTo) : m ? bare(m.id) : undefined;
    const from = o.from ?? (m ? m.to[0] ?? "someone@example.com" : "someone@example.com");
    const recipient = o.recipient ?? (m ? addr(m.headers["Reply-To"] ?? m.from) : "reply@sandbox.local");
    const subject = o.subject ?? (m ? `Re: ${m.subject}` : "Re: (no subject)");
    const text = o.text ?? "Thanks for reaching out — happy to talk next week.";
    const domain = recipient.split("@")[1] ?? "sandbox.local";
    const messageId = `<CA${randomBytes(12).toString("hex")}@mail.${addr(from).split("@")[1] ?? "example.com"}>`;
    const signature = sign(o.signingKey ?? signingKey, o.timestamp, o.token, o.badSignature);
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
    let res: Response;
    if (o.encoding === "urlencoded") {
      res = await fetch(o.url, { method: "POST", body: new URLSearchParams(fields) });
    } else {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields)) fd.append(k, v);
      res = await fetch(o.url, { method: "POST", body: fd });
    }
    return { status: res.status, body: await res.text(), payload: fields };
  };

  const unauthorized = (): EmulatorResponse => ({ status: 401, headers: { "content-type": "text/plain", "www-authenticate": 'Basic realm="MG API"' }, body: "Forbidden" });

  const server = await createEmulatorServer({
    name: "mailgun",
    port: opts.port,
    host: opts.host,
    routes: ["POST /v3/*/messages"],
    faultShaper: mailgunFaultShaper,
    onReset: () => {
      messages.length = 0;
    },
    handler: async (req) => {
      // ---- control API
      if (req.path === "/__emulator/mailgun/messages") {
        if (req.method === "GET") return json(200, { count: messages.length, messages });
        if (req.method === "DELETE") {
          messages.length = 0;
          return json(200, { cleared: true });
        }
      }
      if (req.path === "/__emulator/mailgun/events" && req.method === "POST") {
        const b = req.json as Partial<DeliverEventOptions> & { message_id?: string; signing_key?: string; bad_signature?: boolean } | undefined;
        if (!b?.url || !b.event) return json(400, { error: { code: "invalid", message: "url and event are required" } });
        const r = await deliverEvent({ ...b, url: b.url, event: b.event, messageId: b.messageId ?? b.message_id, signingKey: b.signingKey ?? b.signing_key, badSignature: b.badSignature ?? b.bad_signature });
        return json(200, r);
      }
      if (req.path === "/__emulator/mailgun/replies" && req.method === "POST") {
        const b = req.json as Partial<DeliverReplyOptions> & { in_reply_to?: string; signing_key?: string; bad_signature?: boolean } | undefined;
        if (!b?.url) return json(400, { error: { code: "invalid", message: "url is required" } });
        const r = await deliverReply({ ...b, url: b.url, inReplyTo: b.inReplyTo ?? b.in_reply_to, signingKey: b.signingKey ?? b.signing_key, badSignature: b.badSignature ?? b.bad_signature });
        return json(200, r);
      }

      // ---- the API
      const match = req.path.match(/^\/v3\/([^/]+)\/messages$/);
      if (!match) return json(404, { message: "Not Found" });
      if (req.method !== "POST") return json(405, { message: "Method Not Allowed" });
      const authz = req.headers.authorization ?? "";
      const basic = authz.match(/^Basic\s+(.+)$/i)?.[1];
      if (!basic) return unauthorized();
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const sep = decoded.indexOf(":");
      const user = decoded.slice(0, sep);
      const key = decoded.slice(sep + 1);
      if (sep < 0 || user !== "api" || !key || (opts.apiKeys && !opts.apiKeys.includes(key))) return unauthorized();
      const domain = decodeURIComponent(match[1]!);
      if (opts.domains && !opts.domains.includes(domain)) return json(404, { message: `Domain not found: ${domain}` });
      const form = req.form;
      if (!form) return json(400, { message: "Content-Type must be application/x-www-form-urlencoded or multipart/form-data" });

      const from = form.get("from");
      if (!from) return json(400, { message: "'from' parameter is missing" });
      if (!validAddress(from)) return json(400, { message: "'from' parameter is not a valid address. please check documentation" });
      const to = splitList(form.getAll("to"));
      if (to.length === 0) return json(400, { message: "'to' parameter is missing" });
      const badTo = to.find((t) => !validAddress(t));
      if (badTo) return json(400, { message: "'to' parameter is not a valid address. please check documentation" });
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
      const stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
      const id = `<${stamp}.${randomBytes(8).toString("hex")}@${domain}>`;
      messages.push({
        id,
        domain,
        time: Date.now(),
        from,
        to,
        cc: splitList(form.getAll("cc")),
        bcc: splitList(form.getAll("bcc")),
        subject,
        text,
        html,
        template,
        headers,
        options,
        tags,
        variables,
        attachments: (req.files ?? []).map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.data.length })),
      });
      return json(200, { id, message: "Queued. Thank you." });
    },
  });

  return Object.assign(server, {
    messages,
    signingKey,
    clearMessages: () => {
      messages.length = 0;
    },
    deliverEvent,
    deliverReply,
  });
}
