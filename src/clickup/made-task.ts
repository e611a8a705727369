/** A retried create's first look: the task of that name an earlier attempt made in the list (since its intent, less a minute of clock skew). */
import type { ClickUpClient } from "./client.ts";

export async function taskMadeSince(client: ClickUpClient, listId: string, name: string, since: number): Promise<string | null> {
  const { tasks } = await client.getTasks(listId, { order_by: "created", include_closed: true, date_created_gt: Math.max(0, since - 60_000) });
  return tasks.find((t) => t.name === name)?.id ?? null;
}
