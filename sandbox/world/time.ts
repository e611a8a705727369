// World time: the fixture world has a clock, month 0 by default, that tests and the benchmark can
// advance to see the world change the way real contact data goes stale.
//
// The world is one module shared by every emulator in the process (startSandbox runs them all in
// one Node process), so advancing it changes what every emulator answers at once:
//
//   import { advanceWorld, resetWorld, worldMonth, MONTH_1 } from "sandbox/world/index.ts";
//   advanceWorld(1);   // → 1
//   resetWorld();      // → 0
//
// or over HTTP, on any emulator (the shared core serves it; not recorded, no faults, no latency):
//
//   POST /__emulator/world/advance  {"months": 1}   → 200 {month, events}   (months: integer ≥ 0, default 1)
//   POST /__emulator/world/reset                    → 200 {month: 0, events: []}
//   GET  /__emulator/world                          → 200 {month, events, upcoming}
//
// `events` are the events that have happened (month ≤ the current month), `upcoming` the rest.
// `POST /__emulator/reset` of an emulator does NOT reset the world (tests reset single emulators
// between tests); `POST /__emulator/world/reset` (or resetWorld()) does. A test that advances the
// world must reset it when done: the worker test suite shares one set of emulators.
//
// What month 1 brings (MONTH_1, WORLD_EVENTS):
//  - Eagle's Landing Resort & Golf (AZ): Jordan Blake, Director of Golf, left for Coyote Springs Golf
//    Club. The staff page no longer lists him and lists his successor Marcus Ortiz; a news page
//    (MONTH_1.evidenceUrl) says so and is in the course's search results (Perplexity sources,
//    Anthropic web search) and readable through Jina. Hunter's domain-search lists Marcus and still
//    lists Jordan's address with `sources[].still_on_page: false`; Jordan's mailbox still verifies
//    (the club forwards it). Priya Shah stays, but her address now verifies `invalid`. Owen
//    McAllister is unchanged.
//  - Maple Hills Golf Course (MI): the website is down. Jina answers 422 AssertionFailureError
//    (net::ERR_CONNECTION_TIMED_OUT), exactly as for Sandy Pines (SC) (the world's `site_unreachable`
//    flag, see sandbox/jina/index.ts); search still lists the site and Hunter still knows the
//    staff, who have not left.
// Perplexity's research answer for the freshness schema (still_at_club, current_employer,
// current_title, replacement_name, replacement_title, evidence_url) follows the world, see
// schema-fill.ts. At month 0 the world is exactly as it was before it had a clock.

import { COURSES, PAGE_OPTIONS } from "./courses.ts";
import { buildPages } from "./pages.ts";
import type { Course, StaffMember, WorldPage } from "./types.ts";

export type WorldEvent =
  | {
      month: number;
      /** ISO date the event happened (between the previous month and this one). */
      date: string;
      kind: "staff_left";
      course_id: string;
      staff_id: string;
      full_name: string;
      title: string;
      left_club: NonNullable<StaffMember["left_club"]>;
      /** The staff page stops listing the person. */
      removed_from_page: boolean;
      description: string;
    }
  | { month: number; date: string; kind: "staff_joined"; course_id: string; staff: StaffMember; replaces: string | null; description: string }
  | { month: number; date: string; kind: "page_published"; course_id: string; page: WorldPage; description: string }
  | {
      month: number;
      date: string;
      kind: "email_undeliverable";
      course_id: string;
      staff_id: string;
      full_name: string;
      email: string;
      /**
       * What Hunter's email-verifier answers from now on. Hunter's `data.status` is one of valid,
       * invalid, accept_all, webmail, disposable, unknown, and `invalid` means the address is not
       * deliverable (the deprecated `result` is "undeliverable"): https://hunter.io/api-documentation/v2
       * (Email Verifier), https://help.hunter.io/en/articles/12633706-how-to-verify-emails-via-api-with-code-examples.
       * sandbox/hunter/index.ts already answers status invalid, result undeliverable, score 0 for it.
       */
      verification: "invalid";
      description: string;
    }
  | { month: number; date: string; kind: "site_down"; course_id: string; website: string; description: string };

const EAGLES = "eagles-landing-resort-az";
const MAPLE = "maple-hills-golf-course-mi";

const EVIDENCE_URL = "https://www.desertgolfnews.example/news/2026/10/eagles-landing-names-marcus-ortiz-director-of-golf";

/** Jordan Blake's successor at Eagle's Landing (the full world record). */
const SUCCESSOR: StaffMember = {
  id: `${EAGLES}--marcus-ortiz`,
  first_name: "Marcus",
  last_name: "Ortiz",
  full_name: "Marcus Ortiz",
  title: "Director of Golf",
  role: "director_of_golf",
  email: "mortiz@eagleslandingaz.com",
  email_on_website: true,
  hunter: "domain_search",
  hunter_confidence: 93,
  verification: "valid",
  phone: "480-555-0185",
  phone_type: "direct",
  linkedin: "https://www.linkedin.com/in/marcus-ortiz-golf",
  start_year: 2026,
  tenure_years: 0,
  previous_clubs: ["Saguaro Canyon Golf Club"],
};

