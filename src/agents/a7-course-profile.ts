/** A7: the course profile A6 needs (water hazards, type, size, fees, range), from one research call. */
import { z } from "zod";
import { stateName } from "../lib/us-states.ts";
import { type AgentContext, isMissing } from "./agent-context.ts";
import { guardText, type OutputGuard, plausibleHoles, plausibleWaterHazards, recordGuard, repairGuards } from "./output-guards.ts";

/** One research call: the water hazard count plus the course profile A6 needs, so A6 can run beside A2. */
const Research = z.object({
  // No upper bound in the schema: a count too high for the course's holes is a plausibility guard's call, not a failed answer.
  water_hazard_count: z.number().int().min(0).nullable().describe("Number of holes/hazards with water in play (at most 2 per hole)"),
  confidence: z.enum(["low", "medium", "high"]),
  water_notes: z.string().nullable(),
  course_type: z.enum(["private", "public", "semi-private", "resort", "municipal"]).nullable(),
  holes: z.number().int().nullable(),
  green_fee: z.number().nullable().describe("Typical 18-hole green fee in USD"),
  members: z.number().int().nullable(),
  annual_rounds: z.number().int().nullable(),
  has_range: z.boolean().nullable(),
  range_stations: z.number().int().nullable(),
  ball_brand: z.string().nullable(),
  summary: z.string().nullable(),
});

export type CourseProfileOutput = z.infer<typeof Research> & { sources: string[] };

/** A7: water hazards (count and confidence) and a short course profile. */
export async function findCourseProfile(ctx: AgentContext, input: { course_name: string; state: string }): Promise<CourseProfileOutput | null> {
  const perplexity = ctx.providers.perplexity;
  if (!perplexity) return null;
  const research = await ctx.call({ step: "A7.research", agent: "A7", provider: "perplexity" }, () =>
    perplexity.research({
      schemaName: "CourseProfile",
      instructions: "You research golf courses: layout (water hazards), type, size, fees and practice range. Use null when unknown.",
      query: `The golf course ${input.course_name}, ${stateName(input.state)} (${input.state}), USA: how many water hazards are in play, and the course's type, holes, green fee, membership, annual rounds and driving range.`,
      schema: Research,
    }),
  );
  if (isMissing(research)) return null;
  const answer = research.answer;
  const guards: OutputGuard[] = repairGuards("A7", research.repairs);
  const holes = plausibleHoles(answer.holes);
  if (answer.holes !== null && holes === null) guards.push({ agent: "A7", guard: "implausible_holes", field: "holes", raw: answer.holes, value: null });
  const count = plausibleWaterHazards(answer.water_hazard_count, holes);
  if (answer.water_hazard_count !== null && count === null) {
    guards.push({ agent: "A7", guard: "implausible_water_hazards", field: "water_hazard_count", raw: answer.water_hazard_count, value: null });
  }
  const notes = guardText("A7", "water_notes", answer.water_notes);
  const summary = guardText("A7", "summary", answer.summary);
  for (const guard of [...guards, notes.guard, summary.guard]) if (guard) recordGuard(ctx, guard);
  return {
    ...answer,
    holes,
    water_hazard_count: count,
    // A count left unknown carries no confidence of its own.
    confidence: count === null && answer.water_hazard_count !== null ? "low" : answer.confidence,
    water_notes: count === null && answer.water_hazard_count !== null ? null : notes.text,
    summary: summary.text,
    sources: research.sources.slice(0, 5),
  };
}
