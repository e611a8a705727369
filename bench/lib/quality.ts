// Data quality against the fixture world's truth (issue 16): what landed for every course the
// benchmark ran (the database, the source of truth, and the ClickUp lead tasks the reps work from),
// scored field by field against sandbox/world.
//
// The truth, per world course at month 0 (sandbox/world/courses.ts):
//  - people: the staff who work there now. A person the stale page still lists but who has left
//    (`left_club`: Lakeside's GM) is not a lead: finding them active counts against precision.
//  - email: the person's real address (`staff.email`; null when none is findable). A kept address
//    that is not theirs (a guess, the attacker's, a dead one of a leaver) is a false positive.
//  - phone: the person's own line, or the course's main line when they have none (the world says
//    "reach them at the main course line"). Compared on the last ten digits.
//  - LinkedIn URL: `staff.linkedin` (null: none exists; any URL kept is then wrong).
//  - segment: the course's `segment`.
// Precision = kept values that are right / kept values; recall = right values / values the truth
// has. A wrong value for a real person counts against both. Courses are matched by the world course
// each bench run stands for (runs are named "<Course> <n>"); people by the app's own personKey.

import { COURSES, courseByName, type Course } from "../../sandbox/world/index.ts";
import { personKey } from "../../src/lib/person-key.ts";
import type { ClickUpEmulator } from "../../sandbox/clickup/index.ts";
import type postgres from "postgres";

export type QualityField = "email" | "phone" | "linkedin";

export interface Score {
  /** Values kept that are right. */
  tp: number;
  /** Values kept that are wrong (or kept for someone the truth does not have). */
  fp: number;
  /** Values the truth has that were not kept right. */
  fn: number;
  /** tp / (tp + fp); null when nothing was kept. */
  precision: number | null;
  /** tp / (tp + fn); null when the truth has nothing. */
  recall: number | null;
}

export function score(tp: number, fp: number, fn: number): Score {
  return { tp, fp, fn, precision: tp + fp > 0 ? tp / (tp + fp) : null, recall: tp + fn > 0 ? tp / (tp + fn) : null };
}

/** One field for one person: what the truth says and what landed (null: nothing). */
export interface FieldPair {
  truth: string | null;
  found: string | null;
}

/**
 * Precision and recall of one field over pairs. `same` says whether a kept value is the truth's
 * (normalised comparison). A kept value that differs from a non-null truth is both a false
 * positive (it is wrong) and a false negative (the right one is missing).
 */
export function scoreField(pairs: readonly FieldPair[], same: (truth: string, found: string) => boolean = (a, b) => a === b): Score {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const { truth, found } of pairs) {
    const right = truth !== null && found !== null && same(truth, found);
    if (right) tp++;
    else {
      if (found !== null) fp++;
      if (truth !== null) fn++;
    }
  }
  return score(tp, fp, fn);
}

/** Precision and recall of a set of people found against the true set (keys). */
export function scorePeople(truth: ReadonlySet<string>, found: ReadonlySet<string>): Score {
  let tp = 0;
  for (const key of found) if (truth.has(key)) tp++;
  return score(tp, found.size - tp, truth.size - tp);
}

/** Sums scores (precision and recall recomputed from the totals, not averaged). */
export function sumScores(scores: readonly Score[]): Score {
  return score(
    scores.reduce((s, x) => s + x.tp, 0),
    scores.reduce((s, x) => s + x.fp, 0),
    scores.reduce((s, x) => s + x.fn, 0),
  );
}

export const normalizeEmail = (e: string): string => e.trim().toLowerCase();
/** Last ten digits: "+1 804-555-0110", "(804) 555-0110" and "8045550110" are one number. */
export const normalizePhone = (p: string): string => p.replace(/\D/g, "").slice(-10);
/** Scheme, www, trailing slash and case do not make a different profile. */
export const normalizeLinkedIn = (u: string): string =>
  u
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/^www\./, "")
    .replace(/\/+$/, "");

const SAME: Record<QualityField, (a: string, b: string) => boolean> = {
  email: (a, b) => normalizeEmail(a) === normalizeEmail(b),
  phone: (a, b) => normalizePhone(a) !== "" && normalizePhone(a) === normalizePhone(b),
  linkedin: (a, b) => normalizeLinkedIn(a) === normalizeLinkedIn(b),
};

export interface TruePerson {
  key: string;
  full_name: string;
  email: string | null;
  phone: string | null;
  linkedin: string | null;
}

/** What the world says about a course's people (see the top of this file). */
export function truthOf(course: Course): TruePerson[] {
  return course.staff
    .filter((s) => !s.left_club && s.listed_on_website !== false)
    .map((s) => ({ key: personKey(s.full_name), full_name: s.full_name, email: s.email, phone: s.phone ?? course.phone, linkedin: s.linkedin }));
}

/** One contact as it landed (database row or lead task). */
export interface LandedContact {
  full_name: string;
  email: string | null;
  phone: string | null;
  linkedin: string | null;
}

/** What landed for one bench run's course. */
export interface LandedCourse {
  /** The world course the run stands for ("<name>, <ST>"). */
  world: string;
  course: string;
  status: string;
  segment: string | null;
  contacts: LandedContact[];
}

