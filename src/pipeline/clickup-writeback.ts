/** A run's result written to ClickUp (lead tasks, suggestions, the intake tasks), and a failed run told to the rep. */
import type { CourseIntel } from "../agents/a6-course-intel.ts";
import type { LeadSynced } from "../clickup/clickup-sync.ts";
import { assigneeFor } from "../clickup/routing.ts";
import { type LeadContact, type LeadCourse, type LeadIntel, segmentInWords } from "../clickup/lead-content.ts";
import { lookupsInWords, problemOfFailure, repMessage } from "../clickup/rep-messages.ts";
import { intakeSummaryOf, writeIntakeOutcome, writeLeadTasks } from "../clickup/write-back.ts";
import type { JobAudience } from "./jobs.types.ts";
import { personKey, personStepKey } from "../lib/person-key.ts";
import { plainLine } from "../lib/plain-text.ts";
import { SEGMENTS } from "../lib/segment.ts";
import type { ApplyEnrichmentResult, CourseRecord } from "../store/records.ts";
import { z } from "zod";
import { type PipelineRuntime, CLICKUP_NOT_SET_UP, PIPELINE_STEPS } from "./pipeline.types.ts";
import type { ApplyPayload } from "./apply-payload.ts";

const RecordedTasks = z.object({ recorded: z.number() });

const SUGGESTED_LABEL: Record<string, string> = { email: "Email", phone: "Phone", linkedin: "LinkedIn URL", title: "title", segment: "Segment", confidence: "Confidence", website: "Website" };

/** One comment per lead task whose rep-owned fields the run would have changed: what it found, kept as a suggestion. */
export function suggestionNotes(suggestions: ApplyEnrichmentResult["suggestions"], taskOf: Map<string, string>): { task_id: string; text: string }[] {
  const byTask = new Map<string, string[]>();
  for (const s of suggestions) {
    const targets = s.entity === "contact" ? [taskOf.get(s.contact_id ?? "")] : [...taskOf.values()];
    for (const task of targets) {
      if (!task) continue;
      const line = `- ${SUGGESTED_LABEL[s.field] ?? s.field}: the enrichment found "${plainLine(s.suggested === null ? "" : String(s.suggested), 300)}"; your "${s.kept ? plainLine(String(s.kept), 300) : "(empty)"}" is kept.`;
      byTask.set(task, [...(byTask.get(task) ?? []), line]);
    }
  }
  return [...byTask].map(([task_id, lines]) => ({ task_id, text: `The latest enrichment did not change what a rep corrected here:\n${lines.join("\n")}\nChange the field yourself if the new value is right.` }));
}

/**
 * ClickUp, after the database has the result: one lead task per contact in its segment's "New Leads"
 * list (created once, then only changed fields updated), their ids recorded in one database call,
 * then each intake task that asked for the course written back (one update, one comment).
 * Returns why the write-back is incomplete (the run is then `partial`), or null.
 */
