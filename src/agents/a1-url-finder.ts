import { z } from "zod";
import { publicHttpUrl, isListingSite } from "../lib/public-url.ts";
import { stateName } from "../lib/us-states.ts";
import { type AgentContext, domainOf, isMissing } from "./agent-context.ts";

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
        schemaName: "course_website",
        instructions: "You find golf courses' official websites. Answer only from what the search finds; use null when unsure.",
        query: `Official website of the golf course "${course.course_name}" in ${stateName(course.state)} (${course.state}), USA.`,
        schema: Answer,
      }),
    { critical: true },
  );
  if (isMissing(result)) return { website: null, domain: null, listing_url: null, confidence: 1 };
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
