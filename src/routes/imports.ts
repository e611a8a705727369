import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { runSlots } from "../durable/run-slots.ts";
import { errorsCsv, ImportFileError } from "../imports/csv.ts";
import { listImports, loadImport } from "../imports/import-store.ts";
import { IMPORT_LIMITS } from "../imports/import.types.ts";
import { AppError } from "../lib/errors.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";
import { startImport } from "../services/imports.ts";
import { createStore, StoreError } from "../store/index.ts";

/** What browsers, curl and spreadsheet apps send for a .csv file. */
const CSV_TYPES = ["text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "text/tab-separated-values"];
const flag = z.enum(["true", "false", "1", "0"]).optional().transform((v) => v === "true" || v === "1");
const ImportQuery = z.object({
  force: flag,
  dry_run: flag,
  filename: z.string().trim().min(1).max(255).optional(),
  source: z.enum(["api", "cli", "clickup"]).optional(),
  clickup_task_id: z.string().trim().min(1).max(64).optional(),
});
const ImportId = z.object({ import_id: z.uuid("import_id must be a UUID") });

const auth = requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" });

/**
 * `POST /api/imports` (a CSV body, or multipart/form-data with a `file`) → 202 with the counts;
 * `GET /api/imports`, `GET /api/imports/:id` (progress, per-row errors), `GET /api/imports/:id/errors.csv`,
 * `GET /api/admission` (the run slots).
 */
export const imports = new Hono<HonoEnv>()
  .post(
    "/api/imports",
    auth,
    bodyLimit({
      maxSize: IMPORT_LIMITS.maxBytes + 64 * 1024,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `an import takes at most ${IMPORT_LIMITS.maxBytes} bytes (10 MB) or ${IMPORT_LIMITS.maxRows} rows; split the file`, { max_bytes: IMPORT_LIMITS.maxBytes, max_rows: IMPORT_LIMITS.maxRows });
      },
    }),
    validate("query", ImportQuery),
    async (c) => {
      const query = c.req.valid("query");
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let bytes: Uint8Array;
      let filename = query.filename ?? null;
      let force = query.force;
      let dryRun = query.dry_run;
      if (type === "multipart/form-data") {
        const form = await c.req.formData().catch(() => {
          throw new AppError("BAD_REQUEST", "the multipart body could not be read");
        });
        const file = form.get("file");
        if (!file || typeof file === "string") throw new AppError("BAD_REQUEST", 'multipart/form-data needs the CSV in a field named "file"');
        bytes = new Uint8Array(await file.arrayBuffer());
        filename ??= file.name || null;
        force ||= ["true", "1"].includes(String(form.get("force") ?? ""));
        dryRun ||= ["true", "1"].includes(String(form.get("dry_run") ?? ""));
      } else if (CSV_TYPES.includes(type)) {
        bytes = new Uint8Array(await c.req.arrayBuffer());
      } else {
        throw new AppError("UNSUPPORTED_MEDIA_TYPE", `send the CSV as text/csv, or as multipart/form-data with a "file" field (got ${type ? `"${type}"` : "no Content-Type"})`);
      }
      if (bytes.byteLength === 0) throw new AppError("BAD_REQUEST", "the body is empty: send the CSV file");
      try {
        const accepted = await startImport(
          c.env,
          c.var.config,
          { bytes, filename, source: query.source ?? "api", clickup_task_id: query.clickup_task_id, force, dry_run: dryRun },
          c.var.log,
        );
        return c.json(accepted, accepted.dry_run ? 200 : 202);
      } catch (error) {
        if (error instanceof ImportFileError) throw new AppError(error.code, error.message, { max_bytes: IMPORT_LIMITS.maxBytes, max_rows: IMPORT_LIMITS.maxRows });
        if (error instanceof StoreError) throw new AppError(error.retryable ? "UNAVAILABLE" : "BAD_REQUEST", error.retryable ? "the database is unavailable; nothing was imported, retry the request" : error.message);
        throw error;
      }
    },
  )
  .get("/api/imports", auth, async (c) => c.json({ imports: await listImports(createStore(c.var.config), 50) }))
  .get("/api/admission", auth, async (c) => c.json(await runSlots(c.env).stats()))
  .get("/api/imports/:import_id", auth, validate("param", ImportId), validate("query", z.object({ rows: z.enum(["problems", "all"]).optional() })), async (c) => {
    const { import_id } = c.req.valid("param");
    const view = await loadImport(createStore(c.var.config), import_id, { rows: c.req.valid("query").rows ?? "problems", limit: 10_000 });
    if (!view.import) throw new AppError("NOT_FOUND", `no import ${import_id}`);
    return c.json({ ...view.import, rows: view.rows ?? [] });
  })
  .get("/api/imports/:import_id/errors.csv", auth, validate("param", ImportId), async (c) => {
    const { import_id } = c.req.valid("param");
    const view = await loadImport(createStore(c.var.config), import_id, { rows: "problems", limit: 10_000 });
    if (!view.import) throw new AppError("NOT_FOUND", `no import ${import_id}`);
    const rows = view.rows ?? [];
    // The file's own columns, in its order, then any extra cells a row had.
    const header = [...new Set([...view.import.columns, ...rows.flatMap((r) => Object.keys(r.raw))])];
    const name = (view.import.filename ?? import_id).replace(/\.csv$/i, "").replace(/[^\w.-]+/g, "_");
    return c.body(errorsCsv(header, rows), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}.errors.csv"` });
  });
