/** A course coordinator's job row (its SQLite table) and the job's read model (`GET /api/jobs/:id`). */
import { roundUsd } from "../lib/usd.ts";
import type { JobStatus, JobStep, JobView, StepReport, TriggerSource } from "../pipeline/jobs.types.ts";

export interface JobRow extends Record<string, SqlStorageValue> {
  job_id: string;
  status: JobStatus;
  source: TriggerSource;
  course_id: string | null;
  params: string;
  steps: string;
  cost_usd: number;
  duration_ms: number | null;
  error: string | null;
  coalesced: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The workflow instance running the job (the job id, or `<job id>-r<n>` after a restart). */
  instance_id: string | null;
  restarts: number;
  /** Last sign of life from the workflow (a step began or ended), and a quiet time it announced (a rate-gate sleep). */
  last_progress_at: number | null;
  quiet_until: number | null;
  silent_rounds: number;
  /** The run slot the job holds (RunSlots); null while it waits for one, or before it asked. */
  slot_id: string | null;
  /** Its place in line while it waits for a slot. */
  slot_position: number | null;
}

/** The job as the API shows it. */
export function jobView(job: JobRow): JobView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    job_id: job.job_id,
    course_id: job.course_id,
    status: job.status,
    source: job.source,
    steps: summarizeSteps(JSON.parse(job.steps) as StepReport[]),
    cost_usd: job.cost_usd,
    duration_ms: job.duration_ms,
    created_at: new Date(job.created_at).toISOString(),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    ...(job.error ? { error: job.error } : {}),
    coalesced_triggers: job.coalesced,
    restarts: job.restarts ?? 0,
  };
}

const STATUS_RANK: Record<JobStep["status"], number> = { succeeded: 0, skipped: 1, running: 2, failed: 3 };

/** Merges step reports per agent label, in the order the labels first appeared. */
export function summarizeSteps(reports: StepReport[]): JobStep[] {
  const byLabel = new Map<string, StepReport[]>();
  for (const report of [...reports].sort((a, b) => a.started_at - b.started_at)) {
    const list = byLabel.get(report.label) ?? [];
    list.push(report);
    byLabel.set(report.label, list);
  }
  return [...byLabel.entries()].map(([agent, list]) => {
    const status = list.reduce<JobStep["status"]>((worst, r) => (STATUS_RANK[r.status] > STATUS_RANK[worst] ? r.status : worst), "succeeded");
    const finished = list.every((r) => r.finished_at !== null) ? Math.max(...list.map((r) => r.finished_at ?? 0)) : null;
    const error = list.find((r) => r.error)?.error;
    return {
      agent,
      status,
      duration_ms: finished === null ? null : finished - Math.min(...list.map((r) => r.started_at)),
      cost_usd: roundUsd(list.reduce((sum, r) => sum + r.cost_usd, 0)),
      calls: list.filter((r) => r.provider_call).length,
      ...(error ? { error } : {}),
    };
  });
}
