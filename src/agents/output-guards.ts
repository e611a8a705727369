/**
 * Plausibility guards on what the models answer: values inside the schema's bounds can still be
 * nonsense (59 water hazards on 18 holes, 70 years in a job at a course opened in 1990, one
 * conversation starter twice). Each guard is a pure function; a guard that fires is recorded on the
 * run (`recordGuard`) with the raw value, so the benchmark and the dashboard can count them.
 */
import type { OutputRepair } from "../providers/structured-output.ts";
import type { AgentContext, AgentName, OutputGuard } from "./agent-context.ts";

export type { GuardName, OutputGuard } from "./agent-context.ts";

/** A course with more than this many water hazards per hole is a research error, not a course. */
export const MAX_WATER_HAZARDS_PER_HOLE = 2;
/** The tenure ceiling when the course's opening year is unknown. */
export const MAX_TENURE_YEARS = 50;
/** What a course has when its size is unknown (or absurd): the usual 18 holes. */
const DEFAULT_HOLES = 18;
/** Fewer than this many distinct starters and generated ones fill the gap. */
export const MIN_DISTINCT_STARTERS = 2;

/** Records a guard on the run (through the pipeline's sink) and in the logs. */
export function recordGuard(ctx: Pick<AgentContext, "log" | "guard">, guard: OutputGuard): void {
  const recorded = { ...guard, raw: compact(guard.raw), value: compact(guard.value) };
  ctx.log.info("output_guard", { agent: guard.agent, guard: guard.guard, field: guard.field, contact_name: guard.contact, raw: recorded.raw, value: recorded.value });
  ctx.guard?.(recorded);
}

/** The provider's mends (clamped, repair call, dropped…) as guards of this agent. */
export function repairGuards(agent: AgentName, repairs: readonly OutputRepair[], contact?: string): OutputGuard[] {
  return repairs.map((r) => ({ agent, guard: r.action, field: r.field, raw: r.raw, value: r.value ?? null, ...(contact ? { contact } : {}) }));
}

/** Long strings shortened so a guard row stays small (the raw value is evidence, not a copy). */
function compact(value: unknown): unknown {
  if (typeof value === "string") return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 10).map(compact);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).slice(0, 20).map(([k, v]) => [k, compact(v)]));
  return value ?? null;
}

// ---------------------------------------------------------------------------------------------
// Text

const LEADING_BOILERPLATE: RegExp[] = [
  /^(?:sure|certainly|of course|absolutely|great question)[,!.]?\s+/i,
  /^here(?:'s| is| are) (?:a |an |the |your |some )?[^:\n]{0,60}:\s*/i,
  /^as an ai(?: language model| assistant)?[^,.]*[,.]\s*/i,
  /^(?:based on|according to|from) (?:the |my |our )?(?:provided |available |search |web |given )?(?:information|research|search results|results|data|content|sources|context)[^,]{0,60},\s*/i,
  /^(?:summary|overview|reasoning|segment reasoning|answer|note)\s*:\s*/i,
];
const TRAILING_BOILERPLATE: RegExp[] = [
  /\s*(?:i hope this helps|let me know if|feel free to|if you (?:need|have|would like))[^.!]*[.!]?\s*$/i,
  /\s*(?:please note|note) that (?:this|these|the) (?:information|details|data) (?:may|might|could)[^.]*\.?\s*$/i,
];

/** A model's text without chat boilerplate ("Sure! Here is…", "Based on the search results, …", "[1]", "I hope this helps"). */
export function trimBoilerplate(text: string): string {
  let out = text.replace(/\s*\[\d+(?:\s*[,-]\s*\d+)*\]/g, "").replace(/\s+/g, " ").trim();
  let cutLead = false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const pattern of LEADING_BOILERPLATE) {
      const next = out.replace(pattern, "").trim();
      if (next !== out) [out, changed, cutLead] = [next, true, true];
    }
    for (const pattern of TRAILING_BOILERPLATE) {
      const next = out.replace(pattern, "").trim();
      if (next !== out) [out, changed] = [next, true];
    }
  }
  out = out.replace(/^["“”]+|["“”]+$/g, "").trim();
  // "Based on the results, the club…" → "The club…"; text the model began itself keeps its case.
  return cutLead && out ? out.charAt(0).toUpperCase() + out.slice(1) : out;
}