const LEFT_CLUB = { year: 2026, now_at: "Coyote Springs Golf Club", now_title: "Director of Golf", successor_id: SUCCESSOR.id, evidence_url: EVIDENCE_URL } as const;

const NEWS_PAGE: WorldPage = {
  url: EVIDENCE_URL,
  title: "Eagle's Landing Resort & Golf names Marcus Ortiz Director of Golf; Jordan Blake moves to Coyote Springs Golf Club",
  description: "Eagle's Landing Resort & Golf names Marcus Ortiz Director of Golf; Jordan Blake moves to Coyote Springs Golf Club",
  updated: "2026-10-19",
  markdown: [
    "# Eagle's Landing Resort & Golf names Marcus Ortiz Director of Golf; Jordan Blake moves to Coyote Springs Golf Club",
    "",
    "*Desert Golf News — October 19, 2026*",
    "",
    "SCOTTSDALE, Ariz. — Eagle's Landing Resort & Golf has named Marcus Ortiz its new Director of Golf. Ortiz joins the 36-hole Scottsdale resort from Saguaro Canyon Golf Club, where he was Head Golf Professional.",
    "",
    "He succeeds Jordan Blake, Director of Golf at Eagle's Landing since 2018, who has been named Director of Golf at Coyote Springs Golf Club.",
    "",
    '"Jordan built a terrific golf operation here and we wish him well," the resort said. Ortiz can be reached through the golf shop at 480-555-0180.',
  ].join("\n"),
};

/** The month-1 events, spelled out for tests and the benchmark (the truth the sweep should find). */
export const MONTH_1 = {
  month: 1,
  eaglesLanding: {
    courseId: EAGLES,
    staffPageUrl: "https://www.eagleslandingaz.com/staff",
    /** Left; no longer on the staff page. */
    leaver: {
      id: `${EAGLES}--jordan-blake`,
      full_name: "Jordan Blake",
      title: "Director of Golf",
      email: "jblake@eagleslandingaz.com",
      left_club: LEFT_CLUB,
    },
    successor: SUCCESSOR,
    /** The news page Perplexity cites (in its search results) and Jina can read. */
    evidenceUrl: EVIDENCE_URL,
    evidencePage: NEWS_PAGE,
    /** Still there, but Hunter's verifier now answers status "invalid". */
    undeliverable: { id: `${EAGLES}--priya-shah`, full_name: "Priya Shah", title: "Head Golf Professional", email: "pshah@eagleslandingaz.com" },
    unchanged: [{ id: `${EAGLES}--owen-mcallister`, full_name: "Owen McAllister", title: "Director of Agronomy", email: "omcallister@eagleslandingaz.com" }],
  },
  mapleHills: {
    courseId: MAPLE,
    website: "https://www.maplehillsgolfmi.com",
    /** What Jina answers for any page of the site (as for Sandy Pines, SC). */
    jina: { status: 422, name: "AssertionFailureError", reason: "net::ERR_CONNECTION_TIMED_OUT" },
  },
} as const;

/** Every scheduled event, in order. */
export const WORLD_EVENTS: readonly WorldEvent[] = [
  {
    month: 1,
    date: "2026-10-19",
    kind: "staff_left",
    course_id: EAGLES,
    staff_id: MONTH_1.eaglesLanding.leaver.id,
    full_name: "Jordan Blake",
    title: "Director of Golf",
    left_club: LEFT_CLUB,
    removed_from_page: true,
    description: "Jordan Blake (Director of Golf) left Eagle's Landing for Coyote Springs Golf Club; the staff page no longer lists him.",
  },
  {
    month: 1,
    date: "2026-10-19",
    kind: "staff_joined",
    course_id: EAGLES,
    staff: SUCCESSOR,
    replaces: MONTH_1.eaglesLanding.leaver.id,
    description: "Marcus Ortiz is the new Director of Golf at Eagle's Landing; the staff page lists him.",
  },
  {
    month: 1,
    date: "2026-10-19",
    kind: "page_published",
    course_id: EAGLES,
    page: NEWS_PAGE,
    description: `A news page says Eagle's Landing named Marcus Ortiz Director of Golf and Jordan Blake moved to Coyote Springs Golf Club (${EVIDENCE_URL}).`,
  },
  {
    month: 1,
    date: "2026-10-24",
    kind: "email_undeliverable",
    course_id: EAGLES,
    staff_id: MONTH_1.eaglesLanding.undeliverable.id,
    full_name: "Priya Shah",
    email: MONTH_1.eaglesLanding.undeliverable.email,
    verification: "invalid",
    description: "Priya Shah stays, but her address bounces: Hunter's email-verifier answers status invalid.",
  },
  {
    month: 1,
    date: "2026-10-28",
    kind: "site_down",
    course_id: MAPLE,
    website: MONTH_1.mapleHills.website,
    description: "Maple Hills Golf Course's website is down: Jina answers 422 (net::ERR_CONNECTION_TIMED_OUT); its staff are unchanged.",
  },
];

// ---------------------------------------------------------------------------------------------
// The clock.