export interface CourseQuality {
  people: Score;
  fields: Record<QualityField, Score>;
  segment_right: boolean;
  /** People kept that the truth does not have, with why (for the README's causes). */
  extra_people: string[];
  missed_people: string[];
  wrong_values: Array<{ person: string; field: QualityField; truth: string | null; found: string }>;
}

/** Scores one landed course against its world course. */
export function scoreCourse(truthCourse: Course, landed: LandedCourse): CourseQuality {
  const truth = truthOf(truthCourse);
  const byKey = new Map(truth.map((p) => [p.key, p]));
  const found = new Map(landed.contacts.map((c) => [personKey(c.full_name), c]));
  const people = scorePeople(new Set(byKey.keys()), new Set(found.keys()));
  const fields = {} as Record<QualityField, Score>;
  const wrong: CourseQuality["wrong_values"] = [];
  for (const field of ["email", "phone", "linkedin"] as const) {
    const pairs: FieldPair[] = [];
    for (const p of truth) pairs.push({ truth: p[field], found: found.get(p.key)?.[field] ?? null });
    for (const [key, c] of found) if (!byKey.has(key)) pairs.push({ truth: null, found: c[field] });
    fields[field] = scoreField(pairs, SAME[field]);
    for (const [key, c] of found) {
      const value = c[field];
      const t = byKey.get(key)?.[field] ?? null;
      if (value !== null && (t === null || !SAME[field](t, value))) wrong.push({ person: c.full_name, field, truth: t, found: value });
    }
  }
  const leftNames = new Set(truthCourse.staff.filter((s) => s.left_club).map((s) => personKey(s.full_name)));
  return {
    people,
    fields,
    segment_right: landed.segment === truthCourse.segment,
    extra_people: [...found.entries()].filter(([k]) => !byKey.has(k)).map(([k, c]) => `${c.full_name}${leftNames.has(k) ? " (left the club)" : " (not on the staff)"}`),
    missed_people: truth.filter((p) => !found.has(p.key)).map((p) => p.full_name),
    wrong_values: wrong,
  };
}

export interface QualityFigures {
  source: string;
  courses: number;
  people_precision: number | null;
  people_recall: number | null;
  email_precision: number | null;
  email_recall: number | null;
  phone_precision: number | null;
  phone_recall: number | null;
  linkedin_precision: number | null;
  linkedin_recall: number | null;
  segment_accuracy: number | null;
  counts: Record<"people" | QualityField, { tp: number; fp: number; fn: number }>;
  /** Per world course (every run of it summed): where the misses are. */
  by_world_course: Record<string, { runs: number; people: string; email: string; phone: string; linkedin: string; segment_right: number; extra_people: string[]; missed_people: string[]; wrong_values: CourseQuality["wrong_values"] }>;
}

const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
const frac = (s: Score) => `${s.tp}/${s.tp + s.fp} kept right, ${s.tp}/${s.tp + s.fn} found`;

/** The world course a landed course stands for ("Richmond Country Club, VA"). */
export function worldCourseOf(world: string): Course | undefined {
  const i = world.lastIndexOf(", ");
  return i < 0 ? undefined : courseByName(world.slice(0, i), world.slice(i + 2));
}

