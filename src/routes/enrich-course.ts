import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { callbackUrlProblem } from "../lib/callback-url.ts";
import { AppError } from "../lib/errors.ts";
import { toStateCode } from "../lib/us-states.ts";
import type { AppConfig } from "../env.ts";
import { createStore, StoreError } from "../store/index.ts";
import { CourseRecord } from "../store/records.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";

const EnrichCourseRequest = z.object({
  course_name: z.string().trim().min(1, "course_name is required").max(200),
  state: z
    .string()
    .trim()
    .transform((value, ctx) => {
      const code = toStateCode(value);
      if (!code) ctx.addIssue({ code: "custom", message: `"${value}" is not a US state name or two-letter code` });
      return code ?? value;
    }),
  course_id: z.uuid().optional(),
  callback_url: z.string().max(2048).optional(),
});

const IdempotencyKey = z.string().trim().min(1).max(200);

/**
 * `POST /api/enrich-course` → 202 `{job_id, status: "processing"}`. A repeated request for a course
 * with a run in flight gets that run's job id; an `Idempotency-Key` makes retries of one request safe.
 */
export const enrichCourse = new Hono<HonoEnv>().post(
  "/api/enrich-course",
  requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" }),
  validate("json", EnrichCourseRequest),
  async (c) => {
    const body = c.req.valid("json");
    if (body.callback_url) {
      // An unsigned callback could be forged by anyone who knows the URL: refuse it now rather than drop it later.
      if (!c.var.config.env.CALLBACK_SIGNING_SECRET) throw new AppError("NOT_CONFIGURED", "callbacks are disabled: CALLBACK_SIGNING_SECRET is not set (nothing was started; retry without callback_url, or ask an admin to set it)");
      const problem = callbackUrlProblem(body.callback_url, c.var.config.env);
      if (problem) throw new AppError("BAD_REQUEST", problem, [{ path: "callback_url", message: problem, code: "invalid_callback_url" }]);
    }
    const idempotencyHeader = c.req.header("idempotency-key");
    let idempotencyKey: string | undefined;
    if (idempotencyHeader !== undefined) {
      const parsed = IdempotencyKey.safeParse(idempotencyHeader);
      if (!parsed.success) throw new AppError("BAD_REQUEST", "Idempotency-Key must be 1 to 200 characters");
      idempotencyKey = parsed.data;
    }
    // One coordinator per course: the request is resolved to the course's id first, whatever it named.
    const course = await resolveCourse(c.var.config, { course_id: body.course_id, course_name: body.course_name, state: body.state });
    const result = await c.var.coordinators.trigger(course.id, {
      source: "api",
      ...(idempotencyKey ? { dedupe_key: `api:${idempotencyKey}` } : {}),
      course: { course_id: course.id, course_name: course.course_name, state: course.state },
      ...(body.callback_url ? { callback_url: body.callback_url } : {}),
    });
    c.var.log.info("enrich_course_requested", { course_name: body.course_name, job_id: result.job_id, outcome: result.outcome });
    return c.json({ job_id: result.job_id, status: "processing" as const, outcome: result.outcome }, 202);
  },
);

/** The course row a request names (found by id, or by name and state; created when new). */
async function resolveCourse(config: AppConfig, ref: { course_id: string | undefined; course_name: string; state: string }): Promise<CourseRecord> {
  try {
    return await createStore(config).call("upsert_course_for_enrichment", { ...ref, source: "api" }, CourseRecord);
  } catch (error) {
    if (error instanceof StoreError && !error.retryable) throw new AppError("BAD_REQUEST", error.message);
    if (error instanceof StoreError) throw new AppError("UNAVAILABLE", "the database is unavailable; nothing was started, retry the request");
    throw error;
  }
}
