// A finished CSV import told to the team in ClickUp: one task in the Intake list (in a status the
// app sets, so nothing takes it for a course to enrich), or a comment on the import's own task when
// the import came from one. Every write is a ClickUpCall (gated, durable, safe to repeat).
import type { CourseImport, ImportRowView } from "../imports/import.types.ts";
import { escapeMarkdown } from "../lib/markdown.ts";
import type { ClickUpCall } from "./call.ts";
import type { ClickUpSettings } from "./config.ts";
import { taskMadeSince } from "./made-task.ts";

/** Rows listed in the task; the rest are in the error file. */
const LISTED_ROWS = 50;

export function importSummaryTitle(imp: CourseImport): string {
  const p = imp.progress;
  return `Import ${imp.filename ?? imp.import_id.slice(0, 8)}: ${p.succeeded} enriched, ${p.partial} partial, ${p.failed} failed, ${p.skipped + p.duplicate} skipped, ${p.invalid} invalid`;
}

/** The summary's text: the counts, the rows that need a look (line, course, why), where the error file is. */
export function importSummaryMarkdown(imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): string {
  const p = imp.progress;
  const base = appUrl ? appUrl.replace(/\/+$/, "") : "";
  const lines = [
    `**CSV import ${escapeMarkdown(imp.filename ?? imp.import_id)}** — ${imp.rows} rows, finished ${imp.finished_at ?? new Date().toISOString()}`,
    "",
    `- Enriched: ${p.succeeded}`,
    `- Partial (some lookups missing): ${p.partial}`,
    `- Failed: ${p.failed}`,
    `- Skipped (enriched in the last 30 days, or twice in the file): ${p.skipped + p.duplicate}`,
    `- Invalid rows (not imported): ${p.invalid}`,
  ];
  if (problems.length) {
    lines.push("", "| line | status | course | why |", "| --- | --- | --- | --- |");
    for (const row of problems.slice(0, LISTED_ROWS)) {
      const course = row.course_name ? `${row.course_name}${row.state ? ` (${row.state})` : ""}` : (Object.entries(row.raw).find(([column]) => /course|name|club/i.test(column))?.[1] ?? "");
      lines.push(`| ${row.line} | ${row.status} | ${cell(course)} | ${cell(row.reason ?? "")} |`);
    }
    if (problems.length > LISTED_ROWS) lines.push("", `…and ${problems.length - LISTED_ROWS} more in the error file.`);
  }
  lines.push(
    "",
    `The error file (every row that did not import or whose run failed, with its line and reason): \`GET ${base}/api/imports/${imp.import_id}/errors.csv\` with the API key, or \`npm run import -- --errors ${imp.import_id}\`.`,
  );
  return lines.join("\n");
}

/** The summary task's id (or the comment's, on the import's own task). */
export async function postImportSummary(call: ClickUpCall, settings: ClickUpSettings, imp: CourseImport, problems: ImportRowView[], appUrl: string | undefined): Promise<string> {
  const text = importSummaryMarkdown(imp, problems, appUrl);
  if (imp.clickup_task_id) {
    const taskId = imp.clickup_task_id;
    return call("import_summary_comment", { priority: "background", requests: 1 }, async (client) => {
      const comment = await client.createTaskComment(taskId, { comment_text: `${importSummaryTitle(imp)}\n\n${text}`, notify_all: true });
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
      markdown_content: text,
      status: clean ? settings.statuses.intake.enriched : settings.statuses.intake.needs_attention,
    });
    return task.id;
  });
}

function cell(text: string): string {
  return escapeMarkdown(text.slice(0, 120));
}
