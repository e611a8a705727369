// What a rep reads on an intake task when its course could not become lead tasks: one plain
// sentence or two, saying what went wrong and what to type instead. Never an error class, a stack,
// a step name or an agent's name: the technical reason stays in the logs, the job and the database.
import { PermanentError } from "../lib/errors.ts";
import { stateName } from "../lib/us-states.ts";
import { plainLine } from "../lib/plain-text.ts";

/** Why an intake task (or its run) stopped, in terms a rep can act on. */
export type RepProblem =
  | { kind: "no_course_name" }
  /** No state in the task, and it could not be looked up (the lookup failed or is not configured). */
  | { kind: "no_state"; course_name: string }
  /** No state in the task, and no golf course has this name. */
  | { kind: "course_not_found"; course_name: string }
  /** No state in the task, and courses in several states have this name. */
  | { kind: "ambiguous_name"; course_name: string; states: string[] }
  /** No state in the task; one course has this name, but the lookup was not sure enough to go on. */
  | { kind: "state_unsure"; course_name: string; state: string }
  | { kind: "no_website"; course_name: string; state: string }
  | { kind: "no_staff"; course_name: string; state: string; site_unreachable: boolean }
  | { kind: "clickup_not_set_up" }
  | { kind: "spend_cap"; course_name: string }
  | { kind: "service_unavailable"; service: Service; course_name: string | null }
  | { kind: "unexpected"; course_name: string | null };

export type Service = "database" | "clickup" | "web_research" | "ai_model" | "email_lookup" | "website_reader";

const SERVICE_NAME: Record<Service, string> = {
  database: "Our database",
  clickup: "ClickUp",
  web_research: "The web search service we use",
  ai_model: "The AI service we use",
  email_lookup: "The email lookup service we use",
  website_reader: "The service that reads course websites",
};

/** A failure the pipeline can name for the rep; the message stays the technical reason. */
export class RepProblemError extends PermanentError {
  readonly problem: RepProblem;
  constructor(problem: RepProblem, message: string) {
    super(message);
    this.name = "RepProblemError";
    this.problem = problem;
  }
}

const EXAMPLE = `"Richmond Country Club, VA"`;
const TRY_AGAIN = "Nothing needs retyping: create the same task again in Intake";

/** The comment for the rep. */
export function repMessage(problem: RepProblem): string {
  switch (problem.kind) {
    case "no_course_name":
      return `This task has no course name, so there is nothing to look up. Create a new task in Intake named with the course and its state, like ${EXAMPLE}.`;
    case "no_state":
      return `This task does not say which state "${problem.course_name}" is in, and we could not look it up just now. Create a new task in Intake with the state after a comma, like "${problem.course_name}, VA".`;
    case "course_not_found":
      return `We could not find a golf course called "${problem.course_name}", and the task does not say which state it is in. Check the spelling, then create a new task in Intake with the state after a comma, like "${problem.course_name}, VA".`;
    case "ambiguous_name": {
      const states = problem.states.slice(0, 4);
      const names = states.map(stateName);
      const where = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : (names[0] ?? "");
      const options = states.map((s) => `"${problem.course_name}, ${s}"`).join(" or ");
      return `There is more than one golf course called "${problem.course_name}" (in ${where}${problem.states.length > states.length ? " and more" : ""}), so we need the state. Create a new task in Intake named ${options}.`;
    }
    case "state_unsure":
      return `This task does not say which state "${problem.course_name}" is in. It is probably ${stateName(problem.state)}, but we are not sure enough to go ahead. If that is right, create a new task in Intake named "${problem.course_name}, ${problem.state}"; otherwise use the right state after the comma.`;
    case "no_website":
      return `We could not find a website for ${problem.course_name} in ${stateName(problem.state)}, so there were no staff to look up and no lead tasks were made. Check the course's name and state: if either is wrong, create a new task in Intake with the right ones, like ${EXAMPLE}. If both are right, add this course's contacts by hand.`;
    case "no_staff":
      return problem.site_unreachable
        ? `The website of ${problem.course_name} could not be read just now, so no staff were found and no lead tasks were made. ${TRY_AGAIN} later to try again.`
        : `We found the website of ${problem.course_name} but no staff names on it, so no lead tasks were made. Nothing needs retyping: add this course's contacts by hand.`;
    case "clickup_not_set_up":
      return `This task could not be worked on because the app's ClickUp setup is not finished. An admin has been alerted; once it is fixed, create the same task again in Intake.`;
    case "spend_cap":
      return `Looking up ${problem.course_name} reached its spending limit before anything could be saved, so no lead tasks were made. An admin has been alerted. ${TRY_AGAIN} once the admin says so.`;
    case "service_unavailable":
      return `${SERVICE_NAME[problem.service]} did not answer while we were working on ${problem.course_name ?? "this task"}, so no lead tasks were made. ${TRY_AGAIN} in a little while. An admin has been alerted.`;
    case "unexpected":
      return `Something went wrong on our side while working on ${problem.course_name ?? "this task"}, so no lead tasks were made. An admin has been alerted and has the details. ${TRY_AGAIN} later.`;
  }
}

