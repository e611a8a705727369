/** The shapes of a CSV import: the file's limits, a parsed row, and what the import API answers. */
import { z } from "zod";

export const IMPORT_LIMITS = { maxBytes: 10 * 1024 * 1024, maxRows: 10_000, rowsPerBatch: 1000 } as const;

export type ImportField = "course_name" | "state" | "city" | "website" | "phone";

/** One data row of the file: where it was, what it said, and whether it can be imported. */
export interface ParsedRow {
  /** The row's first line in the file (the header is line 1). */
  line: number;
  /** Every cell by its header name, unknown columns too; never evaluated. */
  raw: Record<string, string>;
  outcome: "valid" | "invalid" | "duplicate";
  reason?: string;
  course_name?: string;
  /** Two-letter code. */
  state?: string;
  city?: string;
  website?: string;
  /** E.164. */
  phone?: string;
}

export interface ParsedImport {
  delimiter: string;
  header: string[];
  columns: Partial<Record<ImportField, number>>;
  rows: ParsedRow[];
  counts: { rows: number; valid: number; invalid: number; duplicates: number };
}

export const ImportRowStatus = z.enum(["invalid", "duplicate", "skipped", "queued", "running", "succeeded", "partial", "failed"]);
export type ImportRowStatus = z.infer<typeof ImportRowStatus>;

const Progress = z.object({
  queued: z.number(), running: z.number(), succeeded: z.number(), partial: z.number(), failed: z.number(),
  invalid: z.number(), duplicate: z.number(), skipped: z.number(),
});

export const CourseImport = z.object({
  import_id: z.uuid(),
  filename: z.string().nullable(),
  source: z.enum(["api", "cli", "clickup"]),
  clickup_task_id: z.string().nullable(),
  force: z.boolean(),
  columns: z.array(z.string()),
  status: z.enum(["receiving", "queued", "running", "succeeded", "partial", "failed"]),
  rows: z.number(),
  valid: z.number(),
  invalid: z.number(),
  duplicates: z.number(),
  skipped: z.number(),
  progress: Progress,
  summary_task_id: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  done: z.boolean().optional(),
});
export type CourseImport = z.infer<typeof CourseImport>;

export const ImportRowView = z.object({
  line: z.number(),
  status: ImportRowStatus,
  reason: z.string().nullable(),
  course_name: z.string().nullable(),
  state: z.string().nullable(),
  course_id: z.string().nullable(),
  job_id: z.string().nullable(),
  raw: z.record(z.string(), z.string()),
});
export type ImportRowView = z.infer<typeof ImportRowView>;

export const GetImportResult = z.object({ import: CourseImport.nullable(), rows: z.array(ImportRowView).optional() });
export const AddRowsResult = z.object({
  rows: z.array(z.object({ line: z.number(), outcome: z.enum(["invalid", "duplicate", "skipped", "admitted"]), reason: z.string().nullable(), course_id: z.string().nullable() })),
  import: CourseImport,
});
export const ClaimRowsResult = z.object({
  rows: z.array(z.object({ line: z.number(), course_id: z.uuid(), course_name: z.string(), state: z.string(), website: z.string().nullable() })),
  waiting: z.number(),
  import: CourseImport,
});
export type ClaimedRow = z.infer<typeof ClaimRowsResult>["rows"][number];

/** One queue message: an import row that holds a run slot, to be handed to its course's coordinator. */
export const ImportRowMessage = z.object({
  import_id: z.uuid(),
  line: z.number().int().min(2),
  course_id: z.uuid(),
  course_name: z.string().min(1).max(200),
  state: z.string().length(2),
  slot_id: z.string().min(1).max(100),
});
export type ImportRowMessage = z.infer<typeof ImportRowMessage>;
