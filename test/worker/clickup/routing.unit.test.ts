import { describe, expect, it } from "vitest";
import { assigneeFor, type RoutingRule } from "../../../src/clickup/routing.ts";

const rules: RoutingRule[] = [
  { priority: 10, segment: "high-end", state: "VA", assignee_clickup_user_id: 1 },
  { priority: 20, segment: "high-end", state: null, assignee_clickup_user_id: 2 },
  { priority: 30, segment: null, state: "TX", assignee_clickup_user_id: 3 },
];

describe("lead routing rules (unit)", () => {
  it("the first matching rule by priority picks the assignee; no match → no assignee", () => {
    expect(assigneeFor(rules, "high-end", "VA")).toBe(1);
    expect(assigneeFor(rules, "high-end", "va")).toBe(1);
    expect(assigneeFor(rules, "high-end", "NC")).toBe(2);
    expect(assigneeFor(rules, "budget", "TX")).toBe(3);
    expect(assigneeFor(rules, "budget", "NC")).toBeNull();
    expect(assigneeFor([], "both", "VA")).toBeNull();
  });
});
