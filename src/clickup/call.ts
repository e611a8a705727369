// The shape of one durable ClickUp call, as the capability code sees it: the Workflow layer
// (src/durable/clickup-steps.ts) makes it a gated, memoized, repeat-safe step.
import type { ClickUpClient } from "./client.ts";

export type ClickUpPriority = "interactive" | "background";

export interface ClickUpCallContext {
  /** An earlier attempt (in this instance or in one the watchdog replaced) may have reached ClickUp: look before creating. */
  retry: boolean;
  /** When the first attempt was about to send (ms epoch): whatever it created is not older than this. */
  intent_at: number;
}

/**
 * Runs `fn` with a client whose `requests` requests are already granted by the token's rate gate.
 * `name` is unique in the run (it names the durable steps). The result must be serializable.
 */
export type ClickUpCall = <T>(
  name: string,
  opts: { priority: ClickUpPriority; requests: number },
  fn: (client: ClickUpClient, ctx: ClickUpCallContext) => Promise<T>,
) => Promise<T>;

/** Requests a retry may add to look for what an earlier attempt created (one page of a list or of comments). */
export const LOOKUP_REQUESTS = 1;

/** ClickUp's task URL (the form its answers carry in `url`). */
export function taskUrl(taskId: string): string {
  return `https://app.clickup.com/t/${encodeURIComponent(taskId)}`;
}