/** The world as it was loaded (month 0), kept to rebuild any month from. */
const BASE: Course[] = structuredClone(COURSES);
let month = 0;
let version = 0;

function applyEvent(courses: Course[], e: WorldEvent, touched: Map<string, string>): void {
  const c = courses.find((x) => x.id === e.course_id);
  if (!c) throw new Error(`world event for unknown course ${e.course_id}`);
  const staffById = (id: string): StaffMember => {
    const s = c.staff.find((x) => x.id === id);
    if (!s) throw new Error(`world event for unknown staff member ${id}`);
    return s;
  };
  switch (e.kind) {
    case "staff_left": {
      const s = staffById(e.staff_id);
      s.left_club = structuredClone(e.left_club);
      s.tenure_years = e.left_club.year - s.start_year;
      if (e.removed_from_page) s.listed_on_website = false;
      touched.set(c.id, e.date);
      break;
    }
    case "staff_joined": {
      const joined = structuredClone(e.staff);
      const at = e.replaces ? c.staff.findIndex((x) => x.id === e.replaces) : -1;
      if (at >= 0) c.staff.splice(at, 0, joined);
      else c.staff.push(joined);
      touched.set(c.id, e.date);
      break;
    }
    case "page_published":
      c.external_pages = [...c.external_pages, structuredClone(e.page)];
      break;
    case "email_undeliverable":
      staffById(e.staff_id).verification = e.verification;
      break;
    case "site_down":
      c.site_unreachable = true;
      break;
  }
}

/** The courses at a month: month 0 plus every event up to it (fresh objects, BASE untouched). */
export function coursesAtMonth(m: number): Course[] {
  const courses = structuredClone(BASE);
  const touched = new Map<string, string>();
  for (const e of WORLD_EVENTS) if (e.month <= m) applyEvent(courses, e, touched);
  // Rebuild the sites whose staff changed; pages whose text did not change keep their date.
  for (const [id, date] of touched) {
    const c = courses.find((x) => x.id === id)!;
    // People off the page come after the people on it (a successor takes the leaver's place).
    c.staff = [...c.staff.filter((x) => x.listed_on_website !== false), ...c.staff.filter((x) => x.listed_on_website === false)];
    const rebuilt = buildPages(c, { ...(PAGE_OPTIONS.get(id) ?? {}), updated: date });
    c.pages = rebuilt.map((p) => {
      const old = c.pages.find((o) => o.url === p.url);
      return old && old.markdown === p.markdown ? old : p;
    });
  }
  return courses;
}

function setMonth(m: number): number {
  const next = coursesAtMonth(m);
  // In place: every module holding COURSES (or a course object from it) sees the new world.
  COURSES.forEach((c, i) => {
    const n = next[i]!;
    const target = c as unknown as Record<string, unknown>;
    for (const k of Object.keys(target)) if (!(k in n)) delete target[k];
    Object.assign(c, n);
  });
  month = m;
  version++;
  return month;
}

/** Moves the world on by `months` (an integer ≥ 0); returns the new month. */
export function advanceWorld(months = 1): number {
  if (!Number.isInteger(months) || months < 0) throw new Error(`months must be an integer ≥ 0, got ${months}`);
  return setMonth(month + months);
}

/** Back to month 0 (the world as loaded); returns 0. */
export function resetWorld(): number {
  return setMonth(0);
}

/** The current month (0 = the world as loaded). */
export function worldMonth(): number {
  return month;
}

/** Bumped on every change, so derived lookups (the page index) know to rebuild. */
export function worldVersion(): number {
  return version;
}

/** The events that have happened by now. */
export function worldEvents(): WorldEvent[] {
  return WORLD_EVENTS.filter((e) => e.month <= month);
}

export function worldState(): { month: number; events: WorldEvent[]; upcoming: WorldEvent[] } {
  return { month, events: worldEvents(), upcoming: WORLD_EVENTS.filter((e) => e.month > month) };
}

/**
 * The `/__emulator/world*` control routes, served by every emulator (sandbox/core/server.ts).
 * Returns undefined for any other path.
 */
export function worldControl(method: string, path: string, body: unknown): { status: number; body: unknown } | undefined {
  if (path === "/__emulator/world" && method === "GET") return { status: 200, body: worldState() };
  if (path === "/__emulator/world/reset" && method === "POST") {
    resetWorld();
    return { status: 200, body: { month, events: worldEvents() } };
  }
  if (path === "/__emulator/world/advance" && method === "POST") {
    const raw = typeof body === "object" && body !== null ? (body as { months?: unknown }).months : undefined;
    const months = raw === undefined ? 1 : raw;
    if (typeof months !== "number" || !Number.isInteger(months) || months < 0) {
      return { status: 400, body: { error: { code: "invalid_months", message: "months must be an integer ≥ 0 (default 1)" } } };
    }
    advanceWorld(months);
    return { status: 200, body: { month, events: worldEvents() } };
  }
  if (path === "/__emulator/world" || path.startsWith("/__emulator/world/")) {
    return { status: 404, body: { error: { code: "not_found", message: `No world control route ${method} ${path}` } } };
  }
  return undefined;
}
