import type { AgentContext } from "../agents/agent-context.ts";
import { type ExtractorOutput, extractCourseData, type StaffMember } from "../agents/a2-data-extractor.ts";
import { findCourseWebsite, type UrlFinderOutput } from "../agents/a1-url-finder.ts";
import { findEmailAndLinkedIn, type EmailLinkedInOutput } from "../agents/a3-email-linkedin.ts";
import { findPhone, type PhoneOutput } from "../agents/a5-phone.ts";
import { type CourseIntel, writeCourseIntel } from "../agents/a6-course-intel.ts";
import { findContactBackground, type BackgroundOutput } from "../agents/a65-contact-background.ts";
import { countWaterHazards, type WaterHazardOutput } from "../agents/a7-water-hazards.ts";
import { ClickUpUnavailable, courseFromIntakeTask, getIntakeTask } from "../clickup/intake-task.ts";
import type { EnrichCourseParams } from "../durable/jobs.ts";
import type { AppConfig } from "../env.ts";
import { hmacSha256Hex } from "../lib/crypto.ts";
import { callbackUrlProblem } from "../lib/callback-url.ts";
import { PermanentError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { Store } from "../store/index.ts";
import { ApplyEnrichmentResult, CourseRecord, StartRunResult } from "../store/records.ts";
import type { RunLedger } from "./runner.ts";

/** What the workflow gives the pipeline: durable steps, the agents' context and the run's ledger. */
export interface PipelineRuntime {
  params: EnrichCourseParams;
  config: AppConfig;
  log: Logger;
  store(): Store;
  agents: AgentContext;
  ledger: RunLedger;
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
 *   load_course → mark_enriching → A1 website ─┬─ A2 staff ─→ per contact, all in parallel: A3 ∥ A5 ∥ A6.5
 *                                              └─ A7 water + profile ─→ A6 course intel
 *                                            → apply_enrichment (one atomic write) → callbacks
 */
export async function runEnrichCoursePipeline(rt: PipelineRuntime): Promise<PipelineResult> {
  const course = await rt.step("load_course", () => loadCourse(rt));
  await rt.step("mark_enriching", () => markEnriching(rt, course));

  const site = await findCourseWebsite(rt.agents, course);
  if (!site.website || !site.domain) throw new PermanentError(`no website found for ${course.course_name} (${course.state})`);
  const website = site.website;
  const domain = site.domain;

  const all = concurrency(rt.config.env.PIPELINE_MODE);
  const [people, intel] = await all([
    async () => {
      const data = await extractCourseData(rt.agents, { course_name: course.course_name, website, domain });
      if (data.staff.length === 0) {
        throw new PermanentError(`no staff found for ${course.course_name}${data.site_error ? ` (${data.site_error})` : ""}`);
      }
      const contacts = await all(data.staff.map((person) => () => enrichContact(rt.agents, all, course, domain, data, person)));
      return { data, contacts };
    },
    async () => {
      const profile = await countWaterHazards(rt.agents, { course_name: course.course_name, state: course.state, website });
      const courseIntel = await writeCourseIntel(rt.agents, { course_name: course.course_name, state: course.state, website, profile });
      return { profile, courseIntel };
    },
  ] as const);

  const status = rt.ledger.incomplete.length ? "partial" : "succeeded";
  const payload = applyPayload(rt, course, site, people.data, people.contacts, intel.profile, intel.courseIntel, status);
  const applied = await rt.step("apply_enrichment", () => rt.store().call("apply_enrichment", payload, ApplyEnrichmentResult));
  rt.log.info("enrichment_applied", { course_id: course.id, course_name: course.course_name, contacts: applied.contacts.length, status, cost: rt.ledger.spentUsd });

  await deliverCallbacks(rt, { job_id: rt.params.job_id, course_id: course.id, status, course: payload.course, business_intelligence: payload.business_intelligence, contacts: payload.contacts });
  return { status, course_id: course.id, contacts: applied.contacts.length, cost_usd: rt.ledger.spentUsd };
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
    try {
      ({ course_name, state } = courseFromIntakeTask(await getIntakeTask(rt.config, clickup_task_id)));
    } catch (error) {
      if (error instanceof ClickUpUnavailable) throw new Error(error.message);
      throw error;
    }
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
