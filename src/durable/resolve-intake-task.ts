import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { z } from "zod";
import { type AgentContext, isMissing } from "../agents/agent-context.ts";
import { findCourseStates } from "../agents/a1-url-finder.ts";
import type { ClickUpCall } from "../clickup/call.ts";
import { loadClickUpContext } from "../clickup/run-context.ts";
import type { ClickUpSettings } from "../clickup/config.ts";
import { decideState, readIntakeAsk, type StateCandidates } from "../clickup/intake-task.ts";
import { problemOfFailure, type RepProblem, repMessage, stateFoundMessage } from "../clickup/rep-messages.ts";
import { commentOnIntake, linkIntakeToCourse, markIntakeEnriching, writeIntakeOutcome } from "../clickup/write-back.ts";
import { type AppConfig, configFor, type Env } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { createProviders } from "../providers/index.ts";
import { ProviderError } from "../providers/provider-error.ts";
import type { CallUsage } from "../providers/usage.ts";
import { createStore } from "../store/index.ts";
import { CourseRecord, CourseWriteback } from "../store/records.ts";
import { clickUpSteps } from "./clickup-steps.ts";
import type { ResolveIntakeParams, TriggerResult } from "../pipeline/jobs.types.ts";

const RETRIED: WorkflowStepConfig = { retries: { limit: 4, delay: "1 second", backoff: "exponential" }, timeout: "1 minute" };
/** The state lookup: one paid research call, retried as a run's calls are. */
const LOOKUP: WorkflowStepConfig = { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "2 minutes" };

/** How the state of a task that named none was found (kept on the course row and in the outcome). */
export interface StateFound {
  state: string;
  city: string | null;
  confidence: number;
  sources: string[];
  cost_usd: number;
}

export type ResolveIntakeOutcome =
  | { outcome: TriggerResult["outcome"]; course_id: string; job_id: string; state_found?: StateFound }
  /** refused: the task cannot be worked on as typed; failed: something on our side stopped it. Either way the task is in needs attention with a comment. */
  | { outcome: "refused" | "failed"; reason: string; problem: RepProblem["kind"] }
  | { outcome: "not_configured"; reason: string };

/** What resolving has learned so far, for the failure path. */
interface Progress {
  settings: ClickUpSettings | null;
  course_name: string | null;
  /** The course's run has the task: from here that run writes it back, failure included. */
  runWritesBack: boolean;
}

/**
 * The first hop of a ClickUp intake task: the webhook carries only the task id, so this reads the
 * task (an interactive request: ahead of lead writes at the rate gate), finds or creates the course,
 * and hands the trigger to that course's coordinator — so every door reaches one coordinator per
 * course. A second intake task for a course in flight joins its run; for a course already enriched
 * it is linked to the same lead tasks. A task that names a course but no state has the state looked
 * up (A1) when the name alone is unambiguous. Whatever stops it first (no name, an ambiguous or
 * unknown name, ClickUp not set up, the database down) leaves the task in "needs attention" with a
 * plain comment saying what to type instead; the technical reason goes to the log and the outcome.
 */