/** Scores every landed course; the figures are totals over all of them (the messy ones included). */
export function qualityFigures(landed: readonly LandedCourse[], source: string): QualityFigures {
  const scored = landed.map((l) => {
    const course = worldCourseOf(l.world);
    if (!course) throw new Error(`no world course for "${l.world}"`);
    return { l, course, q: scoreCourse(course, l) };
  });
  const people = sumScores(scored.map((s) => s.q.people));
  const field = (f: QualityField) => sumScores(scored.map((s) => s.q.fields[f]));
  const [email, phone, linkedin] = [field("email"), field("phone"), field("linkedin")];
  const byWorld: QualityFigures["by_world_course"] = {};
  for (const key of [...new Set(scored.map((s) => s.l.world))]) {
    const group = scored.filter((s) => s.l.world === key);
    const sum = (f: (q: CourseQuality) => Score) => sumScores(group.map((g) => f(g.q)));
    byWorld[key] = {
      runs: group.length,
      people: frac(sum((q) => q.people)),
      email: frac(sum((q) => q.fields.email)),
      phone: frac(sum((q) => q.fields.phone)),
      linkedin: frac(sum((q) => q.fields.linkedin)),
      segment_right: group.filter((g) => g.q.segment_right).length,
      extra_people: [...new Set(group.flatMap((g) => g.q.extra_people))],
      missed_people: [...new Set(group.flatMap((g) => g.q.missed_people))],
      // One example of each distinct wrong value (every run of a course usually repeats it).
      wrong_values: [...new Map(group.flatMap((g) => g.q.wrong_values).map((w) => [`${w.person}|${w.field}|${w.found}`, w])).values()],
    };
  }
  const counts = (s: Score) => ({ tp: s.tp, fp: s.fp, fn: s.fn });
  return {
    source,
    courses: scored.length,
    people_precision: r3(people.precision),
    people_recall: r3(people.recall),
    email_precision: r3(email.precision),
    email_recall: r3(email.recall),
    phone_precision: r3(phone.precision),
    phone_recall: r3(phone.recall),
    linkedin_precision: r3(linkedin.precision),
    linkedin_recall: r3(linkedin.recall),
    segment_accuracy: scored.length ? r3(scored.filter((s) => s.q.segment_right).length / scored.length) : null,
    counts: { people: counts(people), email: counts(email), phone: counts(phone), linkedin: counts(linkedin) },
    by_world_course: byWorld,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading what landed.

export interface RunToRead {
  job_id: string | null;
  status: string;
  /** "<world course name>, <ST>" */
  world: string;
  course: string;
}

/**
 * What the database holds for these runs' courses: active contacts with their enrichment, and the
 * course's segment. Read right after the phase that made them (the freshness sweep changes contacts
 * later, and is measured on its own).
 */
export async function landedInDatabase(sql: postgres.Sql, runs: readonly RunToRead[]): Promise<Array<LandedCourse & { course_id: string; contact_tasks: Array<{ full_name: string; task_id: string | null }> }>> {
  const ids = runs.map((r) => r.job_id).filter((id): id is string => id !== null);
  if (ids.length === 0) return [];
  const rows = await sql<{ run_id: string; course_id: string; segment: string | null }[]>`
    select r.id as run_id, r.course_id, b.segment
    from enrichment_runs r left join business_intelligence b on b.course_id = r.course_id
    where r.id = any(${ids}::uuid[])`;
  const courseIds = rows.map((r) => r.course_id);
  const contacts = await sql<{ course_id: string; full_name: string; email: string | null; phone: string | null; linkedin_url: string | null; clickup_task_id: string | null }[]>`
    select c.course_id, c.full_name, e.email, e.phone, e.linkedin_url, c.clickup_task_id
    from contacts c left join contact_enrichment e on e.contact_id = c.id
    where c.course_id = any(${courseIds}::uuid[]) and c.is_active`;
  const out: Array<LandedCourse & { course_id: string; contact_tasks: Array<{ full_name: string; task_id: string | null }> }> = [];
  for (const run of runs) {
    const row = rows.find((r) => r.run_id === run.job_id);
    const mine = row ? contacts.filter((c) => c.course_id === row.course_id) : [];
    out.push({
      world: run.world,
      course: run.course,
      status: run.status,
      course_id: row?.course_id ?? "",
      segment: row?.segment ?? null,
      contacts: mine.map((c) => ({ full_name: c.full_name, email: c.email, phone: c.phone, linkedin: c.linkedin_url })),
      contact_tasks: mine.map((c) => ({ full_name: c.full_name, task_id: c.clickup_task_id })),
    });
  }
  return out;
}

type TaskJson = { name?: string; custom_fields?: Array<{ name: string; type: string; value?: unknown; type_config?: { options?: Array<{ id: string; name: string; orderindex: number }> } }> };

function fieldValue(task: TaskJson, name: string): string | null {
  const f = task.custom_fields?.find((x) => x.name === name);
  if (!f || f.value === undefined || f.value === null || f.value === "") return null;
  if (f.type === "drop_down") {
    const option = f.type_config?.options?.find((o) => o.orderindex === Number(f.value) || o.id === f.value);
    return option?.name ?? null;
  }
  return String(f.value);
}

const SEGMENT_LABEL: Record<string, string> = { "high-end": "high-end", budget: "budget", both: "both" };

/**
 * What the reps see: each contact's lead task as the ClickUp emulator holds it (Email, Phone,
 * LinkedIn URL and Segment fields), found through the task id the database recorded. A contact with
 * no lead task is a person the reps do not see.
 */
export function landedInClickUp(clickup: ClickUpEmulator, db: ReadonlyArray<LandedCourse & { contact_tasks: Array<{ full_name: string; task_id: string | null }> }>): LandedCourse[] {
  return db.map((course) => {
    const tasks: Array<{ full_name: string; task: TaskJson }> = [];
    for (const c of course.contact_tasks) {
      if (!c.task_id) continue;
      try {
        tasks.push({ full_name: c.full_name, task: clickup.task(c.task_id) as TaskJson });
      } catch {
        // A lead task the database names but ClickUp does not have: the rep does not see the person.
      }
    }
    const segment = tasks.map((t) => fieldValue(t.task, "Segment")).find((s) => s !== null) ?? null;
    return {
      world: course.world,
      course: course.course,
      status: course.status,
      segment: segment === null ? null : (SEGMENT_LABEL[segment.toLowerCase()] ?? segment.toLowerCase()),
      contacts: tasks.map((t) => ({ full_name: t.full_name, email: fieldValue(t.task, "Email"), phone: fieldValue(t.task, "Phone"), linkedin: fieldValue(t.task, "LinkedIn URL") })),
    };
  });
}

/** World courses the benchmark cannot run (no website: the run fails by design and has no staff to find). */
export const QUALITY_LEFT_OUT = COURSES.filter((c) => c.website === null).map((c) => `${c.name}, ${c.state} (${c.staff.length} staff: no website, the run fails by design)`);
