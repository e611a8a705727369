import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { toStateCode } from "../lib/us-states.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";

/** A Supabase Database Webhook payload. */
const DatabaseWebhook = z.object({
  type: z.enum(["INSERT", "UPDATE", "DELETE"]),
  table: z.string().min(1),
  schema: z.string().min(1),
  record: z.record(z.string(), z.unknown()).nullable(),
  old_record: z.record(z.string(), z.unknown()).nullable(),
});

const NewCourse = z.looseObject({
  id: z.uuid(),
  course_name: z.string().min(1).max(200),
  state: z.string().min(1),
  status: z.string().optional(),
  source: z.string().nullish(),
});

/** Courses the app inserted itself belong to a run already under way. */
const APP_SOURCES = new Set(["api", "clickup", "cron"]);

/**
 * `POST /webhooks/supabase`: a course inserted in Supabase (manually or by CSV import) is enriched.
 * These webhooks are unsigned and never retried, so the shared secret authenticates them and the
 * course id + event dedupes them.
 */
export const supabaseWebhook = new Hono<HonoEnv>().post(
  "/webhooks/supabase",
  requireSecret({ secret: "SUPABASE_WEBHOOK_SECRET", header: "authorization", scheme: "Bearer" }),
  validate("json", DatabaseWebhook),
  async (c) => {
    const event = c.req.valid("json");
    if (event.schema !== "public" || event.table !== "courses" || event.type !== "INSERT") {
      return c.json({ received: true, action: "ignored", reason: `${event.type} on ${event.schema}.${event.table} needs no action` }, 202);
    }
    const course = NewCourse.safeParse(event.record);
    if (!course.success) {
      c.var.log.warn("supabase_course_insert_unusable", { issues: course.error.issues.map((i) => i.message) });
      return c.json({ received: true, action: "ignored", reason: "record is not a course row (id, course_name, state)" }, 202);
    }
    const { id, course_name, state, status, source } = course.data;
    if (source && APP_SOURCES.has(source)) {
      return c.json({ received: true, action: "ignored", reason: `course was created by the app (${source})` }, 202);
    }
    if (status && status !== "pending_enrichment") {
      return c.json({ received: true, action: "ignored", reason: `course status is ${status}` }, 202);
    }
    const stateCode = toStateCode(state);
    const result = await c.var.coordinators.trigger(id, {
      source: "supabase",
      dedupe_key: `supabase:courses:${id}:INSERT`,
      course: { course_id: id, course_name, ...(stateCode ? { state: stateCode } : {}) },
    });
    return c.json({ received: true, action: result.outcome, job_id: result.job_id }, 202);
  },
);
