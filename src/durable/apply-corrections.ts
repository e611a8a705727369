import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { WorkerBindings } from "../env.ts";
import type { ApplyCorrectionsParams } from "../clickup/corrections.types.ts";

/** A rep's corrections of a lead task (placeholder until the corrections work lands). */
export class ApplyCorrections extends WorkflowEntrypoint<WorkerBindings, ApplyCorrectionsParams> {
  override async run(_event: Readonly<WorkflowEvent<ApplyCorrectionsParams>>, _step: WorkflowStep): Promise<{ applied: number }> {
    return { applied: 0 };
  }
}