export async function writeToClickUp(
  rt: PipelineRuntime,
  course: CourseRecord,
  payload: ApplyPayload,
  applied: ApplyEnrichmentResult,
  intel: (CourseIntel & { model: string }) | null,
  status: "succeeded" | "partial",
  audience: JobAudience,
): Promise<string | null> {
  const call = rt.clickup;
  if (!call) return null;
  const settings = rt.clickupContext?.settings;
  if (!settings) return `${CLICKUP_NOT_SET_UP}: ${rt.clickupContext?.settings_problem ?? "run npm run clickup:setup"}`;
  // A field a rep corrected keeps the rep's value in the database: ClickUp is written with it too.
  const kept = (entity: "contact" | "course", field: string, contactId: string | null = null) =>
    applied.suggestions.find((s) => s.entity === entity && s.field === field && (entity === "course" || s.contact_id === contactId));
  const keptText = (entity: "contact" | "course", field: string, fallback: string | null, contactId: string | null = null): string | null => {
    const k = kept(entity, field, contactId);
    return k ? (k.kept === null ? null : String(k.kept)) : fallback;
  };
  const leadCourse: LeadCourse = {
    course_name: course.course_name,
    state: course.state,
    website: keptText("course", "website", payload.course.website),
    water_hazard_count: payload.course.water_hazard_count,
    water_hazard_confidence: payload.course.water_hazard_confidence,
  };
  const keptSegment = kept("course", "segment")?.kept;
  const keptConfidence = kept("course", "confidence")?.kept;
  const leadIntel: LeadIntel | null = intel
    ? {
        segment: (SEGMENTS as readonly unknown[]).includes(keptSegment) ? (keptSegment as LeadIntel["segment"]) : intel.segment,
        segment_confidence: typeof keptConfidence === "number" ? keptConfidence : intel.segment_confidence,
        segment_reasoning: intel.segment_reasoning, opportunities: intel.opportunities, conversation_starters: intel.conversation_starters, summary: intel.summary,
      }
    : null;
  const assignee = assigneeFor(rt.clickupContext?.routing_rules ?? [], leadIntel?.segment ?? null, course.state);
  // Results are paired with what was sent by the person's key, never by position.
  const sent = new Map(payload.contacts.map((c) => [personKey(c.name), c]));
  const saved = applied.contacts.flatMap((row) => {
    const data = sent.get(row.name_key ?? personKey(row.name));
    return data ? [{ row, data }] : [];
  });
  const intakeTasks = [...new Set([rt.params.course.clickup_task_id, ...audience.intake_task_ids].filter((t): t is string => !!t))];

  try {
    const results = await writeLeadTasks(call, {
      settings, course: leadCourse, intel: leadIntel, assignee,
      // A rep's intake task asked for the course: the rep is waiting for these leads.
      priority: intakeTasks.length > 0 ? "interactive" : "background",
      leads: saved.map(({ row, data }) => ({
        contact_id: row.id,
        key: personStepKey(data.name),
        existing_task_id: row.clickup_task_id ?? null,
        synced: (row.clickup_synced ?? {}) as LeadSynced,
        contact: {
          name: data.name, title: keptText("contact", "title", data.title, row.id) ?? "", email: keptText("contact", "email", data.email, row.id), email_status: data.email_status,
          phone: keptText("contact", "phone", data.phone, row.id), phone_source: data.phone_source,
          linkedin_url: keptText("contact", "linkedin", data.linkedin_url, row.id), tenure_years: data.tenure_years, previous_clubs: data.previous_clubs, sources: data.sources.background,
        } satisfies LeadContact,
      })),
    });
    const changed = results.filter((r) => r.action !== "unchanged");
    const recording = changed.length
      ? rt.step(PIPELINE_STEPS.clickupRecordTasks, () =>
          rt.store().call("record_clickup_tasks", { contacts: changed.map((r) => ({ contact_id: r.contact_id, clickup_task_id: r.task_id, synced: r.synced })) }, RecordedTasks),
        )
      : Promise.resolve(null);
    const taskOf = new Map(results.map((r) => [r.contact_id, r.task_id]));
    const suggesting = suggestionNotes(applied.suggestions, taskOf);
    const summary = intakeSummaryOf({
      course: leadCourse,
      intel: leadIntel,
      status,
      contacts: saved.map(({ row, data }) => ({ name: row.name, title: row.title ?? data.title, email: data.email, task_id: taskOf.get(row.id) ?? null })),
    });
    const found = saved.length;
    const outcome =
      status === "succeeded"
        ? `Enriched ${course.course_name}: ${found} contact${found === 1 ? "" : "s"}${leadIntel ? `, ${segmentInWords(leadIntel, false)}` : ""}. Lead tasks are in New Leads.`
        : `Enriched ${course.course_name} with gaps: ${found} contact${found === 1 ? "" : "s"}, some lookups did not complete (${lookupsInWords(rt.ledger.incomplete.map((c) => c.agent))}).`;
    await Promise.all([
      recording,
      ...suggesting.map((note) =>
        call(`clickup_suggestion:${note.task_id}`, { priority: "background", requests: 1 }, async (client) => {
          await client.createTaskComment(note.task_id, { comment_text: note.text, notify_all: false });
          return true;
        }),
      ),
      ...intakeTasks.map((taskId, i) =>
        writeIntakeOutcome(call, settings, {
          name: i === 0 ? "clickup_intake_done" : `clickup_intake_done:${taskId}`,
          task_id: taskId,
          status: status === "succeeded" ? "enriched" : "needs_attention",
          summary,
          comment: i === 0 ? outcome : `${outcome} Another intake task asked for the same course: this one is linked to the same ${found} lead task${found === 1 ? "" : "s"}.`,
        }),
      ),
    ]);
    return null;
  } catch (error) {
    const reason = `ClickUp write-back failed: ${error instanceof Error ? error.message : String(error)}`;
    rt.log.error("clickup_writeback_failed", { alert: "admin", course_id: course.id, error: reason });
    // Tell the rep on the intake task, when ClickUp lets us; the next run (or the reconcile job) finishes the write-back.
    for (const taskId of intakeTasks) {
      try {
        await writeIntakeOutcome(call, settings, {
          name: `clickup_intake_problem:${taskId}`,
          task_id: taskId,
          status: "needs_attention",
          comment: `${course.course_name} was enriched and saved, but writing its lead tasks to ClickUp did not finish. The next run finishes it.`,
        });
      } catch (alertError) {
        rt.log.error("clickup_alert_failed", { task_id: taskId, error: alertError });
      }
    }
    return reason;
  }
}

/**
 * A failed run on every intake task that asked for the course: status "needs attention" and a plain
 * comment for the rep (what went wrong, what to type instead). The technical reason stays in the
 * log, the job and the database. Without settings (not set up, or the database is down) the status
 * names are the ones setup requires.
 */
export async function reportFailureToClickUp(rt: PipelineRuntime, error: unknown): Promise<void> {
  const call = rt.clickup;
  const intakeTaskId = rt.params.course.clickup_task_id;
  if (!call || !intakeTaskId) return;
  const settings = rt.clickupContext?.settings ?? null;
  const { course_name = null, state = null } = rt.params.course;
  let problem = problemOfFailure(error, { course_name, state });
  // No website or staff because the spend cap stopped the lookups is the cap's doing.
  if ((problem.kind === "no_website" || problem.kind === "no_staff") && rt.ledger.incomplete.some((c) => c.status === "skipped")) {
    problem = { kind: "spend_cap", course_name: problem.course_name };
  }
  const comment = repMessage(problem);
  rt.log.info("clickup_intake_failure_told", { problem: problem.kind });
  const audience = await rt.audience().catch(() => ({ callback_urls: [], intake_task_ids: [] }) satisfies JobAudience);
  for (const taskId of new Set([intakeTaskId, ...audience.intake_task_ids])) {
    // One task ClickUp refuses (deleted meanwhile) must not keep the others from being told.
    await writeIntakeOutcome(call, settings, { name: `clickup_intake_failed:${taskId}`, task_id: taskId, status: "needs_attention", comment }).catch((alertError: unknown) =>
      rt.log.error("clickup_alert_failed", { alert: "admin", task_id: taskId, error: alertError }),
    );
  }
}
