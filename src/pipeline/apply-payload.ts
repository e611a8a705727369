/** What one run hands `apply_enrichment`: the course, its intel, the contacts and the calls, mapped from the agents' answers. */
import type { ExtractorOutput } from "../agents/a2-data-extractor.ts";
import type { UrlFinderOutput } from "../agents/a1-url-finder.ts";
import type { CourseIntel } from "../agents/a6-course-intel.ts";
import type { CourseProfileOutput } from "../agents/a7-course-profile.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { CourseRecord } from "../store/records.ts";
import type { PipelineRuntime, EnrichedContact } from "./pipeline.types.ts";

export type ApplyPayload = ReturnType<typeof applyPayload>;

export function applyPayload(
  rt: PipelineRuntime,
  course: CourseRecord,
  site: UrlFinderOutput,
  data: ExtractorOutput,
  contacts: EnrichedContact[],
  profile: CourseProfileOutput | null,
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
