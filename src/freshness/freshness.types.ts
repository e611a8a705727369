// The freshness sweep's contracts: the workflow's params and what the database functions answer
// (checked with zod on every call).
import { z } from "zod";

export interface FreshnessSweepParams {
  sweep_id: string;
  /** A sweep is split across instances (each at most MAX_COURSES_PER_INSTANCE courses, far under the Workflows step limit); 0 first. */
  part: number;
}

export const SweepRecord = z.object({
  id: z.uuid(),
  trigger: z.enum(["cron", "api", "cli"]),
  status: z.enum(["running", "succeeded", "stopped", "failed"]),
  stop_reason: z.string().nullable(),
  older_than_days: z.number(),
  course_id: z.string().nullable(),
  contact_id: z.string().nullable(),
  spend_cap_usd: z.coerce.number(),
  cost_usd: z.coerce.number(),
  counts: z.object({
    checked: z.number(),
    still_there: z.number(),
    left: z.number(),
    replaced: z.number(),
    emails_invalidated: z.number(),
    unknown: z.number(),
  }),
  clickup_requests: z.number(),
  workflow_instance_id: z.string().nullable(),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
});
export type SweepRecord = z.infer<typeof SweepRecord>;

export const StartedSweep = z.object({ created: z.boolean(), sweep: SweepRecord });

export const SweepContact = z.object({
  id: z.uuid(),
  full_name: z.string(),
  title: z.string().nullable(),
  email: z.string().nullable(),
  email_status: z.string().nullable(),
  phone: z.string().nullable(),
  linkedin_url: z.string().nullable(),
  clickup_task_id: z.string().nullable(),
  rep_owned: z.array(z.string()),
});
export type SweepContact = z.infer<typeof SweepContact>;

export const SweepCourse = z.object({
  id: z.uuid(),
  course_name: z.string(),
  state: z.string(),
  website: z.string().nullable(),
  founded: z.string().nullable(),
  segment: z.string().nullable(),
  contacts: z.array(SweepContact),
});
export type SweepCourse = z.infer<typeof SweepCourse>;

export const NextCourses = z.object({ remaining_courses: z.number(), courses: z.array(SweepCourse) });

export const RecordedCheck = z.union([
  z.object({ duplicate: z.literal(true), check_id: z.number() }),
  z.object({
    duplicate: z.literal(false),
    check_id: z.number(),
    contact: z.object({
      id: z.uuid(),
      full_name: z.string(),
      title: z.string().nullable(),
      course_id: z.uuid(),
      clickup_task_id: z.string().nullable(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
    }),
    changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
    suggestions: z.record(z.string(), z.string().nullable()),
    email_invalidated: z.boolean(),
    stopped: z.array(z.object({ sequence_id: z.uuid(), workflow_instance_id: z.string().nullable() })),
  }),
]);
export type RecordedCheck = z.infer<typeof RecordedCheck>;

export const RecordedReplacement = z.object({
  created: z.boolean(),
  duplicate: z.boolean(),
  contact_id: z.uuid(),
  clickup_task_id: z.string().nullable(),
});
export type RecordedReplacement = z.infer<typeof RecordedReplacement>;

export const SweepView = z
  .object({
    sweep: SweepRecord,
    checks: z.array(
      z.object({
        contact_id: z.uuid(),
        full_name: z.string(),
        course_id: z.uuid(),
        course_name: z.string(),
        outcome: z.enum(["still_there", "left", "unknown"]),
        decided_by: z.string().nullable(),
        email_status: z.string().nullable(),
        email_invalidated: z.boolean(),
        evidence_url: z.string().nullable(),
        evidence: z.string().nullable(),
        now_at: z.string().nullable(),
        now_title: z.string().nullable(),
        replacement_contact_id: z.string().nullable(),
        replacement_name: z.string().nullable(),
        replacement_title: z.string().nullable(),
        changes: z.record(z.string(), z.unknown()),
        suggestions: z.record(z.string(), z.unknown()),
        cost_usd: z.coerce.number(),
        followup_done: z.boolean(),
        checked_at: z.string(),
        clickup_task_id: z.string().nullable(),
        replacement_task_id: z.string().nullable(),
      }),
    ),
  })
  .nullable();
export type SweepView = z.infer<typeof SweepView>;
export type SweepCheck = NonNullable<SweepView>["checks"][number];
