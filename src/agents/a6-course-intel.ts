import { z } from "zod";
import { stateName } from "../lib/us-states.ts";
import { type AgentContext, UNTRUSTED_RULES, isMissing, untrusted } from "./agent-context.ts";
import type { WaterHazardOutput } from "./a7-water-hazards.ts";

const Score = z.number().int().min(1).max(10);

export const CourseIntel = z.object({
  segment: z.enum(["high-end", "budget", "both"]),
  segment_confidence: Score,
  segment_reasoning: z.string(),
  range_intel: z.object({
    has_range: z.boolean().nullable(),
    range_stations: z.number().int().nullable(),
    ball_brand: z.string().nullable(),
    notes: z.string().nullable(),
  }),
  opportunities: z.object({
    range_ball_buy: Score,
    range_ball_lease: Score,
    range_ball_recycle: Score,
    lake_ball_retrieval: Score,
    range_equipment: Score,
    proshop_ecommerce: Score,
  }),
  conversation_starters: z.array(z.object({ text: z.string(), score: Score })).min(1).max(5),
  summary: z.string(),
});
export type CourseIntel = z.infer<typeof CourseIntel>;

/**
 * A6 (once per course, the stronger model): segment with confidence, range intel, opportunity
 * scores and scored conversation starters, from A7's profile and water hazard count. No tools.
 */
export async function writeCourseIntel(
  ctx: AgentContext,
  input: { course_name: string; state: string; website: string; profile: WaterHazardOutput | null },
): Promise<(CourseIntel & { model: string }) | null> {
  const anthropic = ctx.providers.anthropic;
  if (!anthropic) return null;
  const profile = input.profile;
  const content = [
    `Course: ${input.course_name}, ${stateName(input.state)}. Website: ${input.website}.`,
    `Water hazards: ${profile?.water_hazard_count ?? "unknown"} (confidence ${profile?.confidence ?? "low"}).`,
    "We sell range balls (buy or lease), ball recycling, lake ball retrieval, range equipment and pro-shop e-commerce.",
    "Segment the course (high-end, budget or both), score each opportunity 1-10, and write 3-5 conversation starters for our sales rep, each scored 1-10.",
    profile ? untrusted("web research about the course", JSON.stringify({ ...profile, sources: undefined }, null, 1), 4_000) : "No research about the course is available.",
  ].join("\n\n");
  const result = await ctx.call({ step: "A6.intel", agent: "A6", provider: "anthropic" }, () =>
    anthropic.structured({
      model: ctx.models.strong,
      system: `You are a sales analyst for a company selling range balls and range services to golf courses. ${UNTRUSTED_RULES}`,
      content,
      schema: CourseIntel,
      maxTokens: 2_000,
    }),
  );
  if (isMissing(result)) return null;
  return { ...result, conversation_starters: [...result.conversation_starters].sort((a, b) => b.score - a.score), model: ctx.models.strong };
}
