import type { AgentContext } from "../agents/agent-context.ts";
import { type ExtractorOutput, extractCourseData, type StaffMember } from "../agents/a2-data-extractor.ts";
import { findCourseWebsite, type UrlFinderOutput } from "../agents/a1-url-finder.ts";
import { findEmailAndLinkedIn, type EmailLinkedInOutput } from "../agents/a3-email-linkedin.ts";
import { findPhone, type PhoneOutput } from "../agents/a5-phone.ts";
import { type CourseIntel, writeCourseIntel } from "../agents/a6-course-intel.ts";
import { findContactBackground, type BackgroundOutput } from "../agents/a65-contact-background.ts";
import { countWaterHazards, type WaterHazardOutput } from "../agents/a7-water-hazards.ts";
import { type ClickUpRunContext, assigneeFor, loadClickUpContext, type LeadSyncResult, type LeadSynced, syncLeadTask } from "../clickup/clickup-sync.ts";
import type { ClickUpClient } from "../clickup/client.ts";
import { courseFromIntakeTask } from "../clickup/intake-task.ts";
import { intakeSummary, type LeadContact, type LeadCourse, type LeadIntel } from "../clickup/lead-content.ts";
import type { EnrichCourseParams } from "../durable/jobs.ts";
import type { AppConfig } from "../env.ts";
import { hmacSha256Hex } from "../lib/crypto.ts";
import { callbackUrlProblem } from "../lib/callback-url.ts";
import { PermanentError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { Store } from "../store/index.ts";
import { ApplyEnrichmentResult, CourseRecord, StartRunResult } from "../store/records.ts";
import { z } from "zod";

const RecordedTasks = z.object({ recorded: z.number() });
import type { RunLedger } from "./runner.ts";

/** What the workflow gives the pipeline: durable steps, the agents' context and the run's ledger. */
export interface PipelineRuntime {
  params: EnrichCourseParams;
  config: AppConfig;
  log: Logger;
  store(): Store;
  agents: AgentContext;
  ledger: RunLedger;
  /** null when CLICKUP_API_TOKEN is not set: the run then writes nothing to ClickUp. */
  clickup: ClickUpClient | null;
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
}

/**
 * The EnrichCourse pipeline, as a dependency graph:
 *
 *   load_course → mark_enriching ─┬─ A1 website ─┬─ A2 staff ─→ per contact, all in parallel: A3 ∥ A5 ∥ A6.5
 *                                 └─ A7 water + profile ───────┴─ A6 course intel (needs A1 and A7)
 *                                            → apply_enrichment (one atomic write) → callbacks
 */
export async function runEnrichCoursePipeline(rt: PipelineRuntime): Promise<PipelineResult> {
  const course = await rt.step("load_course", () => loadCourse(rt));
  const clickup = rt.clickup ? await rt.step("clickup_context", () => loadClickUpContext(rt.store())) : null;
  rt.clickupContext = clickup;
  if (clickup?.settings_problem) rt.log.warn("clickup_not_set_up", { reason: clickup.settings_problem });
  await rt.step("mark_enriching", () => markEnriching(rt, course));

  const intakeTaskId = rt.params.course.clickup_task_id;
  const settings = clickup?.settings ?? null;
  const all = concurrency(rt.config.env.PIPELINE_MODE);
  // A7 needs only the course's name and state, so it runs beside A1 (A6 then waits for both).
  const [site, profile] = await all([
    async () => {
      const [found] = await Promise.all([
        findCourseWebsite(rt.agents, course),
        // The rep sees the intake task move to "enriching" while the agents work.
        rt.clickup && settings && intakeTaskId
          ? rt.step("clickup_intake_enriching", async () => {
              await rt.clickup!.updateTask(intakeTaskId, { status: settings.statuses.intake.enriching });
              return true;
            })
          : Promise.resolve(false),
      ]);
      return found;
    },
    () => countWaterHazards(rt.agents, { course_name: course.course_name, state: course.state }),
  ] as const);
  if (!site.website || !site.domain) throw new PermanentError(`no website found for ${course.course_name} (${course.state})`);
  const website = site.website;
  const domain = site.domain;

  const [people, courseIntel] = await all([
    async () => {
      const data = await extractCourseData(rt.agents, { course_name: course.course_name, website, domain });
      if (data.staff.length === 0) {
        throw new PermanentError(`no staff found for ${course.course_name}${data.site_error ? ` (${data.site_error})` : ""}`);
      }
      const contacts = await all(data.staff.map((person) => () => enrichContact(rt.agents, all, course, domain, data, person)));
      return { data, contacts };
    },
    () => writeCourseIntel(rt.agents, { course_name: course.course_name, state: course.state, website, profile }),
  ] as const);
  const intel = { profile, courseIntel };

  const status = rt.ledger.incomplete.length ? "partial" : "succeeded";
  const payload = applyPayload(rt, course, site, people.data, people.contacts, intel.profile, intel.courseIntel, status);
  const applied = await rt.step("apply_enrichment", () => rt.store().call("apply_enrichment", payload, ApplyEnrichmentResult));
  rt.log.info("enrichment_applied", { course_id: course.id, course_name: course.course_name, contacts: applied.contacts.length, status, cost: rt.ledger.spentUsd });

  await Promise.all([
    writeClickUp(rt, course, payload, applied, intel.courseIntel, status),
    deliverCallbacks(rt, { job_id: rt.params.job_id, course_id: course.id, status, course: payload.course, business_intelligence: payload.business_intelligence, contacts: payload.contacts }),
  ]);
  return { status, course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd };
}

type ApplyPayload = ReturnType<typeof applyPayload>;

/**
 * ClickUp, after the database has the result: one lead task per contact in its segment's "New Leads"
 * list (created once, then only changed fields updated), their ids recorded in one database call,
 * then the intake task written back in one update and one comment that notifies the rep.
 */
async function writeClickUp(
  rt: PipelineRuntime,
  course: CourseRecord,
  payload: ApplyPayload,
  applied: ApplyEnrichmentResult,
  intel: (CourseIntel & { model: string }) | null,
  status: "succeeded" | "partial",
): Promise<void> {
  const client = rt.clickup;
  const settings = rt.clickupContext?.settings;
  if (!client || !settings) return;
  const leadCourse: LeadCourse = {
    course_name: course.course_name,
    state: course.state,
    website: payload.course.website,
    water_hazard_count: payload.course.water_hazard_count,
    water_hazard_confidence: payload.course.water_hazard_confidence,
  };
  const leadIntel: LeadIntel | null = intel
    ? { segment: intel.segment, segment_confidence: intel.segment_confidence, segment_reasoning: intel.segment_reasoning, opportunities: intel.opportunities, conversation_starters: intel.conversation_starters, summary: intel.summary }
    : null;
  const assignee = assigneeFor(rt.clickupContext?.routing_rules ?? [], leadIntel?.segment ?? null, course.state);

  const results: LeadSyncResult[] = await Promise.all(
    applied.contacts.map((saved, i) => {
      const data = payload.contacts[i];
      if (!data) throw new Error(`contact ${saved.name} is missing from the payload`);
      const contact: LeadContact = {
        name: data.name, title: data.title, email: data.email, email_status: data.email_status, phone: data.phone, phone_source: data.phone_source,
        linkedin_url: data.linkedin_url, tenure_years: data.tenure_years, previous_clubs: data.previous_clubs, sources: data.sources.background,
      };
      return rt.step(`clickup_lead:${contactKey(saved.name)}`, () =>
        syncLeadTask({
          client, settings, contactId: saved.id, existingTaskId: saved.clickup_task_id ?? null, synced: (saved.clickup_synced ?? {}) as LeadSynced,
          contact, course: leadCourse, intel: leadIntel, assignee,
        }),
      );
    }),
  );
  const changed = results.filter((r) => r.action !== "unchanged");
  const recording = changed.length
    ? rt.step("clickup_record_tasks", () =>
        rt.store().call("record_clickup_tasks", { contacts: changed.map((r) => ({ contact_id: r.contact_id, clickup_task_id: r.task_id, synced: r.synced })) }, RecordedTasks),
      )
    : Promise.resolve(null);

  const intakeTaskId = rt.params.course.clickup_task_id;
  if (!intakeTaskId) {
    await recording;
    return;
  }
  const summary = intakeSummary({
    course: leadCourse,
    intel: leadIntel,
    status,
    contacts: applied.contacts.map((saved, i) => ({ name: saved.name, title: saved.title ?? "", email: payload.contacts[i]?.email ?? null, task_url: results[i]?.task_url ?? null })),
  });
  await Promise.all([
    recording,
    rt.step("clickup_intake_done", async () => {
      await client.updateTask(intakeTaskId, { status: status === "succeeded" ? settings.statuses.intake.enriched : settings.statuses.intake.needs_attention, markdown_content: summary });
      return true;
    }),
  ]);
  await rt.step("clickup_intake_comment", async () => {
    const found = applied.contacts.length;
    const text =
      status === "succeeded"
        ? `Enriched ${course.course_name}: ${found} contact${found === 1 ? "" : "s"}${leadIntel ? `, ${leadIntel.segment} (${leadIntel.segment_confidence}/10)` : ""}. Lead tasks are in New Leads.`
        : `Enriched ${course.course_name} with gaps: ${found} contact${found === 1 ? "" : "s"}, some lookups did not complete (${rt.ledger.incomplete.map((c) => c.agent).join(", ")}).`;
    await client.createTaskComment(intakeTaskId, { comment_text: text, notify_all: true });
    return true;
  });
}

/** The failed run's admin alert on the intake task: status "needs attention" and a comment with the reason. */
export async function reportFailureToClickUp(rt: PipelineRuntime, reason: string): Promise<void> {
  const client = rt.clickup;
  const settings = rt.clickupContext?.settings;
  const intakeTaskId = rt.params.course.clickup_task_id;
  if (!client || !intakeTaskId) return;
  await rt.step("clickup_intake_failed", async () => {
    if (settings) await client.updateTask(intakeTaskId, { status: settings.statuses.intake.needs_attention });
    await client.createTaskComment(intakeTaskId, { comment_text: `Enrichment failed: ${reason}`, notify_all: true });
    return true;
  });
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
  const key = contactKey(person.name);
  const listed = data.domain_emails.find((e) => `${e.first_name ?? ""} ${e.last_name ?? ""}`.trim().toLowerCase() === person.name.toLowerCase());
  const [email, phone, background] = await all([
    () => findEmailAndLinkedIn(ctx, { course_name: course.course_name, domain, person, known: data.domain_emails, key }),
    () => findPhone(ctx, { course_name: course.course_name, person, hunterPhone: listed?.phone ?? null, coursePhone: data.course.phone, key }),
    () => findContactBackground(ctx, { course_name: course.course_name, state: course.state, person, key }),
  ] as const);
  return { person, email, phone, background };
}

/** A step-name-safe key for a person, stable across replays. */
export function contactKey(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "contact";
}

async function loadCourse(rt: PipelineRuntime): Promise<CourseRecord> {
  let { course_name, state } = rt.params.course;
  const { course_id, clickup_task_id } = rt.params.course;
  if (!course_id && (!course_name || !state)) {
    if (!clickup_task_id) throw new PermanentError("the trigger names no course: give course_id, or course_name and state");
    if (!rt.clickup) throw new PermanentError("CLICKUP_API_TOKEN is not set, so the intake task cannot be read");
    const task = await rt.clickup.getTask(clickup_task_id);
    ({ course_name, state } = courseFromIntakeTask({
      id: String(task.id),
      name: task.name,
      custom_fields: (task.custom_fields ?? []).map((f) => ({ id: String(f.id), name: String(f.name ?? ""), value: f.value })),
    }));
  }
  const course = await rt.store().call(
    "upsert_course_for_enrichment",
    { course_id, course_name, state, source: rt.params.source, clickup_intake_task_id: clickup_task_id },
    CourseRecord,
  );
  rt.log.info("course_loaded", { course_id: course.id, course_name: course.course_name });
  return course;
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
  };
}

/** Posts the result to each callback URL (signed with AGENT_API_KEY), retried; a dead callback never fails the run. */
async function deliverCallbacks(rt: PipelineRuntime, result: Record<string, unknown>): Promise<void> {
  const secret = rt.config.env.AGENT_API_KEY;
  await Promise.all(
    rt.params.callback_urls.map(async (url, i) => {
      const problem = callbackUrlProblem(url, rt.config.env);
      if (problem || !secret) {
        rt.log.error("callback_refused", { job_id: rt.params.job_id, reason: problem ?? "AGENT_API_KEY is not set" });
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
