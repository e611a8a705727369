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