export class ResolveIntakeTask extends WorkflowEntrypoint<Env, ResolveIntakeParams> {
  override async run(event: Readonly<WorkflowEvent<ResolveIntakeParams>>, step: WorkflowStep): Promise<ResolveIntakeOutcome> {
    const taskId = event.payload.task_id;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "resolve_intake_task", task_id: taskId }, config.secrets);
    const call = clickUpSteps({ step, config, env: this.env });
    if (!call) {
      log.error("intake_task_not_read", { alert: "admin", reason: "CLICKUP_API_TOKEN is not set" });
      return { outcome: "not_configured", reason: "CLICKUP_API_TOKEN is not set, so the intake task cannot be read" };
    }
    const progress: Progress = { settings: null, course_name: null, runWritesBack: false };
    try {
      return await this.resolve(event, step, { config, log, call, progress });
    } catch (error) {
      // Every retry is spent (the database or ClickUp is down, the coordinator did not answer): the
      // admin alert is the log line; the rep is told in words, so the task never looks untouched.
      const reason = error instanceof Error ? error.message : String(error);
      log.error("intake_task_not_resolved", { alert: "admin", error: reason, run_writes_back: progress.runWritesBack });
      const problem = problemOfFailure(error, { course_name: progress.course_name, state: null });
      if (!progress.runWritesBack) await tellRep(call, progress.settings, taskId, "clickup_intake_failed", problem, log);
      return { outcome: "failed", reason, problem: problem.kind };
    }
  }

  private async resolve(
    event: Readonly<WorkflowEvent<ResolveIntakeParams>>,
    step: WorkflowStep,
    deps: { config: AppConfig; log: Logger; call: ClickUpCall; progress: Progress },
  ): Promise<ResolveIntakeOutcome> {
    const { task_id: taskId, dedupe_key: dedupeKey } = event.payload;
    const { config, log, call, progress } = deps;
    const refuse = async (problem: RepProblem, reason: string): Promise<ResolveIntakeOutcome> => {
      log.info("intake_task_refused", { problem: problem.kind, reason });
      await tellRep(call, progress.settings, taskId, "clickup_intake_refused", problem, log);
      return { outcome: "refused", reason, problem: problem.kind };
    };

    // The settings first: whatever fails after this can still be told to the rep in the right status.
    const context = await step.do("clickup_context", RETRIED, () => loadClickUpContext(createStore(config)));
    progress.settings = context.settings;
    if (!context.settings) {
      // Lead tasks cannot be made without the setup: an admin's job, said to the rep in words.
      log.error("clickup_not_set_up", { alert: "admin", reason: context.settings_problem });
      return refuse({ kind: "clickup_not_set_up" }, context.settings_problem ?? "ClickUp is not set up");
    }
    const settings = context.settings;

    const task = await call("read_intake_task", { priority: "interactive", requests: 1 }, async (client) => {
      const read = await client.getTask(taskId);
      return { id: String(read.id), name: read.name, custom_fields: (read.custom_fields ?? []).map((f) => ({ id: String(f.id), name: String(f.name ?? ""), value: f.value ?? null })) };
    });
    const ask = readIntakeAsk(task);
    if (ask.kind === "no_name") return refuse({ kind: "no_course_name" }, "the intake task has no name");
    progress.course_name = ask.course_name;

    let asked = ask.kind === "course" ? { course_name: ask.course_name, state: ask.state } : null;
    let stateFound: StateFound | undefined;
    if (ask.kind === "no_state") {
      const lookup = await lookUpState(step, config, log, ask.course_name);
      const decision = decideState(ask.course_name, lookup);
      if (decision.kind === "refused") {
        return refuse(decision.problem, `the intake task "${task.name}" names no state, and the name alone did not give one (${decision.problem.kind}; ${lookup ? `${lookup.candidates.length} course(s) found, confidence ${lookup.confidence}` : "the lookup failed"})`);
      }
      stateFound = { state: decision.state, city: decision.city, confidence: decision.confidence, sources: lookup?.sources ?? [], cost_usd: lookup?.cost_usd ?? 0 };
      asked = { course_name: ask.course_name, state: decision.state };
      log.info("intake_state_found", { course_name: ask.course_name, state: decision.state, confidence: decision.confidence });
    }
    if (!asked) throw new Error("unreachable: an intake ask with neither a state nor a refusal");

    const course = await step.do("upsert_course", RETRIED, () =>
      createStore(config).call("upsert_course_for_enrichment", { ...asked, source: "clickup", clickup_intake_task_id: taskId }, CourseRecord),
    );
    if (stateFound) {
      const found = stateFound;
      await step.do("record_state_found", RETRIED, async () => {
        await createStore(config).call(
          "record_course_state_found",
          { course_id: course.id, by: "A1", confidence: found.confidence, city: found.city, task_id: taskId, sources: found.sources, cost_usd: found.cost_usd },
          z.unknown(),
        );
        return true;
      });
      // Said before the run starts, so the rep can stop a wrong guess before the leads arrive.
      await commentOnIntake(call, settings, { name: "clickup_intake_state_found", task_id: taskId, comment: stateFoundMessage({ course_name: course.course_name, ...found }) });
    }

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
    if (result.outcome === "new" && result.status === "failed") {
      // The coordinator could not start the run (its reason is in the job): nothing will write this task back.
      throw new Error(`the run for ${course.course_name} (${course.state}) could not start; see job ${result.job_id}`);
    }
    // A linked task has no run: it is written back here.
    progress.runWritesBack = result.outcome !== "linked";

    if (result.outcome === "linked") {
      const known = (await step.do("read_course", RETRIED, async () =>
        (await createStore(config).call("get_course_writeback", { course_id: course.id }, CourseWriteback)) as Rpc.Serializable<unknown>,
      )) as CourseWriteback;
      if (known) await linkIntakeToCourse(call, settings, taskId, known);
    } else if (result.outcome === "joined" || result.outcome === "follow_up") {
      // The run in flight writes this task back too when it ends; the status is only a courtesy.
      await markIntakeEnriching(call, settings, taskId).catch((error: unknown) => log.warn("clickup_intake_enriching_failed", { error }));
    }
    return { outcome: result.outcome, course_id: course.id, job_id: result.job_id, ...(stateFound ? { state_found: stateFound } : {}) };
  }
}

