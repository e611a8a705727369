import { z } from "zod";

/** Shapes of what the database functions return; checked on every call. */
export const CourseRecord = z.object({
  id: z.uuid(),
  course_name: z.string(),
  state: z.string(),
  status: z.enum(["pending_enrichment", "enriching", "enriched", "partial", "failed"]),
  website: z.string().nullable().optional(),
  clickup_intake_task_id: z.string().nullable().optional(),
  last_error: z.string().nullable().optional(),
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
      title: z.string().nullable().optional(),
      clickup_task_id: z.string().nullable().optional(),
      clickup_synced: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
  ),
});
export type ApplyEnrichmentResult = z.infer<typeof ApplyEnrichmentResult>;

export const GetRunResult = z
  .looseObject({
    run: RunRecord.extend({
      cost_usd: z.coerce.number().nullable().optional(),
      duration_ms: z.number().nullable().optional(),
    }),
    agent_calls: z.array(
      z.object({
        agent: z.string(),
        status: z.string(),
        duration_ms: z.number().nullable(),
        cost_usd: z.coerce.number().nullable(),
      }),
    ),
  })
  .nullable();
