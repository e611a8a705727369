import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import type { AgentContext, CallLabel, Missing } from "../agents/agent-context.ts";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { configFor, type Env } from "../env.ts";
import { checkCourse, type CoursePageContext } from "../freshness/check-course.ts";
import { type FreshnessSweepParams, NextCourses, type SweepCheck, SweepRecord, SweepView } from "../freshness/freshness.types.ts";
import { createSuccessor, type SuccessorDeps, type SuccessorProfile } from "../freshness/successor.ts";
import { type FreshnessWriteDeps, updateCheckedLead, writeSuccessorLead } from "../clickup/freshness-writeback.ts";
import { createLogger } from "../lib/log.ts";
import { OUTREACH_SIGNAL } from "../outreach/outreach.types.ts";
import { failedRecord, RunLedger, skippedRecord, usageRecord } from "../pipeline/run-ledger.ts";
import { createProviders } from "../providers/index.ts";
import { roundUsd } from "../lib/usd.ts";
import type { CallUsage } from "../providers/usage.ts";
import { possiblyOpen } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";
import { z } from "zod";
import { alertSink } from "./alerts.ts";
import { clickUpSteps } from "./clickup-steps.ts";
import { asStepError } from "./step-errors.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 4, delay: "2 seconds", backoff: "exponential" }, timeout: "2 minutes" };
const CALL_STEP: WorkflowStepConfig = { retries: { limit: 2, delay: "1 second", backoff: "exponential" }, timeout: "2 minutes" };
/** Courses one instance checks before handing on to the next part (about 30 steps a course: far under the 10,000-step limit). */
export const MAX_COURSES_PER_INSTANCE = 150;

type CallEnvelope = { made: true; value: unknown; usage: CallUsage; started_at: number; duration_ms: number; attempts: number } | { made: false };

export interface FreshnessSweepOutcome {
  sweep_id: string;
  status: "succeeded" | "stopped" | "failed" | "continued" | "not_running";
  checked_here: number;
}

/**
 * FreshnessSweep (Agent 8): orders the work of one sweep. Courses come from the database a batch at
 * a time (FRESHNESS_CONCURRENCY at once); each course's page is read once and its contacts checked
 * together (src/freshness/); every provider call and database write is a memoized step, so a crash
 * or redeploy replays instead of repeating. The database refuses a second check of a contact in one
 * sweep and a second successor, so even a second instance of the same sweep (an admin's resume)
 * checks nobody twice and replaces nobody twice.
 */
