// Generates a value satisfying a JSON schema (as produced by zod v4 `z.toJSONSchema`, or hand-written
// tool `input_schema`s), filling fields with coherent fixture-world data when the prompt names a
// course (and a staff member) of the world: `website` gets the course's real website, `segment` the
// world's segment, `email` the contact's email, and so on. Unknown fields get deterministic generic
// values (seeded by the request) that still satisfy the schema: enums, const, min/max, lengths,
// required, arrays, nested objects, $ref/$defs, anyOf/oneOf/allOf, formats (email, uri, date-time,
// date, uuid) and simple regex patterns.

import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { Course, StaffMember } from "./types.ts";

export type JsonSchema = { [key: string]: unknown } | boolean;

export interface FillContext {
  course?: Course | undefined;
  staff?: StaffMember | undefined;
  /** Every world course the prompt names (a name alone can match several: "Pine Valley Golf Club" in NJ and OH). */
  courses?: Course[] | undefined;
  random: () => number;
  /** The root schema, for `$ref` resolution. */
  root?: JsonSchema;
}

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const MAX_DEPTH = 10;

function resolveRef(schema: Obj, root: JsonSchema | undefined): Obj {
  let s = schema;
  for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
    const ref = s.$ref as string;
    if (!ref.startsWith("#") || !isObj(root)) break;
    const parts = ref.slice(1).split("/").filter(Boolean).map((p) => decodeURIComponent(p.replace(/~1/g, "/").replace(/~0/g, "~")));
    let target: unknown = root;
    for (const p of parts) target = isObj(target) ? target[p] : undefined;
    if (!isObj(target)) break;
    const { $ref: _r, ...rest } = s;
    s = { ...target, ...rest };
  }
  if (Array.isArray(s.allOf)) {
    let merged: Obj = { ...s };
    delete merged.allOf;
    for (const part of s.allOf) {
      if (!isObj(part)) continue;
      const r = resolveRef(part, root);
      merged = {
        ...merged,
        ...r,
        properties: { ...(isObj(merged.properties) ? merged.properties : {}), ...(isObj(r.properties) ? r.properties : {}) },
        required: [...(Array.isArray(merged.required) ? merged.required : []), ...(Array.isArray(r.required) ? r.required : [])],
      };
    }
    s = merged;
  }
  return s;
}

/** Types of a schema including its anyOf/oneOf branches. */
function deepTypes(s: Obj, root: JsonSchema | undefined): string[] {
  const out = new Set(types(s));
  if (Array.isArray(s.enum) && s.enum.some((e) => typeof e === "string")) out.add("string");
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts)) for (const a of alts) if (isObj(a)) for (const t of deepTypes(resolveRef(a, root), root)) out.add(t);
  }
  return [...out];
}

function types(s: Obj): string[] {
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  if (typeof s.type === "string") return [s.type];
  if (s.enum !== undefined || s.const !== undefined) return [];
  if (isObj(s.properties) || s.additionalProperties !== undefined) return ["object"];
  if (s.items !== undefined || s.prefixItems !== undefined) return ["array"];
  return [];
}

export function allowsNull(schema: JsonSchema, root?: JsonSchema): boolean {
  if (schema === true) return true;
  if (!isObj(schema)) return false;
  const s = resolveRef(schema, root);
  if (types(s).includes("null")) return true;
  if (Array.isArray(s.enum) && s.enum.includes(null)) return true;
  if (s.const === null) return true;
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.some((a) => allowsNull(a as JsonSchema, root))) return true;
  }
  return false;
}

// --------------------------------------------------------------------------------------------
// Whether a world value fits a schema: ajv (JSON Schema 2020-12, the formats of ajv-formats).

const ajv = new Ajv2020({ strict: false, validateSchema: false });
formatsModule.default(ajv);
// The same sub-schemas are asked about for every request: compile each once.
const validators = new Map<string, ValidateFunction | null>();

