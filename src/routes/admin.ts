import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import type { HonoEnv } from "../app-types.ts";
import { routingRuleFor } from "../clickup/routing.ts";
import { forgetClickUpContext } from "../clickup/run-context.ts";
import {
  accessConfigured,
  type AdminIdentity,
  clearedSessionCookie,
  createSessionToken,
  csrfProblem,
  csrfTokenFor,
  identify,
  sessionCookie,
} from "../dashboard/auth.ts";
import * as T from "../dashboard/dashboard.types.ts";
import { ADMIN_PAGE_HTML, ADMIN_PAGE_JS, ADMIN_PAGE_CSS } from "../dashboard/page.ts";
import { renderTemplatePreview } from "../outreach/template-preview.ts";
import { UPLOT_CSS, UPLOT_JS } from "../dashboard/uplot.generated.ts";
import { secretsEqual } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";
import { validate } from "../middleware/validation.ts";
import { createStore, StoreError } from "../store/index.ts";

type AdminHonoEnv = HonoEnv & { Variables: HonoEnv["Variables"] & { admin: AdminIdentity } };

const PAGE_SECURITY = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/** Every /api/admin/* route but sign-in: an identity (else 401), and a CSRF check on anything that changes state. */
const requireAdmin = createMiddleware<AdminHonoEnv>(async (c, next) => {
  const env = c.var.config.env;
  if (!env.ADMIN_API_KEY && !accessConfigured(env)) {
    throw new AppError("NOT_CONFIGURED", "the admin dashboard is disabled: set ADMIN_API_KEY, or CF_ACCESS_TEAM_DOMAIN and CF_ACCESS_AUD");
  }
  const identity = await identify(env, c.req.raw.headers);
  if (!identity) throw new AppError("UNAUTHORIZED", "sign in to the admin dashboard (Cloudflare Access, or the ADMIN_API_KEY sign-in)");
  if (!["GET", "HEAD"].includes(c.req.method)) {
    const problem = await csrfProblem(identity, c.req.raw);
    if (problem) throw new AppError("FORBIDDEN", problem);
  }
  c.set("admin", identity);
  c.header("cache-control", "no-store");
  await next();
});

const store = (c: { var: HonoEnv["Variables"] }) => createStore(c.var.config);

/** A database refusal of the payload (invalid_parameter_value, no row) is the admin's 400/404, not a 500. */
async function callAdmin<S extends z.ZodType>(c: { var: HonoEnv["Variables"] }, fn: Parameters<ReturnType<typeof createStore>["call"]>[0], payload: unknown, schema: S): Promise<z.output<S>> {
  try {
    return await store(c).call(fn, payload, schema);
  } catch (error) {
    if (error instanceof StoreError && error.sqlState === "22023") throw new AppError("BAD_REQUEST", error.message.replace(/^[a-z_]+: /, ""));
    if (error instanceof StoreError && error.sqlState === "P0002") throw new AppError("NOT_FOUND", error.message.replace(/^[a-z_]+: /, ""));
    throw error;
  }
}

const IdParam = z.object({ id: z.uuid("id must be a UUID") });

/**
 * The admin dashboard: `GET /admin` (the page and its two scripts), `/api/admin/session` (sign in
 * and out), and the JSON the page draws, every route behind `requireAdmin`.
 */
