import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { noteOnLead } from "../clickup/write-back.ts";
import { bounceNote, replyNote, unsubscribeNote } from "../outreach/lead-notes.ts";
import type { OutreachEventParams } from "../outreach/outreach.types.ts";
import { createStore } from "../store/index.ts";
import { clickUpSteps } from "./clickup-steps.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" };

/**
 * What a reply, bounce, complaint or unsubscribe changes on the lead task, once per event (the
 * instance id comes from the event): the task moves to "replied" or "unsubscribed" and one comment
 * tells the rep (a reply notifies them, with its text). Separate from the sequence, because a reply
 * that comes after the last email must reach the rep too. The database already knows.
 */
export class OutreachEventEffects extends WorkflowEntrypoint<Env, OutreachEventParams> {
  override async run(event: Readonly<WorkflowEvent<OutreachEventParams>>, step: WorkflowStep): Promise<{ written: boolean; reason?: string }> {
    const input = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "outreach_event_effects", task_id: input.task_id, kind: input.kind }, config.secrets);
    const call = clickUpSteps({ step, config, env: this.env });
    if (!call) return { written: false, reason: "ClickUp is not configured" };
    const clickup = await step.do("clickup_context", DB_STEP, () => loadClickUpContext(createStore(config)));
    const settings = clickup.settings;
    if (!settings) {
      log.error("outreach_event_not_shown", { alert: "admin", reason: clickup.settings_problem });
      return { written: false, reason: clickup.settings_problem ?? "ClickUp is not set up" };
    }
    const base = { task_id: input.task_id, priority: "interactive" as const };
    switch (input.kind) {
      case "reply":
        await noteOnLead(call, settings, { ...base, name: "outreach_reply", status: "replied", notify: true, comment: replyNote({ name: input.contact_name, email: input.email, step: input.step, text: input.text ?? null }) });
        break;
      case "bounce":
        await noteOnLead(call, settings, { ...base, name: "outreach_bounce", notify: true, comment: bounceNote({ email: input.email, step: input.step, reason: input.reason ?? null }) });
        break;
      case "unsubscribe":
      case "complaint":
        await noteOnLead(call, settings, { ...base, name: "outreach_unsubscribe", status: "unsubscribed", notify: true, comment: unsubscribeNote({ email: input.email, complaint: input.kind === "complaint" }) });
        break;
      default:
        return { written: false, reason: `${input.kind} changes nothing on the task` };
    }
    log.info("outreach_event_shown", { sequence_id: input.sequence_id });
    return { written: true };
  }
}
