/**
 * What a lead task says: its name, its description (the seed's "Pre-Written Conversation Starters",
 * the course intel and the sources) and its custom field values by the app's field keys. Pure
 * functions: the writer diffs these against what it last wrote.
 */

export type Segment = "high-end" | "budget" | "both";

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

export interface LeadContact {
  name: string;
  title: string;
  email: string | null;
  email_status: string | null;
  phone: string | null;
  phone_source: string | null;
  linkedin_url: string | null;
  tenure_years: number | null;
  previous_clubs: string[];
  sources: string[];
}

/** The app's field keys, mapped to field ids by the `clickup` settings. */
export type LeadFieldKey =
  | "segment" | "confidence" | "email" | "phone" | "linkedin" | "top_opp_1" | "top_opp_1_score" | "top_opp_2" | "top_opp_2_score" | "course" | "website";

export type LeadFieldValues = Partial<Record<LeadFieldKey, string | number>>;

const SEGMENT_LABEL: Record<Segment, string> = { "high-end": "High-End", budget: "Budget", both: "Both" };

export function humanizeOpportunity(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function topOpportunities(opportunities: Record<string, number>): [string, number][] {
  return Object.entries(opportunities).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "+18045925861" → "+1 804 592 5861" (ClickUp's phone fields want a country code). */
export function internationalPhone(e164: string | null): string | null {
  if (!e164) return null;
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return us ? `+1 ${us[1]} ${us[2]} ${us[3]}` : e164;
}

export function leadTaskName(contact: LeadContact, course: LeadCourse): string {
  return `${contact.name} - ${contact.title || "Staff"} | ${course.course_name}`;
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

export function leadDescription(contact: LeadContact, course: LeadCourse, intel: LeadIntel | null): string {
  const lines: string[] = [];
  if (intel) {
    lines.push("## Pre-Written Conversation Starters");
    intel.conversation_starters.forEach((s, i) => lines.push(`${i + 1}. [${s.score}/10] "${s.text}"`));
    lines.push("", "## Course Intel");
    lines.push(`- **Segment:** ${SEGMENT_LABEL[intel.segment]} (${intel.segment_confidence}/10)${intel.segment_reasoning ? ` — ${intel.segment_reasoning}` : ""}`);
    lines.push(`- **Top opportunities:** ${topOpportunities(intel.opportunities).slice(0, 3).map(([k, v]) => `${humanizeOpportunity(k)} (${v}/10)`).join(", ")}`);
    if (course.water_hazard_count !== null) lines.push(`- **Water hazards:** ${course.water_hazard_count} (${course.water_hazard_confidence ?? "unknown"} confidence)`);
    lines.push(`- ${intel.summary}`);
  } else {
    lines.push("## Course Intel", "Not available for this run (see the run's job for why).");
  }
  lines.push("", "## Contact");
  lines.push(`- **Email:** ${contact.email ? `${contact.email}${contact.email_status ? ` (${contact.email_status})` : ""}` : "not found"}`);
  lines.push(`- **Phone:** ${internationalPhone(contact.phone) ?? "not found"}${contact.phone_source ? ` (${contact.phone_source.replace(/_/g, " ")})` : ""}`);
  if (contact.linkedin_url) lines.push(`- **LinkedIn:** ${contact.linkedin_url}`);
  if (contact.tenure_years !== null) lines.push(`- **Tenure:** ${contact.tenure_years} years`);
  if (contact.previous_clubs.length) lines.push(`- **Previous clubs:** ${contact.previous_clubs.join(", ")}`);
  const sources = [course.website, ...contact.sources].filter((s): s is string => !!s);
  if (sources.length) {
    lines.push("", "## Sources");
    for (const source of [...new Set(sources)]) lines.push(`- ${source}`);
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
  const lines = [`## ${course.course_name}, ${course.state}`];
  lines.push(`- **Website:** ${course.website ?? "not found"}`);
  if (intel) lines.push(`- **Segment:** ${SEGMENT_LABEL[intel.segment]} (${intel.segment_confidence}/10)`);
  lines.push(`- **Water hazards:** ${course.water_hazard_count ?? "unknown"}${course.water_hazard_confidence ? ` (${course.water_hazard_confidence} confidence)` : ""}`);
  if (input.status === "partial") lines.push("- **Note:** some lookups did not complete; the job lists which.");
  lines.push("", `### Contacts (${input.contacts.length})`);
  for (const c of input.contacts) {
    const who = `${c.name} — ${c.title}${c.email ? ` (${c.email})` : ""}`;
    lines.push(`- ${c.task_url ? `[${who}](${c.task_url})` : who}`);
  }
  return lines.join("\n");
}
