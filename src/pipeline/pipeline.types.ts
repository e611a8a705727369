/** The enrichment pipeline's contract with its workflow: what it is given, what it answers, the names of its own steps. */
import type { AgentContext } from "../agents/agent-context.ts";
import type { StaffMember } from "../agents/a2-data-extractor.ts";
import type { EmailLinkedInOutput } from "../agents/a3-email-linkedin.ts";
import type { PhoneOutput } from "../agents/a5-phone.ts";
import type { BackgroundOutput } from "../agents/a65-contact-background.ts";
import type { ClickUpCall } from "../clickup/call.ts";
import type { ClickUpRunContext } from "../clickup/run-context.ts";
import type { EnrichCourseParams, JobAudience } from "./jobs.types.ts";
import type { AppConfig } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import type { Store } from "../store/index.ts";
import type { RunLedger } from "./run-ledger.ts";

/** What the workflow gives the pipeline: durable steps, the agents' context and the run's ledger. */
export interface PipelineRuntime {
  params: EnrichCourseParams;
  config: AppConfig;
  log: Logger;
  store(): Store;
  agents: AgentContext;
  ledger: RunLedger;
  /** Durable, gated, repeat-safe ClickUp calls; null when CLICKUP_API_TOKEN is not set (the run then writes nothing to ClickUp). */
  clickup: ClickUpCall | null;
  /** The job's callbacks and intake tasks as they are now (requests that joined the run add to them). */
  audience(): Promise<JobAudience>;
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
  /** Why a run is partial beyond its incomplete lookups (ClickUp not set up, the write-back failed). */
  error?: string;
}

/** What the job and the course say when ClickUp is configured (a token) but `npm run clickup:setup` has not run or its settings are invalid. */
export const CLICKUP_NOT_SET_UP = "ClickUp not set up";

/** The pipeline's own steps (not agent calls), by the name the workflow memoizes and reports them under. */
export const PIPELINE_STEPS = {
  clickupContext: "clickup_context",
  loadCourse: "load_course",
  markEnriching: "mark_enriching",
  applyEnrichment: "apply_enrichment",
  noteRunProblem: "note_run_problem",
  clickupRecordTasks: "clickup_record_tasks",
} as const;
