/** Reads what a ClickUp intake task asks for: a course and its state, a name alone, or nothing usable. */
import { toStateCode } from "../lib/us-states.ts";
import type { RepProblem } from "./rep-messages.ts";

/** The part of ClickUp's Get Task response the intake step reads (the client has checked it). */
export interface IntakeTask {
  id: string;
  name: string;
  list?: { id: string };
  custom_fields?: { id: string; name: string; value?: unknown }[];
}

/** What an intake task asks for: a course and its state, a course name alone, or nothing usable. */
export type IntakeAsk =
  | { kind: "course"; course_name: string; state: string }
  | { kind: "no_state"; course_name: string }
  | { kind: "no_name" };

/**
 * Reads "Course Name, ST" / "Course Name - Virginia" / "Course Name (VA)" / "Course Name VA" from an
 * intake task, or a custom field named "State". A name without a state is returned as such: the
 * resolver may find the state from the name alone.
 */
export function readIntakeAsk(task: IntakeTask): IntakeAsk {
  const stateField = task.custom_fields?.find((f) => f.name.trim().toLowerCase() === "state");
  const fieldState = typeof stateField?.value === "string" ? toStateCode(stateField.value) : undefined;
  const name = task.name.trim().replace(/\s+/g, " ");
  const match = /^(.*?)(?:\s*[,|–-]\s*|\s+\()([A-Za-z .]+?)\)?$/.exec(name);
  if (match?.[1] && match[2]) {
    const state = toStateCode(match[2]);
    if (state) return { kind: "course", course_name: match[1].trim(), state };
  }
  // "Lakeside Country Club VA": a trailing two-letter code in capitals (a lower-case word is part of the name).
  const trailing = /^(.+?)\s+([A-Z]{2})$/.exec(name);
  if (trailing?.[1] && trailing[2] && toStateCode(trailing[2])) return { kind: "course", course_name: trailing[1], state: trailing[2] };
  if (!name) return { kind: "no_name" };
  if (fieldState) return { kind: "course", course_name: name, state: fieldState };
  return { kind: "no_state", course_name: name };
}

/** Below this (of 10), a state found from the name alone is not used: the rep is asked instead. */
export const MIN_STATE_CONFIDENCE = 7;

/** What A1 answered about a course name with no state: every course it found with a name. */
export interface StateCandidates {
  candidates: { course_name: string; state: string; city: string | null }[];
  confidence: number;
}

export type StateDecision =
  | { kind: "found"; state: string; city: string | null; confidence: number }
  | { kind: "refused"; problem: RepProblem };

/** Same name, ignoring case, punctuation, "&" vs "and" and extra spaces. */
function sameCourseName(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/&/g, " and ").replace(/['’`]/g, "").replace(/[^a-z0-9]+/g, " ").trim();
  return norm(a) === norm(b);
}

/**
 * The state of a course named without one: used only when exactly one course (in one state) has
 * exactly that name and A1 is sure enough; otherwise the problem the rep is told.
 */
export function decideState(courseName: string, lookup: StateCandidates | null): StateDecision {
  if (!lookup) return { kind: "refused", problem: { kind: "no_state", course_name: courseName } };
  const named = lookup.candidates.filter((c) => sameCourseName(c.course_name, courseName));
  const states = [...new Set(named.map((c) => c.state))];
  if (states.length === 0) return { kind: "refused", problem: { kind: "course_not_found", course_name: courseName } };
  if (states.length > 1) return { kind: "refused", problem: { kind: "ambiguous_name", course_name: courseName, states: states.sort() } };
  const state = states[0]!;
  if (lookup.confidence < MIN_STATE_CONFIDENCE) return { kind: "refused", problem: { kind: "state_unsure", course_name: courseName, state } };
  return { kind: "found", state, city: named[0]?.city ?? null, confidence: lookup.confidence };
}
