/**
 * What a lead task says: its name, its description (the seed's "Pre-Written Conversation Starters",
 * the course intel and the sources) and its custom field values by the app's field keys. Pure
 * functions: the writer diffs these against what it last wrote. Every value from the web (names,
 * titles, research text, sources) is escaped for markdown (src/lib/markdown.ts): it shows as text,
 * never as a link or formatting.
 */
import type { Segment } from "../lib/segment.ts";
import type { LeadFieldKey } from "./config.ts";
import type { ContactProfile } from "../store/records.ts";
import { escapeMarkdown as md, markdownUrl } from "../lib/markdown.ts";
import { internationalPhone } from "../lib/phone.ts";

export interface LeadCourse {
  course_name: string;
  state: string;
  website: string | null;
  water_hazard_count: number | null;
  water_hazard_confidence: string | null;
}

export interface LeadIntel {
  segment: Segment;
  segment_confidence: number;
  segment_reasoning?: string | null;
  opportunities: Record<string, number>;
  conversation_starters: { text: string; score: number }[];
  summary: string;
}

export interface LeadContact extends ContactProfile {
  /** Set when the address is a role mailbox or shared with other contacts of the course (see mailboxNotes). */
  mailbox?: LeadMailbox;
}

/** What a rep should know about a contact's address before writing to it. */
export interface LeadMailbox {
  /** info@, proshop@, golf@…: a mailbox for a function, read by whoever holds it. */
  role: boolean;
  /** The other contacts of the course with the same address ("Name (Title)"). */
  shared_with: string[];
}

export type LeadFieldValues = Partial<Record<LeadFieldKey, string | number>>;

const SEGMENT_LABEL: Record<Segment, string> = { "high-end": "High-End", budget: "Budget", both: "Both high-end and budget" };

/**
 * The segment once, in words, with its confidence and the reasoning: "Both high-end and budget
 * (7/10) — Members plus…". A reasoning that only restates the segment ("both") is left out.
 */
export function segmentInWords(intel: Pick<LeadIntel, "segment" | "segment_confidence" | "segment_reasoning">, withReasoning = true): string {
  const reasoning = intel.segment_reasoning?.trim() ?? "";
  const restated = reasoning.replace(/\b(?:segment|both|high[\s-]*end|budget|and)\b/gi, "").replace(/[\W_]+/g, "") === "";
  return `${SEGMENT_LABEL[intel.segment]} (${intel.segment_confidence}/10)${withReasoning && !restated ? ` — ${md(reasoning)}` : ""}`;
}