/** Trims a text field; a guard fires when more than whitespace went (returned for the caller to record). */
export function guardText(agent: AgentName, field: string, text: string | null, contact?: string): { text: string | null; guard: OutputGuard | null } {
  if (text === null) return { text: null, guard: null };
  const plain = text.replace(/\s+/g, " ").trim();
  const trimmed = trimBoilerplate(text);
  const kept = trimmed || null;
  const guard = trimmed === plain ? null : { agent, guard: "boilerplate" as const, field, raw: text, value: kept, ...(contact ? { contact } : {}) };
  return { text: kept, guard };
}

// ---------------------------------------------------------------------------------------------
// Segment

const SEGMENT_WORDS: Record<string, RegExp> = {
  "high-end": /high[\s-]*end/i,
  budget: /budget/i,
  both: /both(?: high[\s-]*end and budget)?|high[\s-]*end and budget/i,
};

/**
 * The reasoning without the segment said again: "Both — both", "Segment: both. Members plus…"
 * become nothing and "Members plus…". The segment itself is rendered once, from `segment`.
 */
export function reasoningWithoutEcho(segment: string, reasoning: string | null): string | null {
  if (!reasoning) return null;
  const word = SEGMENT_WORDS[segment]?.source ?? segment;
  const echo = new RegExp(`^(?:(?:the\\s+)?segment(?:\\s+is)?\\s*[:\\-—–]?\\s*)?(?:${word}|${segment.replace("-", "[\\s-]*")})(?:\\s+segment)?\\s*(?:[:.,;!\\-—–]+\\s*|$)`, "i");
  let out = reasoning.trim();
  for (let i = 0; i < 3; i++) {
    const next = out.replace(echo, "").trim();
    if (next === out) break;
    out = next;
  }
  // "both" alone (or only punctuation) says nothing the segment does not.
  if (!/[a-z0-9]{2,}/i.test(out)) return null;
  return out === reasoning.trim() ? reasoning.trim() : out.charAt(0).toUpperCase() + out.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Holes outside 1–72 are a research error; unknown or absurd holes count as 18 for the limits. */
export function plausibleHoles(holes: number | null): number | null {
  return holes !== null && Number.isInteger(holes) && holes >= 1 && holes <= 72 ? holes : null;
}

/** At most two water hazards per hole (water on both sides); more is a research error: left unknown. */
export function plausibleWaterHazards(count: number | null, holes: number | null): number | null {
  if (count === null) return null;
  const limit = MAX_WATER_HAZARDS_PER_HOLE * (plausibleHoles(holes) ?? DEFAULT_HOLES);
  return Number.isInteger(count) && count >= 0 && count <= limit ? count : null;
}

/**
 * Tenure at the club is at most the years since the course opened (when the opening year is known
 * and plausible), else at most 50; beyond that it is left unknown.
 */
export function plausibleTenure(tenure: number | null, founded: number | null | undefined, year = new Date().getUTCFullYear()): number | null {
  if (tenure === null) return null;
  const opened = typeof founded === "number" && founded >= 1700 && founded <= year ? founded : null;
  const limit = opened === null ? MAX_TENURE_YEARS : Math.max(0, year - opened);
  return Number.isFinite(tenure) && tenure >= 0 && tenure <= limit ? tenure : null;
}

// ---------------------------------------------------------------------------------------------
// Conversation starters and opportunities

export interface Starter {
  text: string;
  score: number;
}

function starterKey(text: string): string {
  return text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, " ").trim();
}

