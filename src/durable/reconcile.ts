import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { WorkerBindings } from "../env.ts";
import type { ReconcileParams } from "../clickup/corrections.types.ts";

/** The hourly repair job (placeholder until the reconcile work lands). */
export class Reconcile extends WorkflowEntrypoint<WorkerBindings, ReconcileParams> {
  override async run(_event: Readonly<WorkflowEvent<ReconcileParams>>, _step: WorkflowStep): Promise<{ done: boolean }> {
    return { done: true };
  }
}
