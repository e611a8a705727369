// What the rep reads on a lead task about its sequence: a comment per email sent, the reply, the
// stop (written by noteOnLead in src/clickup/write-back.ts).

/**
 * Untrusted text (a reply, a subject) for a comment's `comment_text`: ClickUp shows that field as
 * plain text (formatting needs the rich `comment` array, which we never send), so it is inert once
 * control characters are gone; it is also bounded.
 */
export function commentSafe(text: string, max = 1500): string {
  const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "").trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A local time a rep reads: "Wed 2 Dec, 08:00 EST". */
export function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" }).format(new Date(ms));
}

export function sentNote(input: { step: number; to: string; subject: string; sentAt: number; timeZone: string; nextAt: number | null }): string {
  const next = input.nextAt ? ` Email ${input.step + 1} is planned for ${localTime(input.nextAt, input.timeZone)} (the course's time).` : " That was the last email of the sequence.";
  return `Email ${input.step} of 3 sent to ${input.to} at ${localTime(input.sentAt, input.timeZone)}: "${commentSafe(input.subject, 200)}".${next}`;
}

export function replyNote(input: { name: string | null; email: string | null; step: number | null; text: string | null }): string {
  const who = [input.name, input.email ? `(${input.email})` : null].filter(Boolean).join(" ") || "The contact";
  const to = input.step ? ` to email ${input.step}` : "";
  const body = input.text?.trim() ? `\n\n${commentSafe(input.text)}` : "";
  return `${who} replied${to}. The sequence has stopped: no more emails will be sent.${body}`;
}

export function bounceNote(input: { email: string | null; step: number | null; reason: string | null }): string {
  const which = input.step ? `Email ${input.step}` : "An email";
  return `${which} to ${input.email ?? "the contact"} bounced${input.reason ? ` (${commentSafe(input.reason, 200)})` : ""}. The address is marked undeliverable and the sequence has stopped. Correct the Email field to try again.`;
}

export function unsubscribeNote(input: { email: string | null; complaint: boolean }): string {
  return input.complaint
    ? `${input.email ?? "The contact"} marked our email as spam. The address is on the do-not-email list and the sequence has stopped.`
    : `${input.email ?? "The contact"} unsubscribed. The address is on the do-not-email list and the sequence has stopped.`;
}

export function refusedNote(reason: string): string {
  return `Outreach not started: ${reason}.`;
}
