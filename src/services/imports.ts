import { type AppConfig, type Env } from "../env.ts";
import { consumeDeadImportRows, consumeImportRows, type ImportTrigger, type QueueMessage } from "../imports/consume.ts";
import { decodeCsv, parseCourseCsv } from "../imports/csv.ts";
import { addImportRows, createImport, failImportRow, setImportRowJob } from "../imports/import-store.ts";
import type { CourseImport, ParsedRow } from "../imports/import.types.ts";
import type { Logger } from "../lib/log.ts";
import { runSlots } from "../durable/run-slots.ts";
import { createStore } from "../store/index.ts";
import { createCoordinators } from "./coordinators.ts";

export interface ImportRequest {
  bytes: Uint8Array;
  filename: string | null;
  source: "api" | "cli" | "clickup";
  clickup_task_id?: string | undefined;
  force: boolean;
  dry_run: boolean;
}

export interface ImportAccepted {
  import_id: string | null;
  dry_run: boolean;
  rows: number;
  valid: number;
  invalid: number;
  duplicates: number;
  /** Known courses enriched in the last 30 days (not enriched again unless forced); null on a dry run. */
  skipped: number | null;
  status: CourseImport["status"] | "validated";
  /** The rows that will not import, with their line and reason (all of them on a dry run, else the first 100). */
  problems: Pick<ParsedRow, "line" | "outcome" | "reason" | "raw">[];
  delimiter: string;
  columns: string[];
}

/**
 * A CSV import: parsed and validated here (per-row errors, never a failed import), written to the
 * database in batches (one call per batch writes the rows and their courses), then handed to its
 * runner, which admits its rows as run slots free up. A dry run stops after validation.
 */
export async function startImport(env: Env, config: AppConfig, request: ImportRequest, log: Logger): Promise<ImportAccepted> {
  const parsed = parseCourseCsv(decodeCsv(request.bytes));
  const problems = parsed.rows.filter((r) => r.outcome !== "valid").map(({ line, outcome, reason, raw }) => ({ line, outcome, reason, raw }));
  const base = { delimiter: parsed.delimiter, columns: parsed.header, rows: parsed.counts.rows, invalid: parsed.counts.invalid };
  if (request.dry_run) {
    return { ...base, import_id: null, dry_run: true, valid: parsed.counts.valid, duplicates: parsed.counts.duplicates, skipped: null, status: "validated", problems };
  }
  const store = createStore(config);
  const created = await createImport(store, { filename: request.filename, source: request.source, clickup_task_id: request.clickup_task_id, force: request.force, columns: parsed.header });
  const imp = await addImportRows(store, created.import_id, parsed);
  await env.COURSE_IMPORT.get(env.COURSE_IMPORT.idFromName(imp.import_id)).start(imp.import_id);
  log.info("import_accepted", { import_id: imp.import_id, rows: imp.rows, valid: imp.valid, invalid: imp.invalid, duplicates: imp.duplicates, skipped: imp.skipped });
  return { ...base, import_id: imp.import_id, dry_run: false, valid: imp.valid, duplicates: imp.duplicates, skipped: imp.skipped, status: imp.status, problems: problems.slice(0, 100) };
}

/** The queue handler's work for the import queues (wrangler.toml [[queues.consumers]]). */
export async function onImportQueue(batch: { queue: string; messages: readonly QueueMessage[] }, env: Env, config: AppConfig, log: Logger): Promise<void> {
  const store = () => createStore(config);
  const deps = {
    trigger: (key: string, input: ImportTrigger) => createCoordinators(env).trigger(key, input),
    setRowJob: (row: { import_id: string; line: number; job_id: string }) => setImportRowJob(store(), row),
    failRow: (row: { import_id: string; line: number; reason: string }) => failImportRow(store(), row),
    releaseSlot: (slotId: string) => runSlots(env).release(slotId),
    log,
  };
  if (batch.queue.endsWith("-dlq")) await consumeDeadImportRows(batch.messages, deps);
  else await consumeImportRows(batch.messages, deps);
}
