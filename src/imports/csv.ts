/** Reads a CSV of courses into rows with their line numbers, each valid, invalid (with why) or a duplicate. */
import Papa from "papaparse";
import { normalizePhone } from "../lib/phone.ts";
import { courseNameKey, toStateCode } from "../lib/us-states.ts";
import { IMPORT_LIMITS, type ImportField, type ParsedImport, type ParsedRow } from "./import.types.ts";

/** Header spellings, compared lower-cased with spaces, dashes and underscores collapsed. */
const HEADER_ALIASES: Record<ImportField, string[]> = {
  course_name: ["course", "course name", "name", "club", "club name", "golf course"],
  state: ["state", "st", "state code", "province"],
  city: ["city", "town"],
  website: ["website", "url", "web site", "site", "homepage"],
  phone: ["phone", "phone number", "telephone", "tel"],
};

const FIELD_MAX: Record<ImportField, number> = { course_name: 200, state: 30, city: 100, website: 500, phone: 40 };

/** A cell a spreadsheet would evaluate (OWASP "CSV injection"): kept as text, never run. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The file as a whole cannot be imported (too big, not text, no usable header): nothing was written. */
export class ImportFileError extends Error {
  readonly code: "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "BAD_REQUEST";

  constructor(code: ImportFileError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

function headerKey(cell: string): string {
  return cell.trim().toLowerCase().replace(/[\s_\-.]+/g, " ").trim();
}

/**
 * The file's text: UTF-8 (a BOM dropped), else Windows-1252 (what Excel on Windows saves as "CSV"),
 * refusing what is not text at all (a spreadsheet, an image) with a clear error.
 */
export function decodeCsv(bytes: Uint8Array): string {
  if (bytes.byteLength > IMPORT_LIMITS.maxBytes) {
    throw new ImportFileError("PAYLOAD_TOO_LARGE", `the file is ${bytes.byteLength} bytes; an import takes at most ${IMPORT_LIMITS.maxBytes} bytes (10 MB)`);
  }
  // A zip (xlsx, ods) or any file with NUL bytes is not a CSV.
  if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes.subarray(0, 4096).includes(0)) {
    throw new ImportFileError("UNSUPPORTED_MEDIA_TYPE", "the file is not a CSV text file (a spreadsheet? save it as CSV first)");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    text = new TextDecoder("windows-1252").decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses and validates a CSV of courses. Throws ImportFileError only for the file as a whole. */
export function parseCourseCsv(text: string): ParsedImport {
  const records: { cells: string[]; line: number }[] = [];
  let offset = 0;
  let line = 1;
  let tooMany = false;
  let delimiter = ",";
  const parser = Papa.parse<string[]>(text, {
    header: false,
    skipEmptyLines: false,
    delimitersToGuess: [",", ";", "\t"],
    step: (result, handle) => {
      // The record's first line: the lines consumed before it (a quoted field may span lines).
      const end = result.meta.cursor;
      const startLine = line;
      line += countNewlines(text, offset, end);
      offset = end;
      delimiter = result.meta.delimiter;
      const cells = result.data;
      if (cells.every((c) => c.trim() === "")) return;
      records.push({ cells, line: startLine });
      if (records.length > IMPORT_LIMITS.maxRows + 1) {
        tooMany = true;
        handle.abort();
      }
    },
  });
  void parser;
  if (tooMany) throw new ImportFileError("PAYLOAD_TOO_LARGE", `the file has more than ${IMPORT_LIMITS.maxRows} rows; split it into files of at most ${IMPORT_LIMITS.maxRows}`);
  const header = records.shift();
  if (!header) throw new ImportFileError("BAD_REQUEST", "the file is empty: the first line must be a header (course, state, and optionally city, website, phone)");

  const names = uniqueHeaderNames(header.cells);
  const columns: Partial<Record<ImportField, number>> = {};
  names.forEach((name, index) => {
    const key = headerKey(name);
    for (const [field, aliases] of Object.entries(HEADER_ALIASES) as [ImportField, string[]][]) {
      if (columns[field] === undefined && aliases.includes(key)) columns[field] = index;
    }
  });
  if (columns.course_name === undefined || columns.state === undefined) {
    const missing = [columns.course_name === undefined ? "a course column (course, course name, name or club)" : null, columns.state === undefined ? "a state column (state or st)" : null].filter(Boolean);
    throw new ImportFileError("BAD_REQUEST", `the header (line 1: ${JSON.stringify(header.cells.slice(0, 8))}) has no ${missing.join(" and no ")}`);
  }

  const firstLineOf = new Map<string, number>();
  const rows: ParsedRow[] = records.map(({ cells, line: rowLine }) => {
    const raw: Record<string, string> = {};
    names.forEach((name, i) => (raw[name] = cells[i] ?? ""));
    cells.slice(names.length).forEach((cell, i) => {
      if (cell !== "") raw[`extra_${i + 1}`] = cell;
    });
    const row = validateRow(rowLine, raw, (field) => (columns[field] === undefined ? "" : (cells[columns[field]!] ?? "").trim()));
    if (row.outcome === "valid") {
      const key = courseNameKey(row.course_name!, row.state!);
      const first = firstLineOf.get(key);
      if (first !== undefined) return { ...row, outcome: "duplicate", reason: `the same course as line ${first}` };
      firstLineOf.set(key, rowLine);
    }
    return row;
  });
  return {
    delimiter,
    header: names,
    columns,
    rows,
    counts: {
      rows: rows.length,
      valid: rows.filter((r) => r.outcome === "valid").length,
      invalid: rows.filter((r) => r.outcome === "invalid").length,
      duplicates: rows.filter((r) => r.outcome === "duplicate").length,
    },
  };
}

function validateRow(line: number, raw: Record<string, string>, cell: (field: ImportField) => string): ParsedRow {
  const invalid = (reason: string): ParsedRow => ({ line, raw, outcome: "invalid", reason });
  const values = {} as Record<ImportField, string>;
  for (const field of Object.keys(FIELD_MAX) as ImportField[]) {
    const value = cell(field).replace(/\s+/g, " ");
    if (value.length > FIELD_MAX[field]) return invalid(`${label(field)} is ${value.length} characters; at most ${FIELD_MAX[field]}`);
    // A phone may start with "+"; every other field starting like a formula is refused (and kept as text).
    if (value && FORMULA_START.test(value) && !(field === "phone" && /^\+[\d\s().-]+$/.test(value))) {
      return invalid(`${label(field)} ${JSON.stringify(value.slice(0, 40))} looks like a spreadsheet formula; it was kept as text and not imported`);
    }
    values[field] = value;
  }
  if (!values.course_name) return invalid("course name is missing");
  if (!values.state) return invalid("state is missing");
  const state = toStateCode(values.state);
  if (!state) return invalid(`state ${JSON.stringify(values.state)} is not a US state name or two-letter code`);
  let website: string | undefined;
  if (values.website) {
    website = publicWebsite(values.website);
    if (!website) return invalid(`website ${JSON.stringify(values.website.slice(0, 80))} is not a web address`);
  }
  let phone: string | undefined;
  if (values.phone) {
    phone = normalizePhone(values.phone) ?? undefined;
    if (!phone) return invalid(`phone ${JSON.stringify(values.phone)} is not a phone number`);
  }
  return {
    line,
    raw,
    outcome: "valid",
    course_name: values.course_name,
    state,
    ...(values.city ? { city: values.city } : {}),
    ...(website ? { website } : {}),
    ...(phone ? { phone } : {}),
  };
}

/** "www.pinevalley.com" → "https://www.pinevalley.com"; only public http(s) addresses with a dotted host. */
function publicWebsite(value: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname) || /^[\d.]+$/.test(url.hostname) || url.username || url.password) return undefined;
    return url.toString();
  } catch {
    return undefined;
  }
}

function label(field: ImportField): string {
  return field === "course_name" ? "course name" : field;
}

function uniqueHeaderNames(cells: string[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((cell, i) => {
    const base = cell.trim() || `column_${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    // CRLF counts once; a lone CR (old Mac files) counts too.
    if (ch === 10 || (ch === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

/** A cell for a CSV a spreadsheet will open: one that could be read as a formula is prefixed with "'". */
export function spreadsheetSafe(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** `<name>.errors.csv`: the rows that did not import (or whose run failed), with their line and reason. */
export function errorsCsv(header: string[], rows: { line: number; status: string; reason: string | null; raw: Record<string, string> }[]): string {
  const columns = ["line", "status", "reason", ...header];
  const data = rows.map((r) => [String(r.line), r.status, r.reason ?? "", ...header.map((h) => r.raw[h] ?? "")].map(spreadsheetSafe));
  return Papa.unparse({ fields: columns, data }, { newline: "\r\n", quotes: true });
}