/** The comment on a task that named no state, when the name alone gave one: what was assumed, and how to correct it. */
export function stateFoundMessage(found: { course_name: string; state: string; city: string | null; confidence: number }): string {
  // A comment (plain text); the city comes from a research answer: one bounded line.
  const where = found.city ? `${plainLine(found.city, 100)}, ${stateName(found.state)}` : stateName(found.state);
  return `This task did not say which state "${found.course_name}" is in. We found one golf course with that name, in ${where} (${found.confidence}/10 sure), and are working on that one. If it is the wrong course, create a new task in Intake with the right state after a comma, like "${found.course_name}, ${found.state === "VA" ? "NC" : "VA"}".`;
}

const PROVIDER_SERVICE: Record<string, Service> = { perplexity: "web_research", anthropic: "ai_model", hunter: "email_lookup", jina: "website_reader" };
const KEY_SERVICE: Record<string, Service> = { PERPLEXITY: "web_research", ANTHROPIC: "ai_model", HUNTER: "email_lookup", JINA: "website_reader" };

/**
 * The rep's problem behind a failure. A RepProblemError names it; anything else is recognised by the
 * prefix our own errors carry (ProviderError `<provider>: `, ClickUpError `ClickUp `, StoreError
 * `<function_name>: `), after any error-class prefix the Workflows engine adds when it rethrows.
 */
export function problemOfFailure(error: unknown, course: { course_name: string | null; state: string | null }): RepProblem {
  if (error instanceof RepProblemError) return error.problem;
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.replace(/^(?:[A-Za-z]*Error:\s*)+/, "");
  const name = course.course_name;
  if (/spend cap/i.test(message)) return { kind: "spend_cap", course_name: name ?? "this course" };
  if (name && course.state && /^no website found\b/.test(message)) return { kind: "no_website", course_name: name, state: course.state };
  if (name && course.state && /^no staff found\b/.test(message)) return { kind: "no_staff", course_name: name, state: course.state, site_unreachable: /\(/.test(message) };
  const key = /\b(PERPLEXITY|ANTHROPIC|HUNTER|JINA)_API_KEY\b/.exec(message)?.[1];
  if (key) return { kind: "service_unavailable", service: KEY_SERVICE[key]!, course_name: name };
  const provider = /^(perplexity|anthropic|hunter|jina):/i.exec(message)?.[1]?.toLowerCase();
  if (provider) return { kind: "service_unavailable", service: PROVIDER_SERVICE[provider]!, course_name: name };
  if (/^ClickUp\b/.test(message)) return { kind: "service_unavailable", service: "clickup", course_name: name };
  if (/^[a-z]+(?:_[a-z]+)+: /.test(message)) return { kind: "service_unavailable", service: "database", course_name: name };
  return { kind: "unexpected", course_name: name };
}

const LOOKUP_WORDS: Record<string, string> = {
  A1: "the website",
  A2: "the staff list",
  A3: "emails and LinkedIn",
  A5: "phone numbers",
  A6: "the course intel",
  "A6.5": "career backgrounds",
  A7: "water hazards",
};

/** "A3, A5" → "emails and LinkedIn, phone numbers": what a partial run's comment says did not finish. */
export function lookupsInWords(agents: readonly string[]): string {
  return [...new Set(agents.map((a) => LOOKUP_WORDS[a] ?? "other details"))].join(", ");
}
