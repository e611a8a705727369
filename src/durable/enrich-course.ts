import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import type { AgentContext, CallLabel, Missing } from "../agents/agent-context.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { runEnrichCoursePipeline } from "../pipeline/enrich-course-pipeline.ts";
import { reportFailureToClickUp } from "../pipeline/clickup-writeback.ts";
import { PIPELINE_STEPS, type PipelineRuntime } from "../pipeline/pipeline.types.ts";
import { failedRecord, RunLedger, skippedRecord, usageRecord } from "../pipeline/run-ledger.ts";
import { createProviders } from "../providers/index.ts";
import { ProviderError } from "../providers/provider-error.ts";
import type { CallUsage } from "../providers/usage.ts";
import { type AlertCause, type AlertSink, possiblyOpen } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";
import { FailRunResult } from "../store/records.ts";
import { alertSink } from "./alerts.ts";
import { type CallMemory, clickUpSteps } from "./clickup-steps.ts";
import type { EnrichCourseParams, JobAudience, RunOutcome, StepReport } from "../pipeline/jobs.types.ts";
import { asStepError } from "./step-errors.ts";

export type { EnrichCourseParams } from "../pipeline/jobs.types.ts";

/** Transient errors back off exponentially (1 s, 2 s): at most 3 attempts. */
const RETRIED: WorkflowStepConfig = { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "2 minutes" };

/** Raising or clearing an alert never fails the run (the sink logs what it could not record). */
const ALERT_STEP: WorkflowStepConfig = { retries: { limit: 1, delay: "1 second" }, timeout: "1 minute" };

/** A run's admin alerts: a provider down (once per call), the spend cap (once per run), who answered. */
interface RunAlerts {
  providerDown(label: CallLabel, message: string, critical: boolean): Promise<void>;
  spendCap(): Promise<void>;
  /** Providers that answered in this run and never failed in it: their "unavailable" alert clears at the end. */
  answered: Set<string>;
  /** Providers a call of this run gave up on (one route down while another answers is still down). */
  failed: Set<string>;
  /** A critical call failed because its provider was down: that alert covers the run's failure. */
  criticalProviderDown: boolean;
}

/** What a provider-call step stores (memoized): the answer and its usage, or why no call was made. */
type CallEnvelope =
  | { made: true; value: unknown; usage: CallUsage; started_at: number; duration_ms: number; attempts: number }
  | { made: false; reason: "spend_cap" };

/**
 * EnrichCourse: one durable run for one course. The pipeline (`src/pipeline/enrich-course-pipeline.ts`)
 * says what runs and in what order; this class makes every step and every provider call a memoized,
 * retried `step.do`, keeps the run's spend, reports progress to the course's coordinator, and makes
 * sure a failure is recorded (course `failed`, never stuck `enriching`).
 */
