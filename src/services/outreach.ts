import type { Env } from "../env.ts";
import type { Logger } from "../lib/log.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { OUTREACH_SIGNAL, type OutreachEventKind, type OutreachSequenceParams, type OutreachSignal } from "../outreach/outreach.types.ts";
import { RecordedEvent } from "../outreach/sequence-records.ts";
import type { Store } from "../store/index.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";

/** Events the rep must see on the lead task. */
const SHOWN: ReadonlySet<string> = new Set(["reply", "bounce", "unsubscribe", "complaint"]);

export interface OutreachEventInput {
  kind: OutreachEventKind;
  provider_event_id: string;
  message_ids?: string[];
  sequence_id?: string;
  task_id?: string;
  email?: string | null;
  from_email?: string | null;
  subject?: string | null;
  body_text?: string | null;
  detail?: Record<string, unknown>;
  occurred_at?: string | null;
  new_status?: string;
}

/** Routes reach the outreach workflows only through this service. */
export interface Outreach {
  /** Starts a sequence for a "contacted" delivery; an instance id seen before is a duplicate. */
  start(instanceId: string, params: OutreachSequenceParams): Promise<"accepted" | "duplicate">;
  /** Records an event in the database (which decides what it stops), then tells the sequences and the rep. */
  record(input: OutreachEventInput): Promise<RecordedEvent>;
  /** Tells a running sequence to send its next email now (the mailbox's cap and spacing still hold). */
  sendNow(instanceId: string): Promise<boolean>;
}

export function createOutreach(env: Env, store: () => Store, log: Logger): Outreach {
  const signal = async (instanceId: string, payload: OutreachSignal): Promise<boolean> => {
    try {
      const instance = await env.OUTREACH_SEQUENCE.get(instanceId);
      await instance.sendEvent({ type: OUTREACH_SIGNAL, payload });
      return true;
    } catch (error) {
      // The database already stopped it: the next claim refuses to send, whatever the instance does.
      log.warn("outreach_signal_not_delivered", { instance_id: instanceId, kind: payload.kind, error });
      return false;
    }
  };
  return {
    start: (instanceId, params) => createInstanceOnce(env.OUTREACH_SEQUENCE, instanceId, params),
    async record(input) {
      const recorded = await store().call("record_outreach_event", input, RecordedEvent);
      if (recorded.duplicate) return recorded;
      for (const stopped of recorded.stopped) {
        if (stopped.workflow_instance_id) await signal(stopped.workflow_instance_id, { kind: "stop", reason: input.kind });
      }
      if (recorded.matched && recorded.task_id && recorded.sequence_id && SHOWN.has(input.kind)) {
        const id = `oe-${(await sha256Hex(input.provider_event_id)).slice(0, 40)}`;
        await createInstanceOnce(env.OUTREACH_EVENT_EFFECTS, id, {
            kind: input.kind,
            sequence_id: recorded.sequence_id,
            task_id: recorded.task_id,
            contact_name: recorded.contact_name ?? null,
            email: recorded.recipient_email ?? input.email ?? input.from_email ?? null,
            step: recorded.step ?? null,
            subject: input.subject ?? null,
            text: input.body_text ?? null,
            reason: typeof input.detail?.reason === "string" ? input.detail.reason : null,
        });
      }
      log.info("outreach_event_recorded", { kind: input.kind, matched: recorded.matched, sequence_id: recorded.sequence_id, stopped: recorded.stopped.length });
      return recorded;
    },
    sendNow: (instanceId) => signal(instanceId, { kind: "send_now" }),
  };
}
