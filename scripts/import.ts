/**
 * `npm run import -- courses.csv [--dry-run] [--force] [--url URL] [--no-wait]`
 * `npm run import -- --errors IMPORT_ID [--out FILE]`
 * Imports a CSV of courses through the running app's API (`POST /api/imports`, `X-API-Key:
 * AGENT_API_KEY` from the environment or .dev.vars; locally `npm start -- --sandbox`'s demo key),
 * follows it with a progress bar until every row is done, prints a summary table, and writes the rows
 * that did not import (or whose run failed) beside the file as `<name>.errors.csv`. `--dry-run`
 * validates only (nothing is written to the database); `--force` enriches again courses enriched in
 * the last 30 days. The URL is --url, else APP_URL, else http://127.0.0.1:8787 (npm start).
 * Exit code: 0 when the import finished (even with failed rows), 1 when it could not be sent or followed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { SingleBar, Presets } from "cli-progress";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "dry-run": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    "no-wait": { type: "boolean", default: false },
    errors: { type: "string" },
    out: { type: "string" },
    url: { type: "string" },
    "poll-ms": { type: "string", default: "1000" },
    help: { type: "boolean", default: false },
  },
});
const usage = "usage: npm run import -- courses.csv [--dry-run] [--force] [--no-wait] [--url URL]\n       npm run import -- --errors IMPORT_ID [--out FILE]";
if (flags.help || (positionals.length !== 1 && !flags.errors)) {
  console.log(usage);
  process.exit(flags.help ? 0 : 1);
}

const devVars: Record<string, string | undefined> = existsSync(".dev.vars") ? parseEnv(readFileSync(".dev.vars", "utf8")) : {};
const base = (flags.url ?? process.env.APP_URL ?? devVars.APP_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const loopback = /^https?:\/\/(127\.|localhost|\[::1\])/.test(base);
// `npm start -- --sandbox` serves the API with its demo key (scripts/start.ts): used locally when none is configured.
const apiKey = process.env.AGENT_API_KEY ?? devVars.AGENT_API_KEY ?? (loopback ? "sandbox-agent-key" : undefined);
const pollMs = Math.max(100, Number(flags["poll-ms"]) || 1000);

interface ImportView {
  import_id: string;
  filename: string | null;
  status: string;
  rows: number;
  valid: number;
  invalid: number;
  duplicates: number;
  skipped: number;
  progress: Record<"queued" | "running" | "succeeded" | "partial" | "failed" | "invalid" | "duplicate" | "skipped", number>;
  summary_task_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  done?: boolean;
}

function explain(status: number, text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: { message?: string } }).error;
    return `HTTP ${status}: ${error?.message ?? text}`;
  } catch {
    return `HTTP ${status}: ${text.slice(0, 300)}`;
  }
}

async function request(method: string, path: string, init: { body?: Uint8Array; type?: string } = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": apiKey ?? "", ...(init.type ? { "content-type": init.type } : {}) },
    ...(init.body ? { body: init.body } : {}),
    signal: AbortSignal.timeout(120_000),
  });
  return { status: response.status, text: await response.text() };
}

function errorsFileFor(file: string): string {
  return flags.out ?? join(dirname(file), `${basename(file, extname(file))}.errors.csv`);
}

async function downloadErrors(importId: string, file: string): Promise<number> {
  const { status, text } = await request("GET", `/api/imports/${importId}/errors.csv`);
  if (status !== 200) throw new Error(`could not read the error file: ${explain(status, text)}`);
  const rows = text.trim().split(/\r?\n/).length - 1;
  if (rows > 0) writeFileSync(file, text);
  return rows;
}

async function main(): Promise<number> {
  if (!apiKey) {
    console.error(`AGENT_API_KEY is not set (environment or .dev.vars): ${base} needs it`);
    return 1;
  }
  if (flags.errors) {
    const out = flags.out ?? `${flags.errors}.errors.csv`;
    const rows = await downloadErrors(flags.errors, out);
    console.log(rows ? `${rows} rows written to ${out}` : "no row of that import failed");
    return 0;
  }
  const file = positionals[0]!;
  if (!existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 1;
  }
  const bytes = readFileSync(file);
  const query = new URLSearchParams({ filename: basename(file), source: "cli", ...(flags.force ? { force: "true" } : {}), ...(flags["dry-run"] ? { dry_run: "true" } : {}) });
  const sent = await request("POST", `/api/imports?${query}`, { body: bytes, type: "text/csv" });
  if (sent.status !== 202 && sent.status !== 200) {
    console.error(`the import was refused: ${explain(sent.status, sent.text)}`);
    return 1;
  }
  const accepted = JSON.parse(sent.text) as { import_id: string | null; rows: number; valid: number; invalid: number; duplicates: number; skipped: number | null; problems: { line: number; outcome: string; reason: string; raw: Record<string, string> }[]; columns: string[] };
  console.log(`${basename(file)}: ${accepted.rows} rows: ${accepted.valid} to enrich, ${accepted.invalid} invalid, ${accepted.duplicates} duplicates${accepted.skipped !== null ? `, ${accepted.skipped} skipped (enriched in the last 30 days; --force to run them again)` : ""}`);
  if (flags["dry-run"]) {
    if (accepted.problems.length) {
      const { errorsCsv } = await import("../src/imports/csv.ts");
      const out = errorsFileFor(file);
      writeFileSync(out, errorsCsv(accepted.columns, accepted.problems.map((p) => ({ line: p.line, status: p.outcome, reason: p.reason, raw: p.raw }))));
      console.table(accepted.problems.slice(0, 20).map((p) => ({ line: p.line, outcome: p.outcome, reason: p.reason })));
      console.log(`dry run: nothing was imported; the ${accepted.problems.length} rows that would not import are in ${out}`);
    } else console.log("dry run: every row is valid; nothing was imported");
    return 0;
  }
  const importId = accepted.import_id!;
  console.log(`import ${importId}: ${base}/api/imports/${importId}`);
  if (flags["no-wait"]) return 0;

  const bar = new SingleBar({ format: "{bar} {percentage}% | {value}/{total} rows done | {running} running, {queued} queued | {succeeded} enriched, {failed} failed", hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic);
  const total = Math.max(1, accepted.valid);
  bar.start(total, 0, { running: 0, queued: accepted.valid, succeeded: 0, failed: 0 });
  let view: ImportView;
  let misses = 0;
  for (;;) {
    const got = await request("GET", `/api/imports/${importId}`).catch((error: unknown) => ({ status: 0, text: String(error) }));
    if (got.status !== 200) {
      // The app may be restarting: the import is in its database and goes on; keep asking a while.
      if (++misses > 120) {
        bar.stop();
        console.error(`lost the import's progress: ${explain(got.status, got.text)}; it goes on in the app (npm run import -- --errors ${importId} later)`);
        return 1;
      }
    } else {
      misses = 0;
      view = JSON.parse(got.text) as ImportView;
      const p = view.progress;
      bar.update(p.succeeded + p.partial + p.failed, { running: p.running, queued: p.queued, succeeded: p.succeeded + p.partial, failed: p.failed });
      if (view.done && view.finished_at) break;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  bar.stop();
  const p = view.progress;
  console.table([{ enriched: p.succeeded, partial: p.partial, failed: p.failed, skipped: p.skipped, duplicates: p.duplicate, invalid: p.invalid, status: view.status }]);
  const started = view.started_at ? Date.parse(view.started_at) : NaN;
  const finished = view.finished_at ? Date.parse(view.finished_at) : NaN;
  if (Number.isFinite(started) && Number.isFinite(finished)) console.log(`took ${Math.round((finished - started) / 1000)} s`);
  if (p.failed + p.invalid + p.duplicate + p.skipped > 0) {
    const out = errorsFileFor(file);
    const rows = await downloadErrors(importId, out);
    if (rows) console.log(`${rows} rows that did not import (or whose run failed) are in ${out}, with their line and reason`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
