import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { z } from "zod";
import { loadClickUpContext } from "../clickup/run-context.ts";
import { type LeadTaskSnapshot, notSavedComment, type Proposed, proposedCorrections, segmentOf } from "../clickup/corrections.ts";
import type { ApplyCorrectionsParams } from "../clickup/corrections.types.ts";
import { LEAD_FOLDER_NAMES } from "../clickup/config.ts";
import { configFor, type Env } from "../env.ts";
import { createLogger } from "../lib/log.ts";
import { createHunterClient } from "../providers/hunter.ts";
import { createStore } from "../store/index.ts";
import { clickUpSteps } from "./clickup-steps.ts";

const DB_STEP: WorkflowStepConfig = { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" };

const LeadForCorrection = z
  .object({
    contact_id: z.string(),
    course_id: z.string(),
    full_name: z.string(),
    title: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    linkedin_url: z.string().nullable(),
    website: z.string().nullable(),
    segment: z.string().nullable(),
    segment_confidence: z.number().nullable(),
    clickup_synced: z.looseObject({ name: z.string().optional(), fields: z.record(z.string(), z.union([z.string(), z.number()])).optional() }).catch({}),
  })
  .nullable();

const CorrectionResult = z.object({ status: z.string(), applied: z.boolean(), reason: z.string().nullish() });
type CorrectionResult = { status: string; applied: boolean; reason?: string | null };

export type ApplyCorrectionsOutcome = { applied: number; refused: number; skipped: string[]; reason?: string };

/**
 * A rep's edit of a lead task (or one the reconcile job found): the task is read once (through the
 * rate gate), each changed field is validated as the enrichment would, saved with
 * `apply_correction` (rep-owned from then on, audited, idempotent by event, an older change never
 * over a newer one), and whatever was refused is said in one comment on the task. A new email is
 * then verified with Hunter, recorded, never blocking.
 */
export class ApplyCorrections extends WorkflowEntrypoint<Env, ApplyCorrectionsParams> {
  override async run(event: Readonly<WorkflowEvent<ApplyCorrectionsParams>>, step: WorkflowStep): Promise<ApplyCorrectionsOutcome> {
    const input = event.payload;
    const config = configFor(this.env);
    const log = createLogger(config.env.LOG_LEVEL, { component: "apply_corrections", task_id: input.task_id, source: input.source }, config.secrets);
    const call = clickUpSteps({ step, config, env: this.env });
    if (!call) return { applied: 0, refused: 0, skipped: [], reason: "ClickUp is not configured" };
    const clickup = await step.do("clickup_context", DB_STEP, () => loadClickUpContext(createStore(config)));
    const settings = clickup.settings;
    if (!settings) return { applied: 0, refused: 0, skipped: [], reason: clickup.settings_problem ?? "ClickUp is not set up" };
    const priority = input.source === "webhook" ? "interactive" : "background";

    const lead = (await step.do("lead", DB_STEP, async () =>
      (await createStore(config).call("get_lead_for_correction", { task_id: input.task_id }, LeadForCorrection)) as Rpc.Serializable<unknown>,
    )) as z.infer<typeof LeadForCorrection>;
    if (!lead) return { applied: 0, refused: 0, skipped: [], reason: "not a lead task the app knows" };

    let task: LeadTaskSnapshot;
    try {
      task = await call("read_lead_task", { priority, requests: 1 }, async (client) => {
        const read = await client.getTask(input.task_id);
        return {
          name: read.name,
          list_id: String(read.list?.id ?? ""),
          date_updated: Number(read.date_updated ?? 0),
          fields: (read.custom_fields ?? []).map((f) => ({
            id: String(f.id),
            value: f.value ?? null,
            options: ((f.type_config as { options?: { id: string; orderindex: number }[] } | undefined)?.options ?? []).map((o) => ({ id: String(o.id), orderindex: Number(o.orderindex) })),
          })),
        } satisfies LeadTaskSnapshot;
      });
    } catch (error) {
      if (!(error instanceof NonRetryableError)) throw error;
      return { applied: 0, refused: 0, skipped: [], reason: "the task could not be read (deleted?)" };
    }

    const proposals = proposedCorrections({ settings, task, fields: input.fields, synced: lead.clickup_synced, current: lead });
    const occurredAt = new Date(input.occurred_at || task.date_updated || Date.now()).toISOString();
    const refused = proposals.filter((p): p is Extract<Proposed, { ok: false }> => !p.ok);
    let applied = 0;
    const skipped: string[] = [];
    let segmentChanged: string | null = null;
    let emailChanged: string | null = null;
    for (const proposal of proposals) {
      if (!proposal.ok) continue;
      const result = (await step.do(`apply:${proposal.field}`, DB_STEP, async () => {
        const answer = await createStore(config).call(
          "apply_correction",
          {
            task_id: input.task_id,
            field: proposal.field,
            value: proposal.value,
            clickup_user_id: input.clickup_user_id,
            event_id: input.event_id,
            occurred_at: occurredAt,
            source: input.source,
            ...(proposal.synced_key ? { synced_key: proposal.synced_key, synced_value: proposal.synced_value ?? null } : {}),
          },
          CorrectionResult,
        );
        return { status: answer.status, applied: answer.applied, reason: answer.reason ?? null } satisfies CorrectionResult;
      })) as CorrectionResult;
      log.info("correction_recorded", { field: proposal.field, status: result.status });
      if (result.applied) {
        applied++;
        if (proposal.field === "segment") segmentChanged = String(proposal.value);
        if (proposal.field === "email" && proposal.value) emailChanged = String(proposal.value);
      } else skipped.push(`${proposal.field}:${result.status}`);
      if (result.status === "conflict" || result.status === "invalid") refused.push({ field: proposal.field, ok: false, shown: proposal.shown, reason: result.reason ?? (result.status === "conflict" ? "another contact of this course already has that name" : "the database refused it") });
    }

    if (refused.length) {
      await call("correction_refused", { priority, requests: 1 }, async (client) => {
        await client.createTaskComment(input.task_id, { comment_text: notSavedComment(refused), notify_all: true });
        return true;
      });
    }

    const segment = segmentOf(segmentChanged);
    if (segment && settings.lead_lists[segment] !== task.list_id) {
      // ClickUp's v2 API cannot move a task; it can add it to a second list when the workspace has the
      // "Tasks in Multiple Lists" ClickApp (Add Task To List). Try; otherwise say the folder stays.
      const added = await call(`segment_list:${segment}`, { priority: "background", requests: 1 }, async (client) => {
        try {
          await client.addTaskToList(settings.lead_lists[segment], input.task_id);
          return true;
        } catch {
          return false;
        }
      });
      const folder = LEAD_FOLDER_NAMES[segment];
      await call(`segment_note:${segment}`, { priority: "background", requests: 1 }, async (client) => {
        await client.createTaskComment(input.task_id, {
          comment_text: added
            ? `Segment saved as ${folder}: this task is now also in ${folder}/New Leads. Future leads of the course follow it.`
            : `Segment saved as ${folder}; future leads of the course follow it. This task stays in its folder: ClickUp's API cannot move a task (it can add it to a second list only when the "Tasks in Multiple Lists" ClickApp is on).`,
          notify_all: false,
        });
        return true;
      });
    }

    if (emailChanged && config.env.HUNTER_API_KEY) {
      const email = emailChanged;
      // Recorded, not blocking: the rep's address is saved whatever Hunter says.
      await step.do("verify_email", { retries: { limit: 3, delay: "5 seconds", backoff: "exponential" }, timeout: "2 minutes" }, async () => {
        const hunter = createHunterClient({ apiKey: config.env.HUNTER_API_KEY!, baseUrl: config.env.HUNTER_BASE_URL, timeoutMs: config.env.PROVIDER_TIMEOUT_MS, pollDelayMs: config.env.HUNTER_VERIFY_POLL_MS });
        const { value: verdict } = await hunter.verify(email);
        if (verdict.status === "pending") throw new Error("Hunter is still verifying");
        await createStore(config).call("record_email_verification", { contact_id: lead.contact_id, email, status: verdict.status, score: verdict.score }, z.unknown());
        return verdict.status;
      }).catch((error: unknown) => log.warn("correction_email_not_verified", { error }));
    }
    log.info("corrections_done", { applied, refused: refused.length, skipped });
    return { applied, refused: refused.length, skipped };
  }
}
