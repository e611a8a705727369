/** Turns an outreach template and one lead's variables into a ready-to-send email: subject, text, HTML, threading and unsubscribe headers. */
import type { OutgoingEmail } from "../providers/mailgun.ts";
import Mustache from "mustache";
import type { CourseIntel } from "../agents/a6-course-intel.ts";

export type OutreachStep = 1 | 2 | 3;

/** Everything a template may use; a name not listed here renders empty. */
export interface OutreachVariables {
  first_name: string;
  full_name: string;
  title: string;
  course_name: string;
  course_city: string;
  course_state: string;
  top_starter: string;
  second_starter: string;
  starters: string[];
  top_opportunity: string;
  second_opportunity: string;
  rep_name: string;
  rep_signature: string;
  company_name: string;
  unsubscribe_url: string;
  postal_address: string;
}

export interface OutreachTemplate {
  subject: string;
  body: string;
  segment: string;
  step: OutreachStep;
}

export interface ComposeInput {
  template: OutreachTemplate;
  variables: OutreachVariables;
  /** "<…@domain>", see outreachMessageId. */
  messageId: string;
  /** Steps 2 and 3 reply to the first email. */
  thread?: { firstMessageId: string; firstSubject: string };
  from: string;
  to: string;
  replyTo: string;
  unsubscribe: { url: string; mailto: string };
}

/** The email as the Mailgun client sends it (tags and variables are the sequence's to add). */
export type ComposedEmail = Omit<OutgoingEmail, "tags" | "variables">;

// The ClickUp labels ("Range ball buy") read like field names; inside a sentence the email wants a phrase.
// Keyed by A6's own schema so a new opportunity there fails to compile here until it has words.
const OPPORTUNITY_PHRASE: Record<keyof CourseIntel["opportunities"], string> = {
  range_ball_buy: "buying range balls outright",
  range_ball_lease: "leasing range balls",
  range_ball_recycle: "recycling your worn range balls",
  lake_ball_retrieval: "lake ball retrieval",
  range_equipment: "range equipment (mats, pickers, dispensers)",
  proshop_ecommerce: "pro shop e-commerce",
};

function opportunityLabel(key: string): string {
  return Object.hasOwn(OPPORTUNITY_PHRASE, key) ? OPPORTUNITY_PHRASE[key as keyof typeof OPPORTUNITY_PHRASE] : key.replace(/_/g, " ");
}

/** Highest score first, ties by key: the order the ClickUp lead shows (clickup/ sits above outreach/, so not imported from there). */
function opportunitiesByScore(opportunities: Record<string, number>): string[] {
  return Object.entries(opportunities)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key]) => key);
}