export function fits(schema: JsonSchema, value: unknown, root?: JsonSchema): boolean {
  if (schema === true || schema === undefined) return true;
  if (schema === false) return false;
  if (!isObj(schema)) return true;
  // The root's definitions travel along, so a nested `$ref: "#/$defs/…"` still resolves.
  const { $schema: _s, $id: _i, ...own } = schema;
  const whole = isObj(root) ? { ...(root.$defs ? { $defs: root.$defs } : {}), ...(root.definitions ? { definitions: root.definitions } : {}), ...own } : own;
  const key = JSON.stringify(whole);
  let validate = validators.get(key);
  if (validate === undefined) {
    try {
      validate = ajv.compile(whole);
    } catch {
      validate = null; // a schema ajv cannot compile constrains nothing here
    }
    validators.set(key, validate);
  }
  return validate ? validate(value) : true;
}

// --------------------------------------------------------------------------------------------
// World values by field name.

const normKey = (k: string): string => k.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");

type WorldHit = { value: unknown } | undefined;

/** Maps a 0–10 score onto the schema's numeric range. */
function scaleScore(raw10: number, s: Obj): number {
  const max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum : undefined;
  let v = raw10;
  if (max !== undefined && max <= 1) v = raw10 / 10;
  else if (max !== undefined && max >= 100) v = raw10 * 10;
  return v;
}

function matchEnum(s: Obj, wanted: string): unknown {
  if (!Array.isArray(s.enum)) return wanted;
  const w = normKey(wanted);
  const hit = s.enum.find((e) => typeof e === "string" && normKey(e) === w) ?? s.enum.find((e) => typeof e === "string" && (normKey(e).includes(w) || w.includes(normKey(e))));
  return hit ?? wanted;
}

function opportunityKeyFor(name: string): keyof Course["opportunities"] | undefined {
  const n = normKey(name);
  if (n.includes("lease")) return "range_ball_lease";
  if (n.includes("recycl") || n.includes("used")) return "range_ball_recycle";
  if (n.includes("retriev") || n.includes("lake") || n.includes("water") || n.includes("dive")) return "lake_ball_retrieval";
  if (n.includes("equip") || n.includes("picker") || n.includes("dispens")) return "range_equipment";
  if (n.includes("ecom") || n.includes("shop") || n.includes("online")) return "proshop_ecommerce";
  if (n.includes("buy") || n.includes("purchase") || n.includes("new_ball")) return "range_ball_buy";
  return undefined;
}

function courseSummary(c: Course): string {
  return `${c.name} (${c.city}, ${c.state}) is a ${c.holes}-hole ${c.type} course. ${c.segment_reasoning}`;
}

/**
 * Contact-freshness fields (is this person still in the role?): a person the world does not know
 * gets null for each of them (when the schema allows null), not invented values.
 */
const FRESHNESS_KEYS = new Set(["still_at_club", "current_employer", "current_title", "replacement_name", "replacement_title", "evidence_url"]);

/** The course's staff page when it lists the person (what shows they are still there). */
function staffPageListing(c: Course, st: StaffMember): string | null {
  if (st.listed_on_website === false) return null;
  const page = c.pages.find((p) => /staff|team/.test(p.url) && p.markdown.includes(st.full_name));
  return page?.url ?? null;
}

/** Who holds a leaver's role now: the named successor, else a current colleague with the same role. */
function successorOf(c: Course, st: StaffMember): StaffMember | undefined {
  if (!st.left_club) return undefined;
  const id = st.left_club.successor_id;
  if (id) return c.staff.find((x) => x.id === id);
  return c.staff.find((x) => x !== st && !x.left_club && x.role === st.role);
}

