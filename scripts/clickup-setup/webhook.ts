/** clickup:setup, the webhook on the space (matched by endpoint; created, or its events and status mended). */
import type { ClickUpAdminClient } from "../../src/clickup/admin-client.ts";
import { WEBHOOK_EVENTS, WEBHOOK_PATH } from "../../src/clickup/config.ts";
import type { Provisioned, SetupContext } from "./setup.types.ts";
import type { Workspace } from "./workspace.ts";

export async function provisionWebhook(client: ClickUpAdminClient, ctx: SetupContext, { team, space, spaceLabel }: Workspace): Promise<Provisioned["webhook"]> {
  const { env, report, read, write, step } = ctx;
  // The webhook on the space, matched by endpoint.
  let webhook: Provisioned["webhook"] = null;
  const appUrl = env.APP_URL?.trim();
  const appUrlOk = appUrl !== undefined && URL.canParse(appUrl) && /^https?:$/.test(new URL(appUrl).protocol);
  if (!appUrlOk) {
    step({
      kind: "app_url",
      where: "environment",
      instruction: appUrl
        ? `APP_URL "${appUrl}" is not an http(s) URL: set it to the deployed Worker's URL (e.g. https://golf-outreach.<account>.workers.dev) and run setup again.`
        : `Set APP_URL to the deployed Worker's URL (e.g. https://golf-outreach.<account>.workers.dev, in the environment or .dev.vars) and run setup again: the webhook posts to <APP_URL>${WEBHOOK_PATH}.`,
    });
  } else {
    const endpoint = `${appUrl.replace(/\/+$/, "")}${WEBHOOK_PATH}`;
    if (new URL(endpoint).protocol !== "https:" && !/^(127\.|localhost$|\[::1\]$)/.test(new URL(endpoint).hostname)) {
      report.warnings.push(`the webhook endpoint ${endpoint} is not https`);
    }
    const hooks = await read(() => client.getWebhooks(team.id));
    const sameEndpoint = hooks.filter((h) => h.endpoint.replace(/\/+$/, "") === endpoint);
    const existing = sameEndpoint.find((h) => h.space_id === space.id && !h.list_id && !h.folder_id && !h.task_id);
    for (const other of sameEndpoint.filter((h) => h !== existing)) {
      report.warnings.push(`webhook ${other.id} also posts to ${endpoint} (from another location): delete it if it is stale, or the app may receive events twice`);
    }
    if (existing) {
      const events = existing.events.includes("*") ? ["*"] : [...new Set([...existing.events, ...WEBHOOK_EVENTS])];
      const needsEvents = !existing.events.includes("*") && WEBHOOK_EVENTS.some((e) => !existing.events.includes(e));
      const inactive = existing.health !== undefined && existing.health.status !== "active";
      let current = { id: existing.id, endpoint: existing.endpoint, events: existing.events, secret: existing.secret ?? null };
      if (needsEvents || inactive) {
        const updated = await write(() => client.updateWebhook(existing.id, { endpoint, events: events.join(","), status: "active" }));
        current = { id: updated.webhook.id, endpoint: updated.webhook.endpoint, events: updated.webhook.events, secret: updated.webhook.secret ?? current.secret };
        report.updated.push(`webhook ${existing.id}: ${[needsEvents ? `events ${events.join(", ")}` : "", inactive ? `reactivated (was ${existing.health?.status})` : ""].filter(Boolean).join("; ")}`);
      }
      webhook = current;
    } else {
      const created = await write(() => client.createWebhook(team.id, { endpoint, events: [...WEBHOOK_EVENTS], space_id: Number(space.id) }));
      webhook = { id: created.webhook.id || created.id, endpoint: created.webhook.endpoint, events: created.webhook.events, secret: created.webhook.secret };
      report.created.push(`webhook ${webhook.id} on ${spaceLabel} → ${endpoint} (${WEBHOOK_EVENTS.join(", ")})`);
    }
    if (webhook.secret) ctx.secrets.push(webhook.secret);
    else {
      step({ kind: "webhook", where: `webhook ${webhook.id}`, instruction: `ClickUp did not return the secret of webhook ${webhook.id}: delete it (DELETE /api/v2/webhook/${webhook.id}) and run setup again to create a new one.` });
    }
  }
  return webhook;
}
