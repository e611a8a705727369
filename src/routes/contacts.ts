import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { AppError } from "../lib/errors.ts";
import { requireSecret } from "../middleware/require-secret.ts";
import { validate } from "../middleware/validation.ts";
import { ContactSequences } from "../outreach/sequence-records.ts";
import { createOutreach } from "../services/outreach.ts";
import { createStore } from "../store/index.ts";

const ContactParam = z.object({ contact_id: z.uuid("contact_id must be a UUID") });

/**
 * A contact's outreach, for admins and tools (`X-API-Key`):
 *  - `GET /api/contacts/:contact_id/sequence`: every sequence, email (planned and sent times,
 *    attempts) and event (replies, bounces, stops) with its reason, newest sequence first;
 *  - `POST /api/contacts/:contact_id/sequence/send-now`: the running sequence sends its next email
 *    now instead of at its planned time (the sender's daily cap and spacing still hold).
 */
export const contacts = new Hono<HonoEnv>()
  .use("/api/contacts/*", requireSecret({ secret: "AGENT_API_KEY", header: "x-api-key" }))
  .get("/api/contacts/:contact_id/sequence", validate("param", ContactParam), async (c) => {
    const { contact_id } = c.req.valid("param");
    const found = await createStore(c.var.config).call("get_contact_sequence", { contact_id }, ContactSequences);
    if (!found) throw new AppError("NOT_FOUND", `no contact ${contact_id}`);
    return c.json(found);
  })
  .post("/api/contacts/:contact_id/sequence/send-now", validate("param", ContactParam), async (c) => {
    const { contact_id } = c.req.valid("param");
    const found = await createStore(c.var.config).call("get_contact_sequence", { contact_id }, ContactSequences);
    if (!found) throw new AppError("NOT_FOUND", `no contact ${contact_id}`);
    const active = found.sequences.find((s) => s.status === "active");
    if (!active?.workflow_instance_id) throw new AppError("CONFLICT", `${found.full_name} has no running sequence`);
    const told = await createOutreach(c.env, () => createStore(c.var.config), c.var.log).sendNow(active.workflow_instance_id);
    if (!told) throw new AppError("UNAVAILABLE", "the sequence could not be reached; try again");
    return c.json({ sequence_id: active.id, action: "send_now", next_step: active.current_step + 1 }, 202);
  });
