import { DurableObject } from "cloudflare:workers";
import { configFor, type Env } from "../env.ts";
import { claimImportRows, releaseImportRow } from "../imports/import-store.ts";
import type { CourseImport } from "../imports/import.types.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { createInstanceOnce } from "../lib/workflow-instances.ts";
import { createStore } from "../store/index.ts";
import { runSlots } from "./run-slots.ts";

/** Rows handed to the queue in one go at most (one sendBatch holds up to 100 messages). */
const MAX_HANDOUT = 100;

/**
 * One per import: hands its rows to the queue as run slots free up, watches the import until every
 * row is done, then starts its summary (ImportSummary). Its rows, and which have a run, are in the
 * database; it keeps only which import it runs and whether it finished, so a restart (or an evicted
 * object) picks up where the database says. Its alarm is its loop: the first at `start`, then every
 * IMPORT_POLL_SECONDS, and at once when RunSlots has a free slot (`wake`).
 */
export class CourseImportRunner extends DurableObject<Env> {
  private readonly log: Logger;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = createLogger(configFor(env).env.LOG_LEVEL, { component: "course_import" }, configFor(env).secrets);
  }

  async start(importId: string): Promise<void> {
    if (!this.ctx.storage.kv.get<string>("import_id")) this.ctx.storage.kv.put("import_id", importId);
    await this.ctx.storage.setAlarm(Date.now());
  }

  /** A run slot is free: look at once instead of at the next poll. */
  async wake(): Promise<void> {
    if (!this.ctx.storage.kv.get<string>("import_id") || this.ctx.storage.kv.get<boolean>("finished")) return;
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > Date.now()) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const importId = this.ctx.storage.kv.get<string>("import_id");
    if (!importId || this.ctx.storage.kv.get<boolean>("finished")) return;
    const config = configFor(this.env);
    const store = () => createStore(config);
    const pollMs = config.env.IMPORT_POLL_SECONDS * 1000;
    try {
      const progress = await this.handOut(importId, store, config.env.IMPORT_ROW_LEASE_SECONDS);
      if (rowsAllDone(progress)) {
        // Once: the summary's instance id names the import.
        await createInstanceOnce(this.env.IMPORT_SUMMARY, `import-summary-${importId}`, { import_id: importId });
        this.ctx.storage.kv.put("finished", true);
        this.log.info("import_rows_done", { import_id: importId, progress: progress.progress });
        return;
      }
    } catch (error) {
      // The database or the queue did not answer: the next poll tries again (nothing was lost: rows stay in line).
      this.log.warn("import_round_failed", { import_id: importId, error });
    }
    await this.ctx.storage.setAlarm(Date.now() + pollMs);
  }

  /**
   * As many rows as there are free slots no waiting run needs: each row gets its slot, then rides
   * the queue to its course's coordinator (src/imports/consume.ts). Rows wait in the database, in
   * line order; a row whose message is lost is claimed again after IMPORT_ROW_LEASE_SECONDS.
   */
  private async handOut(importId: string, store: () => ReturnType<typeof createStore>, leaseSeconds: number): Promise<CourseImport> {
    const slots = runSlots(this.env);
    for (let round = 1; ; round++) {
      // The count of rows to hand out, and (from the same call) the import's progress as it stands.
      const peek = await claimImportRows(store(), { import_id: importId, limit: 0, lease_seconds: leaseSeconds });
      const reserved = await slots.reserve(importId, Math.min(MAX_HANDOUT, peek.claimable));
      if (reserved.length === 0) return peek.import;
      const { rows } = await claimImportRows(store(), { import_id: importId, limit: reserved.length, lease_seconds: leaseSeconds });
      for (const unused of reserved.slice(rows.length)) await slots.release(unused);
      if (rows.length === 0) return peek.import;
      const messages = rows.map((row, i) => ({
        body: { import_id: importId, line: row.line, course_id: row.course_id, course_name: row.course_name, state: row.state, slot_id: reserved[i]! },
        contentType: "json" as const,
      }));
      try {
        await this.env.IMPORT_QUEUE.sendBatch(messages);
      } catch (error) {
        // Nothing was sent: the slots and rows go back (the rows keep their place in line).
        for (const m of messages) {
          await slots.release(m.body.slot_id);
          await releaseImportRow(store(), { import_id: importId, line: m.body.line }).catch(() => {});
        }
        throw error;
      }
      this.log.info("import_rows_handed_out", { import_id: importId, rows: rows.length, first_line: rows[0]!.line });
      // Rows were handed out; after 50 rounds the next poll (or a free slot) goes on.
      if (rows.length < reserved.length || round >= 50) return peek.import;
    }
  }
}

/** Every row of the import is decided and no row is queued or running (the runs ended). */
function rowsAllDone(imp: CourseImport): boolean {
  return imp.status !== "receiving" && imp.progress.queued === 0 && imp.progress.running === 0;
}
