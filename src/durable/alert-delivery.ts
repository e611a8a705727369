import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { alertDescription, alertTitle, closeAlertTask, createAlertTask, remindAlertTask } from "../clickup/alert-task.ts";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { createMailgunClient } from "../providers/mailgun.ts";
import { type AlertDeliveryParams, type AlertRecord, listAlerts, loadAlertSettings, recordAlertDelivery } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";
import { clickUpSteps } from "./clickup-steps.ts";

export type { AlertDeliveryParams } from "../store/alerts.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 4, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" };
const EMAIL_STEP: WorkflowStepConfig = { retries: { limit: 3, delay: "5 seconds", backoff: "exponential" }, timeout: "1 minute" };
/** A clearing that arrives before the opening's task exists waits for it this many times, 10 s apart. */
const WAIT_FOR_TASK = 6;

export interface AlertDeliveryOutcome {
  alert_id: string;
  kind: AlertDeliveryParams["kind"];
  clickup: "created" | "reminded" | "closed" | "skipped";
  clickup_task_id: string | null;
  emailed: boolean;
  reason?: string;
}

/**
 * AlertDelivery: one notification of one admin alert (instance id: alert and notification, so a
 * repeat sends nothing twice). The task in the ClickUp Alerts list is created when the alert opens,
 * reminded on a later notification and closed when it clears; an email goes to the admin address
 * through Mailgun when one is configured (settings 'alerts' `email_to`, else ALERT_EMAIL_TO).
 */
export class AlertDelivery extends WorkflowEntrypoint<Env, AlertDeliveryParams> {
  override async run(event: Readonly<WorkflowEvent<AlertDeliveryParams>>, step: WorkflowStep): Promise<AlertDeliveryOutcome> {
    const { alert_id: alertId, kind } = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "alert_delivery", alert_id: alertId, kind, instance_id: event.instanceId }, config.secrets);
    const store = () => createStore(config);
    const load = (name: string) => step.do(name, DB_STEP, async () => ((await listAlerts(store(), { id: alertId }))[0] ?? null) as Rpc.Serializable<AlertRecord | null>) as Promise<AlertRecord | null>;
    let alert = await load("load_alert");
    if (!alert) return { alert_id: alertId, kind, clickup: "skipped", clickup_task_id: null, emailed: false, reason: "no such alert" };
    const appUrl = config.env.APP_URL;
    const outcome: AlertDeliveryOutcome = { alert_id: alertId, kind, clickup: "skipped", clickup_task_id: alert.clickup_task_id, emailed: false };

    // ClickUp: the Alerts list `npm run clickup:setup` made.
    const call = clickUpSteps({ step, config, env: this.env });
    const context = call ? await step.do("clickup_context", DB_STEP, () => loadClickUpContext(store())) : null;
    const settings = context?.settings ?? null;
    if (!call) outcome.reason = "CLICKUP_API_TOKEN is not set";
    else if (!settings?.alerts) outcome.reason = context?.settings_problem ?? "no Alerts list: run npm run clickup:setup";
    else {
      const alerts = settings.alerts;
      try {
        let taskId = alert.clickup_task_id;
        // The opening's delivery may still be making the task: wait for it rather than make a second.
        for (let i = 1; !taskId && kind !== "opened" && alert.notifications > 0 && i <= WAIT_FOR_TASK; i++) {
          await step.sleep(`wait_for_task#${i}`, "10 seconds");
          alert = (await load(`reload_alert#${i}`)) ?? alert;
          taskId = alert.clickup_task_id;
        }
        if (!taskId) {
          const created = await createAlertTask(call, alerts, alert, appUrl);
          const recorded = await step.do("record_task", DB_STEP, async () => (await recordAlertDelivery(store(), { id: alertId, clickup_task_id: created })) as Rpc.Serializable<AlertRecord>) as AlertRecord;
          taskId = recorded.clickup_task_id ?? created;
          outcome.clickup = "created";
        } else if (kind === "reminder") {
          await remindAlertTask(call, taskId, alert, appUrl, settings.app_user_id);
          outcome.clickup = "reminded";
        }
        if (kind === "closed") {
          await closeAlertTask(call, alerts, taskId, alert, appUrl, settings.app_user_id);
          outcome.clickup = "closed";
        }
        outcome.clickup_task_id = taskId;
      } catch (error) {
        // ClickUp may be the thing that is down; the email (and the log line) still go.
        log.error("alert_task_failed", { alert: "admin", cause: alert.cause, subject: alert.subject, error });
        outcome.reason = "the ClickUp task could not be written";
      }
    }

    // Email: to the admin address, when one is configured and Mailgun is.
    const alertSettings = await step.do("alert_settings", DB_STEP, () => loadAlertSettings(store()));
    const to = alertSettings.email_to ?? config.env.ALERT_EMAIL_TO;
    const domain = config.env.MAILGUN_DOMAIN;
    if (to && domain && config.env.MAILGUN_API_KEY) {
      const from = alertSettings.email_from ?? config.env.ALERT_EMAIL_FROM ?? `Golf Outreach alerts <alerts@${domain}>`;
      const current = alert;
      try {
        await step.do("email", EMAIL_STEP, async () => {
          const mailgun = createMailgunClient({ apiKey: config.env.MAILGUN_API_KEY!, domain, baseUrl: config.env.MAILGUN_BASE_URL, timeoutMs: Math.min(config.env.PROVIDER_TIMEOUT_MS, 30_000) });
          const what = kind === "closed" ? "Cleared" : kind === "reminder" ? "Still happening" : "Alert";
          const text = alertDescription(current, appUrl);
          await mailgun.send({
            from, to,
            subject: `${what}: ${alertTitle(current)}`,
            text,
            html: `<pre>${escapeHtml(text)}</pre>`,
            // Deterministic: the same notification is one message, whatever retried.
            headers: { "Message-Id": `<alert.${alertId}.${kind === "closed" ? "closed" : event.payload.notification}@${domain}>` },
            tags: ["admin-alert"],
          });
          await recordAlertDelivery(store(), { id: alertId, emailed: true });
          return true;
        });
        outcome.emailed = true;
      } catch (error) {
        log.error("alert_email_failed", { alert: "admin", cause: alert.cause, subject: alert.subject, error });
      }
    }
    log.info("alert_delivered", { ...outcome });
    return outcome;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
