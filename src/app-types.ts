import type { AppConfig, Env } from "./env.ts";
import type { Logger } from "./lib/log.ts";
import type { ClickUpRunContext } from "./clickup/run-context.ts";
import type { WebhookSettings } from "./clickup/webhook-secret.ts";
import type { Coordinators } from "./services/coordinators.ts";

/** Hono generics shared by every sub-app: bindings plus the services injected by middleware. */
export interface HonoEnv {
  Bindings: Env;
  Variables: {
    config: AppConfig;
    log: Logger;
    requestId: string;
    coordinators: Coordinators;
    /** The ClickUp settings and routing rules from the database (cached per isolate); null without a database. */
    clickupContext: () => Promise<ClickUpRunContext | null>;
    /** The stored ClickUp settings as the webhook's signature check read them (bounded; `unavailable` when the read failed). */
    clickupWebhookSettings: WebhookSettings;
    /** The exact request bytes, kept by middleware that must verify a signature over them. */
    rawBody: Uint8Array;
  };
}