export function humanizeOpportunity(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function topOpportunities(opportunities: Record<string, number>): [string, number][] {
  return Object.entries(opportunities).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** A task name is plain text in ClickUp (not markdown): one line, no control characters. */
export function leadTaskName(contact: LeadContact, course: LeadCourse): string {
  return `${contact.name} - ${contact.title || "Staff"} | ${course.course_name}`.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

export function leadFieldValues(contact: LeadContact, course: LeadCourse, intel: LeadIntel | null, segmentOptionIds: Partial<Record<Segment, string>>): LeadFieldValues {
  const values: LeadFieldValues = { course: course.course_name };
  if (course.website) values.website = course.website;
  if (contact.email) values.email = contact.email;
  const phone = internationalPhone(contact.phone);
  if (phone) values.phone = phone;
  if (contact.linkedin_url) values.linkedin = contact.linkedin_url;
  if (intel) {
    const option = segmentOptionIds[intel.segment];
    if (option) values.segment = option;
    values.confidence = intel.segment_confidence;
    const [first, second] = topOpportunities(intel.opportunities);
    if (first) {
      values.top_opp_1 = humanizeOpportunity(first[0]);
      values.top_opp_1_score = first[1];
    }
    if (second) {
      values.top_opp_2 = humanizeOpportunity(second[0]);
      values.top_opp_2_score = second[1];
    }
  }
  return values;
}

/**
 * Local parts of role addresses: mailboxes for a function rather than a person. The general ones are
 * a subset of mixmaxhq/role-based-email-addresses (MIT, the list email tools commonly use) and of
 * SendGrid's "Role Addresses" examples (abuse@, admin@, billing@, info@, jobs@, sales@, support@…);
 * the golf ones (proshop@, golf@, pro@, clubhouse@, teetimes@…) are ours. Compared after
 * lower-casing, dropping a +tag, dots, hyphens, underscores and trailing digits ("Pro.Shop2" → "proshop").
 */
export const ROLE_MAILBOXES: ReadonlySet<string> = new Set([
  // general (mixmax / SendGrid)
  "abuse", "accounting", "accounts", "admin", "administrator", "billing", "booking", "bookings", "careers", "catering",
  "concierge", "contact", "contactus", "customerservice", "enquiries", "enquiry", "events", "frontdesk", "frontoffice",
  "general", "gm", "hello", "help", "hr", "info", "information", "inquiries", "inquiry", "jobs", "mail", "manager",
  "marketing", "media", "members", "membership", "memberservices", "news", "newsletter", "noreply", "office",
  "orders", "postmaster", "reception", "reservations", "restaurant", "sales", "service", "shop", "staff", "store",
  "superintendent", "support", "team", "webmaster",
  // golf courses
  "academy", "banquets", "clubhouse", "golf", "golfpro", "golfshop", "grill", "grounds", "leagues", "lessons",
  "maintenance", "outings", "pro", "pros", "proshop", "range", "starter", "teetime", "teetimes", "tournaments", "weddings",
]);

/** The normalized local part of an address ("Pro.Shop+x@club.com" → "proshop"), or null. */
function mailboxName(email: string): string | null {
  const at = email.lastIndexOf("@");
  if (at <= 0) return null;
  return email.slice(0, at).toLowerCase().replace(/\+.*$/, "").replace(/[._-]/g, "").replace(/\d+$/, "") || null;
}

export function isRoleAddress(email: string): boolean {
  const name = mailboxName(email);
  return name !== null && ROLE_MAILBOXES.has(name);
}

/**
 * Per contact (by key), what its address is: a role mailbox, and who else of the course has the same
 * one. Contacts whose address is neither are left out.
 */
export function mailboxesOf(contacts: { key: string; name: string; title: string; email: string | null }[]): Map<string, LeadMailbox> {
  const byAddress = new Map<string, typeof contacts>();
  for (const c of contacts) {
    const address = c.email?.trim().toLowerCase();
    if (address) byAddress.set(address, [...(byAddress.get(address) ?? []), c]);
  }
  const out = new Map<string, LeadMailbox>();
  for (const [address, holders] of byAddress) {
    const role = isRoleAddress(address);
    for (const c of holders) {
      const others = holders.filter((o) => o.key !== c.key).map((o) => (o.title ? `${o.name} (${o.title})` : o.name));
      if (role || others.length) out.set(c.key, { role, shared_with: others });
    }
  }
  return out;
}

/** The lines a rep reads first when the address is a role mailbox or shared; none otherwise. */
export function mailboxNotes(contact: LeadContact): string[] {
  const box = contact.mailbox;
  if (!contact.email || !box || (!box.role && !box.shared_with.length)) return [];
  const lines = ["## Before You Write"];
  const name = md(contact.name);
  if (box.role) lines.push(`- **Role address:** ${md(contact.email)} is a general mailbox (${md(contact.email.slice(0, contact.email.lastIndexOf("@") + 1))}), not ${name}'s own: whoever reads it may answer, and it may not reach ${name} at all.`);
  if (box.shared_with.length) {
    const shared = box.shared_with.map(md);
    const others = shared.length > 1 ? `${shared.slice(0, -1).join(", ")} and ${shared[shared.length - 1]}` : shared[0];
    const many = box.shared_with.length > 1;
    lines.push(`- **Shared address:** ${others} ${many ? "have" : "has"} the same address, on ${many ? "their own lead tasks" : "their own lead task"}. An email to it reaches all of them: write once, not to each.`);
  }
  lines.push("");
  return lines;
}

export function leadDescription(contact: LeadContact, course: LeadCourse, intel: LeadIntel | null): string {
  const lines: string[] = [...mailboxNotes(contact)];
  if (intel) {
    lines.push("## Pre-Written Conversation Starters");
    intel.conversation_starters.forEach((s, i) => lines.push(`${i + 1}. [${s.score}/10] "${md(s.text)}"`));
    lines.push("", "## Course Intel");
    lines.push(`- **Segment:** ${segmentInWords(intel)}`);
    lines.push(`- **Top opportunities:** ${topOpportunities(intel.opportunities).slice(0, 3).map(([k, v]) => `${humanizeOpportunity(k)} (${v}/10)`).join(", ")}`);
    if (course.water_hazard_count !== null) lines.push(`- **Water hazards:** ${course.water_hazard_count} (${course.water_hazard_confidence ?? "unknown"} confidence)`);
    lines.push(`- ${md(intel.summary)}`);
  } else {
    lines.push("## Course Intel", "Not available for this run (see the run's job for why).");
  }
  lines.push("", "## Contact");
  const boxNote = contact.mailbox ? [contact.mailbox.role ? "role address" : null, contact.mailbox.shared_with.length ? "shared" : null].filter(Boolean).join(", ") : "";
  lines.push(`- **Email:** ${contact.email ? `${md(contact.email)}${contact.email_status ? ` (${md(contact.email_status)})` : ""}${boxNote ? ` — ${boxNote}` : ""}` : "not found"}`);
  lines.push(`- **Phone:** ${internationalPhone(contact.phone) ?? "not found"}${contact.phone_source ? ` (${contact.phone_source.replace(/_/g, " ")})` : ""}`);
  const linkedin = markdownUrl(contact.linkedin_url);
  if (linkedin) lines.push(`- **LinkedIn:** ${linkedin}`);
  if (contact.tenure_years !== null) lines.push(`- **Tenure:** ${contact.tenure_years} years`);
  if (contact.previous_clubs.length) lines.push(`- **Previous clubs:** ${contact.previous_clubs.map(md).join(", ")}`);
  const sources = [course.website, ...contact.sources].filter((s): s is string => !!s);
  if (sources.length) {
    lines.push("", "## Sources");
    for (const source of [...new Set(sources)]) lines.push(`- ${markdownUrl(source) ?? md(source)}`);
  }
  return lines.join("\n");
}

/** Fields whose value differs from what was last written (a field now empty is left alone: ClickUp keeps the rep's edits). */
export function changedFields(next: LeadFieldValues, synced: LeadFieldValues): LeadFieldKey[] {
  return (Object.keys(next) as LeadFieldKey[]).filter((key) => next[key] !== synced[key]);
}

/** A short, stable fingerprint of the description, so a re-run rewrites it only when it changed. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

export function intakeSummary(input: {
  course: LeadCourse;
  intel: LeadIntel | null;
  status: "succeeded" | "partial";
  contacts: { name: string; title: string; email: string | null; task_url: string | null }[];
}): string {
  const { course, intel } = input;
  const lines = [`## ${md(course.course_name)}, ${md(course.state)}`];
  lines.push(`- **Website:** ${markdownUrl(course.website) ?? "not found"}`);
  if (intel) lines.push(`- **Segment:** ${segmentInWords(intel, false)}`);
  lines.push(`- **Water hazards:** ${course.water_hazard_count ?? "unknown"}${course.water_hazard_confidence ? ` (${course.water_hazard_confidence} confidence)` : ""}`);
  if (input.status === "partial") lines.push("- **Note:** some lookups did not complete; the job lists which.");
  lines.push("", `### Contacts (${input.contacts.length})`);
  for (const c of input.contacts) {
    const who = `${md(c.name)} — ${md(c.title)}${c.email ? ` (${md(c.email)})` : ""}`;
    lines.push(`- ${c.task_url ? `[${who}](${c.task_url})` : who}`);
  }
  return lines.join("\n");
}
