/** The enrichment graph: which agent waits for which, from loading the course to the atomic write. */
import type { AgentContext } from "../agents/agent-context.ts";
import { type ExtractorOutput, extractCourseData, type StaffMember } from "../agents/a2-data-extractor.ts";
import { findCourseWebsite, verifyOrFindCourseWebsite } from "../agents/a1-url-finder.ts";
import { findEmailAndLinkedIn } from "../agents/a3-email-linkedin.ts";
import { findPhone } from "../agents/a5-phone.ts";
import { writeCourseIntel } from "../agents/a6-course-intel.ts";
import { findContactBackground } from "../agents/a65-contact-background.ts";
import { findCourseProfile } from "../agents/a7-course-profile.ts";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { RepProblemError } from "../clickup/rep-messages.ts";
import { markIntakeEnriching } from "../clickup/write-back.ts";
import { PermanentError } from "../lib/errors.ts";
import { personKey, personStepKey } from "../lib/person-key.ts";
import { ApplyEnrichmentResult, CourseRecord, RunProblemResult, StartRunResult } from "../store/records.ts";
import { z } from "zod";
import { type PipelineRuntime, type EnrichedContact, type PipelineResult, PIPELINE_STEPS } from "./pipeline.types.ts";
import { applyPayload } from "./apply-payload.ts";
import { writeToClickUp } from "./clickup-writeback.ts";
import { deliverCallbacks } from "./callbacks.ts";

/**
 * The EnrichCourse pipeline, as a dependency graph:
 *
 *   load_course → mark_enriching ─┬─ A1 website ─┬─ A2 staff ─→ per contact, all in parallel: A3 ∥ A5 ∥ A6.5
 *                                 └─ A7 water + profile ───────┴─ A6 course intel (needs A1 and A7)
 *                                            → apply_enrichment (one atomic write) → callbacks
 */
export async function runEnrichCoursePipeline(rt: PipelineRuntime): Promise<PipelineResult> {
  // Guards that fire on the models' answers land in the run's ledger (and so on the run's row).
  const agents: AgentContext = { ...rt.agents, guard: (guard) => rt.ledger.guard(guard) };
  // The ClickUp settings first: a run that fails at once must still be able to tell the rep.
  const clickup = rt.clickup ? await rt.step(PIPELINE_STEPS.clickupContext, () => loadClickUpContext(rt.store())) : null;
  rt.clickupContext = clickup;
  if (clickup?.settings_problem) rt.log.warn("clickup_not_set_up", { reason: clickup.settings_problem });
  const course = await rt.step(PIPELINE_STEPS.loadCourse, () => loadCourse(rt));
  await rt.step(PIPELINE_STEPS.markEnriching, () => markEnriching(rt, course));

  const intakeTaskId = rt.params.course.clickup_task_id;
  const settings = clickup?.settings ?? null;
  const all = concurrency(rt.config.env.PIPELINE_MODE);
  // A7 needs only the course's name and state, so it runs beside A1 (A6 then waits for both).
  const [site, profile] = await all([
    async () => {
      const [found] = await Promise.all([
        // A course imported with its website, never enriched: A1 verifies that site instead of searching.
        rt.params.source === "csv" && course.website && !course.enriched_at ? verifyOrFindCourseWebsite(agents, course) : findCourseWebsite(agents, course),
        // A status the rep sees while the agents work: ClickUp being down must not stop the enrichment.
        rt.clickup && settings && intakeTaskId
          ? markIntakeEnriching(rt.clickup, settings, intakeTaskId).catch((error: unknown) => rt.log.warn("clickup_intake_enriching_failed", { error }))
          : Promise.resolve(),
      ]);
      return found;
    },
    () => findCourseProfile(agents, { course_name: course.course_name, state: course.state }),
  ] as const);
  if (!site.website || !site.domain) {
    throw new RepProblemError({ kind: "no_website", course_name: course.course_name, state: course.state }, `no website found for ${course.course_name} (${course.state})`);
  }
  const website = site.website;
  const domain = site.domain;

  const [people, courseIntel] = await all([
    async () => {
      const extracted = await extractCourseData(agents, { course_name: course.course_name, website, domain });
      // One person, one contact: "Anne-Marie Lee" and "Anne Marie Lee" on two pages are the same key.
      const data = { ...extracted, staff: uniquePeople(extracted.staff) };
      if (data.staff.length === 0) {
        throw new RepProblemError(
          { kind: "no_staff", course_name: course.course_name, state: course.state, site_unreachable: !!data.site_error },
          `no staff found for ${course.course_name}${data.site_error ? ` (${data.site_error})` : ""}`,
        );
      }
      const contacts = await all(data.staff.map((person) => () => enrichContact(agents, all, course, domain, data, person)));
      return { data, contacts };
    },
    () => writeCourseIntel(agents, { course_name: course.course_name, state: course.state, website, profile }),
  ] as const);
  const intel = { profile, courseIntel };

  const lookupsStatus = rt.ledger.incomplete.length ? "partial" : "succeeded";
  const payload = applyPayload(rt, course, site, people.data, people.contacts, intel.profile, intel.courseIntel, lookupsStatus);
  const applied = await rt.step(PIPELINE_STEPS.applyEnrichment, () => rt.store().call("apply_enrichment", payload, ApplyEnrichmentResult));
  rt.log.info("enrichment_applied", { course_id: course.id, course_name: course.course_name, contacts: applied.contacts.length, status: lookupsStatus, cost: rt.ledger.spentUsd });

  // Joins during the run (a second intake task, an API request with its callback) are read now.
  const audience = await rt.audience();
  const [problem] = await Promise.all([
    writeToClickUp(rt, course, payload, applied, intel.courseIntel, lookupsStatus, audience),
    deliverCallbacks(rt, audience.callback_urls, { job_id: rt.params.job_id, course_id: course.id, status: lookupsStatus, course: payload.course, business_intelligence: payload.business_intelligence, contacts: payload.contacts }),
  ]);
  if (problem) {
    // The result is in the database; the run and the course say what is missing, and the next run finishes it.
    await rt.step(PIPELINE_STEPS.noteRunProblem, () => rt.store().call("note_run_problem", { run_id: rt.params.job_id, course_id: course.id, error: problem }, RunProblemResult));
    rt.log.warn("run_partial", { course_id: course.id, reason: problem });
    return { status: "partial", course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd, error: problem };
  }
  return { status: lookupsStatus, course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd };
}

