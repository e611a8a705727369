import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { HonoEnv } from "../app-types.ts";
import { unsubscribePage } from "../outreach/unsubscribe-page.ts";
import { verifyUnsubscribeToken } from "../outreach/unsubscribe-token.ts";
import { createOutreach } from "../services/outreach.ts";
import { createStore } from "../store/index.ts";

/**
 * The unsubscribe link of every email (RFC 8058 one-click). `GET` shows a confirmation page with one
 * button and never unsubscribes by itself (link scanners follow GETs); `POST` — the button, or a mail
 * client's one-click request — unsubscribes at once, with no cookie or login: the token (an HMAC)
 * names the address and the sequence.
 */
export const unsubscribe = new Hono<HonoEnv>()
  .use("/unsubscribe/*", secureHeaders({ referrerPolicy: "no-referrer" }))
  .get("/unsubscribe/:token", async (c) => {
    const secret = c.var.config.env.UNSUBSCRIBE_SIGNING_SECRET;
    const claims = secret ? await verifyUnsubscribeToken(secret, c.req.param("token")) : null;
    if (!claims) return c.html(unsubscribePage({ state: "invalid" }), 404);
    return c.html(unsubscribePage({ state: "confirm", email: claims.email, actionPath: `/unsubscribe/${encodeURIComponent(c.req.param("token"))}` }));
  })
  .post("/unsubscribe/:token", async (c) => {
    const secret = c.var.config.env.UNSUBSCRIBE_SIGNING_SECRET;
    const claims = secret ? await verifyUnsubscribeToken(secret, c.req.param("token")) : null;
    if (!claims) return c.html(unsubscribePage({ state: "invalid" }), 404);
    await createOutreach(c.env, () => createStore(c.var.config), c.var.log).record({
      kind: "unsubscribe",
      // One opt-out per address and sequence: pressing the button twice changes nothing.
      provider_event_id: `unsubscribe:${claims.sequence_id}:${claims.email}`,
      sequence_id: claims.sequence_id,
      email: claims.email,
      detail: { source: "unsubscribe_link" },
    });
    return c.html(unsubscribePage({ state: "done", email: claims.email }));
  });
