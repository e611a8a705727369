/** Which rep a lead goes to: the first routing rule (by priority) whose segment and state match. */
import { z } from "zod";
import type { Segment } from "../lib/segment.ts";

/** A routing rule as `get_clickup_context` answers it. */
export const RoutingRuleRow = z.object({ priority: z.number(), segment: z.string().nullable(), state: z.string().nullable(), assignee_clickup_user_id: z.coerce.number() });
export type RoutingRule = z.infer<typeof RoutingRuleRow>;

/** The rule that takes a lead: the first of `rules` (active, by priority) whose segment and state match. */
export function routingRuleFor<R extends Pick<RoutingRule, "segment" | "state">>(rules: R[], segment: Segment | null, state: string): R | null {
  return rules.find((r) => (r.segment === null || r.segment === segment) && (r.state === null || r.state.toUpperCase() === state.toUpperCase())) ?? null;
}

export function assigneeFor(rules: RoutingRule[], segment: Segment | null, state: string): number | null {
  return routingRuleFor(rules, segment, state)?.assignee_clickup_user_id ?? null;
}