export class EnrichCourse extends WorkflowEntrypoint<Env, EnrichCourseParams> {
  override async run(event: Readonly<WorkflowEvent<EnrichCourseParams>>, step: WorkflowStep): Promise<RunOutcome> {
    const params = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "enrich_course", job_id: params.job_id, course_name: params.course.course_name }, config.secrets);
    const coordinator = this.env.COURSE_COORDINATOR.get(this.env.COURSE_COORDINATOR.idFromName(params.coordinator_key));
    const ledger = new RunLedger(config.env.SPEND_CAP_USD);
    const startedAt = event.timestamp.getTime();
    let courseId: string | undefined;

    const report = async (r: StepReport) => {
      try {
        await coordinator.recordStep(params.job_id, r, courseId);
      } catch (error) {
        log.warn("progress_report_failed", { step: r.key, error });
      }
    };
    // What the job's calls answered lives in its coordinator: an instance the watchdog re-creates replays it.
    const memory: CallMemory = {
      recorded: (key) => coordinator.recordedCall(params.job_id, key),
      record: (key, value) => coordinator.recordCall(params.job_id, key, value),
      quiet: (until) => coordinator.progress(params.job_id, until),
    };
    const replaying = (params.restart ?? 0) > 0;
    const sink = alertSink(this.env, config, log);
    const jobLink = `/api/jobs/${params.job_id}`;
    let spendCapRaised = false;
    const alerts: RunAlerts = {
      answered: new Set(),
      failed: new Set(),
      criticalProviderDown: false,
      providerDown: async (label, message, critical) => {
        if (critical) alerts.criticalProviderDown = true;
        alerts.failed.add(label.provider);
        await step.do(`alert:${label.step}`, ALERT_STEP, async () => {
          await sink.raise({
            cause: "provider_unavailable",
            subject: label.provider,
            message: `${label.provider} did not answer after 3 attempts (${label.agent}): ${message}`,
            link: jobLink,
            retry: critical
              ? "the run failed; it is not retried by itself: run the course again once the provider answers"
              : "the run went on without this lookup (partial); the next run of the course fills it in",
            details: { last_job_id: params.job_id, agent: label.agent },
            occurrence: `${params.job_id}:${label.step}`,
          });
          return true;
        });
      },
      spendCap: async () => {
        if (spendCapRaised) return;
        spendCapRaised = true;
        await step.do("alert:spend_cap", ALERT_STEP, async () => {
          await sink.raise({
            cause: "spend_cap_reached",
            subject: "enrichment",
            message: `A run reached the spend cap of $${config.env.SPEND_CAP_USD.toFixed(2)} (SPEND_CAP_USD) and stopped making paid calls; it ended partial.`,
            link: jobLink,
            details: { last_job_id: params.job_id, spend_cap_usd: config.env.SPEND_CAP_USD },
            occurrence: params.job_id,
          });
          return true;
        });
      },
    };

    const pipelineStep = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const began = Date.now();
      const result = (await step.do(name, RETRIED, async () => {
        try {
          return (await fn()) as Rpc.Serializable<unknown>;
        } catch (error) {
          throw asStepError(error);
        }
      })) as T;
      const id = (result as { id?: unknown } | null)?.id;
      if (name === PIPELINE_STEPS.loadCourse && typeof id === "string") courseId = id;
      await report({ label: name, key: name, status: "succeeded", started_at: began, finished_at: Date.now(), cost_usd: 0, provider_call: false });
      return result;
    };

    const agents: AgentContext = {
      providers: createProviders(config),
      models: { cheap: config.env.ANTHROPIC_MODEL, strong: config.env.ANTHROPIC_MODEL_STRONG },
      log,
      call: (label, fn, opts) => this.providerCall(step, ledger, log, report, { memory, replaying }, alerts, label, fn, opts?.critical ?? false),
    };

    const runtime: PipelineRuntime = {
      params, config, log, store: () => createStore(config), agents, ledger, step: pipelineStep, startedAt,
      clickup: clickUpSteps({ step, config, env: this.env, memory, replaying }),
      clickupContext: null,
      audience: () => step.do("read_audience", RETRIED, async () => (await coordinator.audience(params.job_id)) as JobAudience),
    };

    try {
      const result = await runEnrichCoursePipeline(runtime);
      const outcome: RunOutcome = { status: result.status, course_id: result.course_id, cost_usd: result.cost_usd, duration_ms: Date.now() - startedAt, ...(result.error ? { error: result.error } : {}) };
      // The course is saved: its earlier run-failed alert clears, and so does any provider that answered.
      await clearRunAlerts(step, sink, config, difference(alerts.answered, alerts.failed), result.course_id);
      await step.do("report_finished", RETRIED, async () => {
        await coordinator.runFinished(params.job_id, outcome, event.instanceId);
        return true;
      });
      return outcome;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // The admin alert: one error-level line with the technical reason (the job and the run keep it
      // too); the rep gets a plain sentence on the intake task (reportFailureToClickUp).
      log.error("run_failed", { alert: "admin", course_id: courseId, error: reason, cost: ledger.spentUsd });
      await clearRunAlerts(step, sink, config, difference(alerts.answered, alerts.failed), null);
      // A provider that was down already has its alert (with the count of runs it failed).
      if (!alerts.criticalProviderDown) {
        await step.do("alert:run_failed", ALERT_STEP, async () => {
          await sink.raise({
            cause: "run_failed",
            subject: courseId ?? `${params.course.course_name} (${params.course.state ?? "?"})`,
            message: `The run for ${params.course.course_name}${params.course.state ? ` (${params.course.state})` : ""} failed: ${reason}`,
            link: jobLink,
            retry: "not retried by itself: fix the cause (the course's name or state, a provider) and run the course again",
            details: { job_id: params.job_id, course_name: params.course.course_name ?? null },
            occurrence: params.job_id,
          });
          return true;
        });
      }
      const outcome: RunOutcome = { status: "failed", course_id: courseId, error: reason, cost_usd: ledger.spentUsd, duration_ms: Date.now() - startedAt };
      const failedCourseId = courseId;
      let markError: unknown = null;
      if (failedCourseId) {
        try {
          await step.do("mark_failed", RETRIED, async () => {
            await runtime.store().call(
              "fail_enrichment_run",
              {
                run_id: params.job_id,
                course_id: failedCourseId,
                error: reason,
                duration_ms: outcome.duration_ms,
                cost_usd: outcome.cost_usd,
                agent_calls: [...ledger.calls.values()].map(({ started_at: _s, ...call }) => call),
                // What the output guards changed before the run failed (the benchmark and dashboard count them).
                guards: ledger.sortedGuards,
              },
              FailRunResult,
            );
            return true;
          });
        } catch (failWriteError) {
          // The database is down too: the rep is still told, then the watchdog records the failure.
          markError = failWriteError;
          log.error("run_fail_write_failed", { alert: "admin", course_id: failedCourseId, error: failWriteError });
          await step.do("alert:database", ALERT_STEP, async () => {
            await sink.raise({
              cause: "database_unavailable", subject: "database",
              message: `The database did not take a failed run's record: ${failWriteError instanceof Error ? failWriteError.message : String(failWriteError)}`,
              link: jobLink, retry: "the course's coordinator (its watchdog) records the failure once the database answers",
              occurrence: params.job_id,
            });
            return true;
          });
        }
      }
      try {
        await reportFailureToClickUp(runtime, error);
      } catch (alertError) {
        log.error("clickup_alert_failed", { alert: "admin", error: alertError });
      }
      // Not reported finished: the instance errors, and the coordinator's watchdog fails the run in the database.
      if (markError) throw markError;
      await step.do("report_failed", RETRIED, async () => {
        await coordinator.runFinished(params.job_id, outcome, event.instanceId);
        return true;
      });
      return outcome;
    }
  }

  /** One provider call as a durable step: memoized, retried, capped by spend, recorded in the ledger. */
  private async providerCall<T>(
    step: WorkflowStep,
    ledger: RunLedger,
    log: Logger,
    report: (r: StepReport) => Promise<void>,
    replay: { memory: CallMemory; replaying: boolean },
    alerts: RunAlerts,
    label: CallLabel,
    fn: () => Promise<{ value: T; usage: CallUsage }>,
    critical: boolean,
  ): Promise<T | Missing> {
    const began = Date.now();
    // Attempts made in this invocation (a failed step is never memoized, so this counts them all).
    let attempts = 0;
    // Whether the last attempt failed the way an outage does (5xx, 429, timeout): an alert, not a bug.
    let unavailable = false;
    let envelope: CallEnvelope;
    try {
      envelope = (await step.do(label.step, RETRIED, async (ctx) => {
        // An instance the watchdog re-created first replays what the replaced one was answered (never paid twice).
        if (replay.replaying) {
          const recorded = await replay.memory.recorded(`provider:${label.step}`);
          if (recorded !== null) return JSON.parse(recorded) as Rpc.Serializable<CallEnvelope>;
        }
        if (!ledger.mayCall(label)) return { made: false, reason: "spend_cap" } satisfies CallEnvelope;
        attempts++;
        const started = Date.now();
        // A sign of life for the watchdog: a slow provider is not a stalled run.
        await replay.memory.quiet(0).catch(() => {});
        try {
          const { value, usage } = await fn();
          const made = { made: true, value: value as Rpc.Serializable<unknown>, usage, started_at: started, duration_ms: Date.now() - started, attempts: ctx.attempt } satisfies CallEnvelope;
          await replay.memory.record(`provider:${label.step}`, JSON.stringify(made)).catch((error: unknown) => log.warn("call_memory_failed", { step: label.step, error }));
          return made as Rpc.Serializable<CallEnvelope>;
        } catch (error) {
          // Honour the provider's retry-after before the step's own backoff starts.
          unavailable = error instanceof ProviderError && error.retryable;
          if (error instanceof ProviderError && error.retryable && error.retryAfterMs) await sleep(error.retryAfterMs);
          throw asStepError(error);
        }
      })) as CallEnvelope;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ledger.record(failedRecord(label, message, { started_at: began, attempts }));
      log.warn("agent_call_failed", { agent: label.agent, contact_name: label.contact, action: label.step, error: message });
      await report({ label: agentLabel(label), key: label.step, status: "failed", started_at: began, finished_at: Date.now(), cost_usd: 0, provider_call: true, error: message.slice(0, 300) });
      if (unavailable) await alerts.providerDown(label, message.slice(0, 300), critical);
      if (critical) throw error;
      return { missing: "failed", error: message };
    }

    if (!envelope.made) {
      ledger.record(skippedRecord(label, began));
      log.warn("agent_call_skipped", { agent: label.agent, contact_name: label.contact, action: label.step, reason: "spend_cap", cost: ledger.spentUsd });
      await report({ label: agentLabel(label), key: label.step, status: "skipped", started_at: began, finished_at: began, cost_usd: 0, provider_call: true, error: "spend cap reached" });
      await alerts.spendCap();
      return { missing: "spend_cap" };
    }
    ledger.record(usageRecord(label, envelope.usage, envelope));
    alerts.answered.add(label.provider);
    log.info("agent_call", {
      agent: label.agent, contact_name: label.contact, action: label.step, provider: envelope.usage.provider, model: envelope.usage.model,
      cost: envelope.usage.cost_usd, duration_ms: envelope.duration_ms, input_tokens: envelope.usage.input_tokens, output_tokens: envelope.usage.output_tokens,
    });
    await report({
      label: agentLabel(label), key: label.step, status: "succeeded", started_at: envelope.started_at,
      finished_at: envelope.started_at + envelope.duration_ms, cost_usd: envelope.usage.cost_usd, provider_call: true,
    });
    return envelope.value as T;
  }
}

