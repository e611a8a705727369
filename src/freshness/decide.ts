// Agent 8's decisions, as pure functions: is a contact still there, did they leave, or can nobody
// tell yet; and who, on the page or in the research, took their role.
import { z } from "zod";
import type { StaffMember } from "../agents/a2-data-extractor.ts";
import { personKey } from "../lib/person-key.ts";
import { isPersonName, jobTitle } from "../lib/staff-text.ts";

/** The one research question, asked only when the staff page does not settle it. */
export const FreshnessResearch = z.object({
  still_at_club: z.boolean().nullable().describe("true if the person still holds this role at the course, false if they left, null if the sources do not say"),
  current_employer: z.string().nullable().describe("Where the person works now, if they left"),
  current_title: z.string().nullable().describe("Their title there"),
  replacement_name: z.string().nullable().describe("Who holds the role at the course now, if someone else"),
  replacement_title: z.string().nullable().describe("That person's title"),
  evidence_url: z.string().nullable().describe("The page that says so"),
});
export type FreshnessResearch = z.infer<typeof FreshnessResearch>;

/** What the staff page says: readable (and who is listed), or not readable (and why). */
export type PageReading = { readable: true; staff: StaffMember[]; url: string | null } | { readable: false; reason: string };

export interface FreshnessVerdict {
  outcome: "still_there" | "left" | "unknown";
  decided_by: "staff_page" | "research" | "none";
  evidence: string;
  evidence_url: string | null;
  now_at: string | null;
  now_title: string | null;
  replacement_name: string | null;
  replacement_title: string | null;
}

export function listedOnPage(page: PageReading, name: string): StaffMember | undefined {
  if (!page.readable) return undefined;
  const key = personKey(name);
  return page.staff.find((s) => personKey(s.name) === key);
}

/**
 * Whether the page settles it without research: listed (and the address not dead) is still there.
 * Absent from a readable page, or listed beside a dead address (a stale page: the Lakeside case),
 * is not evidence enough either way; an unreadable page settles nothing, and no research is spent
 * on it (a page that is down this month is retried next month).
 */
export function pageVerdict(page: PageReading, contact: { full_name: string }, emailStatus: string | null): FreshnessVerdict | "ask" {
  if (!page.readable) return unknown(`the staff page could not be read (${page.reason})`);
  const listed = listedOnPage(page, contact.full_name);
  if (listed && emailStatus !== "invalid") {
    return { outcome: "still_there", decided_by: "staff_page", evidence: `listed on the staff page as ${listed.title || "staff"}`, evidence_url: page.url, now_at: null, now_title: null, replacement_name: null, replacement_title: null };
  }
  return "ask";
}

/** The research answer, read conservatively: "left" needs a source, never a guess. */
export function researchVerdict(answer: FreshnessResearch, sources: string[]): FreshnessVerdict {
  const evidenceUrl = httpUrl(answer.evidence_url) ?? sources.map(httpUrl).find((u) => u !== null) ?? null;
  if (answer.still_at_club === true) {
    return { outcome: "still_there", decided_by: "research", evidence: "research found them still in the role", evidence_url: evidenceUrl, now_at: null, now_title: null, replacement_name: null, replacement_title: null };
  }
  if (answer.still_at_club === false && evidenceUrl) {
    const where = answer.current_employer ? `now ${answer.current_title ? `${clean(answer.current_title)} at ` : "at "}${clean(answer.current_employer)}` : "where they went is not known";
    return {
      outcome: "left",
      decided_by: "research",
      evidence: `left the club (${where})`,
      evidence_url: evidenceUrl,
      now_at: answer.current_employer ? clean(answer.current_employer) : null,
      now_title: answer.current_title ? clean(answer.current_title) : null,
      // The successor's name and title go into the next research queries: checked like page text.
      replacement_name: answer.replacement_name && isPersonName(answer.replacement_name) ? clean(answer.replacement_name) : null,
      replacement_title: answer.replacement_title ? jobTitle(answer.replacement_title).title || null : null,
    };
  }
  return unknown(answer.still_at_club === false ? "research says they left but gives no source" : "research could not tell");
}

export function unknown(evidence: string): FreshnessVerdict {
  return { outcome: "unknown", decided_by: "none", evidence, evidence_url: null, now_at: null, now_title: null, replacement_name: null, replacement_title: null };
}

/**
 * The successor of a contact who left: the person research names when the page lists them too (or
 * when the page cannot be read), else the one person the page lists in the same role who is not on
 * file. Nobody when it is not clear: a wrong new contact is worse than none.
 */
export function successorOf(
  left: { full_name: string; title: string | null },
  verdict: FreshnessVerdict,
  page: PageReading,
  onFile: { full_name: string }[],
): { name: string; title: string; listed: StaffMember | null } | null {
  const known = new Set([left.full_name, ...onFile.map((c) => c.full_name)].map(personKey));
  const named = verdict.replacement_name && isPersonName(verdict.replacement_name) ? verdict.replacement_name : null;
  if (named && !known.has(personKey(named))) {
    const listed = listedOnPage(page, named) ?? null;
    if (listed || !page.readable) return { name: named, title: listed?.title || verdict.replacement_title || left.title || "", listed };
  }
  if (!page.readable || !left.title) return null;
  const role = left.title.trim().toLowerCase();
  const sameRole = page.staff.filter((s) => s.title.trim().toLowerCase() === role && !known.has(personKey(s.name)));
  return sameRole.length === 1 ? { name: sameRole[0]!.name, title: sameRole[0]!.title, listed: sameRole[0]! } : null;
}

function clean(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}

function httpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.toString() : null;
  } catch {
    return null;
  }
}
