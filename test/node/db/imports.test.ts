// CSV imports in SQL: a batch of rows writes its courses in one call (new, known, duplicates across
// batches, recently enriched skipped unless forced), claims hand rows out once per lease in line
// order, a row's run is set once, and the import's status follows its rows' runs.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asRole } from "../../support/database.ts";
import { rpc, type JsonObject, useMigratedDatabase } from "./helpers.ts";

const database = useMigratedDatabase();

async function call<T = JsonObject>(name: string, payload: JsonObject): Promise<T> {
  const rows = await asRole(database.sql, "service_role", (tx) =>
    tx.unsafe<{ result: T }[]>(`select public.${name}(payload => $1::jsonb) as result`, [tx.json(payload)]),
  );
  return rows[0]!.result;
}

interface ImportView { import_id: string; status: string; rows: number; valid: number; invalid: number; duplicates: number; skipped: number; progress: Record<string, number>; done?: boolean }
interface RowAnswer { line: number; outcome: string; reason: string | null; course_id: string | null }

const row = (line: number, course_name: string, state: string, extra: JsonObject = {}): JsonObject => ({ line, raw: { course: course_name, state }, course_name, state, outcome: "valid", ...extra });

describe("course imports", () => {
  it("writes a batch's courses in one call, dedupes across batches and skips recently enriched courses", async () => {
    const enriched = await rpc<{ id: string }>(database.sql, "upsert_course_for_enrichment", { course_name: "Imported Recently GC", state: "TX" });
    await database.sql`update public.courses set enriched_at = now() - interval '3 days', website = 'https://kept.example' where id = ${enriched.id}`;
    const { import: created } = await call<{ import: ImportView }>("create_course_import", { filename: "list.csv", source: "cli" });
    expect(created.status).toBe("receiving");

    const first = await call<{ rows: RowAnswer[]; import: ImportView }>("add_course_import_rows", {
      import_id: created.import_id,
      rows: [
        row(2, "Imported  Alpha Links", "AZ", { city: "Mesa", website: "https://alpha.example" }),
        row(3, "Imported Recently GC", "TX", { website: "https://guess.example" }),
        { line: 4, raw: { course: "", state: "AZ" }, outcome: "invalid", reason: "course name is missing" },
        row(5, "imported alpha links", "az"),
      ],
    });
    const byLine = new Map(first.rows.map((r) => [r.line, r]));
    expect(byLine.get(2)!.outcome).toBe("admitted");
    expect(byLine.get(3)).toMatchObject({ outcome: "skipped" });
    expect(byLine.get(3)!.reason).toMatch(/enriched on .* force/);
    expect(byLine.get(4)).toMatchObject({ outcome: "invalid", reason: "course name is missing" });
    // The same course twice in one batch: the second names the first (the name key ignores case and spaces).
    expect(byLine.get(5)!.course_id).toBe(byLine.get(2)!.course_id);
    const [alpha] = await database.sql<{ course_name: string; city: string; website: string; source: string }[]>`select course_name, city, website, source from public.courses where id = ${byLine.get(2)!.course_id!}`;
    expect(alpha).toMatchObject({ course_name: "Imported Alpha Links", city: "Mesa", website: "https://alpha.example", source: "csv" });
    // A known course's website is not replaced by the file's guess.
    const [kept] = await database.sql<{ website: string }[]>`select website from public.courses where id = ${enriched.id}`;
    expect(kept!.website).toBe("https://kept.example");

    const second = await call<{ rows: RowAnswer[]; import: ImportView }>("add_course_import_rows", {
      import_id: created.import_id, last: true,
      rows: [row(6, "Imported Alpha Links", "AZ"), row(7, "Imported Beta Club", "AZ")],
    });
    expect(second.rows[0]).toMatchObject({ line: 6, outcome: "duplicate", reason: "the same course as line 2" });
    expect(second.import).toMatchObject({ status: "queued", rows: 6, valid: 2, invalid: 1, skipped: 1 });
    expect(second.import.duplicates).toBe(2);
    // A closed import takes no more rows.
    await expect(call("add_course_import_rows", { import_id: created.import_id, rows: [row(8, "Late GC", "AZ")] })).rejects.toThrow(/takes no more rows/);
  });

  it("hands rows out once per lease in line order, sets a row's run once, and finishes with its runs' outcome", async () => {
    const { import: created } = await call<{ import: ImportView }>("create_course_import", { filename: "runs.csv" });
    const added = await call<{ rows: RowAnswer[] }>("add_course_import_rows", {
      import_id: created.import_id, last: true,
      rows: [row(2, "Claim One GC", "OH"), row(3, "Claim Two GC", "OH"), row(4, "Claim Three GC", "OH")],
    });
    const claimed = await call<{ rows: { line: number }[]; waiting: number; import: ImportView }>("claim_course_import_rows", { import_id: created.import_id, limit: 2 });
    expect(claimed.rows.map((r) => r.line)).toEqual([2, 3]);
    expect(claimed.import.status).toBe("running");
    const again = await call<{ rows: { line: number }[] }>("claim_course_import_rows", { import_id: created.import_id, limit: 5 });
    expect(again.rows.map((r) => r.line)).toEqual([4]);
    // No slot for line 3: it goes back and is the next one handed out.
    await call("unclaim_course_import_row", { import_id: created.import_id, line: 3 });
    expect((await call<{ rows: { line: number }[] }>("claim_course_import_rows", { import_id: created.import_id, limit: 5 })).rows.map((r) => r.line)).toEqual([3]);

    const jobs = added.rows.map(() => randomUUID());
    const set = await call<{ job_id: string; set: boolean }>("set_course_import_row_job", { import_id: created.import_id, line: 2, job_id: jobs[0]! });
    expect(set).toEqual({ job_id: jobs[0], set: true });
    const twice = await call<{ job_id: string; set: boolean }>("set_course_import_row_job", { import_id: created.import_id, line: 2, job_id: randomUUID() });
    expect(twice).toEqual({ job_id: jobs[0], set: false });
    for (const [i, line] of [3, 4].entries()) await call("set_course_import_row_job", { import_id: created.import_id, line, job_id: jobs[i + 1]! });

    expect((await call<{ finished: boolean }>("finish_course_import", { import_id: created.import_id })).finished).toBe(false);
    // The runs end: two succeed, one fails.
    for (const [i, r] of added.rows.entries()) {
      await database.sql`insert into public.enrichment_runs (id, course_id, trigger_source, status, error, finished_at)
        values (${jobs[i]!}, ${r.course_id!}, 'csv', ${i === 2 ? "failed" : "succeeded"}, ${i === 2 ? "no website found" : null}, now())`;
    }
    const view = await call<{ import: ImportView; rows: { line: number; status: string; reason: string }[] }>("get_course_import", { import_id: created.import_id });
    expect(view.import.done).toBe(true);
    expect(view.import.progress).toMatchObject({ succeeded: 2, failed: 1, queued: 0, running: 0 });
    expect(view.rows).toEqual([expect.objectContaining({ line: 4, status: "failed", reason: "no website found" })]);
    const finished = await call<{ finished: boolean; import: ImportView }>("finish_course_import", { import_id: created.import_id, summary_task_id: "task-1" });
    expect(finished).toMatchObject({ finished: true, import: { status: "partial" } });
    const listed = await call<{ imports: ImportView[] }>("list_course_imports", {});
    expect(listed.imports.map((i) => i.import_id)).toContain(created.import_id);
  });
});