/** Starters trimmed of boilerplate, empty ones dropped, duplicates (same words, any case or punctuation) kept once at their best score. */
export function distinctStarters(starters: readonly Starter[]): { starters: Starter[]; duplicates: string[] } {
  const byKey = new Map<string, Starter>();
  const duplicates: string[] = [];
  for (const starter of starters) {
    const text = trimBoilerplate(starter.text);
    const key = starterKey(text);
    if (!key) continue;
    const seen = byKey.get(key);
    if (seen) {
      duplicates.push(starter.text);
      if (starter.score > seen.score) byKey.set(key, { text: seen.text, score: starter.score });
    } else byKey.set(key, { text, score: starter.score });
  }
  return { starters: [...byKey.values()].sort((a, b) => b.score - a.score), duplicates };
}

const OPPORTUNITY_NAMES: Record<string, string> = {
  range_ball_buy: "Range ball buy",
  range_ball_lease: "Range ball lease",
  range_ball_recycle: "Range ball recycle",
  lake_ball_retrieval: "Lake ball retrieval",
  range_equipment: "Range equipment",
  proshop_ecommerce: "Pro-shop e-commerce",
};

const STARTER_FOR_OPPORTUNITY: Record<string, (course: string) => string> = {
  range_ball_buy: (c) => `How are the range balls at ${c} holding up this season? We can quote a fresh set.`,
  range_ball_lease: (c) => `Would a range ball lease (fresh balls on a schedule, no large upfront cost) suit ${c}?`,
  range_ball_recycle: (c) => `We buy back and recycle worn range balls: could ${c} use a trade-in on its old ones?`,
  lake_ball_retrieval: (c) => `We retrieve and recycle balls from water hazards; does anyone do that for ${c} today?`,
  range_equipment: (c) => `Is any of the range equipment at ${c} (pickers, dispensers, baskets) due for replacement?`,
  proshop_ecommerce: (c) => `Does the pro shop at ${c} sell online? We help courses add golf ball sales to their site.`,
};

/** Opportunities from best to worst (ties by name, so the order is stable). */
export function rankedOpportunities(opportunities: Record<string, number>): [string, number][] {
  return Object.entries(opportunities).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Starters for the top opportunities not yet covered, so a rep always has at least two distinct
 * openers; each carries its opportunity's score.
 */
export function fillStarters(courseName: string, starters: readonly Starter[], opportunities: Record<string, number>, min = MIN_DISTINCT_STARTERS): Starter[] {
  const out = [...starters];
  const keys = new Set(out.map((s) => starterKey(s.text)));
  for (const [key, score] of rankedOpportunities(opportunities)) {
    if (out.length >= min) break;
    const template = STARTER_FOR_OPPORTUNITY[key];
    if (!template) continue;
    const text = template(courseName);
    if (keys.has(starterKey(text))) continue;
    keys.add(starterKey(text));
    out.push({ text, score: Math.min(10, Math.max(1, Math.round(score))) });
  }
  return out;
}

/**
 * The opportunities that tie where the ranking matters (first and second place, the two the lead
 * task names): null when the top two places are distinct.
 */
export function opportunityTie(opportunities: Record<string, number>): { keys: string[]; score: number } | null {
  const ranked = rankedOpportunities(opportunities);
  if (ranked.length < 2) return null;
  const [first, second, third] = ranked;
  const tiedScore = first![1] === second![1] ? first![1] : third && second![1] === third[1] ? second![1] : null;
  if (tiedScore === null) return null;
  return { keys: ranked.filter(([, s]) => s === tiedScore).map(([k]) => k), score: tiedScore };
}

/** The sentence that says a tie instead of pretending to rank it. */
export function tieSentence(tie: { keys: string[]; score: number }): string {
  const names = tie.keys.map((k) => OPPORTUNITY_NAMES[k] ?? k.replace(/_/g, " "));
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0]!;
  return `${list} tie at ${tie.score}/10: their order is not a ranking.`;
}
