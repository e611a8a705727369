import { WorkflowEntrypoint, type WorkflowStep, type WorkflowEvent } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { configFor, type WorkerBindings } from "../env.ts";
import { PermanentError } from "../lib/errors.ts";
import { createLogger } from "../lib/log.ts";
import { createStore, StoreError } from "../store/index.ts";
import { pipelineFor, type PipelineContext, type PipelineState } from "../pipeline/enrich-course-pipeline.ts";
import type { EnrichCourseParams, JobStep, RunOutcome } from "./jobs.ts";
import { FailRunResult } from "../store/records.ts";

export type { EnrichCourseParams } from "./jobs.ts";

/** Provider and database calls: transient errors back off exponentially, at most 3 attempts. */
const RETRIED = { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "2 minutes" } as const;

/**
 * EnrichCourse: one durable run for one course. Each pipeline step is a memoized `step.do`,
 * so a crash or redeploy resumes after the last finished step. The step list lives in
 * `src/pipeline/enrich-course-pipeline.ts`; this class only runs it, reports progress to the
 * course's coordinator, and makes sure a failure is recorded (course `failed`, never stuck `enriching`).
 */
export class EnrichCourse extends WorkflowEntrypoint<WorkerBindings, EnrichCourseParams> {
  override async run(event: Readonly<WorkflowEvent<EnrichCourseParams>>, step: WorkflowStep): Promise<RunOutcome> {
    const params = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "enrich_course", job_id: params.job_id });
    const coordinator = this.env.COURSE_COORDINATOR.get(this.env.COURSE_COORDINATOR.idFromName(params.coordinator_key));
    const context: PipelineContext = { params, config, store: () => createStore(config), log };
    const startedAt = event.timestamp.getTime();
    let state: PipelineState = { course: null, cost_usd: 0 };

    try {
      for (const pipelineStep of pipelineFor(params)) {
        state = await step.do(pipelineStep.name, RETRIED, async () => {
          const began = Date.now();
          await coordinator.recordStep(params.job_id, stepView(pipelineStep.name, "running", null, 0), state.course?.id);
          try {
            const next = await pipelineStep.run(context, state);
            const cost = next.cost_usd - state.cost_usd;
            await coordinator.recordStep(
              params.job_id,
              stepView(pipelineStep.name, "succeeded", Date.now() - began, cost),
              next.course?.id,
            );
            return next;
          } catch (error) {
            throw asStepError(error);
          }
        });
      }
      const outcome: RunOutcome = {
        status: "succeeded",
        course_id: state.course?.id,
        cost_usd: state.cost_usd,
        duration_ms: Date.now() - startedAt,
      };
      await step.do("report_finished", RETRIED, async () => {
        await coordinator.runFinished(params.job_id, outcome);
        return true;
      });
      return outcome;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.error("run_failed", { course_id: state.course?.id, course_name: params.course.course_name, error: reason });
      const outcome: RunOutcome = {
        status: "failed",
        course_id: state.course?.id,
        error: reason,
        cost_usd: state.cost_usd,
        duration_ms: Date.now() - startedAt,
      };
      const courseId = state.course?.id;
      if (courseId) {
        await step.do("mark_failed", RETRIED, async () => {
          await context.store().call(
            "fail_enrichment_run",
            { run_id: params.job_id, course_id: courseId, error: reason, duration_ms: outcome.duration_ms, cost_usd: outcome.cost_usd },
            FailRunResult,
          );
          return true;
        });
      }
      await step.do("report_failed", RETRIED, async () => {
        await coordinator.runFinished(params.job_id, outcome);
        return true;
      });
      return outcome;
    }
  }
}

function stepView(agent: string, status: JobStep["status"], durationMs: number | null, cost: number): JobStep {
  return { agent, status, duration_ms: durationMs, cost_usd: Math.round(cost * 1e6) / 1e6 };
}

/** Errors that will fail the same way again stop retrying at once. */
function asStepError(error: unknown): Error {
  if (error instanceof StoreError && !error.retryable) return new NonRetryableError(error.message, "StoreError");
  if (error instanceof PermanentError) return new NonRetryableError(error.message, "PermanentError");
  return error instanceof Error ? error : new Error(String(error));
}
