// POST /api/imports on the real Worker: a messy CSV (semicolons, a BOM, CRLF, a quoted field across
// lines, accents, an unknown column, a formula, a missing name, an unknown state, an over-long name,
// a duplicate, a course enriched last week) yields the documented per-row outcomes, the runs of the
// rest end, the team gets one summary task in Intake, and the error file lists what did not import;
// a forced re-import enriches the skipped course; oversize and non-CSV bodies get clear errors.
import { afterAll, describe, expect, it } from "vitest";
import { COURSES } from "../../../sandbox/world/index.ts";
import { API_KEY, call, clickupComments, clickupTask, createIntakeTask, emulatorRequests, eventually, INTAKE_LIST_ID, withDb } from "../helpers.ts";

interface ImportRow { line: number; status: string; reason: string | null; course_name: string | null; course_id: string | null; job_id: string | null; raw: Record<string, string> }
interface ImportView { import_id: string; status: string; rows: number; valid: number; invalid: number; duplicates: number; skipped: number; progress: Record<string, number>; summary_task_id: string | null; done: boolean; finished_at: string | null; rows_detail?: never }

const tag = crypto.randomUUID().slice(0, 6);
const createdCourses: string[] = [];

async function postImport(body: BodyInit, type: string | null, query = ""): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await call(`/api/imports${query}`, { method: "POST", headers: { "x-api-key": API_KEY, ...(type ? { "content-type": type } : {}) }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function importView(importId: string, rows: "problems" | "all" = "all"): Promise<ImportView & { rows: ImportRow[] }> {
  const response = await call(`/api/imports/${importId}?rows=${rows}`, { headers: { "x-api-key": API_KEY } });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

async function finished(importId: string): Promise<ImportView & { rows: ImportRow[] }> {
  return eventually(async () => {
    const view = await importView(importId);
    return view.summary_task_id && view.finished_at ? view : null;
  }, `import ${importId} to finish with its summary`, 240_000);
}

afterAll(async () => {
  await withDb((sql) => sql`delete from courses where course_name like ${`%${tag}%`}`);
});

describe("CSV import API (integration)", () => {
  it("gives every messy row its documented outcome, runs the rest, and tells the team once", async () => {
    const recent = `Richmond Country Club ${tag}R`;
    await withDb((sql) => sql`insert into courses (course_name, state, status, enriched_at, source) values (${recent}, 'VA', 'enriched', now() - interval '7 days', 'manual')`);
    const csv =
      "\ufeffClub;ST;Town;Owner notes\r\n" +
      `Pine Valley Golf Club ${tag}A;NJ;Pine Valley;"gate code 1234;\r\nask for Sam"\r\n` +
      `Château Élan ${tag};Georgia;Braselton;\r\n` +
      `;TX;Austin;\r\n` +
      `Lost Lakes ${tag};Narnia;;\r\n` +
      `${"L".repeat(201)};OH;;\r\n` +
      // Quoted as a spreadsheet writes it (the separator is inside the cell).
      `"=HYPERLINK(""http://evil.example"";""win"")";OH;;\r\n` +
      `pine valley golf club ${tag}a;nj;;=1+1\r\n` +
      `${recent};VA;;\r\n`;
    const form = new FormData();
    form.set("file", new File([csv], "messy.csv", { type: "text/csv" }));
    const { status, json } = await postImport(form, null);
    expect(status).toBe(202);
    expect(json).toMatchObject({ rows: 8, valid: 2, invalid: 4, duplicates: 1, skipped: 1, delimiter: ";", dry_run: false });
    const importId = String(json.import_id);

    const done = await finished(importId);
    const byLine = new Map(done.rows.map((r) => [r.line, r]));
    // The quoted field spans lines 2-3: the rows after it keep their real line numbers.
    expect(byLine.get(2)).toMatchObject({ status: "succeeded", course_name: `Pine Valley Golf Club ${tag}A` });
    expect(byLine.get(2)!.raw["Owner notes"]).toBe("gate code 1234;\r\nask for Sam");
    expect(["succeeded", "partial", "failed"]).toContain(byLine.get(4)!.status);
    expect(byLine.get(4)!.course_name).toBe(`Château Élan ${tag}`);
    expect(byLine.get(5)).toMatchObject({ status: "invalid", reason: "course name is missing" });
    expect(byLine.get(6)).toMatchObject({ status: "invalid", reason: 'state "Narnia" is not a US state name or two-letter code' });
    expect(byLine.get(7)).toMatchObject({ status: "invalid", reason: "course name is 201 characters; at most 200" });
    expect(byLine.get(8)!.reason).toMatch(/looks like a spreadsheet formula; it was kept as text/);
    expect(byLine.get(8)!.raw.Club).toBe('=HYPERLINK("http://evil.example";"win")');
    expect(byLine.get(9)).toMatchObject({ status: "duplicate", reason: "the same course as line 2" });
    expect(byLine.get(10)!.status).toBe("skipped");
    expect(byLine.get(10)!.reason).toMatch(/enriched on \d{4}-\d{2}-\d{2} \(within 30 days\); import with force/);
    expect(done.status).toBe("partial");
    expect(Object.values(done.progress).reduce((a, b) => a + b, 0)).toBe(8);

    // The accented course was written as it was spelled, from the file, in one batch call.
    const [elan] = await withDb((sql) => sql<{ course_name: string; city: string; source: string }[]>`select course_name, city, source from courses where id = ${byLine.get(4)!.course_id!}`);
    expect(elan).toMatchObject({ course_name: `Château Élan ${tag}`, city: "Braselton", source: "csv" });
    createdCourses.push(byLine.get(2)!.course_id!);

    // One summary task in Intake, in a status the intake resolver leaves alone, listing the rows that need a look.
    const task = await clickupTask(done.summary_task_id!);
    expect(task.name).toMatch(/^Import messy\.csv: \d enriched, \d partial, \d failed, 2 skipped, 4 invalid$/);
    expect(task.status.status.toLowerCase()).toBe("needs attention");
    const description = task.markdown_description ?? task.description ?? "";
    expect(description).toContain("Narnia");
    // The file's text is shown as text: the formula as written, markdown syntax escaped (src/lib/markdown.ts).
    expect(description).toContain('=HYPERLINK("http://evil.example";"win")');
    const inIntake = await (await fetch(`${String((await import("cloudflare:workers")).env.CLICKUP_BASE_URL)}/api/v2/list/${INTAKE_LIST_ID}/task?include_closed=true`, { headers: { authorization: String((await import("cloudflare:workers")).env.CLICKUP_API_TOKEN) } })).json() as { tasks: { name: string }[] };
    expect(inIntake.tasks.filter((t) => t.name.startsWith("Import messy.csv")).length).toBe(1);

    // The error file: every row that did not import, with its line and reason; formulas neutralized.
    const errors = await call(`/api/imports/${importId}/errors.csv`, { headers: { "x-api-key": API_KEY } });
    expect(errors.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(errors.headers.get("content-disposition")).toBe('attachment; filename="messy.errors.csv"');
    const text = await errors.text();
    expect(text.split("\r\n")[0]).toBe('"line","status","reason","Club","ST","Town","Owner notes"');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"";""win"")"`);
    expect(text).toContain(`"'=1+1"`);

    // Forced, the course enriched last week is enriched again.
    const forced = await postImport(`course,state\n${recent},VA\n`, "text/csv", "?force=true&filename=again.csv");
    expect(forced.json).toMatchObject({ rows: 1, valid: 1, skipped: 0 });
    const again = await finished(String(forced.json.import_id));
    expect(again.rows[0]!.status).toBe("succeeded");
    // The listing shows both, newest first.
    const list = (await (await call("/api/imports", { headers: { "x-api-key": API_KEY } })).json()) as { imports: { import_id: string }[] };
    expect(list.imports.slice(0, 2).map((i) => i.import_id)).toEqual([String(forced.json.import_id), importId]);
  }, 300_000);

  it("verifies a website the file gives instead of searching for one, and searches when it is not the course's", async () => {
    const richmond = COURSES.find((c) => c.name === "Richmond Country Club")!;
    const stonebridge = COURSES.find((c) => c.name === "Stonebridge Golf Club")!;
    const since = Date.now();
    const given = `Richmond Country Club ${tag}W`;
    const wrong = `Stonebridge Golf Club ${tag}W`;
    const { json } = await postImport(`course,state,website\n${given},VA,${richmond.website}\n${wrong},GA,${richmond.website}\n`, "text/csv", "?filename=sites.csv");
    const done = await finished(String(json.import_id));
    expect(done.rows.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    const searches = (await emulatorRequests("perplexity", since)).filter((r) => JSON.stringify(r.body).includes("Official website"));
    // The given, right site: no search. The wrong one (another course's site): the search found the real one.
    expect(searches.filter((r) => JSON.stringify(r.body).includes(given))).toHaveLength(0);
    expect(searches.filter((r) => JSON.stringify(r.body).includes(wrong))).toHaveLength(1);
    const sites = await withDb((sql) => sql<{ course_name: string; website: string }[]>`select course_name, website from courses where course_name in (${given}, ${wrong})`);
    const byName = Object.fromEntries(sites.map((r) => [r.course_name, r.website]));
    expect(new URL(byName[given]!).host).toBe(new URL(richmond.website!).host);
    expect(new URL(byName[wrong]!).host).toBe(new URL(stonebridge.website!).host);
  }, 300_000);

  it("an import from a ClickUp task gets its summary as a plain-text comment there (comments do not render markdown)", async () => {
    const taskId = await createIntakeTask(`courses_${tag}.csv`);
    const csv = `course,state\r\nLost_Lakes *${tag}*,Narnia\r\n,TX\r\n`;
    const { status, json } = await postImport(csv, "text/csv", `?clickup_task_id=${taskId}&filename=courses_${tag}.csv`);
    expect(status).toBe(202);
    const done = await finished(String(json.import_id));
    const comments = (await clickupComments(taskId)).map((c) => c.comment_text);
    expect(comments).toHaveLength(1);
    expect(done.summary_task_id).not.toBeNull();
    const text = comments[0]!;
    expect(text.startsWith(`Import courses_${tag}.csv: 0 enriched, 0 partial, 0 failed, 0 skipped, 2 invalid`)).toBe(true);
    expect(text).toContain(`Line 2 (invalid): Lost_Lakes *${tag}* — state "Narnia" is not a US state name or two-letter code`);
    expect(text).not.toMatch(/\*\*|\\|\| line \|/);
  });

  it("validates without writing on a dry run", async () => {
    const before = await withDb((sql) => sql<{ n: number }[]>`select count(*)::int as n from course_imports`);
    const { status, json } = await postImport(`name,st\nDry Run ${tag},AZ\nNowhere,XX\n`, "text/csv", "?dry_run=true");
    expect(status).toBe(200);
    expect(json).toMatchObject({ import_id: null, dry_run: true, status: "validated", rows: 2, valid: 1, invalid: 1 });
    const after = await withDb((sql) => sql<{ n: number }[]>`select count(*)::int as n from course_imports`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("refuses oversize, non-CSV and headerless bodies with clear errors, and nothing is imported", async () => {
    const before = await withDb((sql) => sql<{ n: number }[]>`select count(*)::int as n from course_imports`);
    const json = await postImport(JSON.stringify({ course: "x" }), "application/json");
    expect(json.status).toBe(415);
    expect(JSON.stringify(json.json)).toMatch(/text\/csv, or as multipart\/form-data/);
    const xlsx = await postImport(new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0]), "text/csv");
    expect(xlsx.status).toBe(415);
    expect(JSON.stringify(xlsx.json)).toMatch(/not a CSV text file/);
    const huge = await postImport("course,state\n" + "x".repeat(10 * 1024 * 1024 + 70 * 1024), "text/csv");
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE", details: { max_bytes: 10485760, max_rows: 10000 } } });
    const many = await postImport("course,state\n" + "A Course,AZ\n".repeat(10_001), "text/csv");
    expect(many.status).toBe(413);
    expect(JSON.stringify(many.json)).toMatch(/more than 10000 rows/);
    const headerless = await postImport("Pine Valley,NJ\nRichmond,VA\n", "text/csv");
    expect(headerless.status).toBe(400);
    expect(JSON.stringify(headerless.json)).toMatch(/has no a course column/);
    const empty = await postImport("", "text/csv");
    expect(empty.status).toBe(400);
    const anonymous = await call("/api/imports", { method: "POST", headers: { "content-type": "text/csv" }, body: "course,state\nA,AZ\n" });
    expect(anonymous.status).toBe(401);
    const after = await withDb((sql) => sql<{ n: number }[]>`select count(*)::int as n from course_imports`);
    expect(after[0]!.n).toBe(before[0]!.n);
    expect((await call("/api/imports/not-a-uuid", { headers: { "x-api-key": API_KEY } })).status).toBe(400);
    expect((await call(`/api/imports/${crypto.randomUUID()}`, { headers: { "x-api-key": API_KEY } })).status).toBe(404);
  });
});
