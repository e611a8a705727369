import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { loadClickUpContext } from "../clickup/run-context.ts";
import type { ClickUpCall } from "../clickup/call.ts";
import type { ClickUpSettings } from "../clickup/config.ts";
import { NonRetryableError } from "cloudflare:workflows";
import { configFor, type Env } from "../env.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { composeEmail, outreachMessageId, outreachVariables } from "../outreach/compose.ts";
import { noteOnLead } from "../clickup/write-back.ts";
import { refusedNote, sentNote } from "../outreach/lead-notes.ts";
import { OUTREACH_SIGNAL, type OutreachSequenceParams, type OutreachSignal } from "../outreach/outreach.types.ts";
import { nextSendTime, planStepTime, startOfNextLocalDay, timeZoneForState, type SchedulePolicy } from "../outreach/send-schedule.ts";
import { sendSequenceEmail, type SendOutcome } from "../outreach/send-email.ts";
import { StartedSequence, type StoredTemplate } from "../outreach/sequence-records.ts";
import { outreachConfigurationProblem, resolveOutreachSettings } from "../outreach/settings.ts";
import { createUnsubscribeToken } from "../outreach/unsubscribe-token.ts";
import { createMailgunClient } from "../providers/mailgun.ts";
import { possiblyOpen } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";
import { z } from "zod";
import { alertSink } from "./alerts.ts";
import { clickUpSteps } from "./clickup-steps.ts";
import type { MailboxGrant } from "./outreach-mailbox.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" };
/** Raising or clearing an alert never stops the sequence (the sink logs what it could not record). */
const ALERT_STEP: WorkflowStepConfig = { retries: { limit: 1, delay: "1 second" }, timeout: "1 minute" };

/** A send: retried after a transient failure (the claim makes a retry safe), with room for Mailgun's event log to catch up. */
const SEND_STEP: WorkflowStepConfig = { retries: { limit: 6, delay: "10 seconds", backoff: "exponential" }, timeout: "2 minutes" };
const STEPS = [1, 2, 3] as const;

export type OutreachSequenceOutcome =
  | { outcome: "completed" | "stopped"; sequence_id: string; sent: number; reason?: string }
  | { outcome: "refused" | "ignored"; reason: string };

type Started = Extract<StartedSequence, { started: true }>;

/**
 * One per "contacted" delivery: checks the lead may be emailed, then sends its three emails, each
 * in the course's send window, emails 2 and 3 after business days and in email 1's thread. Between
 * emails it waits for a signal (an OUTREACH_SIGNAL event: stop, or send now) with the wait's end as
 * the timeout: a reply, bounce, unsubscribe or the rep moving the task on reaches it as a stop. The
 * database decides first: every stop is recorded there before the signal, and the claim before
 * each send refuses a sequence that is no longer active, so a lost signal cannot cause an email.
 */
