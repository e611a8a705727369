// Comments are plain text in ClickUp (https://developer.clickup.com/docs/commentformatting): text
// from the web goes into them as it is (no markdown escapes a rep would see as backslashes), one
// bounded line per value, control characters gone; markdown escaping stays in task descriptions.
import { describe, expect, it } from "vitest";
import { importSummaryComment, importSummaryMarkdown } from "../../../src/clickup/import-summary.ts";
import { reminderComment } from "../../../src/clickup/alert-task.ts";
import { stateFoundMessage } from "../../../src/clickup/rep-messages.ts";
import { freshnessNote } from "../../../src/freshness/lead-notes.ts";
import type { SweepCheck } from "../../../src/freshness/freshness.types.ts";
import type { CourseImport, ImportRowView } from "../../../src/imports/import.types.ts";
import { plainLine, plainText } from "../../../src/lib/plain-text.ts";
import { suggestionNotes } from "../../../src/pipeline/clickup-writeback.ts";
import type { AlertRecord } from "../../../src/store/alerts.ts";

const LINK_NAME = "Pat [Lee](https://evil.example/win)";

function check(overrides: Partial<SweepCheck>): SweepCheck {
  return {
    contact_id: "00000000-0000-4000-8000-000000000001",
    full_name: "Pat Lee",
    course_id: "00000000-0000-4000-8000-000000000002",
    course_name: "Eagle_s Landing",
    outcome: "still_there",
    decided_by: null,
    email_status: null,
    email_invalidated: false,
    evidence_url: null,
    evidence: null,
    now_at: null,
    now_title: null,
    replacement_contact_id: null,
    replacement_name: null,
    replacement_title: null,
    changes: {},
    suggestions: {},
    cost_usd: 0,
    followup_done: false,
    checked_at: "2026-12-02T10:00:00.000Z",
    clickup_task_id: "t1",
    replacement_task_id: null,
    ...overrides,
  };
}

describe("plain-text comments (unit)", () => {
  it("plainText and plainLine drop control characters and bound the length; plainLine makes one line", () => {
    expect(plainText("a\u0000b\nc\u001b[31m ")).toBe("ab\nc[31m");
    expect(plainLine("first\r\n  second\nthird")).toBe("first second third");
    expect(plainLine("x".repeat(400), 300)).toHaveLength(300);
    expect(plainLine("x".repeat(400), 300).endsWith("…")).toBe(true);
  });

  it("a freshness comment keeps web values as they are: an email with _ is not escaped, a link stays inert text", () => {
    const left = freshnessNote(
      check({ outcome: "left", full_name: LINK_NAME, now_title: "Head\nPro", now_at: "Coyote *Springs*", evidence_url: "https://news.example/a_b?x=(1)", replacement_name: "Sam_Ortiz" }),
      "https://app.clickup.com/t/abc",
    )!;
    expect(left).not.toContain("\\");
    expect(left).toContain(`${LINK_NAME} has left Eagle_s Landing`);
    expect(left).toContain("They are now Head Pro at Coyote *Springs*.");
    expect(left).toContain("Source: https://news.example/a_b?x=(1)");
    expect(left).toContain("Their successor, Sam_Ortiz, has a new lead task: https://app.clickup.com/t/abc");
    const changed = freshnessNote(check({ changes: { email: { before: "old@x.com", after: "pat_lee@eagles.example" } } }), null)!;
    expect(changed).toContain("email pat_lee@eagles.example;");
    // Only http(s) evidence is named.
    expect(freshnessNote(check({ outcome: "left", evidence_url: "javascript:alert(1)" }), null)).not.toContain("Source:");
  });

  it("the import summary is markdown in its task and plain text in a comment", () => {
    const imp: CourseImport = {
      import_id: "00000000-0000-4000-8000-0000000000aa",
      filename: "spring_list.csv",
      source: "api",
      clickup_task_id: "t9",
      force: false,
      columns: ["course", "state"],
      status: "partial",
      rows: 3,
      valid: 1,
      invalid: 2,
      duplicates: 0,
      skipped: 0,
      progress: { queued: 0, running: 0, succeeded: 1, partial: 0, failed: 0, invalid: 2, duplicate: 0, skipped: 0 },
      summary_task_id: null,
      created_at: "2026-12-02T10:00:00.000Z",
      started_at: "2026-12-02T10:00:01.000Z",
      finished_at: "2026-12-02T10:05:00.000Z",
    };
    const rows: ImportRowView[] = [
      { line: 3, status: "invalid", reason: 'state "Narnia" is not a US state name or two-letter code', course_name: "Lost_Lakes | *GC*", state: null, course_id: null, job_id: null, raw: {} },
      { line: 4, status: "invalid", reason: "course name is missing", course_name: null, state: null, course_id: null, job_id: null, raw: { state: "TX" } },
    ];
    const comment = importSummaryComment(imp, rows, "https://golf.example/");
    expect(comment).not.toMatch(/\*\*|\\|\| line \|/);
    expect(comment.split("\n")[0]).toBe("Import spring_list.csv: 1 enriched, 0 partial, 0 failed, 0 skipped, 2 invalid");
    expect(comment).toContain("CSV import spring_list.csv — 3 rows");
    expect(comment).toContain('Line 3 (invalid): Lost_Lakes | *GC* — state "Narnia" is not a US state name or two-letter code');
    expect(comment).toContain("Line 4 (invalid): no course name — course name is missing");
    expect(comment).toContain(`GET https://golf.example/api/imports/${imp.import_id}/errors.csv`);
    const markdown = importSummaryMarkdown(imp, rows, "https://golf.example/");
    expect(markdown).toContain("**CSV import spring\\_list.csv — 3 rows");
    expect(markdown).toContain("| 3 | invalid | Lost\\_Lakes \\| \\*GC\\* |");
  });

  it("other comments with outside text: the state found, an enrichment's suggestion, an alert reminder", () => {
    expect(stateFoundMessage({ course_name: "Maple Hills", state: "MI", city: "Sault_Ste. [Marie](https://x.example)", confidence: 8 })).toContain("in Sault_Ste. [Marie](https://x.example), Michigan (8/10 sure)");
    const [note] = suggestionNotes([{ entity: "contact", contact_id: "c1", field: "email", suggested: "pat_lee@x.example", kept: "p.lee@x.example" }] as never, new Map([["c1", "t1"]]));
    expect(note).toEqual({ task_id: "t1", text: expect.stringContaining('the enrichment found "pat_lee@x.example"; your "p.lee@x.example" is kept.') });
    const alert = { count: 2, first_seen_at: "2026-12-02T09:00:00Z", last_seen_at: "2026-12-02T10:00:00Z", message: `Hunter said:\n${"e".repeat(900)}` } as AlertRecord;
    const reminder = reminderComment(alert);
    expect(reminder).not.toContain("\n");
    expect(reminder.length).toBeLessThan(700);
  });
});
