// A ClickUp delivery the webhook route verified and acknowledged while the database was down: kept
// here (the Workflow engine stores its params durably) and processed once the database answers, with
// the same code the route runs (src/services/clickup-deliveries.ts).
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { loadClickUpContext } from "../clickup/run-context.ts";
import type { ClickUpDeliveryParams } from "../clickup/webhook-delivery.types.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { ClickUpDelivery, type DeliveryResult, isDatabaseUnavailable, processClickUpDelivery } from "../services/clickup-deliveries.ts";
import { createCoordinators } from "../services/coordinators.ts";
import { createStore } from "../store/index.ts";

/**
 * 10 attempts, 10 s doubling (10 s … ~85 min between the last two): about 2.8 hours of outage
 * covered, longer than ClickUp's own redelivery (5 attempts) would have kept the event.
 */
const UNTIL_THE_DATABASE_ANSWERS: WorkflowStepConfig = { retries: { limit: 10, delay: "10 seconds", backoff: "exponential" }, timeout: "2 minutes" };

export class ClickUpDeliveryRetry extends WorkflowEntrypoint<Env, ClickUpDeliveryParams> {
  override async run(event: Readonly<WorkflowEvent<ClickUpDeliveryParams>>, step: WorkflowStep): Promise<DeliveryResult> {
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "clickup_delivery_retry", instance_id: event.instanceId }, config.secrets);
    const delivery = ClickUpDelivery.parse(JSON.parse(event.payload.body));
    const result = (await step.do("process", UNTIL_THE_DATABASE_ANSWERS, async () => {
      try {
        const clickup = config.providers.database.configured ? await loadClickUpContext(createStore(config)) : null;
        return (await processClickUpDelivery({ env: this.env, config, log, coordinators: createCoordinators(this.env), clickup }, delivery)) as Rpc.Serializable<unknown>;
      } catch (error) {
        // Only the database being away is worth waiting for; anything else would fail the same way again.
        if (isDatabaseUnavailable(error)) throw error;
        throw new NonRetryableError(error instanceof Error ? error.message : String(error));
      }
    })) as DeliveryResult;
    log.info("clickup_delivery_processed", { event: delivery.event, task_id: delivery.task_id, action: result.action, waited_ms: Date.now() - event.payload.received_at });
    return result;
  }
}
