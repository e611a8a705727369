// What a rep reads on a lead task after a freshness check (a comment: plain text, see
// lib/plain-text.ts). Names, employers, titles and page values come from the web: one bounded line each.
import { plainLine as line } from "../lib/plain-text.ts";
import { httpUrl } from "../lib/public-url.ts";
import type { SweepCheck } from "./freshness.types.ts";

/** The value a check changed a field to (the staff page's new email or phone), if any. */
export function changedTo(check: SweepCheck, field: "email" | "phone"): string | null {
  const change = check.changes[field] as { after?: unknown } | undefined;
  return typeof change?.after === "string" ? change.after : null;
}

/** The comment for the lead task; null when the check changed nothing a rep needs to know. */
export function freshnessNote(check: SweepCheck, successorTaskUrl: string | null): string | null {
  const day = check.checked_at.slice(0, 10);
  const lines: string[] = [];
  if (check.outcome === "left") {
    const where = check.now_at ? ` They are now ${check.now_title ? `${line(check.now_title)} at ` : "at "}${line(check.now_at)}.` : "";
    lines.push(`${line(check.full_name)} has left ${line(check.course_name)} (freshness check ${day}).${where}`);
    const source = httpUrl(check.evidence_url);
    if (source) lines.push(`Source: ${source.href}`);
    if (successorTaskUrl) lines.push(`Their successor${check.replacement_name ? `, ${line(check.replacement_name)},` : ""} has a new lead task: ${successorTaskUrl}`);
    else if (check.replacement_name) lines.push(`Their successor may be ${line(check.replacement_name)}; no lead task could be created yet.`);
    lines.push("Any email sequence to them was stopped.");
  }
  if (check.email_invalidated) {
    const kept = Object.hasOwn(check.suggestions, "email");
    lines.push(
      kept
        ? `The email address a rep set here no longer accepts mail (verified ${day}: ${check.email_status ?? "invalid"}). It is kept because a rep set it; check it before writing. Any sequence to it was stopped.`
        : `The email address on this lead no longer accepts mail (verified ${day}: ${check.email_status ?? "invalid"}), so it was removed and any sequence to it stopped.`,
    );
  }
  const newEmail = changedTo(check, "email");
  const newPhone = changedTo(check, "phone");
  if (newEmail || newPhone) lines.push(`The course's staff page now shows ${[newEmail && `email ${line(newEmail)}`, newPhone && `phone ${line(newPhone)}`].filter(Boolean).join(" and ")}; the lead was updated.`);
  for (const [field, value] of Object.entries(check.suggestions)) {
    if (field === "email" && value === null) continue;
    lines.push(`Suggestion: the staff page now shows ${line(field)} "${line(String(value))}"; your value is kept. Change the field yourself if the new one is right.`);
  }
  return lines.length ? lines.join("\n") : null;
}
