import { z } from "zod";
import { SEGMENTS } from "../lib/segment.ts";
import { stateName } from "../lib/us-states.ts";
import { type AgentContext, UNTRUSTED_RULES, isMissing, untrusted } from "./agent-context.ts";
import type { CourseProfileOutput } from "./a7-course-profile.ts";
import {
  distinctStarters,
  fillStarters,
  guardText,
  MIN_DISTINCT_STARTERS,
  opportunityTie,
  type OutputGuard,
  reasoningWithoutEcho,
  recordGuard,
  repairGuards,
  tieSentence,
  trimBoilerplate,
} from "./output-guards.ts";

const Score = z.number().int().min(1).max(10);

export const CourseIntel = z.object({
  segment: z.enum(SEGMENTS),
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

/** Scores on a 1–10 scale: a 0 or an 11 has a clear meaning (the scale's end), so it is clamped, not sent back. */
const CLAMPED_SCORES = ["segment_confidence", "opportunities.*", "conversation_starters.*.score"] as const;

/**
 * A6 (once per course, the stronger model): segment with confidence, range intel, opportunity
 * scores and scored conversation starters, from A7's profile and water hazard count. No tools.
 */
export async function writeCourseIntel(
  ctx: AgentContext,
  input: { course_name: string; state: string; website: string; profile: CourseProfileOutput | null },
): Promise<(CourseIntel & { model: string }) | null> {
  const anthropic = ctx.providers.anthropic;
  if (!anthropic) return null;
  const profile = input.profile;
  const content = [
    `Course: ${input.course_name}, ${stateName(input.state)}. Website: ${input.website}.`,
    `Water hazards: ${profile?.water_hazard_count ?? "unknown"} (confidence ${profile?.confidence ?? "low"}).`,
    "We sell range balls (buy or lease), ball recycling, lake ball retrieval, range equipment and pro-shop e-commerce.",
    "Segment the course (high-end, budget or both), score each opportunity 1-10 (distinct scores where you can rank them), and write 3-5 different conversation starters for our sales rep, each scored 1-10.",
    profile ? untrusted("web research about the course", JSON.stringify({ ...profile, sources: undefined }, null, 1), 4_000) : "No research about the course is available.",
  ].join("\n\n");
  const result = await ctx.call({ step: "A6.intel", agent: "A6", provider: "anthropic" }, () =>
    anthropic.structuredWithRepairs({
      model: ctx.models.strong,
      system: `You are a sales analyst for a company selling range balls and range services to golf courses. ${UNTRUSTED_RULES}`,
      content,
      schema: CourseIntel,
      maxTokens: 2_000,
      clamp: CLAMPED_SCORES,
    }),
  );
  if (isMissing(result)) return null;
  const { intel, guards } = guardCourseIntel(input.course_name, result.output);
  for (const guard of [...repairGuards("A6", result.repairs), ...guards]) recordGuard(ctx, guard);
  return { ...intel, model: ctx.models.strong };
}

/**
 * A6's plausibility guards, pure: text trimmed of boilerplate, the segment not restated in its
 * reasoning, starters deduplicated (at least two distinct: the top opportunities fill the gap), and
 * a tie in the top opportunity scores said in the summary instead of passed off as a ranking.
 */
export function guardCourseIntel(courseName: string, raw: CourseIntel): { intel: CourseIntel; guards: OutputGuard[] } {
  const guards: OutputGuard[] = [];
  const text = (field: string, value: string | null) => {
    const trimmed = guardText("A6", field, value);
    if (trimmed.guard) guards.push(trimmed.guard);
    return trimmed.text;
  };

  const reasoningText = text("segment_reasoning", raw.segment_reasoning) ?? "";
  const reasoning = reasoningWithoutEcho(raw.segment, reasoningText) ?? "";
  if (reasoning !== reasoningText) guards.push({ agent: "A6", guard: "segment_echo", field: "segment_reasoning", raw: raw.segment_reasoning, value: reasoning || null });
  const summaryText = text("summary", raw.summary) ?? "";
  let summary = reasoningWithoutEcho(raw.segment, summaryText) ?? "";
  if (summary !== summaryText) {
    // A summary that only said the segment again falls back to the reasoning.
    summary ||= reasoning;
    guards.push({ agent: "A6", guard: "segment_echo", field: "summary", raw: raw.summary, value: summary || null });
  }

  const withBoilerplate = raw.conversation_starters.filter((s) => trimBoilerplate(s.text) !== s.text.replace(/\s+/g, " ").trim());
  if (withBoilerplate.length) {
    guards.push({ agent: "A6", guard: "boilerplate", field: "conversation_starters", raw: withBoilerplate.map((s) => s.text), value: withBoilerplate.map((s) => trimBoilerplate(s.text) || null) });
  }
  const { starters: distinct, duplicates } = distinctStarters(raw.conversation_starters);
  if (duplicates.length) guards.push({ agent: "A6", guard: "duplicate_starters", field: "conversation_starters", raw: duplicates, value: distinct.map((s) => s.text) });
  const starters = fillStarters(courseName, distinct, raw.opportunities);
  if (distinct.length < MIN_DISTINCT_STARTERS) {
    guards.push({ agent: "A6", guard: "too_few_starters", field: "conversation_starters", raw: raw.conversation_starters.map((s) => s.text), value: starters.slice(distinct.length).map((s) => s.text) });
  }

  const tie = opportunityTie(raw.opportunities);
  if (tie) {
    const sentence = tieSentence(tie);
    guards.push({ agent: "A6", guard: "tied_opportunities", field: "opportunities", raw: Object.fromEntries(tie.keys.map((k) => [k, tie.score])), value: sentence });
    summary = summary ? `${/[.!?]$/.test(summary) ? summary : `${summary}.`} ${sentence}` : sentence;
  }
  return {
    intel: { ...raw, segment_reasoning: reasoning, summary, conversation_starters: [...starters].sort((a, b) => b.score - a.score) },
    guards,
  };
}
