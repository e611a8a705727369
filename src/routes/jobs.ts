import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { AppError } from "../lib/errors.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";

/** Public job status: the coordinator's `partial` reads as `succeeded` with `partial: true`. */
const PUBLIC_STATUS = { queued: "queued", running: "running", succeeded: "succeeded", partial: "succeeded", failed: "failed" } as const;

/** `GET /api/jobs/:job_id`: a run's status, steps, cost and duration, from its course's coordinator. */
export const jobs = new Hono<HonoEnv>().get(
  "/api/jobs/:job_id",
  requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" }),
  validate("param", z.object({ job_id: z.uuid("job_id must be a UUID") })),
  async (c) => {
    const { job_id } = c.req.valid("param");
    const job = await c.var.coordinators.getJob(job_id);
    if (!job) throw new AppError("NOT_FOUND", `no job ${job_id}`);
    return c.json({ ...job, status: PUBLIC_STATUS[job.status], ...(job.status === "partial" ? { partial: true } : {}) });
  },
);
