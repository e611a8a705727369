import { describe, expect, it } from "vitest";
import { decideState, MIN_STATE_CONFIDENCE, readIntakeAsk } from "../../../src/clickup/intake-task.ts";

const task = (name: string, state?: string) => ({ id: "t1", name, custom_fields: state === undefined ? [] : [{ id: "f1", name: "State", value: state }] });

describe("what an intake task asks for (unit)", () => {
  it("reads the course and its state in the ways reps type them", () => {
    expect(readIntakeAsk(task("Richmond Country Club, VA"))).toEqual({ kind: "course", course_name: "Richmond Country Club", state: "VA" });
    expect(readIntakeAsk(task("Richmond Country Club - Virginia"))).toEqual({ kind: "course", course_name: "Richmond Country Club", state: "VA" });
    expect(readIntakeAsk(task("Richmond Country Club (va)"))).toEqual({ kind: "course", course_name: "Richmond Country Club", state: "VA" });
    expect(readIntakeAsk(task("Lakeside Country Club VA"))).toEqual({ kind: "course", course_name: "Lakeside Country Club", state: "VA" });
    expect(readIntakeAsk(task("Lakeside Country Club", "Virginia"))).toEqual({ kind: "course", course_name: "Lakeside Country Club", state: "VA" });
  });

  it("a name without a state, and a task without a name, are said as such (not thrown)", () => {
    expect(readIntakeAsk(task("Mystery Meadows Golf Club"))).toEqual({ kind: "no_state", course_name: "Mystery Meadows Golf Club" });
    // A lower-case or unknown two-letter word is part of the name.
    expect(readIntakeAsk(task("Club at the Pines GC"))).toEqual({ kind: "no_state", course_name: "Club at the Pines GC" });
    expect(readIntakeAsk(task("   "))).toEqual({ kind: "no_name" });
  });
});

describe("a state from the name alone (unit)", () => {
  const one = { course_name: "Maple Hills Golf Course", state: "MI", city: "Traverse City" };
  it("is used only when exactly one course has exactly that name and A1 is sure enough", () => {
    expect(decideState("Maple Hills Golf Course", { candidates: [one], confidence: 8 })).toEqual({ kind: "found", state: "MI", city: "Traverse City", confidence: 8 });
    expect(decideState("maple hills golf course", { candidates: [one, { ...one, city: null }], confidence: MIN_STATE_CONFIDENCE })).toMatchObject({ kind: "found", state: "MI" });
    expect(decideState("Maple Hills Golf Course", { candidates: [one], confidence: MIN_STATE_CONFIDENCE - 1 })).toEqual({
      kind: "refused", problem: { kind: "state_unsure", course_name: "Maple Hills Golf Course", state: "MI" },
    });
  });

  it("two states for one name, no course, a different name or no answer are refused with the rep's problem", () => {
    const pines = [{ course_name: "Pine Valley Golf Club", state: "OH", city: "Wadsworth" }, { course_name: "Pine Valley Golf Club", state: "NJ", city: "Pine Valley" }];
    expect(decideState("Pine Valley Golf Club", { candidates: pines, confidence: 9 })).toEqual({ kind: "refused", problem: { kind: "ambiguous_name", course_name: "Pine Valley Golf Club", states: ["NJ", "OH"] } });
    expect(decideState("Mystery Meadows Golf Club", { candidates: [], confidence: 3 })).toMatchObject({ problem: { kind: "course_not_found" } });
    expect(decideState("Maple Hills", { candidates: [one], confidence: 9 })).toMatchObject({ problem: { kind: "course_not_found" } });
    expect(decideState("Maple Hills Golf Course", null)).toMatchObject({ problem: { kind: "no_state" } });
  });
});