export class FreshnessSweep extends WorkflowEntrypoint<Env, FreshnessSweepParams> {
  override async run(event: Readonly<WorkflowEvent<FreshnessSweepParams>>, step: WorkflowStep): Promise<FreshnessSweepOutcome> {
    const { sweep_id: sweepId, part } = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "freshness_sweep", sweep_id: sweepId, instance_id: event.instanceId }, config.secrets);
    const store = () => createStore(config);
    const dbStep = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
      step.do(name, DB_STEP, async () => {
        try {
          return (await fn()) as Rpc.Serializable<T>;
        } catch (error) {
          throw asStepError(error);
        }
      }) as Promise<T>;

    const start = await dbStep("load_sweep", () => store().call("get_freshness_sweep", { sweep_id: sweepId, followup_pending: true }, SweepView));
    if (!start || start.sweep.status !== "running") {
      log.warn("freshness_sweep_not_running", { status: start?.sweep.status ?? "missing" });
      return { sweep_id: sweepId, status: "not_running", checked_here: 0 };
    }
    // What earlier instances of this sweep spent counts against the same cap.
    const spentBefore = start.sweep.cost_usd;
    const ledger = new RunLedger(Math.max(0, start.sweep.spend_cap_usd - spentBefore));
    const sweepCost = () => roundUsd(spentBefore + ledger.spentUsd);
    const capReached = () => ledger.spentUsd >= ledger.spendCapUsd;

    const clickup = clickUpSteps({ step, config, env: this.env });
    const clickupContext = clickup ? await dbStep("clickup_context", () => loadClickUpContext(store())) : null;
    if (clickup && !clickupContext?.settings) log.warn("clickup_not_set_up", { reason: clickupContext?.settings_problem ?? "unknown" });
    const providers = createProviders(config);
    const env = this.env;

    const agentsFor = (scope: string): AgentContext => ({
      providers,
      models: { cheap: config.env.ANTHROPIC_MODEL, strong: config.env.ANTHROPIC_MODEL_STRONG },
      log,
      call: (label, fn, opts) => providerCall(step, ledger, { ...label, step: `${scope}:${label.step}` }, fn, opts?.critical ?? false),
    });
    const followAll = async (checks: NonNullable<SweepView>["checks"], page: Map<string, CoursePageContext>) => {
      for (const check of checks) {
        const scope = `fu:${check.course_id}`;
        const scoped = <T>(name: string, fn: () => Promise<T>) => dbStep(`${scope}:${name}`, fn);
        const writer: FreshnessWriteDeps | null =
          clickup && clickupContext?.settings ? { call: clickup, context: clickupContext, store, step: scoped, leftAction: config.env.FRESHNESS_LEFT_ACTION } : null;
        try {
          await followUp({ sweepId, agents: agentsFor(scope), store, log, step: scoped }, writer, check, page.get(check.course_id) ?? null);
        } catch (error) {
          // The check stands (the database has it); the follow-up stays listed for the next instance.
          log.error("freshness_followup_failed", { alert: "admin", contact_id: check.contact_id, error: error instanceof Error ? error.message : String(error) });
        }
      }
    };

    try {
      // What an earlier instance recorded but did not finish in ClickUp (it was killed or redeployed).
      if (start.checks.length) await followAll(start.checks, new Map());

      const seen = new Set<string>();
      let batch = 0;
      let checkedHere = 0;
      for (;;) {
        if (capReached()) return await finish("stopped", `the sweep's spend cap ($${start.sweep.spend_cap_usd.toFixed(2)}) was reached; the contacts not checked are checked next sweep`);
        if (seen.size >= MAX_COURSES_PER_INSTANCE) {
          const next = `fresh-${sweepId}-p${part + 1}`;
          await dbStep("continue", async () => {
            await env.FRESHNESS_SWEEP.create({ id: next, params: { sweep_id: sweepId, part: part + 1 } }).catch(async (error: unknown) => {
              if (!(await env.FRESHNESS_SWEEP.get(next).catch(() => null))) throw error;
            });
            await store().call("set_freshness_sweep_instance", { sweep_id: sweepId, workflow_instance_id: next }, z.object({ sweep: SweepRecord }));
            return next;
          });
          log.info("freshness_sweep_continued", { next_instance: next, checked_here: checkedHere });
          return { sweep_id: sweepId, status: "continued", checked_here: checkedHere };
        }
        const next = await dbStep(`batch:${batch}`, () => store().call("next_freshness_courses", { sweep_id: sweepId, limit: config.env.FRESHNESS_CONCURRENCY }, NextCourses));
        // A course seen before in this instance had contacts it could not check (the cap): stop there.
        const courses = next.courses.filter((c) => !seen.has(c.id));
        if (courses.length === 0) break;
        for (const c of courses) seen.add(c.id);
        const results = await Promise.all(
          courses.map((course) =>
            checkCourse(
              {
                sweepId, agents: agentsFor(`c:${course.id}`), store, log, capReached, sweepCost,
                step: (name, fn) => dbStep(`c:${course.id}:${name}`, fn),
                costOf: (key) => costOf(ledger, `c:${course.id}:`, key),
                stopSequence: (instanceId) => stopSequence(step, env, instanceId, log),
              },
              course,
            ),
          ),
        );
        checkedHere += results.reduce((n, r) => n + r.checked, 0);
        await dbStep(`cost:${batch}`, () => store().call("add_freshness_cost", { sweep_id: sweepId, sweep_cost_usd: sweepCost() }, z.object({ cost_usd: z.coerce.number() })));
        const pages = new Map(results.map((r) => [r.course_id, r.page]));
        const pending = await dbStep(`followups:${batch}`, async () => {
          const view = await store().call("get_freshness_sweep", { sweep_id: sweepId, followup_pending: true }, SweepView);
          return (view?.checks ?? []).filter((c) => pages.has(c.course_id));
        });
        await followAll(pending, pages);
        if (results.some((r) => r.skipped > 0)) return await finish("stopped", `the sweep's spend cap ($${start.sweep.spend_cap_usd.toFixed(2)}) was reached; the contacts not checked are checked next sweep`);
        batch++;
      }
      return await finish("succeeded", null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error("freshness_sweep_failed", { alert: "admin", error: message, cost: sweepCost() });
      await step.do("alert:sweep_failed", { retries: { limit: 1, delay: "1 second" }, timeout: "1 minute" }, async () => {
        await alertSink(env, config, log).raise({
          cause: "sweep_failed", subject: sweepId, message: `The freshness sweep failed: ${message}`,
          link: `/api/freshness/sweeps/${sweepId}`,
          retry: `POST /api/freshness/sweeps/${sweepId}/resume goes on where it stopped (nobody is checked twice); the next monthly sweep checks the rest`,
          occurrence: event.instanceId,
        });
        return true;
      });
      await finish("failed", null, message);
      return { sweep_id: sweepId, status: "failed", checked_here: 0 };
    }

    async function finish(status: "succeeded" | "stopped" | "failed", reason: string | null, error?: string): Promise<FreshnessSweepOutcome> {
      const done = await dbStep(`finish:${status}`, () =>
        store().call("finish_freshness_sweep", { sweep_id: sweepId, status, stop_reason: reason, error: error ?? null, sweep_cost_usd: sweepCost() }, z.object({ sweep: SweepRecord })),
      );
      const line = { status, reason, ...done.sweep.counts, cost: done.sweep.cost_usd, clickup_requests: done.sweep.clickup_requests };
      if (status === "succeeded") {
        log.info("freshness_sweep_finished", line);
        // A resumed sweep that finishes closes the alert its failure raised.
        await step.do("alert:sweep_clear", { retries: { limit: 1, delay: "1 second" }, timeout: "1 minute" }, async () => {
          const open = await possiblyOpen(store(), [{ cause: "sweep_failed", subject: sweepId }]).catch(() => []);
          if (open.length) await alertSink(env, config, log).clear("sweep_failed", [sweepId], "the sweep was resumed and finished");
          return open.length;
        }).catch(() => 0);
      }
      else log.warn("freshness_sweep_finished", line);
      return { sweep_id: sweepId, status, checked_here: done.sweep.counts.checked };
    }
  }
}

