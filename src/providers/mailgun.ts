// The Mailgun client: sends one outreach email and, after a send whose answer was lost, asks the
// events API whether Mailgun accepted it. Runs in workerd (fetch only).
import { z } from "zod";
import { providerFetch } from "./http.ts";

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Sent as h:<name> (Message-Id, In-Reply-To, References, Reply-To, List-Unsubscribe, List-Unsubscribe-Post …) */
  headers: Record<string, string>;
  tags?: string[];
  /** v:<name> user variables */
  variables?: Record<string, string>;
}

export interface MailgunClient {
  /** Mailgun's id for the message (with angle brackets, as Mailgun returns it). */
  send(email: OutgoingEmail): Promise<{ id: string }>;
  /**
   * Whether Mailgun accepted a message with this Message-Id (after an uncertain send); its id if so.
   * `since` and `at` are epoch milliseconds. Null can also mean "not indexed yet": Mailgun's events
   * reach its storage late (the events page's "Event Polling"), so ask again a little later before
   * sending again.
   */
  findAccepted(messageId: string, opts?: { since?: number }): Promise<{ id: string; at: number } | null>;
}

// https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages/post-v3--domain-name--messages
const SendAnswer = z.looseObject({ id: z.string().min(1), message: z.string().optional() });

// https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/events/get-v3-domain_name-events
// "Events can change their structure as new features are added … we only add new fields": loose objects.
const EventsPage = z.looseObject({
  items: z.array(
    z.looseObject({
      event: z.string(),
      timestamp: z.number(),
      message: z.looseObject({ headers: z.looseObject({ "message-id": z.string().optional() }).optional() }).optional(),
    }),
  ),
});

const bare = (id: string): string => id.trim().replace(/^</, "").replace(/>$/, "");

/** Mailgun's HTTP API: basic auth `api:<key>`, form-encoded sends, JSON answers. */
export function createMailgunClient(opts: { apiKey: string; domain: string; baseUrl: string; timeoutMs?: number }): MailgunClient {
  const base = `${opts.baseUrl.replace(/\/+$/, "")}/v3/${encodeURIComponent(opts.domain)}`;
  // The key goes in the Authorization header only, never in a URL (URLs end up in logs).
  const authorization = `Basic ${btoa(`api:${opts.apiKey}`)}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return {
    async send(email) {
      const form = new URLSearchParams({ from: email.from, to: email.to, subject: email.subject, text: email.text, html: email.html });
      for (const [name, value] of Object.entries(email.headers)) form.append(`h:${name}`, value);
      for (const tag of email.tags ?? []) form.append("o:tag", tag);
      for (const [name, value] of Object.entries(email.variables ?? {})) form.append(`v:${name}`, value);
      const { data } = await providerFetch(
        {
          provider: "mailgun",
          url: `${base}/messages`,
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
          timeoutMs,
        },
        SendAnswer,
      );
      return { id: data.id };
    },

    async findAccepted(messageId, findOpts) {
      // The filter takes the id as the events show it: without angle brackets.
      const wanted = bare(messageId);
      const query = new URLSearchParams({ event: "accepted", "message-id": wanted, limit: "25" });
      // A begin without an end needs a direction (the events page, "Time Range").
      if (findOpts?.since !== undefined) {
        query.set("begin", String(Math.floor(findOpts.since / 1000)));
        query.set("ascending", "yes");
      }
      const { data } = await providerFetch({ provider: "mailgun", url: `${base}/events?${query}`, headers: { authorization }, timeoutMs }, EventsPage);
      // The filter is Mailgun's to apply; checking again costs nothing and keeps a loose match out.
      const hit = data.items.find((e) => e.event === "accepted" && bare(e.message?.headers?.["message-id"] ?? "") === wanted);
      return hit ? { id: `<${wanted}>`, at: Math.round(hit.timestamp * 1000) } : null;
    },
  };
}
