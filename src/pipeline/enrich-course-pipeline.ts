import type { AppConfig } from "../env.ts";
import { ClickUpUnavailable, courseFromIntakeTask, getIntakeTask } from "../clickup/intake-task.ts";
import { PermanentError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { Store } from "../store/index.ts";
import { ApplyEnrichmentResult, CourseRecord, StartRunResult } from "../store/records.ts";
import type { EnrichCourseParams } from "../durable/jobs.ts";

/** What flows from step to step; it is what each memoized workflow step returns, so it stays plain JSON. */
export interface PipelineState {
  course: CourseRecord | null;
  cost_usd: number;
  applied?: ApplyEnrichmentResult;
}

export interface PipelineContext {
  params: EnrichCourseParams;
  config: AppConfig;
  store: () => Store;
  log: Logger;
}

export interface PipelineStep {
  /** The step's name in the workflow and in `GET /api/jobs/:id` (`steps[].agent`). */
  name: string;
  run(ctx: PipelineContext, state: PipelineState): Promise<PipelineState>;
}

function requireCourse(state: PipelineState): CourseRecord {
  if (!state.course) throw new PermanentError("no course loaded");
  return state.course;
}

/** Load the course row, creating it if needed (reading the ClickUp intake task when that is all we have). */
const loadCourse: PipelineStep = {
  name: "load_course",
  async run(ctx, state) {
    let { course_name, state: stateCode } = ctx.params.course;
    const { course_id, clickup_task_id } = ctx.params.course;
    if (!course_id && (!course_name || !stateCode)) {
      if (!clickup_task_id) throw new PermanentError("the trigger names no course: give course_id, or course_name and state");
      try {
        ({ course_name, state: stateCode } = courseFromIntakeTask(await getIntakeTask(ctx.config, clickup_task_id)));
      } catch (error) {
        if (error instanceof ClickUpUnavailable) throw new Error(error.message);
        throw error;
      }
    }
    const course = await ctx.store().call(
      "upsert_course_for_enrichment",
      {
        course_id,
        course_name,
        state: stateCode,
        source: ctx.params.source,
        clickup_intake_task_id: clickup_task_id,
      },
      CourseRecord,
    );
    ctx.log.info("course_loaded", { course_id: course.id, course_name: course.course_name });
    return { ...state, course };
  },
};

/** Record the run and mark the course `enriching`. */
const markEnriching: PipelineStep = {
  name: "mark_enriching",
  async run(ctx, state) {
    const course = requireCourse(state);
    const { course: updated } = await ctx.store().call(
      "start_enrichment_run",
      {
        run_id: ctx.params.job_id,
        course_id: course.id,
        trigger_source: ctx.params.source,
        trigger_key: ctx.params.trigger_key,
        callback_url: ctx.params.callback_urls[0],
      },
      StartRunResult,
    );
    return { ...state, course: updated };
  },
};

/** Persist everything in one atomic database call; the course ends `enriched`. */
const applyEnrichment: PipelineStep = {
  name: "apply_enrichment",
  async run(ctx, state) {
    const course = requireCourse(state);
    const applied = await ctx.store().call(
      "apply_enrichment",
      {
        run_id: ctx.params.job_id,
        course_id: course.id,
        status: "succeeded",
        cost_usd: state.cost_usd,
        duration_ms: 0,
        course: {},
        contacts: [],
        agent_calls: [],
      },
      ApplyEnrichmentResult,
    );
    return { ...state, applied, course: { ...course, status: applied.course_status === "partial" ? "partial" : "enriched" } };
  },
};

/**
 * The EnrichCourse pipeline, in order. The agents (A1 URL → A2 staff → per-contact A3/A5/A6.5,
 * with A7 → A6 beside them) go between `mark_enriching` and `apply_enrichment`.
 */
export function pipelineFor(_params: EnrichCourseParams): PipelineStep[] {
  return [loadCourse, markEnriching, applyEnrichment];
}