/** The rep's comment and "needs attention"; a ClickUp that cannot take it is logged (the admin alert stands). */
async function tellRep(call: ClickUpCall, settings: ClickUpSettings | null, taskId: string, name: string, problem: RepProblem, log: Logger): Promise<void> {
  try {
    await writeIntakeOutcome(call, settings, { name, task_id: taskId, status: "needs_attention", comment: repMessage(problem) });
  } catch (error) {
    log.error("clickup_alert_failed", { alert: "admin", task_id: taskId, problem: problem.kind, error });
  }
}

/** A1's answer for a name without a state, as one durable, retried step; null when it could not be had. */
async function lookUpState(step: WorkflowStep, config: AppConfig, log: Logger, courseName: string): Promise<(StateCandidates & { sources: string[]; cost_usd: number }) | null> {
  let cost = 0;
  const agents: AgentContext = {
    providers: createProviders(config),
    models: { cheap: config.env.ANTHROPIC_MODEL, strong: config.env.ANTHROPIC_MODEL_STRONG },
    log,
    call: async (label, fn) => {
      try {
        const made = (await step.do(`intake_${label.step}`, LOOKUP, async () => {
          try {
            const { value, usage } = await fn();
            return { value, usage } as Rpc.Serializable<unknown>;
          } catch (error) {
            // A refusal (bad key, bad request) fails the same way again.
            if (error instanceof ProviderError && !error.retryable) throw new NonRetryableError(error.message);
            throw error;
          }
        })) as { value: never; usage: CallUsage };
        cost += made.usage.cost_usd;
        log.info("agent_call", { agent: label.agent, action: label.step, provider: made.usage.provider, model: made.usage.model, cost: made.usage.cost_usd });
        return made.value;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.warn("agent_call_failed", { agent: label.agent, action: label.step, error: message });
        return { missing: "failed", error: message };
      }
    },
  };
  const result = await findCourseStates(agents, { course_name: courseName });
  if (isMissing(result)) {
    log.warn("intake_state_lookup_failed", { course_name: courseName, error: result.error });
    return null;
  }
  log.info("intake_state_looked_up", { course_name: courseName, candidates: result.candidates.length, confidence: result.confidence });
  return { ...result, cost_usd: cost };
}