export class OutreachSequence extends WorkflowEntrypoint<Env, OutreachSequenceParams> {
  override async run(event: Readonly<WorkflowEvent<OutreachSequenceParams>>, step: WorkflowStep): Promise<OutreachSequenceOutcome> {
    const { task_id: taskId } = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "outreach_sequence", task_id: taskId, instance_id: event.instanceId }, config.secrets);
    const call = clickUpSteps({ step, config, env: this.env });
    if (!call) {
      log.error("outreach_not_started", { alert: "admin", reason: "CLICKUP_API_TOKEN is not set" });
      return { outcome: "ignored", reason: "ClickUp is not configured" };
    }
    const clickup = await step.do("clickup_context", DB_STEP, () => loadClickUpContext(createStore(config)));
    const settings = clickup.settings;
    if (!settings) return { outcome: "ignored", reason: clickup.settings_problem ?? "ClickUp is not set up" };

    // The delivery may be old (a retry, a backlog): act only if the task still says "contacted".
    let task: { status: string; assignees: number[] } | null;
    try {
      task = await call("read_lead_task", { priority: "interactive", requests: 1 }, async (client) => {
        const read = await client.getTask(taskId);
        return { status: String(read.status?.status ?? ""), assignees: (read.assignees ?? []).map((a) => Number(a.id)).filter(Number.isFinite) };
      });
    } catch (error) {
      // A 4xx (the task was deleted, or moved out of reach) will not change; ClickUp being down will, and fails the run loudly.
      if (!(error instanceof NonRetryableError)) throw error;
      log.info("outreach_task_unreadable", { error });
      return { outcome: "ignored", reason: "the lead task could not be read (deleted?)" };
    }
    if (task.status.toLowerCase() !== settings.statuses.leads.contacted.toLowerCase()) {
      return { outcome: "ignored", reason: `the task is no longer "${settings.statuses.leads.contacted}" (now "${task.status}")` };
    }

    const refuse = async (reason: string): Promise<OutreachSequenceOutcome> => {
      log.info("outreach_refused", { reason });
      await noteOnLead(call, settings, { name: "outreach_refused", task_id: taskId, comment: refusedNote(reason), priority: "interactive", notify: true });
      return { outcome: "refused", reason };
    };

    // Configuration first: nothing is recorded for a sequence that could not send a single email.
    const stored = await step.do("outreach_settings", DB_STEP, async () =>
      (await createStore(config).call("get_outreach_settings", {}, z.object({ settings: z.unknown().nullable() }))) as Rpc.Serializable<unknown>,
    ) as { settings: unknown };
    const { settings: outreach, problems } = resolveOutreachSettings(config.env, stored.settings);
    for (const problem of problems) log.warn("outreach_settings_problem", { alert: "admin", problem });
    const unconfigured = outreachConfigurationProblem(config.env, outreach);
    if (unconfigured) {
      await step.do("alert:outreach_configuration", ALERT_STEP, async () => {
        await alertSink(this.env, config, log).raise({
          cause: "outreach_sending_blocked", subject: "configuration", message: `A sequence could not start: ${unconfigured}`,
          retry: "not retried: the rep moves the lead to contacted again once the configuration is fixed",
          details: { task_id: taskId }, occurrence: event.instanceId,
        });
        return true;
      });
      return refuse(unconfigured);
    }

    const started = (await step.do("start_sequence", DB_STEP, async () =>
      (await createStore(config).call(
        "start_outreach_sequence",
        { task_id: taskId, workflow_instance_id: event.instanceId, source_event_id: event.payload.source_event_id, started_by: event.payload.started_by, assignee_clickup_user_id: task.assignees[0] ?? null },
        StartedSequence,
      )) as Rpc.Serializable<unknown>,
    )) as StartedSequence;
    if (!started.started) {
      // A second "contacted" for the task whose sequence is running changes nothing.
      if (started.code === "already_active" && started.same_task) return { outcome: "ignored", reason: started.reason };
      return refuse(started.reason);
    }
    const sender = started.sender ? { email: started.sender.email, name: started.sender.name, signature: started.sender.signature } : outreach.defaultSender;
    const problem = outreachConfigurationProblem(config.env, outreach, sender);
    if (problem || !sender) {
      // Recorded as a stop of the sequence just created, so it does not block the next attempt.
      await step.do("stop_without_sender", DB_STEP, async () => {
        await createStore(config).call("record_outreach_event", { kind: "status_change", sequence_id: started.sequence.id, new_status: "(none: no sender mailbox)", provider_event_id: `no-sender:${started.sequence.id}` }, z.unknown());
        return true;
      });
      return refuse(problem ?? "no sender mailbox");
    }

    let timeZone: string;
    try {
      timeZone = timeZoneForState(started.course.state);
    } catch {
      log.warn("outreach_time_zone_unknown", { state: started.course.state });
      timeZone = "America/New_York";
    }
    const policy: SchedulePolicy = { window: outreach.window, timeZone, demo: outreach.demo };
    const sequenceId = started.sequence.id;
    const domain = config.env.MAILGUN_DOMAIN!;
    const token = await step.do("unsubscribe_token", () => createUnsubscribeToken(config.env.UNSUBSCRIBE_SIGNING_SECRET!, { sequence_id: sequenceId, email: started.sequence.recipient_email! }));
    const unsubscribe = { url: `${config.env.APP_URL!.replace(/\/+$/, "")}/unsubscribe/${token}`, mailto: `mailto:${outreach.replyTo}?subject=unsubscribe` };
    const variables = outreachVariables({
      contact: started.contact,
      course: { name: started.course.name, city: started.course.city, state: started.course.state },
      intel: started.intel,
      rep: { name: sender.name, signature: sender.signature ?? sender.name },
      company_name: outreach.companyName,
      unsubscribe_url: unsubscribe.url,
      postal_address: outreach.postalAddress!,
    });
    const template = (n: 1 | 2 | 3): StoredTemplate => started.templates.find((t) => t.step === n)!;
    const delayOf = (n: 2 | 3): number => template(n).delay_business_days ?? outreach.delays[n];
    const mailbox = this.env.OUTREACH_MAILBOX.get(this.env.OUTREACH_MAILBOX.idFromName(sender.email.toLowerCase()));
    const mailgun = createMailgunClient({ apiKey: config.env.MAILGUN_API_KEY!, domain, baseUrl: config.env.MAILGUN_BASE_URL, timeoutMs: Math.min(config.env.PROVIDER_TIMEOUT_MS, 30_000) });
    log.info("outreach_started", { sequence_id: sequenceId, segment: started.sequence.segment, time_zone: timeZone, demo: outreach.demo });

    let previousSentAt: number | undefined;
    let firstSubject = "";
    let sent = 0;
    for (const n of STEPS) {
      const planned = await step.do(`plan#${n}`, DB_STEP, async () => {
        const at = planStepTime(policy, { now: Date.now(), ...(previousSentAt !== undefined ? { previousSentAt, delayBusinessDays: delayOf(n as 2 | 3) } : {}) });
        await createStore(config).call("plan_outreach_email", { sequence_id: sequenceId, next_send_at: new Date(at).toISOString() }, z.unknown());
        return at;
      });
      // Until the planned time (or "send now"), then the sender's mailbox, in turn with every other sequence sending from it.
      const holder = `${sequenceId}:${n}`;
      let until = planned;
      let honourSendNow = true;
      for (let round = 0; ; round++) {
        const signal = await this.#waitFor(step, `wait#${n}.${round}`, until, honourSendNow);
        if (signal.kind === "stop") return this.#stopped(log, sequenceId, sent, signal.reason);
        const grant = (await step.do(`mailbox#${n}.${round}`, DB_STEP, async () => {
          const granted: MailboxGrant = await mailbox.acquire({ holder, dailyCap: outreach.dailyCap, spacingMs: outreach.spacingMs });
          return { ...granted } as Rpc.Serializable<unknown>;
        })) as MailboxGrant;
        if (grant.granted) break;
        // "Send now" cannot jump the mailbox's turn or its daily cap.
        honourSendNow = false;
        if ("full" in grant) {
          until = await step.do(`mailbox_full#${n}.${round}`, DB_STEP, async () => {
            const next = outreach.demo ? Date.now() + 60_000 : nextSendTime(startOfNextLocalDay(Date.now(), timeZone), outreach.window, timeZone);
            await createStore(config).call("plan_outreach_email", { sequence_id: sequenceId, next_send_at: new Date(next).toISOString() }, z.unknown());
            return next;
          });
          log.info("outreach_mailbox_full", { sequence_id: sequenceId, step: n, sender: sender.email, day: grant.day, next: new Date(until).toISOString() });
        } else until = grant.retryAt;
      }

      const nextAfter = (sentAt: number): number | null =>
        n < 3 ? planStepTime(policy, { now: sentAt, previousSentAt: sentAt, delayBusinessDays: delayOf((n + 1) as 2 | 3) }) : null;
      const messageId = outreachMessageId(sequenceId, n, domain);
      const email = composeEmail({
        template: { subject: template(n).subject, body: template(n).body, segment: template(n).segment, step: n },
        variables,
        messageId,
        ...(n > 1 ? { thread: { firstMessageId: outreachMessageId(sequenceId, 1, domain), firstSubject } } : {}),
        from: `${sender.name} <${sender.email}>`,
        to: started.sequence.recipient_email!,
        replyTo: outreach.replyTo!,
        unsubscribe,
      });
      const outcome = (await step.do(`send#${n}`, SEND_STEP, () =>
        sendSequenceEmail(createStore(config), mailgun, {
          sequence_id: sequenceId,
          step: n,
          message_id: messageId,
          email: { ...email, tags: ["outreach", `step-${n}`], variables: { sequence_id: sequenceId, step: String(n) } },
          scheduled_for: planned,
          time_zone: timeZone,
          sender_name: sender.name,
          nextSendAt: nextAfter,
        }),
      )) as SendOutcome;
      await step.do(`mailbox_release#${n}`, DB_STEP, async () => {
        await mailbox.release(holder, outcome.outcome === "sent");
        return true;
      });
      if (outcome.outcome === "stopped") return this.#stopped(log, sequenceId, sent, outcome.reason);
      if (outcome.outcome === "failed") {
        log.error("outreach_send_failed", { alert: "admin", sequence_id: sequenceId, step: n, error: outcome.error });
        await step.do(`alert:send_failed#${n}`, ALERT_STEP, async () => {
          await alertSink(this.env, config, log).raise({
            cause: "outreach_sending_blocked", subject: "mailgun", message: `Mailgun did not send email ${n} of a sequence: ${outcome.error}`,
            link: `/api/contacts/${started.sequence.contact_id}/sequence`,
            retry: "the sequence stopped; the rep moves the lead to contacted again to restart it",
            details: { sequence_id: sequenceId, step: n }, occurrence: `${sequenceId}:${n}`,
          });
          return true;
        });
        await noteOnLead(call, settings, { name: `outreach_failed#${n}`, task_id: taskId, comment: `Email ${n} could not be sent (${outcome.error}). The sequence has stopped.`, notify: true });
        return { outcome: "stopped", sequence_id: sequenceId, sent, reason: outcome.error };
      }
      sent = n;
      // Mailgun sent: a "sending blocked" alert open for it (or the configuration) clears.
      if (n === 1) {
        await step.do("alert:sending_clear", ALERT_STEP, async () => {
          const open = await possiblyOpen(createStore(config), [{ cause: "outreach_sending_blocked", subject: "mailgun" }, { cause: "outreach_sending_blocked", subject: "configuration" }]).catch(() => []);
          if (open.length) await alertSink(this.env, config, log).clear("outreach_sending_blocked", open.map((o) => o.subject), "an email was sent again");
          return open.length;
        });
      }
      if (n === 1) firstSubject = email.subject;
      previousSentAt = Date.parse(outcome.sent_at);
      const next = nextAfter(previousSentAt);
      log.info("outreach_email_sent", { sequence_id: sequenceId, step: n, recovered: outcome.recovered });
      await this.#note(call, settings, log, `outreach_sent#${n}`, taskId, sentNote({ step: n, to: email.to, subject: email.subject, sentAt: previousSentAt, timeZone, nextAt: next }));
    }
    log.info("outreach_completed", { sequence_id: sequenceId });
    return { outcome: "completed", sequence_id: sequenceId, sent };
  }

  /** Waits until `until` for a signal; "time" when the wait ran out. A "send now" ends the wait only when honoured. */
  async #waitFor(step: WorkflowStep, name: string, until: number, honourSendNow: boolean): Promise<OutreachSignal | { kind: "time" }> {
    for (let i = 0; ; i++) {
      const remaining = until - Date.now();
      if (remaining <= 0) return { kind: "time" };
      try {
        const event = await step.waitForEvent<OutreachSignal>(`${name}.${i}`, { type: OUTREACH_SIGNAL, timeout: Math.max(1000, remaining) });
        const signal = event.payload;
        if (signal.kind === "stop") return signal;
        if (honourSendNow) return signal;
      } catch (error) {
        // The wait's timeout is how the planned time arrives.
        if (error instanceof Error && /timed out|timeout/i.test(`${error.name} ${error.message}`)) return { kind: "time" };
        throw error;
      }
    }
  }

  #stopped(log: Logger, sequenceId: string, sent: number, reason: string | undefined): OutreachSequenceOutcome {
    log.info("outreach_stopped", { sequence_id: sequenceId, sent, reason });
    return { outcome: "stopped", sequence_id: sequenceId, sent, ...(reason ? { reason } : {}) };
  }

  /** A progress comment is information: its failure is logged, and the sequence goes on. */
  async #note(call: ClickUpCall, settings: ClickUpSettings, log: Logger, name: string, taskId: string, comment: string): Promise<void> {
    try {
      await noteOnLead(call, settings, { name, task_id: taskId, comment });
    } catch (error) {
      log.warn("outreach_note_failed", { name, error });
    }
  }
}
