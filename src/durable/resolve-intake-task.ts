import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { loadClickUpContext } from "../clickup/clickup-sync.ts";
import { courseFromIntakeTask } from "../clickup/intake-task.ts";
import { linkIntakeToCourse, markIntakeEnriching, writeIntakeOutcome } from "../clickup/write-back.ts";
import { configFor, type WorkerBindings } from "../env.ts";
import { PermanentError } from "../lib/errors.ts";
import { createLogger } from "../lib/log.ts";
import { createStore } from "../store/index.ts";
import { CourseRecord, CourseWriteback } from "../store/records.ts";
import { clickUpSteps } from "./clickup-steps.ts";
import type { ResolveIntakeParams, TriggerResult } from "../pipeline/jobs.types.ts";

const RETRIED: WorkflowStepConfig = { retries: { limit: 4, delay: "1 second", backoff: "exponential" }, timeout: "1 minute" };

export type ResolveIntakeOutcome =
  | { outcome: TriggerResult["outcome"]; course_id: string; job_id: string }
  | { outcome: "refused" | "not_configured"; reason: string };

/**
 * The first hop of a ClickUp intake task: the webhook carries only the task id, so this reads the
 * task (an interactive request: ahead of lead writes at the rate gate), finds or creates the course,
 * and hands the trigger to that course's coordinator — so every door reaches one coordinator per
 * course. A second intake task for a course in flight joins its run; for a course already enriched
 * it is linked to the same lead tasks. A task that names no state gets a comment saying what to type.
 */
export class ResolveIntakeTask extends WorkflowEntrypoint<WorkerBindings, ResolveIntakeParams> {
  override async run(event: Readonly<WorkflowEvent<ResolveIntakeParams>>, step: WorkflowStep): Promise<ResolveIntakeOutcome> {
    try {
      return await this.resolve(event, step);
    } catch (error) {
      // Every retry is spent (the database or ClickUp is down): say so where an admin looks; the
      // reconcile job can take the task up again.
      const reason = error instanceof Error ? error.message : String(error);
      createLogger(configFor(this.env).env.LOG_LEVEL, { component: "resolve_intake_task" }).error("intake_task_not_resolved", {
        alert: "admin", task_id: event.payload.task_id, error: reason,
      });
      throw error;
    }
  }

  private async resolve(event: Readonly<WorkflowEvent<ResolveIntakeParams>>, step: WorkflowStep): Promise<ResolveIntakeOutcome> {
    const { task_id: taskId, dedupe_key: dedupeKey } = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "resolve_intake_task", task_id: taskId });
    const call = clickUpSteps({ step, config, env: this.env });
    if (!call) {
      log.error("intake_task_not_read", { alert: "admin", reason: "CLICKUP_API_TOKEN is not set" });
      return { outcome: "not_configured", reason: "CLICKUP_API_TOKEN is not set, so the intake task cannot be read" };
    }
    const context = await step.do("clickup_context", RETRIED, () => loadClickUpContext(createStore(config)));
    const settings = context.settings;

    const task = await call("read_intake_task", { priority: "interactive", requests: 1 }, async (client) => {
      const read = await client.getTask(taskId);
      return { id: String(read.id), name: read.name, custom_fields: (read.custom_fields ?? []).map((f) => ({ id: String(f.id), name: String(f.name ?? ""), value: f.value ?? null })) };
    });
    let asked: { course_name: string; state: string };
    try {
      asked = courseFromIntakeTask(task);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      log.info("intake_task_refused", { reason: error.message });
      if (settings) await writeIntakeOutcome(call, settings, { name: "clickup_intake_refused", task_id: taskId, status: "needs_attention", comment: error.message });
      return { outcome: "refused", reason: error.message };
    }

    const course = await step.do("upsert_course", RETRIED, () =>
      createStore(config).call("upsert_course_for_enrichment", { ...asked, source: "clickup", clickup_intake_task_id: taskId }, CourseRecord),
    );
    const firstTask = course.intake_task_ids?.[0] ?? course.clickup_intake_task_id ?? taskId;
    const coordinator = this.env.COURSE_COORDINATOR.get(this.env.COURSE_COORDINATOR.idFromName(course.id));
    const result = await step.do("trigger_run", RETRIED, async () =>
      (await coordinator.trigger(
        {
          source: "clickup",
          dedupe_key: dedupeKey,
          course: { course_id: course.id, course_name: course.course_name, state: course.state, clickup_task_id: taskId },
          link_if_enriched: firstTask !== taskId && (course.status === "enriched" || course.status === "partial"),
        },
        course.id,
      )) as TriggerResult,
    );
    log.info("intake_task_resolved", { course_id: course.id, job_id: result.job_id, outcome: result.outcome });

    if (settings && result.outcome === "linked") {
      const known = (await step.do("read_course", RETRIED, async () =>
        (await createStore(config).call("get_course_writeback", { course_id: course.id }, CourseWriteback)) as Rpc.Serializable<unknown>,
      )) as CourseWriteback;
      if (known) await linkIntakeToCourse(call, settings, taskId, known);
    } else if (settings && (result.outcome === "joined" || result.outcome === "follow_up")) {
      // The run in flight writes this task back too when it ends.
      await markIntakeEnriching(call, settings, taskId);
    }
    return { outcome: result.outcome, course_id: course.id, job_id: result.job_id };
  }
}
