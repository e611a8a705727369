// An admin alert as a task in the ClickUp Alerts list: created when the alert opens (assigned to the
// admin), updated with a comment on a reminder, closed with a comment saying when and how long it
// lasted. Every write is a ClickUpCall (gated, durable, safe to repeat).
import { ALERT_CAUSES, type AlertRecord } from "../store/alerts.ts";
import type { ClickUpCall } from "./call.ts";
import type { ClickUpClient } from "./client.ts";
import { taskMadeSince } from "./made-task.ts";
import type { ClickUpSettings } from "./config.ts";
import { escapeMarkdown as md } from "../lib/markdown.ts";
// Comments are plain text (lib/plain-text.ts); the description is markdown.
import { plainLine } from "../lib/plain-text.ts";

type AlertsSettings = NonNullable<ClickUpSettings["alerts"]>;

export function alertTitle(alert: Pick<AlertRecord, "cause" | "severity" | "subject">): string {
  return `[${alert.severity}] ${ALERT_CAUSES[alert.cause].title}: ${alert.subject}`;
}

/** A path link (`/api/jobs/…`) made absolute with the app's URL when there is one. */
export function alertLink(link: string | null, appUrl: string | undefined): string | null {
  if (!link) return null;
  return link.startsWith("/") && appUrl ? `${appUrl.replace(/\/+$/, "")}${link}` : link;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** The task's description (and the email's text): what happened, how often, where to look, what is retried. */
export function alertDescription(alert: AlertRecord, appUrl: string | undefined): string {
  const link = alertLink(alert.link, appUrl);
  const lines = [
    `**${ALERT_CAUSES[alert.cause].title}** (${alert.severity}) — ${md(alert.subject)}`,
    "",
    // Messages quote errors, which can quote a provider's or a page's text: escaped for markdown.
    md(alert.message),
    "",
    `- Occurrences: ${alert.count}`,
    `- First seen: ${alert.first_seen_at}`,
    `- Last seen: ${alert.last_seen_at}`,
    ...(link ? [`- Details: ${link}`] : []),
    ...(alert.retry ? [`- Retry: ${md(alert.retry)}`] : []),
    ...Object.entries(alert.details).map(([k, v]) => `- ${md(k)}: ${md(typeof v === "string" ? v : JSON.stringify(v))}`),
    "",
    alert.status === "open" ? "This task closes itself when the cause clears." : `Cleared ${alert.closed_at ?? ""} after ${formatDuration(alert.duration_seconds)}.`,
  ];
  return lines.join("\n");
}

export function reminderComment(alert: AlertRecord): string {
  return `Still happening: ${alert.count} occurrence${alert.count === 1 ? "" : "s"} since ${alert.first_seen_at}, the last at ${alert.last_seen_at}. ${plainLine(alert.message, 500)}`;
}

export function clearedComment(alert: AlertRecord): string {
  return `Cleared at ${alert.closed_at ?? new Date().toISOString()}${alert.cleared_by ? ` (${alert.cleared_by})` : ""}: it lasted ${formatDuration(alert.duration_seconds)}, ${alert.count} occurrence${alert.count === 1 ? "" : "s"}.`;
}

/** Creates the alert's task; a retried attempt first looks for the task an earlier one made. */
export async function createAlertTask(call: ClickUpCall, settings: AlertsSettings, alert: AlertRecord, appUrl: string | undefined): Promise<string> {
  const name = alertTitle(alert);
  return call(`alert_task_create`, { priority: "background", requests: 1 }, async (client, ctx) => {
    if (ctx.retry) {
      const made = await taskMadeSince(client, settings.list_id, name, ctx.intent_at);
      if (made) return made;
    }
    const task = await client.createTask(settings.list_id, {
      name,
      markdown_content: alertDescription(alert, appUrl),
      status: settings.statuses.open,
      ...(settings.admin_user_id !== null ? { assignees: [settings.admin_user_id] } : {}),
    });
    return task.id;
  });
}

/** A reminder: the description brought up to date and a comment that notifies the assignee. */
export async function remindAlertTask(call: ClickUpCall, taskId: string, alert: AlertRecord, appUrl: string | undefined, appUserId: number): Promise<void> {
  const comment = reminderComment(alert);
  await call(`alert_task_remind`, { priority: "background", requests: 2 }, async (client, ctx) => {
    await client.updateTask(taskId, { markdown_content: alertDescription(alert, appUrl) });
    if (ctx.retry && (await hasComment(client, taskId, comment, appUserId))) return true;
    await client.createTaskComment(taskId, { comment_text: comment, notify_all: true });
    return true;
  });
}

/** The cause cleared: a comment with when and how long, the description updated, the task closed. */
export async function closeAlertTask(call: ClickUpCall, settings: AlertsSettings, taskId: string, alert: AlertRecord, appUrl: string | undefined, appUserId: number): Promise<void> {
  const comment = clearedComment(alert);
  await call(`alert_task_close`, { priority: "background", requests: 2 }, async (client, ctx) => {
    if (!(ctx.retry && (await hasComment(client, taskId, comment, appUserId)))) {
      await client.createTaskComment(taskId, { comment_text: comment, notify_all: true });
    }
    await client.updateTask(taskId, { status: settings.statuses.closed, markdown_content: alertDescription(alert, appUrl) });
    return true;
  });
}

async function hasComment(client: ClickUpClient, taskId: string, text: string, appUserId: number): Promise<boolean> {
  const comments = await client.getTaskComments(taskId);
  return comments.some((c) => c.comment_text === text && (c.user?.id === undefined || c.user.id === appUserId));
}
