import { describe, expect, it } from "vitest";
import { lookupsInWords, problemOfFailure, type RepProblem, RepProblemError, repMessage, stateFoundMessage } from "../../../src/clickup/rep-messages.ts";

const EVERY_PROBLEM: RepProblem[] = [
  { kind: "no_course_name" },
  { kind: "no_state", course_name: "Mystery Meadows Golf Club" },
  { kind: "course_not_found", course_name: "Mystery Meadows Golf Club" },
  { kind: "ambiguous_name", course_name: "Pine Valley Golf Club", states: ["NJ", "OH"] },
  { kind: "state_unsure", course_name: "Stonebridge Golf Club", state: "GA" },
  { kind: "no_website", course_name: "Cedar Ridge Municipal Golf Course", state: "TX" },
  { kind: "no_staff", course_name: "Sandy Pines Golf Club", state: "SC", site_unreachable: true },
  { kind: "no_staff", course_name: "Sandy Pines Golf Club", state: "SC", site_unreachable: false },
  { kind: "clickup_not_set_up" },
  { kind: "spend_cap", course_name: "Richmond Country Club" },
  { kind: "service_unavailable", service: "database", course_name: "Richmond Country Club" },
  { kind: "service_unavailable", service: "web_research", course_name: null },
  { kind: "unexpected", course_name: "Richmond Country Club" },
];

describe("rep-facing messages (unit)", () => {
  it("every problem reads as plain sentences: no error class, stack, step or agent name, no JSON", () => {
    for (const problem of EVERY_PROBLEM) {
      const text = repMessage(problem);
      expect(text, problem.kind).toMatch(/^[A-Z"].*\.$/s);
      expect(text, problem.kind).not.toMatch(/Error\b|NonRetryable|\bat .+:\d+|\bA[1-7](\.5)?\b|_[a-z]+|[{}[\]]|HTTP \d|undefined|null/);
    }
  });

  it("says what to type instead, with the course's own name", () => {
    expect(repMessage({ kind: "course_not_found", course_name: "Mystery Meadows Golf Club" })).toMatch(/could not find a golf course called "Mystery Meadows Golf Club".*create a new task in Intake.*"Mystery Meadows Golf Club, VA"/);
    expect(repMessage({ kind: "ambiguous_name", course_name: "Pine Valley Golf Club", states: ["NJ", "OH"] })).toBe(
      'There is more than one golf course called "Pine Valley Golf Club" (in New Jersey and Ohio), so we need the state. Create a new task in Intake named "Pine Valley Golf Club, NJ" or "Pine Valley Golf Club, OH".',
    );
    expect(repMessage({ kind: "no_course_name" })).toMatch(/"Richmond Country Club, VA"/);
    expect(repMessage({ kind: "no_website", course_name: "Cedar Ridge Municipal Golf Course", state: "TX" })).toMatch(/website for Cedar Ridge Municipal Golf Course in Texas/);
    expect(stateFoundMessage({ course_name: "Maple Hills Golf Course", state: "MI", city: "Traverse City", confidence: 8 })).toMatch(/in Traverse City, Michigan \(8\/10 sure\).*"Maple Hills Golf Course, VA"/);
  });

  it("names the cause behind a technical failure, whatever the Workflows engine prefixed", () => {
    const course = { course_name: "Richmond Country Club", state: "VA" };
    expect(problemOfFailure(new RepProblemError({ kind: "no_website", course_name: "X", state: "TX" }, "no website found for X (TX)"), course)).toMatchObject({ kind: "no_website", course_name: "X" });
    expect(problemOfFailure(new Error("NonRetryableError: no website found for Richmond Country Club (VA)"), course)).toMatchObject({ kind: "no_website" });
    expect(problemOfFailure(new Error("perplexity: HTTP 503: overloaded"), course)).toEqual({ kind: "service_unavailable", service: "web_research", course_name: "Richmond Country Club" });
    expect(problemOfFailure(new Error("Error: anthropic: timed out"), course)).toMatchObject({ service: "ai_model" });
    expect(problemOfFailure(new Error("A1 needs PERPLEXITY_API_KEY to search for the course website"), course)).toMatchObject({ service: "web_research" });
    expect(problemOfFailure(new Error("apply_enrichment: connection refused"), course)).toMatchObject({ service: "database" });
    expect(problemOfFailure(new Error("ClickUp GET /v2/task/{id}: HTTP 503"), course)).toMatchObject({ service: "clickup" });
    expect(problemOfFailure(new Error("spend cap reached"), course)).toMatchObject({ kind: "spend_cap" });
    expect(problemOfFailure("something odd", { course_name: null, state: null })).toEqual({ kind: "unexpected", course_name: null });
  });

  it("a partial run's gaps are said in words, not agent names", () => {
    expect(lookupsInWords(["A3", "A5", "A3", "A6.5"])).toBe("emails and LinkedIn, phone numbers, career backgrounds");
  });
});
