// The shapes the outreach workflows are started and signalled with (shared by routes and durable/).

/** A rep moved a lead task to "contacted" (one ClickUp delivery). */
export interface OutreachSequenceParams {
  task_id: string;
  /** webhook_id:event:history item id — the sequence is started once per delivery. */
  source_event_id: string;
  /** The ClickUp user who moved the task. */
  started_by: number | null;
}

/** What a running sequence can be told while it waits (a Workflow event of type OUTREACH_SIGNAL). */
export interface OutreachSignal {
  kind: "stop" | "send_now";
  reason?: string;
}
export const OUTREACH_SIGNAL = "outreach-signal";

export type OutreachEventKind =
  | "reply"
  | "auto_reply"
  | "bounce"
  | "temporary_failure"
  | "complaint"
  | "unsubscribe"
  | "delivered"
  | "opened"
  | "clicked"
  | "status_change"
  | "task_deleted";

/** An event that changes what the rep sees on the lead task (reply, bounce, unsubscribe, complaint). */
export interface OutreachEventParams {
  kind: OutreachEventKind;
  sequence_id: string;
  task_id: string;
  contact_name: string | null;
  email: string | null;
  /** The email of the sequence the event concerns (1–3), when known. */
  step: number | null;
  subject?: string | null;
  text?: string | null;
  reason?: string | null;
}
