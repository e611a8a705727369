import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";
import { ALERT_CAUSE_NAMES, type AlertCause, listAlerts } from "../store/alerts.ts";
import { createStore } from "../store/index.ts";

const AlertsQuery = z.object({
  status: z.enum(["open", "closed", "all"]).default("all"),
  cause: z.enum(ALERT_CAUSE_NAMES as [AlertCause, ...AlertCause[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * `GET /api/alerts` (`X-API-Key`): the admin alerts, open ones first (most severe, latest), then the
 * recently closed; `?status=open|closed|all`, `?cause=`, `?limit=` (50, at most 500).
 */
export const alerts = new Hono<HonoEnv>()
  .use("/api/alerts", requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" }))
  .get("/api/alerts", validate("query", AlertsQuery), async (c) => {
    const query = c.req.valid("query");
    const found = await listAlerts(createStore(c.var.config), { status: query.status, limit: query.limit, ...(query.cause ? { cause: query.cause } : {}) });
    return c.json({ open: found.filter((a) => a.status === "open").length, alerts: found });
  });