const HONORIFICS = new Set(["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "rev", "coach", "capt"]);
const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq", "pga", "cgcs"]);

function bareWord(word: string): string {
  return word.replace(/[.,]/g, "").toLowerCase();
}

/** "Dr. John Smith Jr." → "John"; "Smith, John" → "John"; a suffix is never a first name. */
export function firstName(fullName: string): string {
  const [beforeComma = "", ...afterComma] = fullName.split(",");
  const rest = afterComma.join(" ").split(/\s+/).filter((w) => w && !SUFFIXES.has(bareWord(w)));
  // "Last, First" when what follows the comma is a name rather than "Jr." or "PGA".
  const ordered = rest.length > 0 ? rest : beforeComma.split(/\s+/);
  const words = ordered.filter((w) => w && !HONORIFICS.has(bareWord(w)) && !SUFFIXES.has(bareWord(w)));
  return words[0] ?? "";
}

export function outreachVariables(input: {
  contact: { full_name: string; title: string | null };
  course: { name: string; city: string | null; state: string };
  intel: { conversation_starters: { text: string; score: number }[]; opportunities: Record<string, number> } | null;
  rep: { name: string; signature: string };
  company_name: string;
  unsubscribe_url: string;
  postal_address: string;
}): OutreachVariables {
  const starters = [...(input.intel?.conversation_starters ?? [])]
    .sort((a, b) => b.score - a.score)
    .map((s) => s.text.trim())
    .filter(Boolean);
  const opportunities = opportunitiesByScore(input.intel?.opportunities ?? {}).map(opportunityLabel);
  return {
    first_name: firstName(input.contact.full_name.trim()),
    full_name: input.contact.full_name.trim(),
    title: input.contact.title?.trim() ?? "",
    course_name: input.course.name.trim(),
    course_city: input.course.city?.trim() ?? "",
    course_state: input.course.state.trim(),
    top_starter: starters[0] ?? "",
    second_starter: starters[1] ?? "",
    starters,
    top_opportunity: opportunities[0] ?? "",
    second_opportunity: opportunities[1] ?? "",
    rep_name: input.rep.name.trim(),
    // An empty signature would leave the email unsigned; the rep's name is the least a human sign-off has.
    rep_signature: input.rep.signature.trim() || input.rep.name.trim(),
    company_name: input.company_name.trim(),
    unsubscribe_url: input.unsubscribe_url.trim(),
    postal_address: input.postal_address.trim(),
  };
}

/** Deterministic, so a retried send step reuses the id (and the reply matcher can find the sequence from it). */
export function outreachMessageId(sequenceId: string, step: number, domain: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(sequenceId)) throw new Error(`outreachMessageId: sequence id ${JSON.stringify(sequenceId)} is not a plain token`);
  if (!Number.isInteger(step) || step < 1 || step > 3) throw new Error(`outreachMessageId: step ${step} is not 1, 2 or 3`);
  if (!/^[A-Za-z0-9.-]+$/.test(domain)) throw new Error(`outreachMessageId: domain ${JSON.stringify(domain)} is not a host name`);
  return `<outreach.${sequenceId}.${step}@${domain.toLowerCase()}>`;
}

function parsed(template: OutreachTemplate, part: "subject" | "body"): string {
  try {
    Mustache.parse(template[part]);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`outreach template ${template.segment} step ${template.step}: the ${part} does not parse (${reason})`);
  }
  return template[part];
}

/**
 * Renders as plain text: no escaping. A null-prototype view, so `{{constructor}}` and the like
 * render empty like any other unknown name instead of reaching Object's prototype.
 */
function renderText(template: string, variables: OutreachVariables): string {
  const view = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  return Mustache.render(template.replace(/\r\n?/g, "\n"), view, {}, { escape: (value: unknown) => String(value) });
}

/**
 * The HTML part is the rendered text passed through Mustache's own HTML escape as a whole: the
 * template's literal text as well as the values, so neither `{{{triple}}}` nor `{{&name}}` in an
 * edited template can put markup in the email.
 */
function textToHtmlParagraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${paragraph.split("\n").map((line) => Mustache.escape(line.trim())).join("<br>\n")}</p>`)
    .join("\n");
}

function tidyText(text: string): string {
  // An empty variable or section leaves blank lines behind; one blank line is a paragraph break, more is a hole.
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function headerValue(name: string, value: string): string {
  // A CR or LF in a header value would let a lead's data write headers of its own.
  if (/[\r\n]/.test(value)) throw new Error(`outreach email: ${name} contains a line break`);
  return value;
}

function bracketed(messageId: string): string {
  const id = messageId.trim();
  return id.startsWith("<") ? id : `<${id}>`;
}

function httpUrl(url: string): string {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url.trim());
  } catch {
    throw new Error(`outreach email: the unsubscribe URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsedUrl.protocol !== "https:" && parsedUrl.protocol !== "http:") throw new Error("outreach email: the unsubscribe URL is not http(s)");
  // href percent-encodes spaces and angle brackets, which would otherwise break the <…> list in the header.
  return parsedUrl.href;
}

function mailtoUri(mailto: string): string | null {
  const value = mailto.trim();
  if (!value) return null;
  const uri = value.toLowerCase().startsWith("mailto:") ? value : `mailto:${value}`;
  return uri.includes("?") ? uri : `${uri}?subject=unsubscribe`;
}

