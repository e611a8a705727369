import type { AgentContext } from "../agents/agent-context.ts";
import { type ExtractorOutput, extractCourseData, type StaffMember } from "../agents/a2-data-extractor.ts";
import { findCourseWebsite, type UrlFinderOutput } from "../agents/a1-url-finder.ts";
import { findEmailAndLinkedIn, type EmailLinkedInOutput } from "../agents/a3-email-linkedin.ts";
import { findPhone, type PhoneOutput } from "../agents/a5-phone.ts";
import { type CourseIntel, writeCourseIntel } from "../agents/a6-course-intel.ts";
import { findContactBackground, type BackgroundOutput } from "../agents/a65-contact-background.ts";
import { countWaterHazards, type WaterHazardOutput } from "../agents/a7-water-hazards.ts";
import type { ClickUpCall } from "../clickup/call.ts";
import { type ClickUpRunContext, assigneeFor, loadClickUpContext, type LeadSynced } from "../clickup/clickup-sync.ts";
import { type LeadContact, type LeadCourse, type LeadIntel, segmentInWords } from "../clickup/lead-content.ts";
import { lookupsInWords, problemOfFailure, repMessage, RepProblemError } from "../clickup/rep-messages.ts";
import { intakeSummaryOf, markIntakeEnriching, writeIntakeOutcome, writeLeadTasks } from "../clickup/write-back.ts";
import type { EnrichCourseParams, JobAudience } from "./jobs.types.ts";
import type { AppConfig } from "../env.ts";
import { hmacSha256Hex } from "../lib/crypto.ts";
import { callbackUrlProblem } from "../lib/callback-url.ts";
import { PermanentError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { personKey, personStepKey } from "../lib/person-key.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { Store } from "../store/index.ts";
import { LEAD_SEGMENTS } from "../clickup/config.ts";
import { ApplyEnrichmentResult, CourseRecord, RunProblemResult, StartRunResult } from "../store/records.ts";
import { z } from "zod";
import type { RunLedger } from "./runner.ts";

const RecordedTasks = z.object({ recorded: z.number() });

/** What the workflow gives the pipeline: durable steps, the agents' context and the run's ledger. */
export interface PipelineRuntime {
  params: EnrichCourseParams;
  config: AppConfig;
  log: Logger;
  store(): Store;
  agents: AgentContext;
  ledger: RunLedger;
  /** Durable, gated, repeat-safe ClickUp calls; null when CLICKUP_API_TOKEN is not set (the run then writes nothing to ClickUp). */
  clickup: ClickUpCall | null;
  /** The job's callbacks and intake tasks as they are now (requests that joined the run add to them). */
  audience(): Promise<JobAudience>;
  /** Filled by the pipeline once read (the failure path uses it too). */
  clickupContext: ClickUpRunContext | null;
  /** A durable, retried, memoized step of the pipeline itself (database writes, the callback). */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  startedAt: number;
}

export interface EnrichedContact {
  person: StaffMember;
  email: EmailLinkedInOutput;
  phone: PhoneOutput;
  background: BackgroundOutput;
}

export interface PipelineResult {
  status: "succeeded" | "partial";
  course_id: string;
  contacts: number;
  cost_usd: number;
  /** Why a run is partial beyond its incomplete lookups (ClickUp not set up, the write-back failed). */
  error?: string;
}

/** What the job and the course say when ClickUp is configured (a token) but `npm run clickup:setup` has not run or its settings are invalid. */
export const CLICKUP_NOT_SET_UP = "ClickUp not set up";

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
  const clickup = rt.clickup ? await rt.step("clickup_context", () => loadClickUpContext(rt.store())) : null;
  rt.clickupContext = clickup;
  if (clickup?.settings_problem) rt.log.warn("clickup_not_set_up", { reason: clickup.settings_problem });
  const course = await rt.step("load_course", () => loadCourse(rt));
  await rt.step("mark_enriching", () => markEnriching(rt, course));

  const intakeTaskId = rt.params.course.clickup_task_id;
  const settings = clickup?.settings ?? null;
  const all = concurrency(rt.config.env.PIPELINE_MODE);
  // A7 needs only the course's name and state, so it runs beside A1 (A6 then waits for both).
  const [site, profile] = await all([
    async () => {
      const [found] = await Promise.all([
        findCourseWebsite(agents, course),
        // A status the rep sees while the agents work: ClickUp being down must not stop the enrichment.
        rt.clickup && settings && intakeTaskId
          ? markIntakeEnriching(rt.clickup, settings, intakeTaskId).catch((error: unknown) => rt.log.warn("clickup_intake_enriching_failed", { error }))
          : Promise.resolve(),
      ]);
      return found;
    },
    () => countWaterHazards(agents, { course_name: course.course_name, state: course.state }),
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
  const applied = await rt.step("apply_enrichment", () => rt.store().call("apply_enrichment", payload, ApplyEnrichmentResult));
  rt.log.info("enrichment_applied", { course_id: course.id, course_name: course.course_name, contacts: applied.contacts.length, status: lookupsStatus, cost: rt.ledger.spentUsd });

  // Joins during the run (a second intake task, an API request with its callback) are read now.
  const audience = await rt.audience();
  const [problem] = await Promise.all([
    writeToClickUp(rt, course, payload, applied, intel.courseIntel, lookupsStatus, audience),
    deliverCallbacks(rt, audience.callback_urls, { job_id: rt.params.job_id, course_id: course.id, status: lookupsStatus, course: payload.course, business_intelligence: payload.business_intelligence, contacts: payload.contacts }),
  ]);
  if (problem) {
    // The result is in the database; the run and the course say what is missing, and the next run finishes it.
    await rt.step("note_run_problem", () => rt.store().call("note_run_problem", { run_id: rt.params.job_id, course_id: course.id, error: problem }, RunProblemResult));
    rt.log.warn("run_partial", { course_id: course.id, reason: problem });
    return { status: "partial", course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd, error: problem };
  }
  return { status: lookupsStatus, course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd };
}

const SUGGESTED_LABEL: Record<string, string> = { email: "Email", phone: "Phone", linkedin: "LinkedIn URL", title: "title", segment: "Segment", confidence: "Confidence", website: "Website" };

/** One comment per lead task whose rep-owned fields the run would have changed: what it found, kept as a suggestion. */
export function suggestionNotes(suggestions: ApplyEnrichmentResult["suggestions"], taskOf: Map<string, string>): { task_id: string; text: string }[] {
  const byTask = new Map<string, string[]>();
  for (const s of suggestions) {
    const targets = s.entity === "contact" ? [taskOf.get(s.contact_id ?? "")] : [...taskOf.values()];
    for (const task of targets) {
      if (!task) continue;
      const line = `- ${SUGGESTED_LABEL[s.field] ?? s.field}: the enrichment found "${s.suggested ?? ""}"; your "${s.kept ?? "(empty)"}" is kept.`;
      byTask.set(task, [...(byTask.get(task) ?? []), line]);
    }
  }
  return [...byTask].map(([task_id, lines]) => ({ task_id, text: `The latest enrichment did not change what a rep corrected here:\n${lines.join("\n")}\nChange the field yourself if the new value is right.` }));
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

type ApplyPayload = ReturnType<typeof applyPayload>;

/**
 * ClickUp, after the database has the result: one lead task per contact in its segment's "New Leads"
 * list (created once, then only changed fields updated), their ids recorded in one database call,
 * then each intake task that asked for the course written back (one update, one comment).
 * Returns why the write-back is incomplete (the run is then `partial`), or null.
 */
async function writeToClickUp(
  rt: PipelineRuntime,
  course: CourseRecord,
  payload: ApplyPayload,
  applied: ApplyEnrichmentResult,
  intel: (CourseIntel & { model: string }) | null,
  status: "succeeded" | "partial",
  audience: JobAudience,
): Promise<string | null> {
  const call = rt.clickup;
  if (!call) return null;
  const settings = rt.clickupContext?.settings;
  if (!settings) return `${CLICKUP_NOT_SET_UP}: ${rt.clickupContext?.settings_problem ?? "run npm run clickup:setup"}`;
  // A field a rep corrected keeps the rep's value in the database: ClickUp is written with it too.
  const kept = (entity: "contact" | "course", field: string, contactId: string | null = null) =>
    applied.suggestions.find((s) => s.entity === entity && s.field === field && (entity === "course" || s.contact_id === contactId));
  const keptText = (entity: "contact" | "course", field: string, fallback: string | null, contactId: string | null = null): string | null => {
    const k = kept(entity, field, contactId);
    return k ? (k.kept === null ? null : String(k.kept)) : fallback;
  };
  const leadCourse: LeadCourse = {
    course_name: course.course_name,
    state: course.state,
    website: keptText("course", "website", payload.course.website),
    water_hazard_count: payload.course.water_hazard_count,
    water_hazard_confidence: payload.course.water_hazard_confidence,
  };
  const keptSegment = kept("course", "segment")?.kept;
  const keptConfidence = kept("course", "confidence")?.kept;
  const leadIntel: LeadIntel | null = intel
    ? {
        segment: (LEAD_SEGMENTS as readonly unknown[]).includes(keptSegment) ? (keptSegment as LeadIntel["segment"]) : intel.segment,
        segment_confidence: typeof keptConfidence === "number" ? keptConfidence : intel.segment_confidence,
        segment_reasoning: intel.segment_reasoning, opportunities: intel.opportunities, conversation_starters: intel.conversation_starters, summary: intel.summary,
      }
    : null;
  const assignee = assigneeFor(rt.clickupContext?.routing_rules ?? [], leadIntel?.segment ?? null, course.state);
  // Results are paired with what was sent by the person's key, never by position.
  const sent = new Map(payload.contacts.map((c) => [personKey(c.name), c]));
  const saved = applied.contacts.flatMap((row) => {
    const data = sent.get(row.name_key ?? personKey(row.name));
    return data ? [{ row, data }] : [];
  });
  const intakeTasks = [...new Set([rt.params.course.clickup_task_id, ...audience.intake_task_ids].filter((t): t is string => !!t))];

  try {
    const results = await writeLeadTasks(call, {
      settings, course: leadCourse, intel: leadIntel, assignee,
      leads: saved.map(({ row, data }) => ({
        contact_id: row.id,
        key: personStepKey(data.name),
        existing_task_id: row.clickup_task_id ?? null,
        synced: (row.clickup_synced ?? {}) as LeadSynced,
        contact: {
          name: data.name, title: keptText("contact", "title", data.title, row.id) ?? "", email: keptText("contact", "email", data.email, row.id), email_status: data.email_status,
          phone: keptText("contact", "phone", data.phone, row.id), phone_source: data.phone_source,
          linkedin_url: keptText("contact", "linkedin", data.linkedin_url, row.id), tenure_years: data.tenure_years, previous_clubs: data.previous_clubs, sources: data.sources.background,
        } satisfies LeadContact,
      })),
    });
    const changed = results.filter((r) => r.action !== "unchanged");
    const recording = changed.length
      ? rt.step("clickup_record_tasks", () =>
          rt.store().call("record_clickup_tasks", { contacts: changed.map((r) => ({ contact_id: r.contact_id, clickup_task_id: r.task_id, synced: r.synced })) }, RecordedTasks),
        )
      : Promise.resolve(null);
    const taskOf = new Map(results.map((r) => [r.contact_id, r.task_id]));
    const suggesting = suggestionNotes(applied.suggestions, taskOf);
    const summary = intakeSummaryOf({
      course: leadCourse,
      intel: leadIntel,
      status,
      contacts: saved.map(({ row, data }) => ({ name: row.name, title: row.title ?? data.title, email: data.email, task_id: taskOf.get(row.id) ?? null })),
    });
    const found = saved.length;
    const outcome =
      status === "succeeded"
        ? `Enriched ${course.course_name}: ${found} contact${found === 1 ? "" : "s"}${leadIntel ? `, ${segmentInWords(leadIntel, false)}` : ""}. Lead tasks are in New Leads.`
        : `Enriched ${course.course_name} with gaps: ${found} contact${found === 1 ? "" : "s"}, some lookups did not complete (${lookupsInWords(rt.ledger.incomplete.map((c) => c.agent))}).`;
    await Promise.all([
      recording,
      ...suggesting.map((note) =>
        call(`clickup_suggestion:${note.task_id}`, { priority: "background", requests: 1 }, async (client) => {
          await client.createTaskComment(note.task_id, { comment_text: note.text, notify_all: false });
          return true;
        }),
      ),
      ...intakeTasks.map((taskId, i) =>
        writeIntakeOutcome(call, settings, {
          name: i === 0 ? "clickup_intake_done" : `clickup_intake_done:${taskId}`,
          task_id: taskId,
          status: status === "succeeded" ? "enriched" : "needs_attention",
          summary,
          comment: i === 0 ? outcome : `${outcome} Another intake task asked for the same course: this one is linked to the same ${found} lead task${found === 1 ? "" : "s"}.`,
        }),
      ),
    ]);
    return null;
  } catch (error) {
    const reason = `ClickUp write-back failed: ${error instanceof Error ? error.message : String(error)}`;
    rt.log.error("clickup_writeback_failed", { alert: "admin", course_id: course.id, error: reason });
    // Tell the rep on the intake task, when ClickUp lets us; the next run (or the reconcile job) finishes the write-back.
    for (const taskId of intakeTasks) {
      try {
        await writeIntakeOutcome(call, settings, {
          name: `clickup_intake_problem:${taskId}`,
          task_id: taskId,
          status: "needs_attention",
          comment: `${course.course_name} was enriched and saved, but writing its lead tasks to ClickUp did not finish. The next run finishes it.`,
        });
      } catch (alertError) {
        rt.log.error("clickup_alert_failed", { task_id: taskId, error: alertError });
      }
    }
    return reason;
  }
}

/**
 * A failed run on every intake task that asked for the course: status "needs attention" and a plain
 * comment for the rep (what went wrong, what to type instead). The technical reason stays in the
 * log, the job and the database. Without settings (not set up, or the database is down) the status
 * names are the ones setup requires.
 */
export async function reportFailureToClickUp(rt: PipelineRuntime, error: unknown): Promise<void> {
  const call = rt.clickup;
  const intakeTaskId = rt.params.course.clickup_task_id;
  if (!call || !intakeTaskId) return;
  const settings = rt.clickupContext?.settings ?? null;
  const { course_name = null, state = null } = rt.params.course;
  let problem = problemOfFailure(error, { course_name, state });
  // No website or staff because the spend cap stopped the lookups is the cap's doing.
  if ((problem.kind === "no_website" || problem.kind === "no_staff") && rt.ledger.incomplete.some((c) => c.status === "skipped")) {
    problem = { kind: "spend_cap", course_name: problem.course_name };
  }
  const comment = repMessage(problem);
  rt.log.info("clickup_intake_failure_told", { problem: problem.kind });
  const audience = await rt.audience().catch(() => ({ callback_urls: [], intake_task_ids: [] }) satisfies JobAudience);
  for (const taskId of new Set([intakeTaskId, ...audience.intake_task_ids])) {
    // One task ClickUp refuses (deleted meanwhile) must not keep the others from being told.
    await writeIntakeOutcome(call, settings, { name: `clickup_intake_failed:${taskId}`, task_id: taskId, status: "needs_attention", comment }).catch((alertError: unknown) =>
      rt.log.error("clickup_alert_failed", { alert: "admin", task_id: taskId, error: alertError }),
    );
  }
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

function applyPayload(
  rt: PipelineRuntime,
  course: CourseRecord,
  site: UrlFinderOutput,
  data: ExtractorOutput,
  contacts: EnrichedContact[],
  profile: WaterHazardOutput | null,
  intel: (CourseIntel & { model: string }) | null,
  status: "succeeded" | "partial",
) {
  return {
    run_id: rt.params.job_id,
    course_id: course.id,
    status,
    cost_usd: rt.ledger.spentUsd,
    duration_ms: Date.now() - rt.startedAt,
    course: {
      website: site.website,
      listing_url: site.listing_url,
      phone: normalizePhone(data.course.phone),
      address: data.course.address,
      city: data.course.city,
      details: {
        holes: data.course.holes ?? profile?.holes ?? null,
        course_type: data.course.course_type ?? profile?.course_type ?? null,
        founded: data.course.founded,
        green_fee_usd: profile?.green_fee ?? null,
        members: profile?.members ?? null,
        annual_rounds: profile?.annual_rounds ?? null,
        website_confidence: site.confidence,
        pages_read: data.pages_read,
        sources: profile?.sources ?? [],
      },
      water_hazard_count: profile?.water_hazard_count ?? null,
      water_hazard_confidence: profile ? profile.confidence : null,
    },
    business_intelligence: intel
      ? {
          segment: intel.segment,
          segment_confidence: intel.segment_confidence,
          range_intel: { ...intel.range_intel, reasoning: intel.segment_reasoning },
          opportunities: intel.opportunities,
          conversation_starters: intel.conversation_starters,
          summary: intel.summary,
          model: intel.model,
        }
      : undefined,
    contacts: contacts.map(({ person, email, phone, background }) => ({
      name: person.name,
      title: person.title,
      email: email.email,
      email_score: email.email_score,
      email_status: email.email_status,
      email_source: email.email_source,
      linkedin_url: email.linkedin_url ?? background.linkedin_url,
      phone: phone.phone,
      phone_type: phone.phone_type,
      phone_source: phone.phone_source,
      tenure_years: background.tenure_years,
      previous_clubs: background.previous_clubs,
      background_summary: background.background_summary,
      sources: { staff: person.source, background: background.sources },
    })),
    agent_calls: [...rt.ledger.calls.values()].map(({ started_at: _started, ...call }) => call),
    guards: rt.ledger.sortedGuards,
  };
}

/**
 * Posts the result to each callback URL (signed with CALLBACK_SIGNING_SECRET, never the API key: a
 * receiver must not be able to call our API), retried; a dead callback never fails the run. Without
 * the secret nothing is sent (the API refuses a callback_url then, so this is only a secret removed mid-run).
 */
async function deliverCallbacks(rt: PipelineRuntime, urls: string[], result: Record<string, unknown>): Promise<void> {
  const secret = rt.config.env.CALLBACK_SIGNING_SECRET;
  await Promise.all(
    urls.map(async (url, i) => {
      const problem = callbackUrlProblem(url, rt.config.env);
      if (problem || !secret) {
        rt.log.error("callback_refused", { job_id: rt.params.job_id, reason: problem ?? "CALLBACK_SIGNING_SECRET is not set: callbacks are not sent unsigned" });
        return;
      }
      try {
        await rt.step(`callback:${i + 1}`, async () => {
          const body = JSON.stringify(result);
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-signature": await hmacSha256Hex(secret, body) },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(15_000),
          });
          if (!response.ok) throw new Error(`callback answered ${response.status}`);
          return response.status;
        });
      } catch (error) {
        rt.log.error("callback_failed", { job_id: rt.params.job_id, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
}
