// The model output guards, pure: mending an answer that fails its schema, and the plausibility
// guards on answers that pass it.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CourseIntel, guardCourseIntel } from "../../../src/agents/a6-course-intel.ts";
import {
  distinctStarters,
  fillStarters,
  guardText,
  opportunityTie,
  plausibleTenure,
  plausibleWaterHazards,
  reasoningWithoutEcho,
  tieSentence,
  trimBoilerplate,
} from "../../../src/agents/output-guards.ts";
import { segmentInWords } from "../../../src/clickup/lead-content.ts";
import { clampToSchema, pathMatches, readStructured, salvage } from "../../../src/providers/structured-output.ts";

const Score = z.number().int().min(1).max(10);
const Intel = z.object({
  confidence: Score,
  opportunities: z.object({ buy: Score, lease: Score }),
  starters: z.array(z.object({ text: z.string(), score: Score })).min(1).max(3),
  holes: z.number().int().nullable(),
  segment: z.enum(["high-end", "budget", "both"]),
});
const CLAMP = ["confidence", "opportunities.*", "starters.*.score"];
const good = { confidence: 7, opportunities: { buy: 5, lease: 6 }, starters: [{ text: "Hi", score: 4 }], holes: 18, segment: "both" };

describe("out-of-range answers (unit)", () => {
  it("a score of 11 is 10, a 0 is 1 and 7.6 is 8, each reported; a long list keeps its first items", () => {
    const answer = { ...good, confidence: 11, opportunities: { buy: 0, lease: 7.6 }, starters: [1, 2, 3, 4].map((i) => ({ text: `s${i}`, score: 12 })) };
    const read = clampToSchema(Intel, answer, CLAMP);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value).toMatchObject({ confidence: 10, opportunities: { buy: 1, lease: 8 }, starters: [{ score: 10 }, { score: 10 }, { score: 10 }] });
    expect(read.value.starters).toHaveLength(3);
    expect(read.repairs).toEqual(
      expect.arrayContaining([
        { field: "confidence", action: "clamped", raw: 11, value: 10 },
        { field: "opportunities.buy", action: "clamped", raw: 0, value: 1 },
        { field: "opportunities.lease", action: "rounded", raw: 7.6, value: 8 },
        expect.objectContaining({ field: "starters", action: "truncated" }),
      ]),
    );
  });

  it("a value whose meaning is not clear is not clamped: it is left for the repair call", () => {
    const read = clampToSchema(Intel, { ...good, segment: "premium", holes: 18.5 }, CLAMP);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems.join(" ")).toMatch(/segment/);
  });

  it("one repair call gets the validation errors; its answer is clamped too", async () => {
    const sent: string[][] = [];
    const read = await readStructured(Intel, JSON.stringify({ ...good, segment: "premium" }), {
      clamp: CLAMP,
      repair: async (problems) => {
        sent.push(problems);
        return JSON.stringify({ ...good, segment: "high-end", confidence: 11 });
      },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.join("\n")).toContain("segment");
    expect(read).toMatchObject({ ok: true, value: { segment: "high-end", confidence: 10 } });
    expect(read.repairs.map((r) => r.action)).toEqual(["repair_call", "clamped"]);
    expect(read.repairs[0]).toMatchObject({ field: "segment", raw: { segment: "premium" } });
  });

  it("prose instead of JSON gets the repair call; what the repair still gets wrong is nulled or dropped where the schema allows", async () => {
    const read = await readStructured(Intel, "Sure! The course is great.", {
      clamp: CLAMP,
      repair: async () => JSON.stringify({ ...good, holes: "eighteen", starters: [{ text: "ok", score: 5 }, { text: 7, score: 5 }] }),
    });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value.holes).toBeNull();
    expect(read.value.starters).toEqual([{ text: "ok", score: 5 }]);
    expect(read.repairs.map((r) => `${r.action}:${r.field}`).sort()).toEqual(["dropped:starters.1", "nulled:holes", "repair_call:(answer)"]);
  });

  it("a required field still wrong after the repair call fails the call (nothing is made up)", async () => {
    const read = await readStructured(Intel, JSON.stringify({ ...good, segment: "premium" }), { clamp: CLAMP, repair: async () => JSON.stringify({ ...good, segment: "luxury" }) });
    expect(read.ok).toBe(false);
    expect(salvage(Intel, { ...good, segment: "luxury" }).ok).toBe(false);
  });

  it("clamp patterns match whole paths, * one key or index", () => {
    expect(pathMatches(["opportunities", "buy"], CLAMP)).toBe(true);
    expect(pathMatches(["starters", 2, "score"], CLAMP)).toBe(true);
    expect(pathMatches(["starters", 2], CLAMP)).toBe(false);
    expect(pathMatches(["holes"], CLAMP)).toBe(false);
  });
});

