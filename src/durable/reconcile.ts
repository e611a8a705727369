import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { loadClickUpContext } from "../clickup/run-context.ts";
import type { ApplyCorrectionsParams, ReconcileParams } from "../clickup/corrections.types.ts";
import { reconcile, type ReconcileSummary } from "../clickup/reconcile.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";
import { createCoordinators } from "../services/coordinators.ts";
import { createStore } from "../store/index.ts";
import { alertSink } from "./alerts.ts";
import { clickUpSteps } from "./clickup-steps.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 4, delay: "2 seconds", backoff: "exponential" }, timeout: "2 minutes" };

/**
 * The hourly repair (one instance per cron tick, src/services/scheduled.ts): webhook health, then
 * ClickUp changes no webhook brought, then courses no Supabase webhook started. Every ClickUp
 * request is a gated `background` step (a run's requests go first); every database read and
 * hand-off is a retried step, so a crash resumes without starting anything twice.
 */
export class Reconcile extends WorkflowEntrypoint<Env, ReconcileParams> {
  override async run(event: Readonly<WorkflowEvent<ReconcileParams>>, step: WorkflowStep): Promise<ReconcileSummary> {
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "reconcile", instance_id: event.instanceId, trigger: event.payload.trigger }, config.secrets);
    const store = () => createStore(config);
    const call = clickUpSteps({ step, config, env: this.env });
    const context = call ? await step.do("clickup_context", DB_STEP, () => loadClickUpContext(store())) : null;
    const coordinators = createCoordinators(this.env);
    const env = this.env;

    const summary = await reconcile({
      call,
      step: <T>(name: string, fn: () => Promise<T>) => step.do(name, DB_STEP, async () => (await fn()) as Rpc.Serializable<T>) as Promise<T>,
      store,
      log,
      settings: context?.settings ?? null,
      settings_problem: context?.settings_problem ?? null,
      intake_list_override: config.env.CLICKUP_INTAKE_LIST_ID,
      env_webhook_secret: !!config.env.CLICKUP_WEBHOOK_SECRET,
      scheduled_at: event.payload.scheduled_at,
      alerts: alertSink(env, config, log),
      doors: {
        resolveIntake: (instanceId, params) => coordinators.resolveIntake(instanceId, params),
        triggerCourse: (courseId, input) => coordinators.trigger(courseId, input),
        startCorrections: (instanceId: string, params: ApplyCorrectionsParams) => createInstanceOnce(env.APPLY_CORRECTIONS, instanceId, params),
      },
    });

    if (summary.errors.length) log.error("reconcile_incomplete", { alert: "admin", ...summary });
    else log.info("reconcile_finished", { ...summary });
    return summary;
  }
}
