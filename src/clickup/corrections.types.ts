// What starts an ApplyCorrections workflow: a rep's edit of a lead task (a taskUpdated delivery),
// or the reconcile job finding a lead task that differs from what the app last wrote.

/** Lead-task fields a rep may correct, by the database's name for them. */
export const CORRECTABLE_FIELDS = ["email", "phone", "linkedin", "segment", "confidence", "website", "name", "title"] as const;
export type CorrectableField = (typeof CORRECTABLE_FIELDS)[number];

export interface ApplyCorrectionsParams {
  task_id: string;
  source: "webhook" | "reconcile";
  /** webhook_id:history item id (a webhook), or reconcile:<task>:<date_updated> (the cron): each applied once. */
  event_id: string;
  /** Who changed it (null when the reconcile job cannot tell). */
  clickup_user_id: number | null;
  /** When ClickUp says the change happened (ms epoch): an older change never overwrites a newer one. */
  occurred_at: number;
  /** The fields the delivery names, or "all": compare every mapped field with what the app last wrote. */
  fields: CorrectableField[] | "all";
}

/** The reconcile job's one run (the cron's scheduled time, or an admin's `npm run reconcile`). */
export interface ReconcileParams {
  /** ms epoch of the cron tick (or of the manual request). */
  scheduled_at: number;
  trigger: "cron" | "manual";
}
