// What the rep reads on a lead task about its sequence: a comment per email sent, the reply, the
// stop (written by noteOnLead in src/clickup/write-back.ts). Comments are plain text: untrusted
// parts go through lib/plain-text.ts.
import { plainLine, plainText } from "../lib/plain-text.ts";

/** A local time a rep reads: "Wed 2 Dec, 08:00 EST". */
export function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short" }).format(new Date(ms));
}

export function sentNote(input: { step: number; to: string; subject: string; sentAt: number; timeZone: string; nextAt: number | null }): string {
  const next = input.nextAt ? ` Email ${input.step + 1} is planned for ${localTime(input.nextAt, input.timeZone)} (the course's time).` : " That was the last email of the sequence.";
  return `Email ${input.step} of 3 sent to ${input.to} at ${localTime(input.sentAt, input.timeZone)}: "${plainLine(input.subject, 200)}".${next}`;
}

export function replyNote(input: { name: string | null; email: string | null; step: number | null; text: string | null }): string {
  const who = [input.name, input.email ? `(${input.email})` : null].filter(Boolean).join(" ") || "The contact";
  const to = input.step ? ` to email ${input.step}` : "";
  const body = input.text?.trim() ? `\n\n${plainText(input.text)}` : "";
  return `${who} replied${to}. The sequence has stopped: no more emails will be sent.${body}`;
}

export function bounceNote(input: { email: string | null; step: number | null; reason: string | null }): string {
  const which = input.step ? `Email ${input.step}` : "An email";
  return `${which} to ${input.email ?? "the contact"} bounced${input.reason ? ` (${plainLine(input.reason, 200)})` : ""}. The address is marked undeliverable and the sequence has stopped. Correct the Email field to try again.`;
}

export function unsubscribeNote(input: { email: string | null; complaint: boolean }): string {
  return input.complaint
    ? `${input.email ?? "The contact"} marked our email as spam. The address is on the do-not-email list and the sequence has stopped.`
    : `${input.email ?? "The contact"} unsubscribed. The address is on the do-not-email list and the sequence has stopped.`;
}

export function refusedNote(reason: string): string {
  return `Outreach not started: ${reason}.`;
}
