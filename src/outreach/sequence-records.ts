// What the outreach database functions answer, checked at the boundary.
import { z } from "zod";

const Template = z.object({ segment: z.string(), step: z.number().int().min(1).max(3), subject: z.string(), body: z.string(), delay_business_days: z.number().int().nullable() });
export type StoredTemplate = z.infer<typeof Template>;

export const SequenceMessage = z.looseObject({
  step: z.number().int(),
  status: z.string(),
  message_id: z.string().nullable(),
  mailgun_message_id: z.string().nullable(),
  subject: z.string(),
  scheduled_for: z.string().nullable(),
  sent_at: z.string().nullable(),
  attempts: z.number().int(),
});

export const SequenceRecord = z.looseObject({
  id: z.string(),
  contact_id: z.string(),
  clickup_task_id: z.string().nullable(),
  status: z.string(),
  current_step: z.number().int(),
  recipient_email: z.string().nullable(),
  segment: z.string().nullable(),
  stop_reason: z.string().nullable(),
  workflow_instance_id: z.string().nullable(),
  messages: z.array(SequenceMessage),
  events: z.array(z.looseObject({ kind: z.string() })),
});
export type SequenceRecord = z.infer<typeof SequenceRecord>;

export const StartedSequence = z.discriminatedUnion("started", [
  z.object({
    started: z.literal(true),
    sequence: SequenceRecord,
    contact: z.object({ id: z.string(), full_name: z.string(), title: z.string().nullable() }),
    course: z.object({ id: z.string(), name: z.string(), city: z.string().nullable(), state: z.string() }),
    intel: z
      .object({
        conversation_starters: z.array(z.looseObject({ text: z.string(), score: z.number() })).catch([]),
        opportunities: z.record(z.string(), z.number()).catch({}),
      })
      .nullable(),
    templates: z.array(Template),
    sender: z.object({ email: z.string(), name: z.string(), signature: z.string() }).nullable(),
    settings: z.unknown().nullable(),
  }),
  z.object({ started: z.literal(false), code: z.string(), reason: z.string(), same_task: z.boolean().optional(), sequence_id: z.string().optional() }),
]);
export type StartedSequence = z.infer<typeof StartedSequence>;

export const MessageClaim = z.object({
  action: z.enum(["send", "check", "sent", "stopped"]),
  attempts: z.number().int(),
  message_id: z.string().nullable().optional(),
  mailgun_message_id: z.string().nullable().optional(),
  sent_at: z.string().nullable().optional(),
  status: z.string().optional(),
  stop_reason: z.string().nullable().optional(),
});

export const SentRecord = z.object({ sequence_status: z.string() });

export const RecordedEvent = z.object({
  duplicate: z.boolean(),
  matched: z.boolean(),
  kind: z.string(),
  sequence_id: z.string().nullable().optional(),
  step: z.number().int().nullable().optional(),
  task_id: z.string().nullable().optional(),
  contact_id: z.string().nullable().optional(),
  contact_name: z.string().nullable().optional(),
  recipient_email: z.string().nullable().optional(),
  stopped: z.array(z.object({ sequence_id: z.string(), workflow_instance_id: z.string().nullable() })),
});
export type RecordedEvent = z.infer<typeof RecordedEvent>;

export const ContactSequences = z
  .looseObject({ contact_id: z.string(), full_name: z.string(), clickup_task_id: z.string().nullable(), unsubscribed: z.boolean(), sequences: z.array(SequenceRecord) })
  .nullable();