function worldValue(rawKey: string, s: Obj, ctx: FillContext, depth: number): WorldHit {
  const c = ctx.course;
  const k = normKey(rawKey);
  const st = ctx.staff;
  if (FRESHNESS_KEYS.has(k) && !st) return { value: null };
  // A list of courses ("every course with this name"): one item per world course the prompt names,
  // none when it names none, as a search-backed answer would list them.
  if (ctx.courses && ["courses", "matching_courses", "candidates", "matches"].includes(k) && deepTypes(s, ctx.root).includes("array")) {
    const item = (s.items ?? {}) as JsonSchema;
    return { value: ctx.courses.map((course) => fill(item, "course", { ...ctx, course, staff: undefined, courses: undefined }, depth + 1)) };
  }
  if (!c) return undefined;
  const ts = deepTypes(s, ctx.root);
  const wantsString = ts.includes("string") || Array.isArray(s.enum);
  const wantsNumber = ts.includes("number") || ts.includes("integer");
  const wantsArray = ts.includes("array");
  const wantsObject = ts.includes("object");
  const wantsBool = ts.includes("boolean");

  // ---- staff-level fields
  if (st) {
    if (["name", "full_name", "contact_name", "person_name"].includes(k)) return { value: st.full_name };
    if (k === "first_name" || k === "firstname" || k === "given_name") return { value: st.first_name };
    if (k === "last_name" || k === "lastname" || k === "family_name" || k === "surname") return { value: st.last_name };
    if (["title", "position", "job_title", "role_title"].includes(k)) return { value: st.title };
    if (k === "role" && wantsString) return { value: Array.isArray(s.enum) ? matchEnum(s, st.role) : st.title };
    if (["email", "email_address", "work_email", "contact_email"].includes(k)) return { value: st.email };
    if (["linkedin", "linkedin_url", "linkedin_profile", "linkedin_profile_url"].includes(k)) return { value: st.linkedin };
    if (["phone", "phone_number", "direct_phone", "contact_phone", "mobile"].includes(k)) return { value: st.phone ?? c.phone };
    if (k === "phone_type" || k === "phone_source") return { value: matchEnum(s, st.phone ? (st.phone_type ?? "course") : "course") };
    if (["tenure_years", "years_at_club", "tenure", "years_in_role", "years_at_course", "years"].includes(k) && wantsNumber) return { value: st.tenure_years };
    if (["start_year", "started", "year_started", "joined_year"].includes(k) && wantsNumber) return { value: st.start_year };
    if (["previous_clubs", "previous_employers", "prior_clubs", "past_clubs", "previous_courses", "career_history", "previous_positions"].includes(k) && wantsArray) {
      const items = (s.items ?? {}) as JsonSchema;
      return {
        value: st.previous_clubs.map((club, i) => {
          if (fits(items, club, ctx.root)) return club;
          const obj = fill(items, `previous_club_${i}`, ctx, depth + 1);
          if (isObj(obj)) {
            for (const name of Object.keys(obj)) {
              const nk = normKey(name);
              if (["club", "club_name", "name", "course", "course_name", "organization", "employer", "company"].includes(nk)) obj[name] = club;
            }
          }
          return obj;
        }),
      };
    }
    if (["is_current", "still_at_club", "currently_employed", "still_employed", "current"].includes(k) && wantsBool) return { value: !st.left_club };
    if (["current_employer", "current_club", "now_at"].includes(k)) return { value: st.left_club ? st.left_club.now_at : c.name };
    if (k === "current_title") return { value: st.left_club ? st.left_club.now_title : st.title };
    if (k === "replacement_name" || k === "replacement_title") {
      const next = successorOf(c, st);
      return { value: next ? (k === "replacement_name" ? next.full_name : next.title) : null };
    }
    // The page that says so: for a leaver the evidence page the world has (a news item), for a
    // person still there the staff page listing them; null when the world has neither.
    if (k === "evidence_url") return { value: st.left_club ? (st.left_club.evidence_url ?? null) : staffPageListing(c, st) };
    if (["email_found", "found_email", "has_email"].includes(k)) return { value: st.email !== null };
    if (k === "found" && wantsBool) return { value: st.email !== null || st.phone !== null };
    if (["email_confidence", "email_score", "score"].includes(k) && wantsNumber) return { value: st.hunter_confidence > 0 ? scaleScore(st.hunter_confidence / 10, s) : scaleScore(2, s) };
    if (["verification_status", "email_status"].includes(k) && wantsString) return { value: matchEnum(s, st.verification) };
  }

  // ---- course-level fields
  if (["website", "website_url", "url", "course_url", "official_website", "homepage", "site_url", "official_url", "course_website"].includes(k)) return { value: c.website };
  if (k === "domain" || k === "website_domain") return { value: c.domain };
  if (["course_name", "club_name", "course", "facility_name"].includes(k) && wantsString) return { value: c.name };
  if (k === "name" && !st && wantsString) return { value: c.name };
  if (k === "state" || k === "state_code") return { value: matchEnum(s, c.state) };
  if (k === "city" || k === "town") return { value: c.city };
  if (k === "address" || k === "street_address") return { value: c.address };
  if (["phone", "phone_number", "main_phone", "course_phone", "pro_shop_phone"].includes(k)) return { value: c.phone };
  if (["holes", "number_of_holes", "hole_count", "num_holes"].includes(k)) return { value: c.holes };
  if (["course_type", "facility_type", "club_type", "access", "ownership"].includes(k) || (k === "type" && Array.isArray(s.enum))) return { value: matchEnum(s, c.type) };
  if (["founded", "year_founded", "established", "year_opened"].includes(k)) return { value: c.founded };
  if (["segment", "primary_target", "target_segment", "market_segment", "segment_classification"].includes(k)) return { value: matchEnum(s, c.segment) };
  if (["segment_confidence", "confidence_score"].includes(k) && wantsNumber) return { value: scaleScore(c.segment_confidence, s) };
  if (k === "confidence" && wantsNumber) return { value: scaleScore(c.segment_confidence, s) };
  if (k === "confidence" && Array.isArray(s.enum)) return { value: matchEnum(s, c.water_hazard_confidence) };
  if (["water_hazard_count", "water_hazards", "hazard_count", "water_hazards_count", "water_count", "count", "total_water_hazards"].includes(k) && wantsNumber) return { value: c.water_hazards };
  if (["website_found", "has_website", "found"].includes(k) && wantsBool) return { value: c.website !== null };
  if (["has_range", "has_driving_range", "driving_range"].includes(k) && wantsBool) return { value: c.range.has_range };
  if (["range_stations", "stations", "hitting_stations"].includes(k) && wantsNumber) return { value: c.range.stations };
  if (["ball_brand", "range_ball_brand"].includes(k)) return { value: c.range.ball_brand };
  if (["range_surface", "surface"].includes(k)) return { value: matchEnum(s, c.range.surface) };
  if (["ball_program", "range_ball_program"].includes(k)) return { value: matchEnum(s, c.range.ball_program) };
  if (["annual_rounds", "rounds_per_year"].includes(k)) return { value: c.annual_rounds };
  if (["members", "member_count", "membership_size"].includes(k)) return { value: c.members };
  if (["green_fee", "green_fee_usd", "green_fees"].includes(k) && wantsNumber) return { value: c.green_fee_usd };
  if (["segment_reasoning", "reasoning", "rationale", "justification"].includes(k) && wantsString) return { value: c.segment_reasoning };
  if (["summary", "description", "notes", "course_summary", "overview"].includes(k) && wantsString) return { value: courseSummary(c) };
  if (["water_notes", "water_hazard_notes", "hazard_notes", "water_details"].includes(k) && wantsString) return { value: `${c.water_hazards} water hazards: ${c.water_notes.replace(/^with /, "")}` };
  if (["range_intel", "range_info", "range", "practice_facility", "range_details"].includes(k)) {
    if (wantsString) return { value: `${c.range.stations} stations on ${c.range.surface}; ${c.range.ball_brand ?? "unknown"} balls (${c.range.ball_program}). ${c.range.notes}`.trim() };
    return undefined; // objects: filled field by field with the keys above
  }
  if (["sources", "citations", "source_urls", "evidence_urls", "urls"].includes(k) && wantsArray) {
    const urls = [...c.pages, ...c.external_pages].map((p) => p.url).slice(0, 3);
    return { value: urls };
  }
  if (["opportunities", "opportunity_scores", "top_opportunities"].includes(k)) {
    const entries = Object.entries(c.opportunities).sort((a, b) => b[1] - a[1]);
    if (wantsObject && isObj(s.properties)) {
      const out: Obj = {};
      for (const [name, ps] of Object.entries(s.properties)) {
        const ok = opportunityKeyFor(name);
        const psr = isObj(ps) ? resolveRef(ps, ctx.root) : {};
        if (ok && (types(psr).includes("number") || types(psr).includes("integer"))) out[name] = scaleScore(c.opportunities[ok], psr);
        else out[name] = fill(ps as JsonSchema, name, ctx, depth + 1);
      }
      return { value: out };
    }
    if (wantsObject) {
      const valueSchema = isObj(s.additionalProperties) ? resolveRef(s.additionalProperties, ctx.root) : {};
      return { value: Object.fromEntries(entries.map(([n, v]) => [n, types(valueSchema).includes("number") || types(valueSchema).includes("integer") ? scaleScore(v, valueSchema) : fill(valueSchema, n, ctx, depth + 1)])) };
    }
    if (wantsArray) {
      const item = isObj(s.items) ? resolveRef(s.items, ctx.root) : {};
      const count = clampCount(s, entries.length);
      return {
        value: entries.slice(0, count).map(([n, v]) => {
          if (types(item).includes("string")) return n;
          const o = fill(item, "opportunity", ctx, depth + 1);
          if (isObj(o) && isObj(item.properties)) {
            for (const [pk, ps] of Object.entries(item.properties)) {
              const nk = normKey(pk);
              const psr = isObj(ps) ? resolveRef(ps, ctx.root) : {};
              if (["name", "type", "opportunity", "key", "category", "id"].includes(nk)) o[pk] = matchEnum(psr, n);
              if (["score", "rating", "value", "priority_score"].includes(nk) && (types(psr).includes("number") || types(psr).includes("integer"))) o[pk] = scaleScore(v, psr);
            }
          }
          return o;
        }),
      };
    }
  }
  if (["conversation_starters", "starters", "talking_points", "icebreakers", "opening_lines"].includes(k) && wantsArray) {
    const item = isObj(s.items) ? resolveRef(s.items, ctx.root) : {};
    const count = clampCount(s, c.conversation_starters.length);
    const base = c.conversation_starters;
    const list = Array.from({ length: count }, (_, i) => base[i % base.length]!);
    return {
      value: list.map((cs) => {
        if (types(item).includes("string")) return cs.text;
        const o = fill(item, "starter", ctx, depth + 1);
        if (isObj(o) && isObj(item.properties)) {
          for (const [pk, ps] of Object.entries(item.properties)) {
            const nk = normKey(pk);
            const psr = isObj(ps) ? resolveRef(ps, ctx.root) : {};
            if (["text", "starter", "message", "line", "content", "opener"].includes(nk)) o[pk] = cs.text;
            if (["score", "rating", "relevance", "relevance_score", "quality"].includes(nk) && (types(psr).includes("number") || types(psr).includes("integer"))) o[pk] = scaleScore(cs.score, psr);
          }
        }
        return o;
      }),
    };
  }
  if (["staff", "contacts", "people", "staff_members", "team", "employees", "decision_makers", "key_staff"].includes(k) && wantsArray) {
    const item = (s.items ?? {}) as JsonSchema;
    // People the site no longer lists (they left, see ./time.ts) are not extracted.
    const listed = c.staff.filter((m) => m.listed_on_website !== false);
    const members = listed.slice(0, typeof s.maxItems === "number" ? s.maxItems : listed.length);
    return { value: members.map((m) => fill(item, "contact", { ...ctx, staff: m }, depth + 1)) };
  }
  return undefined;
}

