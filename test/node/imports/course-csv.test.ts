// The CSV reader on every messy case a sales team's spreadsheet produces: quoted fields with
// embedded newlines (and the line numbers after them), a UTF-8 BOM, CRLF, ";" and tab separators,
// accents, header aliases in any case, unknown columns kept, per-row errors (missing name, unknown
// state, a field over its limit, formula-looking cells), duplicates within the file, and the file-level
// refusals (no header, no course or state column, too many rows, not text).
import { describe, expect, it } from "vitest";
import { decodeCsv, errorsCsv, ImportFileError, parseCourseCsv } from "../../../src/imports/csv.ts";
import { IMPORT_LIMITS } from "../../../src/imports/import.types.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("parseCourseCsv", () => {
  it("reads a messy file into rows with their first line, outcome and reason", () => {
    const text =
      "\ufeffCourse Name,ST,City,URL,Phone,Owner notes\r\n" +
      '"Pine Valley Golf Club",NJ,Pine Valley,www.pinevalley.example,(856) 783-3000,"Call after 5,\r\nnot before"\r\n' +
      "Château Élan Golf Club,Georgia,Braselton,,,\r\n" +
      ",TX,Austin,,,\r\n" +
      "Lost Lakes,Narnia,,,,\r\n" +
      `${"X".repeat(201)},OH,,,,\r\n` +
      '"=HYPERLINK(""http://evil.example"",""click"")",OH,,,,\r\n' +
      "Sunset Dunes,AZ,@SUM(A1),,,\r\n" +
      "Phone Plus,AZ,,,+1 602 555 0100,=1+1\r\n" +
      "pine valley golf club,nj,,,,\r\n" +
      ",,,,,\r\n" +
      "Bad Site,AZ,,ftp://files.example,,\r\n" +
      "Bad Phone,AZ,,,12,\r\n";
    const parsed = parseCourseCsv(decodeCsv(utf8(text)));
    expect(parsed.delimiter).toBe(",");
    const byLine = Object.fromEntries(parsed.rows.map((r) => [r.line, r]));
    // The quoted field spans lines 2-3, so the next row is line 4.
    expect(byLine[2]).toMatchObject({ outcome: "valid", course_name: "Pine Valley Golf Club", state: "NJ", city: "Pine Valley", website: "https://www.pinevalley.example/", phone: "+18567833000" });
    expect(byLine[2]!.raw["Owner notes"]).toBe("Call after 5,\r\nnot before");
    expect(byLine[4]).toMatchObject({ outcome: "valid", course_name: "Château Élan Golf Club", state: "GA" });
    expect(byLine[5]).toMatchObject({ outcome: "invalid", reason: "course name is missing" });
    expect(byLine[6]).toMatchObject({ outcome: "invalid", reason: 'state "Narnia" is not a US state name or two-letter code' });
    expect(byLine[7]!.reason).toBe("course name is 201 characters; at most 200");
    expect(byLine[8]!.outcome).toBe("invalid");
    expect(byLine[8]!.reason).toMatch(/looks like a spreadsheet formula/);
    // Kept as text, exactly as written.
    expect(byLine[8]!.raw["Course Name"]).toBe('=HYPERLINK("http://evil.example","click")');
    expect(byLine[9]!.reason).toMatch(/^city "@SUM\(A1\)" looks like a spreadsheet formula/);
    // "+1 ..." is a phone, not a formula; a formula in an unknown column is kept as text, not refused.
    expect(byLine[10]).toMatchObject({ outcome: "valid", phone: "+16025550100" });
    expect(byLine[10]!.raw["Owner notes"]).toBe("=1+1");
    expect(byLine[11]).toMatchObject({ outcome: "duplicate", reason: "the same course as line 2" });
    // The blank row (line 12) is not a row.
    expect(byLine[12]).toBeUndefined();
    expect(byLine[13]!.reason).toMatch(/^website "ftp:\/\/files.example" is not a web address/);
    expect(byLine[14]!.reason).toBe('phone "12" is not a phone number');
    expect(parsed.counts).toEqual({ rows: 11, valid: 3, invalid: 7, duplicates: 1 });
  });

  it("detects semicolon and tab separators and reads any header alias in any case", () => {
    const semi = parseCourseCsv("CLUB;State;Town\nHerons Glen;florida;Fort Myers\n");
    expect(semi.delimiter).toBe(";");
    expect(semi.rows[0]).toMatchObject({ outcome: "valid", course_name: "Herons Glen", state: "FL", city: "Fort Myers" });
    const tabs = parseCourseCsv("name\tst\twebsite\nMaple Hills\tWI\thttps://maplehills.example/golf\n");
    expect(tabs.delimiter).toBe("\t");
    expect(tabs.rows[0]).toMatchObject({ course_name: "Maple Hills", state: "WI", website: "https://maplehills.example/golf" });
  });

  it("refuses a file without a usable header, with too many rows, or that is not text", () => {
    expect(() => parseCourseCsv("")).toThrow(/the file is empty/);
    expect(() => parseCourseCsv("city,phone\nMesa,\n")).toThrow(/no a course column .* and no a state column/);
    const many = "course,state\n" + "Some Course,AZ\n".repeat(IMPORT_LIMITS.maxRows + 1);
    expect(() => parseCourseCsv(many)).toThrow(ImportFileError);
    expect(() => parseCourseCsv(many)).toThrow(/more than 10000 rows/);
    expect(() => decodeCsv(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]))).toThrow(/not a CSV text file/);
    expect(() => decodeCsv(new Uint8Array(IMPORT_LIMITS.maxBytes + 1))).toThrow(/at most 10485760 bytes/);
    // Windows-1252 (Excel's "CSV" on Windows) is read, accents intact.
    expect(parseCourseCsv(decodeCsv(new Uint8Array([...utf8("course,state\nCh"), 0xe2, ...utf8("teau,GA\n")]))).rows[0]!.course_name).toBe("Château");
  });

  it("writes an errors file a spreadsheet opens without running any formula", () => {
    const csv = errorsCsv(["course", "state"], [{ line: 3, status: "invalid", reason: "course name looks like a formula", raw: { course: "=cmd|' /C calc'!A0", state: "AZ" } }]);
    expect(csv.split("\r\n")[0]).toBe('"line","status","reason","course","state"');
    expect(csv).toContain(`"'=cmd|' /C calc'!A0"`);
  });
});