/** Staff listed twice (two pages, two spellings of one name) become one person; the first listing wins, a missing title is filled. */
export function uniquePeople(staff: StaffMember[]): StaffMember[] {
  const byKey = new Map<string, StaffMember>();
  for (const person of staff) {
    const key = personKey(person.name);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, person);
    else if (!seen.title && person.title) byKey.set(key, { ...seen, title: person.title });
  }
  return [...byKey.values()];
}

type RunAll = <T extends readonly (() => Promise<unknown>)[]>(tasks: T) => Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }>;

/** Independent work runs together; `sequential` awaits each in turn (the seed's way, kept for the benchmark's comparison). */
function concurrency(mode: "parallel" | "sequential"): RunAll {
  return (async (tasks: readonly (() => Promise<unknown>)[]) => {
    if (mode === "parallel") return Promise.all(tasks.map((task) => task()));
    const results: unknown[] = [];
    for (const task of tasks) results.push(await task());
    return results;
  }) as RunAll;
}

async function enrichContact(ctx: AgentContext, all: RunAll, course: CourseRecord, domain: string, data: ExtractorOutput, person: StaffMember): Promise<EnrichedContact> {
  const key = personStepKey(person.name);
  const listed = data.domain_emails.find((e) => personKey(`${e.first_name ?? ""} ${e.last_name ?? ""}`) === personKey(person.name));
  const [email, phone, background] = await all([
    () => findEmailAndLinkedIn(ctx, { course_name: course.course_name, domain, person, known: data.domain_emails, key }),
    () => findPhone(ctx, { course_name: course.course_name, person, hunterPhone: listed?.phone ?? null, coursePhone: data.course.phone, key }),
    () => findContactBackground(ctx, { course_name: course.course_name, state: course.state, person, key, course_founded: data.course.founded }),
  ] as const);
  return { person, email, phone, background };
}

/** The course row. Every trigger is resolved to a course before its coordinator (an intake task by ResolveIntakeTask). */
async function loadCourse(rt: PipelineRuntime): Promise<CourseRecord> {
  const { course_id, course_name, state, clickup_task_id } = rt.params.course;
  if (!course_name || !state) {
    if (!course_id) throw new PermanentError("the trigger names no course: give course_id, or course_name and state");
  }
  const course = course_name && state
    ? await rt.store().call("upsert_course_for_enrichment", { course_id, course_name, state, source: rt.params.source, clickup_intake_task_id: clickup_task_id }, CourseRecord)
    : await rt.store().call("upsert_course_for_enrichment", { course_id, ...(await knownCourse(rt, course_id!)), source: rt.params.source }, CourseRecord);
  rt.log.info("course_loaded", { course_id: course.id, course_name: course.course_name });
  return course;
}

/** The name and state of a course known only by id. */
async function knownCourse(rt: PipelineRuntime, courseId: string): Promise<{ course_name: string; state: string }> {
  const found = await rt.store().call("get_course_writeback", { course_id: courseId }, z.object({ course: z.object({ course_name: z.string(), state: z.string() }) }).nullable());
  if (!found) throw new PermanentError(`course ${courseId} does not exist; give course_name and state to create it`);
  return { course_name: found.course.course_name, state: found.course.state };
}

async function markEnriching(rt: PipelineRuntime, course: CourseRecord): Promise<CourseRecord> {
  const { course: updated } = await rt.store().call(
    "start_enrichment_run",
    {
      run_id: rt.params.job_id,
      course_id: course.id,
      trigger_source: rt.params.source,
      trigger_key: rt.params.trigger_key,
      callback_url: rt.params.callback_urls[0],
    },
    StartRunResult,
  );
  return updated;
}

