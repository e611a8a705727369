// Sending one email of a sequence at most once: claimed in the database before Mailgun is called,
// and, when an earlier attempt's outcome is unknown (a timeout after Mailgun may have accepted it),
// Mailgun is asked whether it has the message before it is sent again.
import type { OutgoingEmail, MailgunClient } from "../providers/mailgun.ts";
import { ProviderError } from "../providers/provider-error.ts";
import type { Store } from "../store/index.ts";
import { MessageClaim, SentRecord } from "./sequence-records.ts";

export type SendOutcome =
  | { outcome: "sent"; mailgun_message_id: string; sent_at: string; recovered: boolean; sequence_status: string }
  | { outcome: "stopped"; status: string; reason: string }
  | { outcome: "failed"; error: string };

export interface SequenceEmail {
  sequence_id: string;
  step: 1 | 2 | 3;
  /** Our Message-Id header (deterministic), with angle brackets. */
  message_id: string;
  email: OutgoingEmail;
  scheduled_for: number;
  time_zone: string;
  sender_name: string;
  /** When the next email is planned after one sent at `sentAt` (recorded on the sequence); null after the last. */
  nextSendAt?: (sentAt: number) => number | null;
}

/** Thrown while Mailgun's answer about an earlier attempt may still be on its way: try again later. */
export class SendOutcomeUnknown extends Error {}

export async function sendSequenceEmail(store: Store, mailgun: MailgunClient, input: SequenceEmail): Promise<SendOutcome> {
  const claim = await store.call(
    "claim_outreach_message",
    {
      sequence_id: input.sequence_id,
      step: input.step,
      message_id: input.message_id,
      subject: input.email.subject,
      body: input.email.text,
      html: input.email.html,
      sender: input.email.from,
      sender_name: input.sender_name,
      recipient: input.email.to,
      scheduled_for: new Date(input.scheduled_for).toISOString(),
      time_zone: input.time_zone,
    },
    MessageClaim,
  );
  if (claim.action === "stopped") return { outcome: "stopped", status: claim.status ?? "stopped", reason: claim.stop_reason ?? "the sequence was stopped" };
  const record = async (mailgunId: string, recovered: boolean): Promise<SendOutcome> => {
    const now = Date.now();
    const sentAt = new Date(now).toISOString();
    const next = input.nextSendAt?.(now) ?? null;
    const { sequence_status } = await store.call(
      "record_outreach_sent",
      {
        sequence_id: input.sequence_id,
        step: input.step,
        mailgun_message_id: mailgunId,
        sent_at: sentAt,
        next_send_at: next ? new Date(next).toISOString() : null,
      },
      SentRecord,
    );
    return { outcome: "sent", mailgun_message_id: mailgunId, sent_at: sentAt, recovered, sequence_status };
  };
  if (claim.action === "sent") return record(claim.mailgun_message_id ?? input.message_id, true);
  if (claim.action === "check") {
    const found = await mailgun.findAccepted(input.message_id);
    if (found) return record(found.id, true);
    // Mailgun's event log can lag the acceptance by a little: look once more before sending again.
    if (claim.attempts === 2) throw new SendOutcomeUnknown(`email ${input.step} of sequence ${input.sequence_id}: an earlier attempt may have been accepted; looking again before sending`);
  }
  try {
    const { id } = await mailgun.send(input.email);
    return await record(id, false);
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable) {
      await store.call("record_outreach_sent", { sequence_id: input.sequence_id, step: input.step, error: error.message }, SentRecord);
      return { outcome: "failed", error: error.message };
    }
    throw error;
  }
}
