// A rep's edits of a lead task, as the database should learn them: which fields a delivery names,
// what the task holds now, whether that is the app's own last write, and whether it is a value the
// enrichment would accept (the same checks), in the database's form and in ClickUp's.
import { internationalPhone, normalizePhone } from "../lib/phone.ts";
import { publicHttpUrl } from "../lib/public-url.ts";
import type { ClickUpSettings } from "./config.ts";
import { type Segment, SEGMENTS } from "../lib/segment.ts";
import type { CorrectableField } from "./corrections.types.ts";
import type { LeadFieldValues } from "./lead-content.ts";

/** The lead-task custom field behind each correctable field (name and title live in the task name). */
const FIELD_KEYS = { email: "email", phone: "phone", linkedin: "linkedin", segment: "segment", confidence: "confidence", website: "website" } as const;
type CustomFieldKey = (typeof FIELD_KEYS)[keyof typeof FIELD_KEYS];

export interface TaskField {
  id: string;
  value: unknown;
  options?: { id: string; orderindex: number }[];
}

/** What the workflow reads of the task (serializable). */
export interface LeadTaskSnapshot {
  name: string;
  list_id: string;
  date_updated: number;
  fields: TaskField[];
}

/** The fields a taskUpdated history item names, mapped through the stored settings (never hard-coded ids). */
export function fieldsNamedBy(settings: ClickUpSettings, item: { field?: unknown; custom_field?: unknown }): CorrectableField[] {
  if (item.field === "name") return ["name", "title"];
  if (item.field !== "custom_field") return [];
  const id = typeof item.custom_field === "object" && item.custom_field ? String((item.custom_field as { id?: unknown }).id ?? "") : "";
  const key = (Object.keys(FIELD_KEYS) as (keyof typeof FIELD_KEYS)[]).find((k) => settings.fields[FIELD_KEYS[k]].id === id);
  return key ? [key] : [];
}

/** "<Name> - <Title> | <Course>" → its parts (the course part is the app's). */
export function parseLeadTaskName(name: string): { name: string; title: string } | null {
  const match = name.match(/^\s*(.+?)\s+-\s+(.*?)\s*\|\s*.+$/);
  if (!match) return null;
  return { name: match[1]!.trim(), title: match[2]!.trim() };
}

/** A custom field's current value in the form the app writes (and stores as `clickup_synced`). */
function writtenForm(settings: ClickUpSettings, key: CustomFieldKey, field: TaskField | undefined): string | number | null {
  const value = field?.value;
  if (value === undefined || value === null || value === "") return null;
  if (key === "segment") {
    // Get Task answers a drop-down with the option's orderindex; a history item may carry the UUID.
    const byIndex = field?.options?.find((o) => String(o.orderindex) === String(value))?.id;
    return byIndex ?? String(value);
  }
  if (key === "confidence") return Number(value);
  return String(value);
}

export type Proposed =
  | { field: CorrectableField; ok: true; value: string | number | null; synced_key?: string; synced_value?: string | number | null; shown: string }
  | { field: CorrectableField; ok: false; shown: string; reason: string };