function clampCount(s: Obj, wanted: number): number {
  const min = typeof s.minItems === "number" ? s.minItems : 0;
  const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(wanted, min);
  return Math.max(min, Math.min(max, wanted));
}

// --------------------------------------------------------------------------------------------
// Generic generation.

function pick<T>(arr: readonly T[], random: () => number): T {
  return arr[Math.floor(random() * arr.length) % arr.length]!;
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "8";
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Generates a string for simple regexes (literals, classes, \d \w \s, quantifiers, groups with `|`). */
export function stringFromPattern(pattern: string, random: () => number): string | undefined {
  let i = 0;
  const p = pattern;
  const parseSeq = (): string => {
    let out = "";
    while (i < p.length && p[i] !== ")" && p[i] !== "|") {
      let atom = "";
      const ch = p[i]!;
      if (ch === "^" || ch === "$") {
        i++;
        continue;
      }
      if (ch === "(") {
        i++;
        if (p.startsWith("?:", i)) i += 2;
        const alts = [parseSeq()];
        while (p[i] === "|") {
          i++;
          alts.push(parseSeq());
        }
        i++; // ')'
        atom = alts[0] ?? "";
      } else if (ch === "[") {
        const end = p.indexOf("]", i + 1);
        const body = p.slice(i + 1, end);
        i = end + 1;
        atom = classSample(body);
      } else if (ch === "\\") {
        const n = p[i + 1]!;
        i += 2;
        atom = n === "d" ? String(Math.floor(random() * 10)) : n === "w" ? "a" : n === "s" ? " " : n;
      } else if (ch === ".") {
        i++;
        atom = "a";
      } else {
        i++;
        atom = ch;
      }
      // quantifier
      let reps = 1;
      const q = p[i];
      if (q === "?") {
        i++;
        reps = 1;
      } else if (q === "*") {
        i++;
        reps = 1;
      } else if (q === "+") {
        i++;
        reps = 1;
      } else if (q === "{") {
        const end = p.indexOf("}", i);
        const [a] = p.slice(i + 1, end).split(",");
        reps = Number(a) || 0;
        i = end + 1;
      }
      if (p[i] === "?") i++; // lazy
      for (let r = 0; r < reps; r++) out += r === 0 ? atom : regenerate(atom);
    }
    return out;
  };
  const regenerate = (atom: string): string => (/^\d$/.test(atom) ? String(Math.floor(random() * 10)) : atom);
  const classSample = (body: string): string => {
    if (body.startsWith("^")) return "a";
    if (body.includes("0-9") || body.includes("\\d")) return String(Math.floor(random() * 10));
    if (body.includes("a-z")) return "a";
    if (body.includes("A-Z")) return "A";
    return body.replace(/\\/g, "")[0] ?? "a";
  };
  try {
    const s = parseSeq();
    return new RegExp(pattern, "u").test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

function genericString(key: string, s: Obj, ctx: FillContext): string {
  const r = ctx.random;
  const domain = ctx.course?.domain ?? "example.com";
  let v: string;
  switch (s.format) {
    case "email":
      v = `info@${domain}`;
      break;
    case "uri":
    case "url":
      v = ctx.course?.website ? `${ctx.course.website}/` : "https://example.com/";
      break;
    case "date-time":
      v = "2026-11-20T12:00:00Z";
      break;
    case "date":
      v = "2026-11-20";
      break;
    case "time":
      v = "12:00:00";
      break;
    case "uuid":
      v = uuidFrom(r);
      break;
    case "hostname":
      v = domain;
      break;
    default: {
      const subject = ctx.staff ? ctx.staff.full_name : ctx.course ? ctx.course.name : "the request";
      v = `${key.replace(/_/g, " ")} for ${subject}`;
    }
  }
  if (typeof s.pattern === "string") {
    let ok = false;
    try {
      ok = new RegExp(s.pattern, "u").test(v);
    } catch {
      ok = true;
    }
    if (!ok) v = stringFromPattern(s.pattern, r) ?? v;
  }
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  const max = typeof s.maxLength === "number" ? s.maxLength : Infinity;
  while (v.length < min) v += ".";
  if (v.length > max) v = v.slice(0, max);
  return v;
}

function genericNumber(s: Obj, integer: boolean, random: () => number): number {
  let min = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + (integer ? 1 : 1e-6) : 0;
  let max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum - (integer ? 1 : 1e-6) : Math.max(min, 10);
  if (max < min) max = min;
  if (integer) {
    min = Math.ceil(min);
    max = Math.floor(max);
    return min + Math.floor(random() * (max - min + 1));
  }
  const v = min + random() * (max - min);
  const m = typeof s.multipleOf === "number" ? s.multipleOf : 0.01;
  const rounded = Math.round(v / m) * m;
  return Math.min(max, Math.max(min, Number(rounded.toFixed(6))));
}

/** Makes a world value fit the schema where a light touch suffices (numeric clamps, integer rounding). */
function coerce(value: unknown, s: Obj): unknown {
  if (typeof value === "number") {
    const ts = types(s);
    let v = value;
    if (ts.includes("integer") && !ts.includes("number")) v = Math.round(v);
    if (typeof s.minimum === "number") v = Math.max(s.minimum, v);
    if (typeof s.maximum === "number") v = Math.min(s.maximum, v);
    if (ts.includes("string") && !ts.includes("number") && !ts.includes("integer")) return String(value);
    return v;
  }
  return value;
}

/** Generates a value for `schema`. `key` is the property name it will be stored under (drives world lookups). */
export function fill(schema: JsonSchema, key: string, ctx: FillContext, depth = 0): unknown {
  if (schema === true || schema === undefined) return ctx.course ? ctx.course.name : "value";
  if (schema === false || !isObj(schema)) return null;
  const root = ctx.root ?? schema;
  const c2: FillContext = ctx.root ? ctx : { ...ctx, root };
  const s = resolveRef(schema, root);

  if (depth <= MAX_DEPTH) {
    const hit = worldValue(key, s, c2, depth);
    if (hit) {
      const v = coerce(hit.value, s);
      if (fits(s, v, root)) return v;
      if (v === null && !allowsNull(s, root)) {
        /* fall through to generic */
      }
    }
  }
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return pick(s.enum, c2.random);
  for (const k of ["anyOf", "oneOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length > 0) {
      const nonNull = alts.filter((a) => !(isObj(a) && (a.type === "null" || a.const === null)));
      const chosen = (nonNull[0] ?? alts[0]) as JsonSchema;
      // A world value that is null is honoured when a null branch exists (e.g. no website).
      const hit = depth <= MAX_DEPTH ? worldValue(key, isObj(chosen) ? resolveRef(chosen, root) : {}, c2, depth) : undefined;
      if (hit && hit.value === null && allowsNull(s, root)) return null;
      return fill(chosen, key, c2, depth + 1);
    }
  }
  const ts = types(s).filter((t) => t !== "null");
  const t = ts[0] ?? (types(s).includes("null") ? "null" : "string");
  switch (t) {
    case "null":
      return null;
    case "boolean":
      return c2.random() < 0.5;
    case "integer":
      return genericNumber(s, true, c2.random);
    case "number":
      return genericNumber(s, false, c2.random);
    case "string":
      return genericString(key, s, c2);
    case "array": {
      const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]) : [];
      const min = typeof s.minItems === "number" ? s.minItems : 1;
      const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(min, 2);
      const n = depth > MAX_DEPTH ? min : Math.max(prefix.length, Math.min(max, Math.max(min, 2)));
      const singular = key.endsWith("s") ? key.slice(0, -1) : key;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const itemSchema = i < prefix.length ? prefix[i]! : ((s.items as JsonSchema | undefined) ?? {});
        if (itemSchema === false) break;
        out.push(fill(itemSchema, singular, c2, depth + 1));
      }
      if (s.uniqueItems === true) {
        const seen = new Set<string>();
        return out.filter((v) => {
          const j = JSON.stringify(v);
          if (seen.has(j)) return false;
          seen.add(j);
          return true;
        });
      }
      return out;
    }
    case "object": {
      const out: Obj = {};
      const props = isObj(s.properties) ? s.properties : {};
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      for (const [pk, ps] of Object.entries(props)) {
        if (depth > MAX_DEPTH && !required.has(pk)) continue;
        // Optional fields the world has no value for (null where null is not allowed) are omitted,
        // as a careful model would rather than invent an email or a website.
        if (!required.has(pk) && !allowsNull(ps as JsonSchema, root) && isObj(ps)) {
          const hit = worldValue(pk, resolveRef(ps, root), c2, depth + 1);
          if (hit && hit.value === null) continue;
        }
        const v = fill(ps as JsonSchema, pk, c2, depth + 1);
        if (!required.has(pk) && v === null && !allowsNull(ps as JsonSchema, root)) continue;
        out[pk] = v;
      }
      if (Object.keys(props).length === 0 && isObj(s.additionalProperties) && depth <= MAX_DEPTH) {
        const hit = worldValue(key, s, c2, depth);
        if (hit && isObj(hit.value)) return hit.value;
        out[`${key || "key"}_1`] = fill(s.additionalProperties, key, c2, depth + 1);
      }
      return out;
    }
    default:
      return null;
  }
}

/** Entry point: a value for the whole schema. */
export function fillSchema(schema: JsonSchema, ctx: Omit<FillContext, "root">): unknown {
  return fill(schema, "", { ...ctx, root: schema });
}
