/**
 * Reading a model's structured answer without losing it to one bad field. A provider's schema
 * support is looser than ours (Anthropic's SDK moves `minimum`/`maximum` into descriptions because
 * the API refuses them), so an answer can parse as JSON and still fail our zod schema. What can be
 * mended without guessing is mended here, and every mend is reported so the run can record it.
 */
import type { z } from "zod";

/** One mend made to a model's answer: which field, what the model said, and what was kept. */
export interface OutputRepair {
  /** Dotted path of the field ("opportunities.range_ball_buy", "conversation_starters.2.score"); "(answer)" for the whole answer. */
  field: string;
  /** clamped: a score past its scale set to the scale's end; rounded: a fraction where a whole number belongs;
   *  truncated: a list longer than allowed cut to its first items; repair_call: the model was asked again with
   *  the validation errors; nulled / dropped: still invalid after that, so left empty (the schema allows it)
   *  or the list item removed. */
  action: "clamped" | "rounded" | "truncated" | "repair_call" | "nulled" | "dropped";
  raw: unknown;
  value?: unknown;
}

export type ParseAttempt<T> = { ok: true; value: T; repairs: OutputRepair[] } | { ok: false; problems: string[]; repairs: OutputRepair[]; data: unknown };

type Path = (string | number)[];
type Issue = z.core.$ZodIssue;

const MAX_ROUNDS = 8;

export function pathText(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** `patterns` are dotted paths where `*` stands for any one key or index ("opportunities.*"). */
export function pathMatches(path: readonly PropertyKey[], patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const parts = pattern.split(".");
    return parts.length === path.length && parts.every((part, i) => part === "*" || part === String(path[i]));
  });
}

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = data;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function setAt(data: unknown, path: readonly PropertyKey[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(data) ? [...data] : { ...(data as object) }) as Record<PropertyKey, unknown>;
  copy[head!] = setAt(copy[head!], rest, value);
  return copy;
}

function removeAt(data: unknown, path: readonly PropertyKey[]): unknown {
  const parent = getAt(data, path.slice(0, -1));
  const index = path[path.length - 1];
  if (!Array.isArray(parent) || typeof index !== "number") return data;
  return setAt(data, path.slice(0, -1), parent.filter((_, i) => i !== index));
}

function countUnder(issues: readonly Issue[], path: readonly PropertyKey[]): number {
  const text = pathText(path);
  return issues.filter((issue) => pathText(issue.path).startsWith(`${text}.`)).length;
}

function issueAt(issues: readonly Issue[], path: readonly PropertyKey[]): boolean {
  const text = pathText(path);
  return issues.some((issue) => pathText(issue.path) === text || pathText(issue.path).startsWith(`${text}.`));
}

/** The validation errors as the model should read them in a repair request. */
export function describeIssues(issues: readonly Issue[]): string[] {
  return issues.slice(0, 10).map((issue) => `${pathText(issue.path) || "(answer)"}: ${issue.message}`);
}

/**
 * Mends what has a clear meaning: a number past its bound at a `clamp` path becomes the bound (a
 * score of 11 on a 1–10 scale is 10) and a fraction there is rounded; a list longer than allowed
 * keeps its first items. Anything else is left for a repair call.
 */
export function clampToSchema<S extends z.ZodType>(schema: S, data: unknown, clamp: readonly string[]): ParseAttempt<z.output<S>> {
  const repairs: OutputRepair[] = [];
  let current = data;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = schema.safeParse(current);
    if (parsed.success) return { ok: true, value: parsed.data, repairs };
    let changed = false;
    for (const issue of parsed.error.issues) {
      const raw = getAt(current, issue.path);
      const clampable = pathMatches(issue.path, clamp) && typeof raw === "number" && Number.isFinite(raw);
      let value: unknown;
      let action: OutputRepair["action"] | null = null;
      if (issue.code === "too_big" && issue.origin === "array" && Array.isArray(raw)) {
        value = raw.slice(0, Number(issue.maximum));
        action = "truncated";
      } else if (clampable && issue.code === "too_big" && (issue.origin === "number" || issue.origin === "int")) {
        value = Number(issue.maximum);
        action = "clamped";
      } else if (clampable && issue.code === "too_small" && (issue.origin === "number" || issue.origin === "int")) {
        value = Number(issue.minimum);
        action = "clamped";
      } else if (clampable && issue.code === "invalid_type" && issue.expected === "int") {
        value = Math.round(raw as number);
        action = "rounded";
      }
      if (action === null) continue;
      current = setAt(current, issue.path, value);
      repairs.push({ field: pathText(issue.path), action, raw, value: action === "truncated" ? `${(value as unknown[]).length} of ${(raw as unknown[]).length} items` : value });
      changed = true;
    }
    if (!changed) return { ok: false, problems: describeIssues(parsed.error.issues), repairs, data: current };
  }
  return { ok: false, problems: ["the answer could not be mended"], repairs, data: current };
}

