import { z } from "zod";
import { publicHttpUrl, isListingSite } from "../lib/public-url.ts";
import { stateName, toStateCode } from "../lib/us-states.ts";
import { type AgentContext, domainOf, isMissing, type Missing } from "./agent-context.ts";
import { recordGuard, repairGuards } from "./output-guards.ts";

const Answer = z.object({
  website: z.string().nullable().describe("The course's own official website (homepage URL), or null if it has none"),
  listing_url: z.string().nullable().describe("A golf association or directory page about the course, if one exists"),
  confidence: z.number().int().min(1).max(10).describe("How sure you are that the website is this course's own (1-10)"),
});

export const UrlFinderOutput = z.object({
  website: z.string().nullable(),
  domain: z.string().nullable(),
  listing_url: z.string().nullable(),
  confidence: z.number().int().min(1).max(10),
});
export type UrlFinderOutput = z.infer<typeof UrlFinderOutput>;

/**
 * A1: the course's official website (and a listing page when useful), from one web-search-backed
 * research call. The answer is checked: only public http(s) hosts count, and a directory or social
 * site is a listing, never the website.
 */
export async function findCourseWebsite(ctx: AgentContext, course: { course_name: string; state: string }): Promise<UrlFinderOutput> {
  const perplexity = ctx.providers.perplexity;
  if (!perplexity) throw new Error("A1 needs PERPLEXITY_API_KEY to search for the course website");
  const result = await ctx.call(
    { step: "A1.research", agent: "A1", provider: "perplexity" },
    () =>
      perplexity.research({
        schemaName: "CourseWebsite",
        instructions: "You find golf courses' official websites. Answer only from what the search finds; use null when unsure.",
        query: `Official website of the golf course "${course.course_name}" in ${stateName(course.state)} (${course.state}), USA.`,
        schema: Answer,
        clamp: ["confidence"],
      }),
    { critical: true },
  );
  if (isMissing(result)) return { website: null, domain: null, listing_url: null, confidence: 1 };
  for (const guard of repairGuards("A1", result.repairs)) recordGuard(ctx, guard);
  const website = publicHttpUrl(result.answer.website);
  const listing = publicHttpUrl(result.answer.listing_url);
  const own = website && !isListingSite(website) ? website : null;
  return UrlFinderOutput.parse({
    website: own ? own.origin : null,
    domain: own ? domainOf(own.origin) : null,
    listing_url: listing?.toString() ?? (website && !own ? website.toString() : null),
    confidence: result.answer.confidence,
  });
}

/** Words in nearly every course's name: a page that shares only these with the name proves nothing. */
const GENERIC_WORDS = new Set(["golf", "club", "country", "course", "links", "the", "and", "of", "at", "cc", "gc", "resort", "municipal", "&"]);

/**
 * A1, when the course came with its website (a CSV import's `website` column): the site is read once
 * and kept if it is the course's own (a public, non-directory host whose page names the course's
 * distinctive words); otherwise the search runs as usual. Saves the research call, and never trusts a
 * file's guess blindly.
 */
export async function verifyOrFindCourseWebsite(ctx: AgentContext, course: { course_name: string; state: string; website?: string | null | undefined }): Promise<UrlFinderOutput> {
  const given = course.website ? publicHttpUrl(course.website) : null;
  const jina = ctx.providers.jina;
  if (given && jina && !isListingSite(given)) {
    const page = await ctx.call({ step: "A1.verify", agent: "A1", provider: "jina" }, () => jina.read(given.toString()));
    if (!isMissing(page) && !page.warning && namesCourse(`${page.title}\n${page.markdown}`, course.course_name)) {
      return UrlFinderOutput.parse({ website: given.origin, domain: domainOf(given.origin), listing_url: null, confidence: 8 });
    }
    ctx.log.info("given_website_not_verified", { agent: "A1", course_name: course.course_name, website: given.origin });
  }
  return findCourseWebsite(ctx, course);
}

/** Whether the page names the course: most of its distinctive words appear in the text. */
function namesCourse(text: string, courseName: string): boolean {
  const words = (value: string) => value.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean);
  const distinctive = words(courseName).filter((w) => !GENERIC_WORDS.has(w) && !/^\d+$/.test(w));
  if (distinctive.length === 0) return false;
  const present = new Set(words(text));
  return distinctive.filter((w) => present.has(w)).length / distinctive.length >= 0.5;
}

const StatesAnswer = z.object({
  courses: z
    .array(
      z.object({
        course_name: z.string().describe("The course's name"),
        city: z.string().nullable().describe("Its city or town"),
        state: z.string().describe("Its US state, as the two-letter code"),
      }),
    )
    .describe("Every golf course in the United States with exactly this name; empty when there is none"),
  confidence: z.number().int().min(1).max(10).describe("How sure you are that this list is right and complete (1-10)"),
});

export interface CourseStatesOutput {
  candidates: { course_name: string; state: string; city: string | null }[];
  confidence: number;
  sources: string[];
}

/**
 * A1, for an intake task that names a course but no state: every US golf course with that name and
 * its state, from one web-search-backed research call (the caller uses a state only when one course
 * has the name). Missing when the call could not be made or kept failing.
 */
export async function findCourseStates(ctx: AgentContext, course: { course_name: string }): Promise<CourseStatesOutput | Missing> {
  const perplexity = ctx.providers.perplexity;
  if (!perplexity) return { missing: "failed", error: "A1 needs PERPLEXITY_API_KEY to look up the course's state" };
  const result = await ctx.call({ step: "A1.states", agent: "A1", provider: "perplexity" }, () =>
    perplexity.research({
      schemaName: "CourseStates",
      instructions: "You find golf courses in the United States. Answer only from what the search finds; list every course with exactly the name asked, and an empty list when none is found.",
      query: `Which state is the golf course "${course.course_name}" in? List every golf course in the United States named exactly "${course.course_name}", with its city and state.`,
      schema: StatesAnswer,
      clamp: ["confidence"],
    }),
  );
  if (isMissing(result)) return result;
  for (const guard of repairGuards("A1", result.repairs)) recordGuard(ctx, guard);
  const candidates = result.answer.courses.flatMap((c) => {
    const state = toStateCode(c.state);
    return state ? [{ course_name: c.course_name, state, city: c.city }] : [];
  });
  return { candidates, confidence: result.answer.confidence, sources: result.sources };
}