describe("plausibility guards (unit)", () => {
  it("water hazards: at most two per hole (18 holes when unknown), else unknown", () => {
    expect(plausibleWaterHazards(7, 18)).toBe(7);
    expect(plausibleWaterHazards(36, 18)).toBe(36);
    expect(plausibleWaterHazards(59, 18)).toBeNull();
    expect(plausibleWaterHazards(20, 9)).toBeNull();
    expect(plausibleWaterHazards(40, null)).toBeNull();
    expect(plausibleWaterHazards(40, 36)).toBe(40);
    expect(plausibleWaterHazards(null, 18)).toBeNull();
  });

  it("tenure: at most the years since the course opened, or 50 when that is unknown", () => {
    expect(plausibleTenure(9, 1958, 2026)).toBe(9);
    expect(plausibleTenure(70, 1990, 2026)).toBeNull();
    expect(plausibleTenure(36, 1990, 2026)).toBe(36);
    expect(plausibleTenure(55, null, 2026)).toBeNull();
    expect(plausibleTenure(50, undefined, 2026)).toBe(50);
    // An opening year in the future is no bound at all: 50 applies.
    expect(plausibleTenure(12, 2090, 2026)).toBe(12);
  });

  it("starters: trimmed, duplicates (any case or punctuation) kept once at the best score, at least two distinct", () => {
    const { starters, duplicates } = distinctStarters([
      { text: "Ask about their range balls.", score: 6 },
      { text: "  ask about their RANGE balls!  ", score: 8 },
      { text: "Sure! Here is a starter: Ask about their range balls", score: 3 },
      { text: "", score: 9 },
    ]);
    expect(starters).toEqual([{ text: "Ask about their range balls.", score: 8 }]);
    expect(duplicates).toHaveLength(2);
    const filled = fillStarters("Oak Hollow Golf Club", starters, { range_ball_lease: 9, lake_ball_retrieval: 4 });
    expect(filled).toHaveLength(2);
    expect(filled[1]).toEqual({ text: expect.stringContaining("range ball lease"), score: 9 });
    expect(filled[1]!.text).toContain("Oak Hollow Golf Club");
  });

  it("opportunity scores: a tie where the ranking matters is said, distinct scores are not", () => {
    expect(opportunityTie({ a: 9, b: 8, c: 7, d: 7 })).toBeNull();
    expect(opportunityTie({ range_ball_lease: 9, lake_ball_retrieval: 9, range_ball_buy: 6 })).toEqual({ keys: ["lake_ball_retrieval", "range_ball_lease"], score: 9 });
    expect(opportunityTie({ a: 9, b: 7, c: 7 })).toEqual({ keys: ["b", "c"], score: 7 });
    expect(tieSentence({ keys: ["lake_ball_retrieval", "range_ball_lease"], score: 9 })).toBe("Lake ball retrieval and Range ball lease tie at 9/10: their order is not a ranking.");
  });

  it("text fields lose chat boilerplate and citation markers; a guard fires only when more than whitespace went", () => {
    expect(trimBoilerplate("Sure! Here is the summary: Based on the search results, the club has a grass range [1][2]. I hope this helps!")).toBe("The club has a grass range.");
    expect(trimBoilerplate("As an AI language model, I found that the course is public.")).toBe("I found that the course is public.");
    expect(guardText("A6.5", "summary", "  Head pro since 2015.  ").guard).toBeNull();
    expect(guardText("A6.5", "summary", "Summary: Head pro since 2015.", "Pat Lee")).toEqual({
      text: "Head pro since 2015.",
      guard: { agent: "A6.5", guard: "boilerplate", field: "summary", raw: "Summary: Head pro since 2015.", value: "Head pro since 2015.", contact: "Pat Lee" },
    });
  });

  it("the segment is said once: a reasoning that restates it is dropped, a real one kept", () => {
    expect(reasoningWithoutEcho("both", "both")).toBeNull();
    expect(reasoningWithoutEcho("both", "Both — both")).toBeNull();
    expect(reasoningWithoutEcho("both", "Segment: both. Members plus a busy daily-fee business.")).toBe("Members plus a busy daily-fee business.");
    expect(reasoningWithoutEcho("budget", "Budget course with mats")).toBe("Budget course with mats");
    expect(reasoningWithoutEcho("high-end", "High-End: private club, premium balls")).toBe("Private club, premium balls");
    expect(segmentInWords({ segment: "both", segment_confidence: 7, segment_reasoning: "both" })).toBe("Both high-end and budget (7/10)");
    expect(segmentInWords({ segment: "high-end", segment_confidence: 8, segment_reasoning: "Private club" })).toBe("High-End (8/10) — Private club");
  });
});

