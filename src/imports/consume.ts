/**
 * The import queue's consumer: each message is one import row holding a run slot; it is handed to
 * its course's coordinator (which starts the run with that slot, or folds it into the course's run
 * in flight) and the row is told its run. Safe to repeat: the trigger's dedupe key names the row, so
 * a message delivered twice is one run; a failure is retried by the queue with backoff, and a message
 * refused every time ends in the dead-letter queue, whose consumer fails the row with the reason.
 */
import type { Logger } from "../lib/log.ts";
import { ImportRowMessage } from "./import.types.ts";

/** What an import row asks of its course's coordinator (a TriggerInput of source "csv"). */
export interface ImportTrigger {
  source: "csv";
  dedupe_key: string;
  course: { course_id: string; course_name: string; state: string };
  slot_id: string;
}

export interface ImportConsumerDeps {
  trigger(coordinatorKey: string, input: ImportTrigger): Promise<{ job_id: string }>;
  setRowJob(row: { import_id: string; line: number; job_id: string }): Promise<unknown>;
  failRow(row: { import_id: string; line: number; reason: string }): Promise<unknown>;
  releaseSlot(slotId: string): Promise<void>;
  log: Logger;
}

/** What a queue message offers (Cloudflare's Message, narrowed to what is used). */
export interface QueueMessage {
  body: unknown;
  attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export async function consumeImportRows(messages: readonly QueueMessage[], deps: ImportConsumerDeps): Promise<void> {
  for (const message of messages) {
    const parsed = ImportRowMessage.safeParse(message.body);
    if (!parsed.success) {
      // Not ours to repair: the queue retries it, then the dead-letter queue keeps it for a look.
      deps.log.error("import_message_invalid", { alert: "admin", issues: parsed.error.issues.slice(0, 3) });
      message.retry();
      continue;
    }
    const row = parsed.data;
    try {
      const result = await deps.trigger(row.course_id, {
        source: "csv",
        dedupe_key: `csv:${row.import_id}:${row.line}`,
        course: { course_id: row.course_id, course_name: row.course_name, state: row.state },
        slot_id: row.slot_id,
      });
      await deps.setRowJob({ import_id: row.import_id, line: row.line, job_id: result.job_id });
      message.ack();
    } catch (error) {
      deps.log.warn("import_row_not_started", { import_id: row.import_id, line: row.line, attempts: message.attempts, error });
      // 2, 4, 8, 16 s: a database or coordinator blip passes; the slot stays reserved meanwhile.
      message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
  }
}

/** The dead-letter queue's consumer: the row failed before any run, with why; its slot goes back. */
export async function consumeDeadImportRows(messages: readonly QueueMessage[], deps: Pick<ImportConsumerDeps, "failRow" | "releaseSlot" | "log">): Promise<void> {
  for (const message of messages) {
    const parsed = ImportRowMessage.safeParse(message.body);
    if (!parsed.success) {
      deps.log.error("import_dead_message_unreadable", { alert: "admin", body: JSON.stringify(message.body).slice(0, 300) });
      message.ack();
      continue;
    }
    const row = parsed.data;
    try {
      await deps.failRow({ import_id: row.import_id, line: row.line, reason: `the run could not be started after ${message.attempts} attempts (see the app's logs: import_row_not_started)` });
      await deps.releaseSlot(row.slot_id);
      deps.log.error("import_row_dead", { alert: "admin", import_id: row.import_id, line: row.line });
      message.ack();
    } catch (error) {
      deps.log.warn("import_dead_row_not_recorded", { import_id: row.import_id, line: row.line, error });
      message.retry({ delaySeconds: 30 });
    }
  }
}
