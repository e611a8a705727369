import { Hono, type Context } from "hono";
import type { HonoEnv } from "../app-types.ts";
import type { ClickUpDeliveryParams } from "../clickup/webhook-delivery.types.ts";
import { clickupSignature } from "../middleware/clickup-signature.ts";
import { parseJsonBytes } from "../middleware/validation.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";
import { ClickUpDelivery, isDatabaseUnavailable, processClickUpDelivery } from "../services/clickup-deliveries.ts";

/**
 * `POST /webhooks/clickup`: signature first, then the envelope, then what the event does
 * (src/services/clickup-deliveries.ts). A verified delivery the database cannot take now (the
 * settings unreadable, or a write failing for it) is stored in a ClickUpDeliveryRetry instance and
 * acknowledged with 202: refusing it would have ClickUp retry 5 times and then drop it for good.
 */
export const clickupWebhook = new Hono<HonoEnv>().post("/webhooks/clickup", clickupSignature(), async (c) => {
  const delivery = parseJsonBytes(c.var.rawBody, ClickUpDelivery);
  const { log, config } = c.var;
  const settings = c.var.clickupWebhookSettings;
  let reason = "the ClickUp settings could not be read";
  if (!settings.unavailable) {
    try {
      return c.json(await processClickUpDelivery({ env: c.env, config, log, coordinators: c.var.coordinators, clickup: settings.context }, delivery));
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      reason = (error as Error).message;
    }
  }
  return c.json(await deferDelivery(c, delivery, reason), 202);
});

async function deferDelivery(c: Context<HonoEnv>, delivery: ClickUpDelivery, reason: string) {
  const workflow = c.env.CLICKUP_DELIVERY as Workflow<ClickUpDeliveryParams> | undefined;
  const body = new TextDecoder().decode(c.var.rawBody);
  // Named by the exact bytes: ClickUp's redelivery of the same event finds the instance already there.
  const id = `clickup-delivery-${(await sha256Hex(body)).slice(0, 40)}`;
  if (!workflow) throw new AppError("UNAVAILABLE", `the database is unavailable (${reason}) and no ClickUpDeliveryRetry binding stores the delivery`);
  let outcome: "accepted" | "duplicate";
  try {
    await workflow.create({ id, params: { body, received_at: Date.now() } });
    outcome = "accepted";
  } catch (error) {
    if (!(await workflow.get(id).catch(() => null))) {
      c.var.log.error("clickup_delivery_not_stored", { alert: "admin", event: delivery.event, task_id: delivery.task_id, reason, error });
      throw new AppError("UNAVAILABLE", "the database is unavailable and the delivery could not be stored; ClickUp will redeliver it");
    }
    outcome = "duplicate";
  }
  c.var.log.warn("clickup_delivery_deferred", { event: delivery.event, task_id: delivery.task_id, retry_id: id, outcome, reason });
  return { received: true as const, action: "queued", queued: outcome, retry_id: id };
}