describe("A6's guards together (unit)", () => {
  const raw: CourseIntel = {
    segment: "both",
    segment_confidence: 7,
    segment_reasoning: "both",
    range_intel: { has_range: true, range_stations: 20, ball_brand: null, notes: null },
    opportunities: { range_ball_buy: 6, range_ball_lease: 8, range_ball_recycle: 6, lake_ball_retrieval: 8, range_equipment: 5, proshop_ecommerce: 4 },
    conversation_starters: [
      { text: "Your range looks busy on weekends.", score: 7 },
      { text: "Your range looks busy on weekends!", score: 6 },
    ],
    summary: "Segment: Both — both",
  };

  it("dedupes the starters and fills a second one, drops the echo, says the tie, and reports each guard with the raw value", () => {
    const { intel, guards } = guardCourseIntel("Oak Hollow Golf Club", raw);
    expect(CourseIntel.parse(intel)).toBeTruthy();
    expect(intel.conversation_starters).toHaveLength(2);
    expect(new Set(intel.conversation_starters.map((s) => s.text.toLowerCase())).size).toBe(2);
    expect(intel.segment_reasoning).toBe("");
    expect(intel.summary).toBe("Lake ball retrieval and Range ball lease tie at 8/10: their order is not a ranking.");
    expect(guards.map((g) => g.guard).sort()).toEqual(["duplicate_starters", "segment_echo", "segment_echo", "tied_opportunities", "too_few_starters"]);
    expect(guards.find((g) => g.guard === "duplicate_starters")).toMatchObject({ agent: "A6", field: "conversation_starters", raw: ["Your range looks busy on weekends!"] });
    expect(guards.find((g) => g.field === "summary")).toMatchObject({ raw: "Segment: Both — both" });
  });

  it("an answer with nothing wrong passes untouched, with no guard", () => {
    const fine: CourseIntel = {
      ...raw,
      segment_reasoning: "Semi-private: members plus a busy daily-fee business.",
      opportunities: { ...raw.opportunities, lake_ball_retrieval: 7 },
      conversation_starters: [{ text: "Your range looks busy on weekends.", score: 7 }, { text: "Do you lease your range balls?", score: 6 }],
      summary: "Oak Hollow is an 18-hole semi-private course.",
    };
    const { intel, guards } = guardCourseIntel("Oak Hollow Golf Club", fine);
    expect(guards).toEqual([]);
    expect(intel).toEqual(fine);
  });
});
