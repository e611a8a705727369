// The AlertSink the Workflows hand to the code that raises alerts: the database decides (dedupe,
// rate limit), and each notification or clearing starts one AlertDelivery instance named by the
// alert and the notification, so a repeat delivers nothing twice.
import type { AppConfig, Env } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";
import { type AlertCause, type AlertDeliveryParams, type AlertSink, clearAlerts, raiseAlert } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";

/** Every configured value that must never appear in an alert (keys, tokens, secrets, connection strings). */
export function configuredSecrets(config: AppConfig, bindings: object): string[] {
  const values = new Set<string>();
  for (const [name, value] of [...Object.entries(bindings), ...Object.entries(config.env)]) {
    if (typeof value !== "string" || value.length < 6) continue;
    if (/KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL|SERVICE_ROLE/i.test(name)) values.add(value);
  }
  return [...values];
}

export function alertSink(env: Env, config: AppConfig, log: Logger): AlertSink {
  const secrets = configuredSecrets(config, env);
  const deliver = async (params: AlertDeliveryParams): Promise<void> => {
    const workflow = env.ALERT_DELIVERY as Workflow<AlertDeliveryParams> | undefined; // absent in an older wrangler.toml
    if (!workflow) return;
    const id = `alert-${params.alert_id}-${params.kind === "closed" ? "closed" : `n${params.notification}`}`;
    try {
      await createInstanceOnce(workflow, id, params);
    } catch (error) {
      log.error("alert_delivery_not_started", { alert: "admin", alert_id: params.alert_id, error });
    }
  };
  return {
    async raise(input) {
      try {
        const result = await raiseAlert(createStore(config), input, secrets);
        log.error("alert_raised", { alert: "admin", cause: input.cause, subject: input.subject, alert_id: result.alert.id, count: result.alert.count, notify: result.notify });
        if (result.notify) await deliver({ alert_id: result.alert.id, kind: result.created ? "opened" : "reminder", notification: result.notification });
        return result;
      } catch (error) {
        // The database may be the thing that is down: the log line is then the only alert.
        log.error("alert_not_recorded", { alert: "admin", cause: input.cause, subject: input.subject, error });
        return null;
      }
    },
    async clear(cause: AlertCause, subjects: string[], clearedBy: string) {
      try {
        const cleared = await clearAlerts(createStore(config), cause, subjects, clearedBy);
        for (const alert of cleared) {
          log.info("alert_cleared", { cause, subject: alert.subject, alert_id: alert.id, duration_seconds: alert.duration_seconds });
          await deliver({ alert_id: alert.id, kind: "closed", notification: 0 });
        }
        return cleared;
      } catch (error) {
        log.warn("alert_not_cleared", { cause, subjects, error });
        return [];
      }
    },
  };
}
