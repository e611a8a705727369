// Model output guards recorded on the run (migrations/20261202000600_output_guards.sql):
// apply_enrichment and fail_enrichment_run store payload.guards on enrichment_runs.guards in the
// same transaction, validate them, and a repeat stays the no-op it was.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { rpc, rpcError, type JsonObject, useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

let n = 0;
async function newCourse(): Promise<string> {
  n += 1;
  const row = await rpc<{ id: string }>(database.sql, "upsert_course_for_enrichment", { course_name: `Guarded ${n} Golf Club`, state: "GA" });
  return row.id;
}

const GUARDS = [
  { agent: "A7", guard: "implausible_water_hazards", field: "water_hazard_count", raw: 59, value: null },
  { agent: "A6", guard: "clamped", field: "segment_confidence", raw: 11, value: 10 },
  { agent: "A6.5", guard: "implausible_tenure", field: "tenure_years", raw: 70, value: null, contact: "Dwayne Carter" },
];

function result(runId: string, courseId: string, guards: unknown): JsonObject {
  return {
    run_id: runId,
    course_id: courseId,
    status: "succeeded",
    course: { website: "https://www.guarded.example" },
    business_intelligence: { segment: "both", segment_confidence: 10 },
    contacts: [{ name: "Dwayne Carter", title: "General Manager" }],
    agent_calls: [],
    guards: guards as JsonObject[],
  };
}

async function runGuards(runId: string): Promise<unknown> {
  const [row] = await database.sql<{ guards: unknown }[]>`select guards from public.enrichment_runs where id = ${runId}`;
  return row?.guards;
}

describe("guards on the run", () => {
  it("apply_enrichment stores the guards with the result; applying it again changes nothing", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    const applied = await rpc<{ applied: boolean }>(database.sql, "apply_enrichment", result(runId, courseId, GUARDS));
    expect(applied.applied).toBe(true);
    expect(await runGuards(runId)).toEqual(GUARDS);
    const again = await rpc<{ applied: boolean }>(database.sql, "apply_enrichment", result(runId, courseId, []));
    expect(again.applied).toBe(false);
    expect(await runGuards(runId)).toEqual(GUARDS);
  });

  it("a run without guards has none ([]), also when the payload has no guards key", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    const { guards: _omitted, ...payload } = result(runId, courseId, []);
    await rpc(database.sql, "apply_enrichment", payload);
    expect(await runGuards(runId)).toEqual([]);
  });

  it("malformed guards are refused with the path, and nothing of the result is written", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    for (const [guards, path] of [
      [{ not: "an array" }, "guards must be an array"],
      [["clamped"], "guards[0] must be an object"],
      [[{ agent: "A6", guard: "clamped" }], "guards[0].field is required"],
      [[{ ...GUARDS[0], contact: 7 }], "guards[0].contact"],
    ] as const) {
      const error = await rpcError(database.sql, "apply_enrichment", result(runId, courseId, guards));
      expect(error.code).toBe("22023");
      expect(error.message).toContain(path);
    }
    const [runs] = await database.sql<{ n: number }[]>`select count(*)::int as n from public.enrichment_runs where id = ${runId}`;
    expect(runs!.n).toBe(0);
  });

  it("fail_enrichment_run stores the guards of a failed run too, and returns the run with them", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    const failed = await rpc<{ changed: boolean; run: { guards: unknown; status: string } }>(database.sql, "fail_enrichment_run", {
      run_id: runId,
      course_id: courseId,
      error: "no staff found",
      agent_calls: [],
      guards: [GUARDS[0]!],
    });
    expect(failed).toMatchObject({ changed: true, run: { status: "failed", guards: [GUARDS[0]] } });
    expect(await runGuards(runId)).toEqual([GUARDS[0]]);
    const again = await rpc<{ changed: boolean }>(database.sql, "fail_enrichment_run", { run_id: runId, course_id: courseId, error: "again", guards: [] });
    expect(again.changed).toBe(false);
    expect(await runGuards(runId)).toEqual([GUARDS[0]]);
  });

  it("get_enrichment_run shows them", async () => {
    const courseId = await newCourse();
    const runId = randomUUID();
    await rpc(database.sql, "apply_enrichment", result(runId, courseId, GUARDS));
    const run = await rpc<{ run: { guards: unknown } }>(database.sql, "get_enrichment_run", { run_id: runId });
    expect(run.run.guards).toEqual(GUARDS);
  });
});
