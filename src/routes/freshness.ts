import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { AppError } from "../lib/errors.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { parseJsonBytes, validate } from "../middleware/validation.ts";
import { createFreshness } from "../services/freshness.ts";
import { createStore } from "../store/index.ts";

/** An empty body is the default selection: every active contact not verified in FRESHNESS_OLDER_THAN_DAYS days. */
const SweepBody = z
  .object({
    older_than_days: z.number().int("older_than_days must be a whole number").min(0, "older_than_days must be 0 or more").max(3650).optional(),
    course_id: z.uuid("course_id must be a UUID").optional(),
    contact_id: z.uuid("contact_id must be a UUID").optional(),
    /** A lower cap for this sweep (never above FRESHNESS_SPEND_CAP_USD). */
    spend_cap_usd: z.number().min(0, "spend_cap_usd must be 0 or more").optional(),
  })
  .strict();
const SweepParam = z.object({ sweep_id: z.uuid("sweep_id must be a UUID") });

/**
 * Agent 8's sweeps, for admins and tools (`X-API-Key`):
 *  - `POST /api/freshness/sweeps`: starts one now (`older_than_days: 0` checks everyone);
 *  - `GET /api/freshness/sweeps/:sweep_id`: its counts so far and each contact's outcome;
 *  - `POST /api/freshness/sweeps/:sweep_id/resume`: a sweep whose workflow was killed goes on.
 */
export const freshness = new Hono<HonoEnv>()
  .use("/api/freshness/*", requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" }))
  .post("/api/freshness/sweeps", async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const body = bytes.byteLength === 0 ? {} : parseJsonBytes(bytes, SweepBody);
    const service = createFreshness(c.env, c.var.config, () => createStore(c.var.config), c.var.log);
    const { sweep } = await service.start({ trigger: "api", ...body });
    return c.json({ sweep_id: sweep.id, status: sweep.status, workflow_instance_id: sweep.workflow_instance_id, older_than_days: sweep.older_than_days, spend_cap_usd: sweep.spend_cap_usd, course_id: sweep.course_id, contact_id: sweep.contact_id }, 202);
  })
  .get("/api/freshness/sweeps/:sweep_id", validate("param", SweepParam), async (c) => {
    const { sweep_id } = c.req.valid("param");
    const found = await createFreshness(c.env, c.var.config, () => createStore(c.var.config), c.var.log).get(sweep_id);
    if (!found) throw new AppError("NOT_FOUND", `no freshness sweep ${sweep_id}`);
    return c.json({ ...found.sweep, checks: found.checks });
  })
  .post("/api/freshness/sweeps/:sweep_id/resume", validate("param", SweepParam), async (c) => {
    const { sweep_id } = c.req.valid("param");
    const sweep = await createFreshness(c.env, c.var.config, () => createStore(c.var.config), c.var.log).resume(sweep_id);
    return c.json({ sweep_id: sweep.id, status: sweep.status, workflow_instance_id: sweep.workflow_instance_id }, 202);
  });
