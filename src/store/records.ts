import { z } from "zod";
import { SEGMENTS } from "../lib/segment.ts";

/** Shapes of what the database functions return; checked on every call. */
/** A contact as enrichment found them: the lead task and the freshness sweep's successor are written from it. */
export interface ContactProfile {
  name: string;
  title: string;
  email: string | null;
  email_status: string | null;
  phone: string | null;
  phone_source: string | null;
  linkedin_url: string | null;
  tenure_years: number | null;
  previous_clubs: string[];
  sources: string[];
}

export const CourseRecord = z.object({
  id: z.uuid(),
  course_name: z.string(),
  state: z.string(),
  status: z.enum(["pending_enrichment", "enriching", "enriched", "partial", "failed"]),
  website: z.string().nullable().optional(),
  clickup_intake_task_id: z.string().nullable().optional(),
  last_error: z.string().nullable().optional(),
  enriched_at: z.string().nullable().optional(),
  /** Every intake task that asked for the course, oldest first (from upsert_course_for_enrichment). */
  intake_task_ids: z.array(z.string()).optional(),
});
export type CourseRecord = z.infer<typeof CourseRecord>;

export const RunRecord = z.object({
  id: z.uuid(),
  course_id: z.uuid(),
  status: z.enum(["queued", "running", "succeeded", "partial", "failed"]),
  error: z.string().nullable().optional(),
});

export const StartRunResult = z.object({ run: RunRecord, course: CourseRecord });
export const FailRunResult = z.object({ run: RunRecord, course: CourseRecord });

export const ApplyEnrichmentResult = z.object({
  applied: z.boolean(),
  run_id: z.uuid(),
  course_id: z.uuid(),
  course_status: z.string(),
  contacts: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      /** The person's key (app_private.person_key = personKey in TypeScript): results pair with inputs by it. */
      name_key: z.string().optional(),
      title: z.string().nullable().optional(),
      clickup_task_id: z.string().nullable().optional(),
      clickup_synced: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
  ),
  /** Fields a rep owns (corrected in ClickUp) where this run found something else: the rep's value was kept. */
  suggestions: z
    .array(
      z.object({
        entity: z.enum(["contact", "course"]),
        contact_id: z.string().nullable(),
        field: z.string(),
        kept: z.union([z.string(), z.number()]).nullable(),
        suggested: z.union([z.string(), z.number()]).nullable(),
      }),
    )
    .default([]),
});
export type ApplyEnrichmentResult = z.infer<typeof ApplyEnrichmentResult>;

export const RunProblemResult = z.object({ run_status: z.string(), course_status: z.string() });

/** What an intake task that asks for an already enriched course is written back with. */
export const CourseWriteback = z
  .object({
    course: z.looseObject({
      id: z.uuid(),
      course_name: z.string(),
      state: z.string(),
      status: z.string(),
      website: z.string().nullable(),
      water_hazard_count: z.number().nullable(),
      water_hazard_confidence: z.string().nullable(),
      enriched_at: z.string().nullable(),
    }),
    business_intelligence: z
      .looseObject({
        segment: z.enum(SEGMENTS),
        segment_confidence: z.number(),
        opportunities: z.record(z.string(), z.number()),
        conversation_starters: z.array(z.object({ text: z.string(), score: z.number() })),
        summary: z.string().nullable(),
        range_intel: z.looseObject({ reasoning: z.string().nullish() }).nullish(),
      })
      .nullable(),
    contacts: z.array(z.object({ id: z.uuid(), name: z.string(), title: z.string().nullable(), email: z.string().nullable(), clickup_task_id: z.string().nullable() })),
    intake_task_ids: z.array(z.string()),
  })
  .nullable();
export type CourseWriteback = z.infer<typeof CourseWriteback>;
