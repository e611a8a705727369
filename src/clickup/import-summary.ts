// A finished CSV import told to the team in ClickUp: one task in the Intake list (in a status the
// app sets, so nothing takes it for a course to enrich), or a comment on the import's own task when
// the import came from one. Every write is a ClickUpCall (gated, durable, safe to repeat).
import type { CourseImport, ImportRowView } from "../imports/import.types.ts";
import { escapeMarkdown } from "../lib/markdown.ts";
import { plainLine } from "../lib/plain-text.ts";
import type { ClickUpCall } from "./call.ts";
import type { ClickUpSettings } from "./config.ts";
import { taskMadeSince } from "./made-task.ts";

/** Rows listed in the task; the rest are in the error file. */
const LISTED_ROWS = 50;

export function importSummaryTitle(imp: CourseImport): string {
  const p = imp.progress;
  return `Import ${imp.filename ?? imp.import_id.slice(0, 8)}: ${p.succeeded} enriched, ${p.partial} partial, ${p.failed} failed, ${p.skipped + p.duplicate} skipped, ${p.invalid} invalid`;
}

/** What the summary says, before it is written as markdown (a task) or plain text (a comment). */
interface SummaryContent {
  heading: string;
  counts: string[];
  rows: { line: number; status: string; course: string; why: string }[];
  more: number;
  errorFile: { url: string; command: string };
}

function summaryContent(imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): SummaryContent {
  const p = imp.progress;
  const base = appUrl ? appUrl.replace(/\/+$/, "") : "";
  return {
    heading: `CSV import ${imp.filename ?? imp.import_id} — ${imp.rows} rows, finished ${imp.finished_at ?? new Date().toISOString()}`,
    counts: [
      `Enriched: ${p.succeeded}`,
      `Partial (some lookups missing): ${p.partial}`,
      `Failed: ${p.failed}`,
      `Skipped (enriched in the last 30 days, or twice in the file): ${p.skipped + p.duplicate}`,
      `Invalid rows (not imported): ${p.invalid}`,
    ],
    rows: problems.slice(0, LISTED_ROWS).map((row) => ({
      line: row.line,
      status: row.status,
      course: row.course_name ? `${row.course_name}${row.state ? ` (${row.state})` : ""}` : (Object.entries(row.raw).find(([column]) => /course|name|club/i.test(column))?.[1] ?? ""),
      why: row.reason ?? "",
    })),
    more: Math.max(0, problems.length - LISTED_ROWS),
    errorFile: { url: `GET ${base}/api/imports/${imp.import_id}/errors.csv`, command: `npm run import -- --errors ${imp.import_id}` },
  };
}

const ERROR_FILE = "The error file (every row that did not import or whose run failed, with its line and reason):";

/** The summary task's description: the counts, the rows that need a look (line, course, why), where the error file is. */
export function importSummaryMarkdown(imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): string {
  const c = summaryContent(imp, problems, appUrl);
  const lines = [`**${escapeMarkdown(c.heading)}**`, "", ...c.counts.map((count) => `- ${count}`)];
  if (c.rows.length) {
    lines.push("", "| line | status | course | why |", "| --- | --- | --- | --- |");
    for (const row of c.rows) lines.push(`| ${row.line} | ${row.status} | ${cell(row.course)} | ${cell(row.why)} |`);
    if (c.more) lines.push("", `…and ${c.more} more in the error file.`);
  }
  lines.push("", `${ERROR_FILE} \`${c.errorFile.url}\` with the API key, or \`${c.errorFile.command}\`.`);
  return lines.join("\n");
}

/** The same summary as a comment on the import's own task: plain text (a comment does not render markdown). */
export function importSummaryComment(imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): string {
  const c = summaryContent(imp, problems, appUrl);
  const lines = [importSummaryTitle(imp), "", plainLine(c.heading), ...c.counts];
  if (c.rows.length) {
    lines.push("", "Rows that need a look:");
    for (const row of c.rows) lines.push(`Line ${row.line} (${row.status}): ${plainLine(row.course, 120) || "no course name"}${row.why ? ` — ${plainLine(row.why, 200)}` : ""}`);
    if (c.more) lines.push(`…and ${c.more} more in the error file.`);
  }
  lines.push("", `${ERROR_FILE} ${c.errorFile.url} with the API key, or ${c.errorFile.command}.`);
  return lines.join("\n");
}

/** The summary task's id (or the comment's, on the import's own task). */
export async function postImportSummary(call: ClickUpCall, settings: ClickUpSettings, imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): Promise<string> {
  if (imp.clickup_task_id) {
    const taskId = imp.clickup_task_id;
    const text = importSummaryComment(imp, problems, appUrl);
    return call("import_summary_comment", { priority: "background", requests: 1 }, async (client) => {
      const comment = await client.createTaskComment(taskId, { comment_text: text, notify_all: true });
      return String(comment.id);
    });
  }
  const name = importSummaryTitle(imp);
  const clean = imp.progress.failed + imp.progress.invalid === 0;
  return call("import_summary_task", { priority: "background", requests: 1 }, async (client, ctx) => {
    if (ctx.retry) {
      const made = await taskMadeSince(client, settings.intake_list_id, name, ctx.intent_at);
      if (made) return made;
    }
    const task = await client.createTask(settings.intake_list_id, {
      name,
      markdown_content: importSummaryMarkdown(imp, problems, appUrl),
      status: clean ? settings.statuses.intake.enriched : settings.statuses.intake.needs_attention,
    });
    return task.id;
  });
}

function cell(text: string): string {
  return escapeMarkdown(text.slice(0, 120));
}