export const admin = new Hono<AdminHonoEnv>()
  .get("/admin", (c) => c.html(ADMIN_PAGE_HTML, 200, PAGE_SECURITY))
  .get("/admin/", (c) => c.redirect("/admin", 301))
  .get("/admin/assets/app.js", (c) => c.body(ADMIN_PAGE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache", ...PAGE_SECURITY }))
  .get("/admin/assets/app.css", (c) => c.body(ADMIN_PAGE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" }))
  .get("/admin/assets/uplot.js", (c) => c.body(UPLOT_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" }))
  .get("/admin/assets/uplot.css", (c) => c.body(UPLOT_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=86400" }))

  // Sign-in with ADMIN_API_KEY: a signed session cookie (HttpOnly, Secure, SameSite=Strict) and the CSRF token for it.
  .post("/api/admin/session", validate("json", T.SignInInput), async (c) => {
    const key = c.var.config.env.ADMIN_API_KEY;
    if (!key) throw new AppError("NOT_CONFIGURED", "ADMIN_API_KEY is not set: sign in through Cloudflare Access");
    // Login CSRF: a sign-in posted from another site is refused too.
    const problem = await csrfProblem(null, c.req.raw);
    if (problem) throw new AppError("FORBIDDEN", problem);
    if (!(await secretsEqual(c.req.valid("json").key, key))) {
      c.var.log.warn("admin_sign_in_refused", {});
      throw new AppError("UNAUTHORIZED", "wrong admin key");
    }
    const token = await createSessionToken(key);
    c.header("set-cookie", sessionCookie(token));
    c.header("cache-control", "no-store");
    c.var.log.info("admin_signed_in", { via: "session" });
    return c.json({ signed_in: true, actor: "admin-key", via: "session", csrf_token: await csrfTokenFor(token) });
  })
  .use("/api/admin/*", requireAdmin)
  .get("/api/admin/session", async (c) => {
    const who = c.var.admin;
    return c.json({ signed_in: true, actor: who.actor, via: who.via, csrf_token: who.credential ? await csrfTokenFor(who.credential) : null });
  })
  .delete("/api/admin/session", (c) => {
    c.header("set-cookie", clearedSessionCookie());
    return c.json({ signed_in: false });
  })

  .get("/api/admin/overview", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_overview", c.req.valid("query"), T.Overview)))
  .get("/api/admin/agents", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_agents", c.req.valid("query"), T.Agents)))
  .get("/api/admin/quality", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_quality", c.req.valid("query"), T.Quality)))
  .get("/api/admin/outreach", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_outreach", c.req.valid("query"), T.OutreachFigures)))
  .get("/api/admin/sync", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_sync", c.req.valid("query"), T.SyncFigures)))
  .get("/api/admin/freshness", validate("query", T.RangeQuery), async (c) => c.json(await callAdmin(c, "admin_freshness", c.req.valid("query"), T.FreshnessFigures)))
  .get("/api/admin/runs", validate("query", T.RunsQuery), async (c) => c.json(await callAdmin(c, "admin_runs", c.req.valid("query"), T.Runs)))
  // One run: its steps and provider calls from the database, and the live job (GET /api/jobs/:id's answer) when its coordinator has it.
  .get("/api/admin/runs/:id", validate("param", IdParam), async (c) => {
    const { id } = c.req.valid("param");
    const { run } = await callAdmin(c, "admin_run", { run_id: id }, T.RunDetail);
    if (!run) throw new AppError("NOT_FOUND", `no run ${id}`);
    const job = await c.var.coordinators.getJob(id).catch((error: unknown) => {
      c.var.log.warn("admin_job_unavailable", { run_id: id, error });
      return null;
    });
    return c.json({ run, job: job ?? null });
  })

  .get("/api/admin/routing-rules", async (c) => c.json(await callAdmin(c, "admin_routing_rules", {}, T.RoutingRules)))
  .post("/api/admin/routing-rules", validate("json", T.RoutingRuleInput), async (c) => {
    const saved = await callAdmin(c, "admin_save_routing_rule", { ...c.req.valid("json"), actor: c.var.admin.actor }, T.SavedRoutingRule);
    forgetClickUpContext(c.var.config);
    c.var.log.info("admin_routing_rule_saved", { rule_id: saved.rule.id, action: saved.action, actor: c.var.admin.actor });
    return c.json(saved, 201);
  })
  .put("/api/admin/routing-rules/:id", validate("param", IdParam), validate("json", T.RoutingRuleInput), async (c) => {
    const saved = await callAdmin(c, "admin_save_routing_rule", { ...c.req.valid("json"), id: c.req.valid("param").id, actor: c.var.admin.actor }, T.SavedRoutingRule);
    forgetClickUpContext(c.var.config);
    c.var.log.info("admin_routing_rule_saved", { rule_id: saved.rule.id, action: saved.action, actor: c.var.admin.actor });
    return c.json(saved);
  })
  .delete("/api/admin/routing-rules/:id", validate("param", IdParam), async (c) => {
    const deleted = await callAdmin(c, "admin_delete_routing_rule", { id: c.req.valid("param").id, actor: c.var.admin.actor }, z.object({ deleted: z.boolean() }));
    if (!deleted.deleted) throw new AppError("NOT_FOUND", `no routing rule ${c.req.valid("param").id}`);
    forgetClickUpContext(c.var.config);
    return c.json(deleted);
  })
  // "Which rule would take this course?": the same matching a run uses (routingRuleFor, over the active rules in order).
  .post("/api/admin/routing-rules/preview", validate("json", T.RoutingPreviewInput), async (c) => {
    const { segment, state } = c.req.valid("json");
    const { rules } = await callAdmin(c, "admin_routing_rules", {}, T.RoutingRules);
    const rule = routingRuleFor(rules.filter((r) => r.active), segment, state);
    return c.json({ segment, state, rule, assignee_clickup_user_id: rule?.assignee_clickup_user_id ?? null });
  })

  .get("/api/admin/templates", async (c) => c.json(await callAdmin(c, "admin_templates", {}, T.Templates)))
  .put("/api/admin/templates/:segment/:step", validate("param", T.TemplateParam), validate("json", T.TemplateInput), async (c) => {
    const saved = await callAdmin(c, "admin_save_template", { ...c.req.valid("param"), ...c.req.valid("json"), actor: c.var.admin.actor }, T.SavedTemplate);
    c.var.log.info("admin_template_saved", { segment: saved.template.segment, step: saved.template.step, action: saved.action, actor: c.var.admin.actor });
    return c.json(saved);
  })
  .post("/api/admin/templates/preview", validate("json", T.TemplatePreviewInput), async (c) => {
    const input = c.req.valid("json");
    const found = await callAdmin(c, "admin_preview_contact", input.contact_id ? { contact_id: input.contact_id } : { segment: input.segment }, T.PreviewContact);
    if (!found.contact) {
      return c.json({ preview: null, contact: null, candidates: found.candidates, message: "No enriched contact to preview with yet: enrich a course first (the preview renders for a real contact)." });
    }
    const { templates } = await callAdmin(c, "admin_templates", {}, T.Templates);
    const first = templates.find((t) => t.segment === input.segment && t.step === 1);
    try {
      const preview = renderTemplatePreview(c.var.config.env, { ...input, firstSubject: first?.subject ?? input.subject }, found.contact, new URL(c.req.url).origin);
      return c.json({ preview, contact: found.contact, candidates: found.candidates });
    } catch (error) {
      throw new AppError("BAD_REQUEST", error instanceof Error ? error.message : String(error));
    }
  });
