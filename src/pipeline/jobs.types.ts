import { z } from "zod";

/** Where a run came from; dedupe keys are namespaced by it. */
export const TriggerSource = z.enum(["clickup", "supabase", "api", "csv", "cron", "manual"]);
export type TriggerSource = z.infer<typeof TriggerSource>;

/** What a run is asked to enrich: a known course row, a name and state, or a ClickUp intake task. */
export const CourseRef = z.object({
  course_id: z.uuid().optional(),
  course_name: z.string().min(1).max(200).optional(),
  state: z.string().length(2).optional(),
  clickup_task_id: z.string().min(1).max(64).optional(),
});
export type CourseRef = z.infer<typeof CourseRef>;

export const TriggerInput = z.object({
  source: TriggerSource,
  /** Stable id of the event that caused this trigger (webhook delivery, record + event, Idempotency-Key). */
  dedupe_key: z.string().min(1).max(300).optional(),
  course: CourseRef,
  callback_url: z.url().optional(),
  /**
   * A ClickUp intake task that asks for a course already enriched (not the course's first intake
   * task): with no run in flight it is linked to the existing leads instead of starting a run.
   */
  link_if_enriched: z.boolean().optional(),
  /** A run slot the caller already holds (an import row's, reserved by its runner): the run starts with it. */
  slot_id: z.string().min(1).max(100).optional(),
});
export type TriggerInput = z.infer<typeof TriggerInput>;

export type JobStatus = "queued" | "running" | "succeeded" | "partial" | "failed";
export type StepStatus = "running" | "succeeded" | "failed" | "skipped";

/** One agent's (or pipeline step's) work in a job, as `GET /api/jobs/:id` shows it. */
export interface JobStep {
  agent: string;
  status: StepStatus;
  duration_ms: number | null;
  cost_usd: number;
  /** Provider calls this agent made (0 for pipeline steps such as apply_enrichment). */
  calls: number;
  error?: string;
}

/** What the workflow reports after each step or provider call; merged per `label` into a JobStep. */
export interface StepReport {
  /** Agent label: "A1", "A3:Stacy Foster", "apply_enrichment", ... */
  label: string;
  /** The durable step's name, unique in the run. */
  key: string;
  status: StepStatus;
  started_at: number;
  finished_at: number | null;
  cost_usd: number;
  provider_call: boolean;
  error?: string;
}

/** The public view of a job (`GET /api/jobs/:job_id`). */
export interface JobView {
  job_id: string;
  course_id: string | null;
  status: JobStatus;
  source: TriggerSource;
  steps: JobStep[];
  cost_usd: number;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error?: string;
  /** Triggers that arrived during the previous run and were folded into this one. */
  coalesced_triggers: number;
  /** Workflow instances the watchdog re-created for this job after it stalled (a crash, a redeploy). */
  restarts: number;
  /** Set while the job waits for a run slot (MAX_RUNS_IN_FLIGHT runs are in flight): its place in line. */
  waiting_for_slot?: { position: number | null };
}

export interface TriggerResult {
  job_id: string;
  status: JobStatus;
  /** `new`: started now; `joined`: folded into the run in flight; `follow_up`: queued to run after it;
   *  `duplicate`: this exact event was seen before; `linked`: an intake task for a course already
   *  enriched, written back from the database without a run (job_id is then the last run's, or ""). */
  outcome: "new" | "joined" | "follow_up" | "duplicate" | "linked";
}

export interface RunOutcome {
  status: "succeeded" | "partial" | "failed";
  course_id?: string | undefined;
  error?: string | undefined;
  cost_usd?: number | undefined;
  duration_ms?: number | undefined;
}

/** Parameters each EnrichCourse workflow instance starts with (instance id = job id). */
export interface EnrichCourseParams {
  job_id: string;
  coordinator_key: string;
  source: TriggerSource;
  trigger_key: string | null;
  course: CourseRef;
  callback_urls: string[];
  /** Intake tasks to write back besides `course.clickup_task_id` (reps who asked for the same course). */
  intake_task_ids?: string[];
  /** 0 for the first workflow instance of the job; n for the instance the watchdog re-created n-th. */
  restart?: number;
}

/** What the workflow reads back from the coordinator before its write-back: joins may have added more. */
export interface JobAudience {
  callback_urls: string[];
  intake_task_ids: string[];
}

/** Parameters of a ResolveIntakeTask instance: one ClickUp taskCreated in the Intake list. */
export interface ResolveIntakeParams {
  task_id: string;
  dedupe_key: string;
}

/** Who goes first for a run slot: a rep or an API caller waiting on one course, or an import's row. */
export type SlotPriority = "interactive" | "import";

/** A slot now, or the run's place in line (its coordinator is called back when a slot frees). */
export type SlotGrant = { granted: true; slot_id: string } | { granted: false; position: number };

/** The app's run slots right now (GET /api/imports/admission, the benchmark). */
export interface SlotStats {
  limit: number;
  /** Runs holding a slot. */
  in_flight: number;
  /** Slots handed to import rows on their way through the queue. */
  reserved: number;
  waiting_interactive: number;
  waiting_import: number;
}

/** A run's priority for a slot: an import's rows yield to everything else. */
export function slotPriorityOf(source: TriggerSource): SlotPriority {
  return source === "csv" ? "import" : "interactive";
}