/** Strips any number of leading "Re:" so a reply to a reply still reads "Re: <subject>". */
function replySubject(firstSubject: string): string {
  return `Re: ${firstSubject.replace(/^\s*(re\s*:\s*)+/i, "").trim()}`;
}

/** The CAN-SPAM footer: the sender's postal address and a working unsubscribe link, in every email whatever the template says. */
function footer(variables: OutreachVariables, unsubscribeUrl: string): { text: string; html: string } {
  const sender = [variables.company_name, variables.postal_address].filter(Boolean);
  const text = `--\n${sender.join("\n")}\nTo stop receiving these emails, unsubscribe: ${unsubscribeUrl}`;
  const html =
    `<p style="margin-top:24px;color:#555;font-size:12px;line-height:1.5">` +
    `${sender.map((line) => line.split("\n").map((l) => Mustache.escape(l.trim())).join("<br>")).join("<br>")}<br>` +
    `To stop receiving these emails, <a href="${Mustache.escape(unsubscribeUrl)}">unsubscribe</a>.</p>`;
  return { text, html };
}

export function composeEmail(input: ComposeInput): ComposedEmail {
  const { template } = input;
  if (!input.variables.postal_address.trim()) {
    throw new Error(`outreach template ${template.segment} step ${template.step}: refusing to compose without a postal address (CAN-SPAM)`);
  }
  if (!input.unsubscribe.url.trim()) {
    throw new Error(`outreach template ${template.segment} step ${template.step}: refusing to compose without an unsubscribe URL (CAN-SPAM)`);
  }
  const unsubscribeUrl = httpUrl(input.unsubscribe.url);
  // The URL the headers and footer use is the one the template sees, so the three never disagree.
  const variables: OutreachVariables = { ...input.variables, unsubscribe_url: unsubscribeUrl };

  const subjectTemplate = parsed(template, "subject");
  const bodyTemplate = parsed(template, "body");
  const headers: Record<string, string> = {};

  let subject: string;
  if (template.step === 1) {
    subject = renderText(subjectTemplate, variables);
  } else {
    if (!input.thread) throw new Error(`outreach template ${template.segment} step ${template.step}: a follow-up needs the first email's message id and subject`);
    const first = headerValue("In-Reply-To", bracketed(input.thread.firstMessageId));
    // Same subject and References as the first email, so every client threads the follow-up under it.
    subject = replySubject(input.thread.firstSubject);
    headers["In-Reply-To"] = first;
    headers.References = first;
  }
  subject = subject.replace(/\s+/g, " ").trim();

  const body = tidyText(renderText(bodyTemplate, variables));
  const foot = footer(variables, unsubscribeUrl);
  const text = `${body}\n\n${foot.text}\n`;
  const html =
    `<!doctype html>\n<html><head><meta charset="utf-8"></head>` +
    `<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222">\n` +
    `${textToHtmlParagraphs(body)}\n${foot.html}\n</body></html>\n`;

  headers["Message-Id"] = headerValue("Message-Id", bracketed(input.messageId));
  headers["Reply-To"] = headerValue("Reply-To", input.replyTo);
  // RFC 8058 §3.1 (https://www.rfc-editor.org/rfc/rfc8058#section-3.1): List-Unsubscribe carries an
  // HTTPS URI and List-Unsubscribe-Post exactly "List-Unsubscribe=One-Click", so the mail client POSTs
  // that body to the URI (a GET must never unsubscribe: link scanners fetch URLs); mailto: is the RFC 2369 fallback.
  const mailto = mailtoUri(input.unsubscribe.mailto);
  headers["List-Unsubscribe"] = headerValue("List-Unsubscribe", [`<${unsubscribeUrl}>`, ...(mailto ? [`<${mailto}>`] : [])].join(", "));
  headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";

  return {
    from: headerValue("From", input.from),
    to: headerValue("To", input.to),
    subject: headerValue("Subject", subject),
    text,
    html,
    headers,
  };
}