/**
 * The last resort after a repair call: a field still invalid is left empty where the schema allows
 * null, or its list item is dropped where the list may be shorter. A required field that can be
 * neither still fails the call.
 */
export function salvage<S extends z.ZodType>(schema: S, data: unknown): ParseAttempt<z.output<S>> {
  const repairs: OutputRepair[] = [];
  let current = data;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = schema.safeParse(current);
    if (parsed.success) return { ok: true, value: parsed.data, repairs };
    let changed = false;
    for (const issue of parsed.error.issues) {
      if (issue.path.length === 0) continue;
      // The field itself left empty first; else the innermost list item that holds it is dropped.
      const candidates: { path: PropertyKey[]; action: "nulled" | "dropped" }[] = [{ path: issue.path, action: "nulled" }];
      for (let end = issue.path.length; end >= 1; end--) {
        const path = issue.path.slice(0, end);
        if (typeof path[path.length - 1] === "number") candidates.push({ path, action: "dropped" });
      }
      for (const candidate of candidates) {
        const next = candidate.action === "nulled" ? setAt(current, candidate.path, null) : removeAt(current, candidate.path);
        const check = schema.safeParse(next);
        const list = candidate.path.slice(0, -1);
        const mended = check.success
          ? true
          : candidate.action === "nulled"
            ? !issueAt(check.error.issues, candidate.path)
            : !check.error.issues.some((i) => pathText(i.path) === pathText(list)) && countUnder(check.error.issues, list) < countUnder(parsed.error.issues, list);
        if (mended) {
          repairs.push({ field: pathText(candidate.path), action: candidate.action, raw: getAt(current, candidate.path), value: null });
          current = next;
          changed = true;
          break;
        }
      }
      if (changed) break;
    }
    if (!changed) return { ok: false, problems: describeIssues(parsed.error.issues), repairs, data: current };
  }
  return { ok: false, problems: ["the answer could not be mended"], repairs, data: current };
}

/** The text of a repair request: the validation errors, and what to send back. */
export function repairPrompt(problems: readonly string[]): string {
  return [
    "Your answer does not match the required JSON schema:",
    ...problems.map((p) => `- ${p}`),
    "Answer again with the complete corrected JSON object, keeping every other field as it was. Respect the ranges stated in the field descriptions.",
  ].join("\n");
}

/** JSON text of a model answer, or the reason it is not JSON. */
export function parseJsonText(text: string): { ok: true; data: unknown } | { ok: false; problem: string } {
  const trimmed = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/\s*```$/, "");
  try {
    return { ok: true, data: JSON.parse(trimmed) };
  } catch {
    return { ok: false, problem: "(answer): the answer is not valid JSON" };
  }
}

/**
 * The whole policy for one answer: parse and clamp; if still invalid, ask once more (`repair`, with
 * the validation errors) and clamp that; what is still invalid is nulled or dropped where allowed.
 * Returns the value and every mend, or the remaining problems.
 */
export async function readStructured<S extends z.ZodType>(
  schema: S,
  firstText: string,
  opts: { clamp: readonly string[]; repair: (problems: string[]) => Promise<string> },
): Promise<ParseAttempt<z.output<S>>> {
  const first = parseJsonText(firstText);
  const attempt: ParseAttempt<z.output<S>> = first.ok ? clampToSchema(schema, first.data, opts.clamp) : { ok: false, problems: [first.problem], repairs: [], data: undefined };
  if (attempt.ok) return attempt;
  // The first answer is replaced by the repaired one: its own mends no longer apply.
  const repairs: OutputRepair[] = [{ field: problemFields(attempt.problems), action: "repair_call", raw: rawOf(attempt.data, attempt.problems, firstText) }];
  const secondText = await opts.repair(attempt.problems);
  const second = parseJsonText(secondText);
  if (!second.ok) return { ok: false, problems: [second.problem], repairs, data: undefined };
  const again = clampToSchema(schema, second.data, opts.clamp);
  if (again.ok) return { ok: true, value: again.value, repairs: [...repairs, ...again.repairs] };
  const saved = salvage(schema, again.data);
  return saved.ok
    ? { ok: true, value: saved.value, repairs: [...repairs, ...again.repairs, ...saved.repairs] }
    : { ok: false, problems: saved.problems, repairs: [...repairs, ...again.repairs, ...saved.repairs], data: saved.data };
}

/** The failing fields, comma-separated ("(answer)" when the whole answer failed, e.g. not JSON). */
function problemFields(problems: readonly string[]): string {
  return [...new Set(problems.map((p) => p.slice(0, p.indexOf(":"))))].join(",");
}

/** What the model said at the fields that failed (the whole text when it was not JSON). */
function rawOf(data: unknown, problems: readonly string[], text: string): unknown {
  if (data === undefined) return text.slice(0, 300);
  const fields = [...new Set(problems.map((p) => p.slice(0, p.indexOf(":"))))].filter((f) => f && f !== "(answer)");
  if (fields.length === 0) return null;
  return Object.fromEntries(fields.map((f) => [f, getAt(data, f.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k)))]));
}
