/** The ClickUp configuration a run works with (settings and routing rules from the database), and its per-isolate cache. */
import { z } from "zod";
import type { AppConfig } from "../env.ts";
import type { Store } from "../store/index.ts";
import { type ClickUpSettings, ClickUpSettings as ClickUpSettingsSchema } from "./config.ts";
import { type RoutingRule, RoutingRuleRow } from "./routing.ts";

export const ClickUpContext = z.object({
  settings: z.unknown().nullable(),
  routing_rules: z.array(RoutingRuleRow),
});

/** The ClickUp configuration a run works with: `settings` null when `npm run clickup:setup` has not run. */
export interface ClickUpRunContext {
  settings: ClickUpSettings | null;
  settings_problem: string | null;
  routing_rules: RoutingRule[];
}

export async function loadClickUpContext(store: Store): Promise<ClickUpRunContext> {
  const context = await store.call("get_clickup_context", {}, ClickUpContext);
  if (context.settings === null) return { settings: null, settings_problem: "ClickUp is not set up: run npm run clickup:setup", routing_rules: context.routing_rules };
  const parsed = ClickUpSettingsSchema.safeParse(context.settings);
  return parsed.success
    ? { settings: parsed.data, settings_problem: null, routing_rules: context.routing_rules }
    : { settings: null, settings_problem: `ClickUp settings are invalid (run npm run clickup:setup): ${parsed.error.issues[0]?.message ?? ""}`, routing_rules: context.routing_rules };
}

const settingsCache = new Map<string, { at: number; value: Promise<ClickUpRunContext> }>();

/**
 * The same, cached per isolate for a minute (one read in flight at a time, shared by every caller):
 * the webhook route needs it on its fast path.
 */
export async function cachedClickUpContext(config: AppConfig, store: () => Store): Promise<ClickUpRunContext | null> {
  const key = config.env.DATABASE_URL ?? config.env.SUPABASE_URL ?? "";
  if (!key) return null;
  const hit = settingsCache.get(key);
  if (hit && Date.now() - hit.at < 60_000) return hit.value;
  const value = loadClickUpContext(store());
  settingsCache.set(key, { at: Date.now(), value });
  value.catch(() => settingsCache.delete(key));
  return value;
}

/** Forgets the cached context, so an admin's routing-rule edit reaches the next lead at once. */
export function forgetClickUpContext(config: AppConfig): void {
  settingsCache.delete(config.env.DATABASE_URL ?? config.env.SUPABASE_URL ?? "");
}
