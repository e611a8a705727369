import type { ApplyCorrectionsParams } from "../clickup/corrections.types.ts";
import type { Env } from "../env.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";

/** Starts the corrections of one event (a delivery or a reconcile find); an event seen before is a no-op. */
export async function startCorrections(env: Env, params: ApplyCorrectionsParams): Promise<{ outcome: "accepted" | "duplicate"; instance_id: string }> {
  const id = `corr-${(await sha256Hex(params.event_id)).slice(0, 40)}`;
  return { outcome: await createInstanceOnce(env.APPLY_CORRECTIONS, id, params), instance_id: id };
}
