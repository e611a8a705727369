// A state the app found (A1, from the course's name alone) is kept on the course with its
// confidence: record_course_state_found, and who may call it.
import { describe, expect, it } from "vitest";
import { asRole } from "../../support/database.ts";
import { rpc, useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

async function recordStateFound(payload: Record<string, unknown>, role: "service_role" | "authenticated" = "service_role") {
  const rows = await asRole(database.sql, role, (tx) =>
    tx.unsafe<{ result: Record<string, unknown> }[]>("select public.record_course_state_found(payload => $1::jsonb) as result", [tx.json(payload as never)]),
  );
  return rows[0]!.result;
}

async function failure(payload: Record<string, unknown>, role: "service_role" | "authenticated" = "service_role"): Promise<{ code: string; message: string }> {
  try {
    await recordStateFound(payload, role);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { code: e.code ?? "", message: e.message ?? "" };
  }
  throw new Error("record_course_state_found did not fail");
}

describe("record_course_state_found", () => {
  it("keeps how the state was found on the course; the latest lookup wins; a state the trigger gave has none", async () => {
    const { sql } = database;
    const given = await rpc<{ id: string; state_found?: unknown }>(sql, "upsert_course_for_enrichment", { course_name: "Given State Golf Club", state: "VA", source: "api" });
    const found = await rpc<{ id: string }>(sql, "upsert_course_for_enrichment", { course_name: "Maple Hills Golf Course", state: "MI", source: "clickup", clickup_intake_task_id: "task-1" });
    const first = await recordStateFound({ course_id: found.id, by: "A1", confidence: 8, city: "Jenison", task_id: "task-1", sources: ["https://www.maplehillsgolfmi.com/"], cost_usd: 0.0051 });
    expect(first).toMatchObject({ course_id: found.id, state: "MI", state_found: { by: "A1", confidence: 8, city: "Jenison", task_id: "task-1", sources: ["https://www.maplehillsgolfmi.com/"], cost_usd: 0.0051 } });
    await recordStateFound({ course_id: found.id, by: "A1", confidence: 9, task_id: "task-2" });
    const rows = await sql<{ id: string; state_found: Record<string, unknown> | null }[]>`select id, state_found from courses where id in (${given.id}, ${found.id})`;
    expect(rows.find((r) => r.id === given.id)?.state_found).toBeNull();
    expect(rows.find((r) => r.id === found.id)?.state_found).toMatchObject({ by: "A1", confidence: 9, city: null, task_id: "task-2", sources: [], found_at: expect.any(String) });
  });

  it("refuses a bad payload with the field named, an unknown course, and every role but service_role", async () => {
    const { sql } = database;
    const course = await rpc<{ id: string }>(sql, "upsert_course_for_enrichment", { course_name: "Refusing Golf Club", state: "OH", source: "api" });
    expect(await failure({ course_id: course.id, by: "A1", confidence: 11 })).toMatchObject({ message: expect.stringContaining("confidence") });
    expect(await failure({ course_id: course.id, by: "a rep", confidence: 8 })).toMatchObject({ message: expect.stringContaining("by") });
    expect(await failure({ course_id: "00000000-0000-4000-8000-000000000000", by: "A1", confidence: 8 })).toMatchObject({ code: "P0002" });
    expect(await failure({ course_id: course.id, by: "A1", confidence: 8 }, "authenticated")).toMatchObject({ code: "42501" });
  });
});
