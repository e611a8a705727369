import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { AppError } from "../lib/errors.ts";
import { checkMailgunSignature } from "../middleware/mailgun-signature.ts";
import { isAutoReply, messageIdsIn } from "../outreach/auto-reply.ts";
import type { OutreachEventKind } from "../outreach/outreach.types.ts";
import { createOutreach, type OutreachEventInput } from "../services/outreach.ts";
import { createStore } from "../store/index.ts";

const addressOf = (value: string | undefined): string | null => {
  const match = value?.match(/<([^>]+)>/)?.[1] ?? value;
  const address = match?.trim().toLowerCase();
  return address && /^[^@\s]+@[^@\s]+$/.test(address) ? address : null;
};

// Inbound route forwards (documentation.mailgun.com … receiving/routes: "forward()" POSTs these fields).
const InboundForm = z.looseObject({
  timestamp: z.string(),
  token: z.string(),
  signature: z.string(),
  sender: z.string().optional(),
  from: z.string().optional(),
  recipient: z.string().optional(),
  subject: z.string().default(""),
  "stripped-text": z.string().optional(),
  "body-plain": z.string().optional(),
  "Message-Id": z.string().optional(),
  "In-Reply-To": z.string().optional(),
  References: z.string().optional(),
  "message-headers": z.string().optional(),
});

// Event webhooks (documentation.mailgun.com … webhooks/webhook-payload): {signature, "event-data"}.
const EventBody = z.object({
  signature: z.object({ timestamp: z.union([z.string(), z.number()]).transform(String), token: z.string(), signature: z.string() }),
  "event-data": z.looseObject({
    id: z.string().min(1),
    event: z.string().min(1),
    timestamp: z.number().optional(),
    recipient: z.string().optional(),
    severity: z.string().optional(),
    reason: z.string().optional(),
    "delivery-status": z.looseObject({ message: z.string().optional(), description: z.string().optional(), code: z.number().optional() }).optional(),
    message: z.looseObject({ headers: z.looseObject({ "message-id": z.string().optional() }).optional() }).optional(),
  }),
});

function headerPairs(raw: string | undefined): Array<[string, string]> {
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? parsed.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === "string" && typeof p[1] === "string") : [];
  } catch {
    return [];
  }
}

/** A Mailgun event name → what it means for a sequence (null: nothing to record). */
function kindOfEvent(event: string, severity: string | undefined): OutreachEventKind | null {
  switch (event) {
    case "failed":
      return severity === "temporary" ? "temporary_failure" : "bounce";
    case "complained":
      return "complaint";
    case "unsubscribed":
      return "unsubscribe";
    case "delivered":
    case "opened":
    case "clicked":
      return event;
    default:
      return null;
  }
}

/**
 * Mailgun's two doors back into the app. Both are signed (checked before anything changes), both
 * may be retried by Mailgun for hours (a repeat is recognised by its event id and changes nothing).
 *  - `POST /webhooks/mailgun/inbound`: a reply, forwarded by the inbound route of the Reply-To address.
 *  - `POST /webhooks/mailgun/events`: delivery events (bounces, complaints, unsubscribes, ...).
 */
export const mailgunWebhooks = new Hono<HonoEnv>()
  .post("/webhooks/mailgun/inbound", async (c) => {
    let form: z.infer<typeof InboundForm>;
    try {
      const body = await c.req.parseBody({ all: false });
      const parsed = InboundForm.safeParse(Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string")));
      if (!parsed.success) throw new AppError("BAD_REQUEST", `not a Mailgun inbound message: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
      form = parsed.data;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("BAD_REQUEST", "the body is not a form (multipart/form-data or application/x-www-form-urlencoded)");
    }
    const store = createStore(c.var.config);
    const { release } = await checkMailgunSignature(c.var.config.env.MAILGUN_WEBHOOK_SIGNING_KEY, form, store);
    try {
      const headers = headerPairs(form["message-headers"]);
      const from = addressOf(form.sender) ?? addressOf(form.from);
      const text = form["stripped-text"] ?? form["body-plain"] ?? "";
      const auto = isAutoReply({ headers, subject: form.subject });
      const unsubscribe = /^\s*(re:\s*)?unsubscribe\b/i.test(form.subject) || /^\s*unsubscribe\s*$/i.test(text);
      const kind: OutreachEventKind = auto.auto ? "auto_reply" : unsubscribe ? "unsubscribe" : "reply";
      const ids = [...messageIdsIn(form["In-Reply-To"]), ...messageIdsIn(form.References)].flatMap((id) => [id, `<${id}>`]);
      const input: OutreachEventInput = {
        kind,
        provider_event_id: `inbound:${form["Message-Id"] ?? form.token}`,
        message_ids: ids,
        from_email: from,
        email: from,
        subject: form.subject,
        body_text: text.slice(0, 10_000),
        detail: { recipient: form.recipient ?? null, ...(auto.reason ? { auto_reply: auto.reason } : {}), source: "inbound" },
      };
      const recorded = await createOutreach(c.env, () => store, c.var.log).record(input);
      return c.json({ received: true, kind, matched: recorded.matched, duplicate: recorded.duplicate, sequence_id: recorded.sequence_id ?? null });
    } catch (error) {
      await release();
      throw error;
    }
  })
  .post("/webhooks/mailgun/events", async (c) => {
    let body: z.infer<typeof EventBody>;
    try {
      const parsed = EventBody.safeParse(await c.req.json());
      if (!parsed.success) throw new AppError("BAD_REQUEST", `not a Mailgun event: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
      body = parsed.data;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("BAD_REQUEST", "the body is not JSON");
    }
    const store = createStore(c.var.config);
    const { release } = await checkMailgunSignature(c.var.config.env.MAILGUN_WEBHOOK_SIGNING_KEY, body.signature, store);
    try {
      const data = body["event-data"];
      const kind = kindOfEvent(data.event, data.severity);
      if (!kind) return c.json({ received: true, action: "ignored", reason: `event ${data.event} needs no action` });
      const messageId = data.message?.headers?.["message-id"];
      const recorded = await createOutreach(c.env, () => store, c.var.log).record({
        kind,
        provider_event_id: `mailgun:${data.id}`,
        message_ids: messageId ? [messageId, `<${messageId.replace(/^<|>$/g, "")}>`] : [],
        email: addressOf(data.recipient),
        detail: {
          reason: data["delivery-status"]?.message || data.reason || null,
          severity: data.severity ?? null,
          code: data["delivery-status"]?.code ?? null,
          source: "mailgun",
        },
        occurred_at: data.timestamp ? new Date(data.timestamp * 1000).toISOString() : null,
      });
      return c.json({ received: true, kind, matched: recorded.matched, duplicate: recorded.duplicate });
    } catch (error) {
      await release();
      throw error;
    }
  });