/**
 * Closes the alerts this run proves over: each provider that answered, and the course's run-failed
 * alert once it is saved. Asks the isolate's cache of open alerts first, so a healthy run pays nothing.
 */
async function clearRunAlerts(step: WorkflowStep, sink: AlertSink, config: ReturnType<typeof configFor>, answered: Set<string>, savedCourseId: string | null | undefined): Promise<void> {
  const pairs: { cause: AlertCause; subject: string }[] = [...answered].sort().map((p) => ({ cause: "provider_unavailable", subject: p }));
  if (savedCourseId) pairs.push({ cause: "run_failed", subject: savedCourseId });
  if (pairs.length === 0) return;
  try {
    await step.do("alert:clear", ALERT_STEP, async () => {
      const open = await possiblyOpen(createStore(config), pairs);
      const providers = open.filter((p) => p.cause === "provider_unavailable").map((p) => p.subject);
      if (providers.length) await sink.clear("provider_unavailable", providers, `answered again (${providers.join(", ")})`);
      const runs = open.filter((p) => p.cause === "run_failed").map((p) => p.subject);
      if (runs.length) await sink.clear("run_failed", runs, "a later run of the course succeeded");
      return open.length;
    });
  } catch {
    // Best effort: the next run clears it.
  }
}

function difference(a: Set<string>, b: Set<string>): Set<string> {
  return new Set([...a].filter((x) => !b.has(x)));
}

function agentLabel(label: CallLabel): string {
  return label.contact ? `${label.agent}:${label.contact}` : label.agent;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