const LABEL: Record<CorrectableField, string> = { email: "Email", phone: "Phone", linkedin: "LinkedIn URL", segment: "Segment", confidence: "Confidence", website: "Website", name: "the name", title: "the title" };
export const fieldLabel = (field: CorrectableField): string => LABEL[field];

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const PERSON_NAME = /^[\p{L}][\p{L}\p{M} .'’-]{0,99}$/u;

/** Validates a value the way the enrichment would keep it; the answer carries both forms. */
function validate(settings: ClickUpSettings, field: CorrectableField, raw: string | number | null): Proposed {
  const shown = raw === null ? "(empty)" : String(raw);
  const ok = (value: string | number | null, synced?: string | number | null): Proposed => ({
    field, ok: true, value, shown,
    ...(field in FIELD_KEYS ? { synced_key: FIELD_KEYS[field as keyof typeof FIELD_KEYS], synced_value: synced === undefined ? raw : synced } : {}),
  });
  const no = (reason: string): Proposed => ({ field, ok: false, shown, reason });
  if (raw === null) return field === "name" ? no("a lead must have a name") : ok(null, null);
  const text = String(raw).trim();
  switch (field) {
    case "email":
      return EMAIL.test(text) ? ok(text.toLowerCase()) : no(`"${text}" is not an email address`);
    case "phone": {
      const e164 = normalizePhone(text);
      return e164 ? ok(e164, internationalPhone(e164)) : no(`"${text}" is not a phone number we can read; type it with the area code, like +1 804 555 0134`);
    }
    case "linkedin": {
      const url = publicHttpUrl(text.startsWith("http") ? text : `https://${text}`);
      const host = url?.hostname.toLowerCase() ?? "";
      const slug = url?.pathname.match(/^\/in\/([^/?#]+)\/?$/)?.[1];
      return url && (host === "linkedin.com" || host.endsWith(".linkedin.com")) && slug
        ? ok(`https://www.linkedin.com/in/${slug}`, text)
        : no(`"${text}" is not a LinkedIn profile URL (it must look like linkedin.com/in/<name>)`);
    }
    case "segment": {
      const segment = SEGMENTS.find((s) => settings.fields.segment.options[s] === text);
      return segment ? ok(segment, text) : no("the Segment must be one of High-End, Budget or Both");
    }
    case "confidence": {
      const n = Number(text);
      return Number.isInteger(n) && n >= 1 && n <= 10 ? ok(n, n) : no(`the Confidence must be a whole number from 1 to 10 (not ${text})`);
    }
    case "website": {
      const url = publicHttpUrl(text.startsWith("http") ? text : `https://${text}`);
      return url ? ok(url.toString().replace(/\/$/, ""), text) : no(`"${text}" is not a public website address`);
    }
    case "name":
      return PERSON_NAME.test(text) ? ok(text) : no(`"${text}" does not look like a person's name (letters, spaces and . ' - only)`);
    case "title":
      return text.length <= 200 ? ok(text || null) : no("the title is longer than 200 characters");
  }
}

/**
 * The corrections a task holds: for each field asked about, the task's current value unless it is
 * what the app last wrote there (its own write coming back) or, for a sweep over every field, what
 * the database already has. Each comes back validated.
 */
export function proposedCorrections(input: {
  settings: ClickUpSettings;
  task: LeadTaskSnapshot;
  fields: CorrectableField[] | "all";
  synced: { name?: string; fields?: LeadFieldValues };
  current: { full_name: string; title: string | null; email: string | null; phone: string | null; linkedin_url: string | null; website: string | null; segment: string | null; segment_confidence: number | null };
}): Proposed[] {
  const { settings, task, synced, current } = input;
  const sweep = input.fields === "all";
  const wanted = new Set<CorrectableField>(input.fields === "all" ? ["email", "phone", "linkedin", "segment", "confidence", "website", "name", "title"] : input.fields);
  const out: Proposed[] = [];
  for (const field of wanted) {
    if (field === "name" || field === "title") continue;
    const key = FIELD_KEYS[field];
    const now = writtenForm(settings, key, task.fields.find((f) => f.id === settings.fields[key].id));
    const last = synced.fields?.[key] ?? null;
    if (String(now ?? "") === String(last ?? "")) continue;
    const proposal = validate(settings, field, now);
    if (sweep && proposal.ok && String(proposal.value ?? "") === String(dbValue(current, field) ?? "")) continue;
    out.push(proposal);
  }
  if ((wanted.has("name") || wanted.has("title")) && task.name !== synced.name) {
    const parsed = parseLeadTaskName(task.name);
    if (!parsed) out.push({ field: "name", ok: false, shown: task.name, reason: 'the task name must stay "<Name> - <Title> | <Course>"' });
    else {
      if (parsed.name !== current.full_name) out.push(validate(settings, "name", parsed.name));
      if (parsed.title !== (current.title ?? "") && !(parsed.title === "Staff" && !current.title)) out.push(validate(settings, "title", parsed.title || null));
    }
  }
  return out;
}

function dbValue(current: Parameters<typeof proposedCorrections>[0]["current"], field: CorrectableField): string | number | null {
  switch (field) {
    case "email": return current.email;
    case "phone": return current.phone;
    case "linkedin": return current.linkedin_url;
    case "website": return current.website;
    case "segment": return current.segment;
    case "confidence": return current.segment_confidence;
    case "name": return current.full_name;
    case "title": return current.title;
  }
}

/** The one comment a rep gets when something they typed was not saved. */
export function notSavedComment(refused: Extract<Proposed, { ok: false }>[]): string {
  const lines = refused.map((r) => `- ${fieldLabel(r.field)}: ${r.reason}.`);
  return `Not saved to the database (the database keeps the earlier value):\n${lines.join("\n")}`;
}

export function segmentOf(value: string | number | null): Segment | null {
  return SEGMENTS.find((s) => s === value) ?? null;
}