/**
 * What a recorded check changes beyond its own row: the successor (created once), their lead task,
 * the checked contact's lead task; then the follow-up is marked done, with the ClickUp requests made.
 */
async function followUp(deps: SuccessorDeps, writer: FreshnessWriteDeps | null, check: SweepCheck, page: CoursePageContext | null): Promise<void> {
  let requests = 0;
  let successor: SuccessorProfile | { contact_id: string } | null = check.replacement_contact_id ? { contact_id: check.replacement_contact_id } : null;
  let successorTask = check.replacement_task_id;
  if (check.outcome === "left" && check.replacement_name && !successor) {
    const made = await createSuccessor(deps, check, page);
    successor = made;
    successorTask = made.clickup_task_id;
  }
  if (writer) {
    if (successor && !successorTask) {
      const written = await writeSuccessorLead(writer, check, successor);
      successorTask = written.task_id;
      requests += written.requests;
    }
    if (check.clickup_task_id) requests += await updateCheckedLead(writer, check, check.clickup_task_id, successorTask);
  }
  await deps.step(`followup_done:${check.contact_id}`, () =>
    deps.store().call("finish_freshness_followup", { sweep_id: deps.sweepId, contact_id: check.contact_id, clickup_requests: requests }, z.object({ done: z.boolean() })),
  );
}

/** One provider call as a memoized, retried step, capped by the sweep's spend and kept in its ledger. */
async function providerCall<T>(step: WorkflowStep, ledger: RunLedger, label: CallLabel, fn: () => Promise<{ value: T; usage: CallUsage }>, critical: boolean): Promise<T | Missing> {
  const began = Date.now();
  let envelope: CallEnvelope;
  try {
    envelope = (await step.do(label.step, CALL_STEP, async (ctx) => {
      if (!ledger.mayCall(label)) return { made: false } satisfies CallEnvelope;
      const started = Date.now();
      try {
        const { value, usage } = await fn();
        return { made: true, value: value as Rpc.Serializable<unknown>, usage, started_at: started, duration_ms: Date.now() - started, attempts: ctx.attempt } satisfies CallEnvelope;
      } catch (error) {
        throw asStepError(error);
      }
    })) as CallEnvelope;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ledger.record(failedRecord(label, message, { started_at: began, attempts: 0 }));
    if (critical) throw error;
    return { missing: "failed", error: message };
  }
  if (!envelope.made) {
    ledger.record(skippedRecord(label, began));
    return { missing: "spend_cap" };
  }
  ledger.record(usageRecord(label, envelope.usage, envelope));
  return envelope.value as T;
}

/** A contact's calls: those of this course whose step names carry the contact's key. */
function costOf(ledger: RunLedger, scope: string, key: string): number {
  let total = 0;
  for (const call of ledger.calls.values()) if (call.call_key.startsWith(scope) && call.call_key.includes(key)) total += call.cost_usd;
  return roundUsd(total);
}

async function stopSequence(step: WorkflowStep, env: Env, instanceId: string, log: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await step.do(`stop:${instanceId}`, DB_STEP, async () => {
      const instance = await env.OUTREACH_SEQUENCE.get(instanceId);
      await instance.sendEvent({ type: OUTREACH_SIGNAL, payload: { kind: "stop", reason: "freshness" } });
      return true;
    });
  } catch (error) {
    // The database already stopped the sequence: its next claim refuses to send.
    log.warn("outreach_signal_not_delivered", { instance_id: instanceId, error });
  }
}

