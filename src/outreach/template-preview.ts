/** A template edit rendered for a real contact, exactly as the sequence would compose it (src/outreach/compose.ts). */
import type { z } from "zod";
import type { ConfigVars } from "../env.ts";
import { composeEmail, outreachVariables, type OutreachStep } from "./compose.ts";
import { parseSender } from "./settings.ts";
import type { PreviewContact } from "../dashboard/dashboard.types.ts";

export interface TemplatePreview {
  subject: string;
  text: string;
  html: string;
  from: string;
}

type Contact = NonNullable<z.infer<typeof PreviewContact>["contact"]>;

export function renderTemplatePreview(
  env: ConfigVars,
  input: { segment: string; step: number; subject: string; body: string; firstSubject: string },
  contact: Contact,
  origin: string,
): TemplatePreview {
  const sender = parseSender(env.OUTREACH_DEFAULT_SENDER) ?? { name: "Your rep", email: "rep@example.com" };
  const appUrl = (env.APP_URL ?? origin).replace(/\/+$/, "");
  const unsubscribeUrl = `${appUrl}/unsubscribe/preview`;
  const variables = outreachVariables({
    contact: { full_name: contact.full_name, title: contact.title },
    course: { name: contact.course_name, city: contact.course_city, state: contact.course_state },
    intel: contact.intel ? { conversation_starters: contact.intel.conversation_starters, opportunities: contact.intel.opportunities } : null,
    rep: { name: sender.name, signature: sender.signature ?? sender.name },
    company_name: env.OUTREACH_COMPANY_NAME ?? "",
    unsubscribe_url: unsubscribeUrl,
    // The preview shows where the address goes even before one is configured (no email is sent from here).
    postal_address: env.OUTREACH_POSTAL_ADDRESS ?? "(postal address: set OUTREACH_POSTAL_ADDRESS)",
  });
  const step = input.step as OutreachStep;
  const common = {
    variables,
    from: `${sender.name} <${sender.email}>`,
    to: contact.full_name,
    replyTo: env.OUTREACH_REPLY_TO ?? sender.email,
    unsubscribe: { url: unsubscribeUrl, mailto: "" },
  };
  // Steps 2 and 3 reply in email 1's thread: their subject is "Re: " + email 1's, rendered.
  const firstSubject =
    step === 1 ? "" : composeEmail({ ...common, template: { segment: input.segment, step: 1, subject: input.firstSubject, body: "-" }, messageId: "<preview-1@golf-outreach.invalid>" }).subject;
  const email = composeEmail({
    ...common,
    template: { segment: input.segment, step, subject: input.subject, body: input.body },
    messageId: "<preview@golf-outreach.invalid>",
    ...(step === 1 ? {} : { thread: { firstMessageId: "<preview-1@golf-outreach.invalid>", firstSubject } }),
  });
  return { subject: email.subject, text: email.text ?? "", html: email.html ?? "", from: `${sender.name} <${sender.email}>` };
}
