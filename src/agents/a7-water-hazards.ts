import { z } from "zod";
import { stateName } from "../lib/us-states.ts";
import { type AgentContext, isMissing } from "./agent-context.ts";

/** One research call: the water hazard count plus the course profile A6 needs, so A6 can run beside A2. */
const Research = z.object({
  water_hazard_count: z.number().int().min(0).max(60).nullable().describe("Number of holes/hazards with water in play"),
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

export type WaterHazardOutput = z.infer<typeof Research> & { sources: string[] };

/** A7: water hazards (count and confidence) and a short course profile. */
export async function countWaterHazards(ctx: AgentContext, input: { course_name: string; state: string }): Promise<WaterHazardOutput | null> {
  const perplexity = ctx.providers.perplexity;
  if (!perplexity) return null;
  const research = await ctx.call({ step: "A7.research", agent: "A7", provider: "perplexity" }, () =>
    perplexity.research({
      schemaName: "course_profile",
      instructions: "You research golf courses: layout (water hazards), type, size, fees and practice range. Use null when unknown.",
      query: `The golf course ${input.course_name}, ${stateName(input.state)} (${input.state}), USA: how many water hazards are in play, and the course's type, holes, green fee, membership, annual rounds and driving range.`,
      schema: Research,
    }),
  );
  return isMissing(research) ? null : { ...research.answer, sources: research.sources.slice(0, 5) };
}
