import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { postImportSummary } from "../clickup/import-summary.ts";
import { configFor, type Env } from "../env.ts";
import { finishImport, loadImport } from "../imports/import-store.ts";
import type { CourseImport, ImportRowView } from "../imports/import.types.ts";
import { createLogger } from "../lib/log.ts";
import { createStore } from "../store/index.ts";
import { alertSink } from "./alerts.ts";
import { clickUpSteps } from "./clickup-steps.ts";

export interface ImportSummaryParams {
  import_id: string;
}

const DB_STEP: WorkflowStepConfig = { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" };

/**
 * ImportSummary: once per import (instance `import-summary-<id>`), after its last row's run ended.
 * Tells the team in ClickUp (a task in Intake, or a comment on the import's own task), records the
 * import's final status, and raises an admin alert when rows failed.
 */
export class ImportSummary extends WorkflowEntrypoint<Env, ImportSummaryParams> {
  override async run(event: Readonly<WorkflowEvent<ImportSummaryParams>>, step: WorkflowStep): Promise<{ status: string; summary_task_id: string | null }> {
    const importId = event.payload.import_id;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "import_summary", import_id: importId }, config.secrets);
    const store = () => createStore(config);
    // The final status first: the summary then reads the counts it is based on.
    const finished = (await step.do("finish_import", DB_STEP, async () => (await finishImport(store(), { import_id: importId })) as Rpc.Serializable<unknown>)) as { import: CourseImport; finished: boolean };
    const view = (await step.do("load_import", DB_STEP, async () => (await loadImport(store(), importId, { rows: "problems", limit: 1000 })) as Rpc.Serializable<unknown>)) as { import: CourseImport | null; rows?: ImportRowView[] };
    const imp = view.import ?? finished.import;
    let taskId: string | null = imp.summary_task_id;

    const call = clickUpSteps({ step, config, env: this.env });
    const context = call && !taskId ? await step.do("clickup_context", DB_STEP, () => loadClickUpContext(store())) : null;
    if (call && context?.settings && !taskId) {
      try {
        taskId = await postImportSummary(call, context.settings, imp, view.rows ?? [], config.env.APP_URL);
        await step.do("record_summary", DB_STEP, async () => {
          await finishImport(store(), { import_id: importId, summary_task_id: taskId });
          return true;
        });
      } catch (error) {
        log.error("import_summary_not_written", { alert: "admin", error });
      }
    } else if (!taskId) {
      log.warn("import_summary_skipped", { reason: call ? (context?.settings_problem ?? "ClickUp is not set up") : "CLICKUP_API_TOKEN is not set" });
    }

    const failed = imp.progress.failed;
    if (failed > 0) {
      await step.do("alert:import_failures", { retries: { limit: 1, delay: "1 second" }, timeout: "1 minute" }, async () => {
        await alertSink(this.env, config, log).raise({
          cause: "import_failures",
          subject: imp.filename ?? importId,
          message: `The import ${imp.filename ?? importId} finished with ${failed} of ${imp.rows} rows failed (${imp.progress.succeeded} enriched).`,
          link: `/api/imports/${importId}`,
          retry: "not retried by itself: fix the rows in the error file and import it again (enriched courses are skipped)",
          details: { import_id: importId, failed },
          occurrence: importId,
        });
        return true;
      });
    }
    log.info("import_finished", { status: imp.status, progress: imp.progress, summary_task_id: taskId });
    return { status: imp.status, summary_task_id: taskId };
  }
}
