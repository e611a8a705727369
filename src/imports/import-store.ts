/** The import's database functions (migrations/20261202001300_imports.sql), typed. */
import { z } from "zod";
import type { Store } from "../store/index.ts";
import { AddRowsResult, ClaimRowsResult, CourseImport, GetImportResult, IMPORT_LIMITS, type ParsedImport } from "./import.types.ts";

export async function createImport(store: Store, input: { filename: string | null; source: "api" | "cli" | "clickup"; clickup_task_id?: string | undefined; force: boolean; columns: string[] }): Promise<CourseImport> {
  return (await store.call("create_course_import", input, z.object({ import: CourseImport }))).import;
}

/**
 * The parsed rows, in batches of IMPORT_LIMITS.rowsPerBatch: one database call per batch writes its
 * rows and their courses; the last closes the import to rows and queues it.
 */
export async function addImportRows(store: Store, importId: string, parsed: ParsedImport): Promise<CourseImport> {
  const rows = parsed.rows.map((r) => ({
    line: r.line, raw: r.raw, outcome: r.outcome,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.course_name ? { course_name: r.course_name } : {}),
    ...(r.state ? { state: r.state } : {}),
    ...(r.city ? { city: r.city } : {}),
    ...(r.website ? { website: r.website } : {}),
    ...(r.phone ? { phone: r.phone } : {}),
  }));
  let last: CourseImport | null = null;
  for (let i = 0; i < rows.length || last === null; i += IMPORT_LIMITS.rowsPerBatch) {
    const batch = rows.slice(i, i + IMPORT_LIMITS.rowsPerBatch);
    const isLast = i + IMPORT_LIMITS.rowsPerBatch >= rows.length;
    last = (await store.call("add_course_import_rows", { import_id: importId, rows: batch, last: isLast }, AddRowsResult)).import;
  }
  return last;
}

export async function claimImportRows(store: Store, input: { import_id: string; limit: number; lease_seconds: number }) {
  return store.call("claim_course_import_rows", input, ClaimRowsResult.extend({ claimable: z.number() }));
}

export async function releaseImportRow(store: Store, input: { import_id: string; line: number }): Promise<void> {
  await store.call("unclaim_course_import_row", input, z.object({ unclaimed: z.boolean() }));
}

export async function setImportRowJob(store: Store, input: { import_id: string; line: number; job_id: string }): Promise<string> {
  return (await store.call("set_course_import_row_job", input, z.object({ job_id: z.string(), set: z.boolean() }))).job_id;
}

export async function failImportRow(store: Store, input: { import_id: string; line: number; reason: string }): Promise<boolean> {
  return (await store.call("fail_course_import_row", input, z.object({ failed: z.boolean() }))).failed;
}

export async function loadImport(store: Store, importId: string, opts: { rows: "problems" | "all"; limit?: number }) {
  return store.call("get_course_import", { import_id: importId, rows: opts.rows, ...(opts.limit ? { limit: opts.limit } : {}) }, GetImportResult);
}

export async function listImports(store: Store, limit: number): Promise<CourseImport[]> {
  return (await store.call("list_course_imports", { limit }, z.object({ imports: z.array(CourseImport) }))).imports;
}

export async function finishImport(store: Store, input: { import_id: string; summary_task_id?: string | null }) {
  return store.call("finish_course_import", { import_id: input.import_id, ...(input.summary_task_id ? { summary_task_id: input.summary_task_id } : {}) }, z.object({ import: CourseImport, finished: z.boolean() }));
}
