import { z } from "zod";
import { personForQuery } from "../lib/staff-text.ts";
import { type AgentContext, isMissing } from "./agent-context.ts";
import type { StaffMember } from "./a2-data-extractor.ts";
import { linkedinProfile } from "./a3-email-linkedin.ts";
import { guardText, type OutputGuard, plausibleTenure, recordGuard, repairGuards } from "./output-guards.ts";

const Research = z.object({
  // No upper bound in the schema: a tenure longer than the course has existed is a plausibility guard's call.
  tenure_years: z.number().min(0).nullable().describe("Years in the current role at this club"),
  previous_clubs: z.array(z.string()).max(10).describe("Clubs or courses the person worked at before"),
  summary: z.string().nullable().describe("One or two sentences of professional background"),
  linkedin_url: z.string().nullable().describe("LinkedIn profile URL, if found"),
});

export interface BackgroundOutput {
  tenure_years: number | null;
  previous_clubs: string[];
  background_summary: string | null;
  linkedin_url: string | null;
  sources: string[];
}

/** A6.5: tenure and previous clubs (and a LinkedIn profile when the search finds one). */
export async function findContactBackground(
  ctx: AgentContext,
  input: { course_name: string; state: string; person: StaffMember; key: string; /** The year the course opened (A2), which bounds the tenure. */ course_founded?: number | null },
): Promise<BackgroundOutput> {
  const empty: BackgroundOutput = { tenure_years: null, previous_clubs: [], background_summary: null, linkedin_url: null, sources: [] };
  const perplexity = ctx.providers.perplexity;
  // The query names the person only as src/lib/staff-text.ts allows (Perplexity's calls carry web_search).
  const asked = personForQuery(input.person.name, input.person.title);
  if (!perplexity || !asked) return empty;
  const research = await ctx.call({ step: `A6.5.research:${input.key}`, agent: "A6.5", provider: "perplexity", contact: input.person.name }, () =>
    perplexity.research({
      schemaName: "ContactBackground",
      instructions: "You research golf industry professionals' careers. Use null or an empty list when not found.",
      query: `Career background of ${asked.name}, ${asked.title} at ${input.course_name} (${input.state}): years in role, previous clubs, LinkedIn profile.`,
      schema: Research,
    }),
  );
  if (isMissing(research)) return empty;
  const { answer } = research;
  const contact = input.person.name;
  const guards: OutputGuard[] = repairGuards("A6.5", research.repairs, contact);
  const tenure = plausibleTenure(answer.tenure_years, input.course_founded);
  if (answer.tenure_years !== null && tenure === null) {
    guards.push({ agent: "A6.5", guard: "implausible_tenure", field: "tenure_years", raw: answer.tenure_years, value: null, contact });
  }
  const summary = guardText("A6.5", "summary", answer.summary, contact);
  for (const guard of [...guards, summary.guard]) if (guard) recordGuard(ctx, guard);
  return {
    tenure_years: tenure,
    previous_clubs: [...new Set(answer.previous_clubs.map((c) => c.trim()).filter(Boolean))],
    background_summary: summary.text,
    linkedin_url: linkedinProfile(answer.linkedin_url),
    sources: research.sources.slice(0, 5),
  };
}
