/** When an outreach email may go out: the recipient's time zone, its send window, business days and US federal holidays. */
import { z } from "zod";
import { toStateCode } from "../lib/us-states.ts";

// ---------------------------------------------------------------------------------------------
// Time zone of a state
// ---------------------------------------------------------------------------------------------

// A state that spans zones gets the zone where most of its people live (TX: El Paso is Mountain,
// FL: the western panhandle is Central, TN: Knoxville/Chattanooga are Eastern, ND/SD/NE/KS: their
// western parts are Mountain, OR/ID: Malheur County is Mountain, the Idaho panhandle is Pacific,
// MI: four Upper Peninsula counties are Central, IN: a few corner counties are Central, KY: its
// western half is Central, AK: the western Aleutians are Hawaii–Aleutian).
const STATE_ZONES: Record<string, string> = {
  AL: "America/Chicago", AK: "America/Anchorage", AZ: "America/Phoenix", AR: "America/Chicago",
  CA: "America/Los_Angeles", CO: "America/Denver", CT: "America/New_York", DE: "America/New_York",
  DC: "America/New_York", FL: "America/New_York", GA: "America/New_York", HI: "Pacific/Honolulu",
  ID: "America/Boise", IL: "America/Chicago", IN: "America/Indiana/Indianapolis", IA: "America/Chicago",
  KS: "America/Chicago", KY: "America/New_York", LA: "America/Chicago", ME: "America/New_York",
  MD: "America/New_York", MA: "America/New_York", MI: "America/Detroit", MN: "America/Chicago",
  MS: "America/Chicago", MO: "America/Chicago", MT: "America/Denver", NE: "America/Chicago",
  NV: "America/Los_Angeles", NH: "America/New_York", NJ: "America/New_York", NM: "America/Denver",
  NY: "America/New_York", NC: "America/New_York", ND: "America/Chicago", OH: "America/New_York",
  OK: "America/Chicago", OR: "America/Los_Angeles", PA: "America/New_York", RI: "America/New_York",
  SC: "America/New_York", SD: "America/Chicago", TN: "America/Chicago", TX: "America/Chicago",
  UT: "America/Denver", VT: "America/New_York", VA: "America/New_York", WA: "America/Los_Angeles",
  WV: "America/New_York", WI: "America/Chicago", WY: "America/Denver",
};

/** "TX", "texas", " Texas " → "America/Chicago"; a state the app does not know → an Error naming it. */
export function timeZoneForState(state: string): string {
  const code = toStateCode(state);
  const zone = code ? STATE_ZONES[code] : undefined;
  if (!zone) throw new Error(`No time zone for state ${JSON.stringify(state)}: not a US state code or name`);
  return zone;
}

// ---------------------------------------------------------------------------------------------
// Civil dates (no time zone: plain calendar arithmetic on UTC dates)
// ---------------------------------------------------------------------------------------------

interface CivilDate { year: number; month: number; day: number }

function parseDate(localDate: string): CivilDate {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(localDate);
  if (!match) throw new Error(`Not a YYYY-MM-DD date: ${JSON.stringify(localDate)}`);
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

function formatDate({ year, month, day }: CivilDate): string {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** The date `days` after `date` (Date.UTC normalises month and year overflow). */
function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday: Monday = 1 … Sunday = 7. */
function isoWeekday(date: CivilDate): number {
  return ((new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7) + 1;
}

// ---------------------------------------------------------------------------------------------
// US federal holidays (5 U.S.C. 6103)
// ---------------------------------------------------------------------------------------------
// Computed rather than taken from @18f/us-federal-holidays: the rules are fixed by statute and fit in
// a few lines, while that package brings dayjs (CommonJS) and works on Date objects, whose meaning
// of "which day" depends on the runtime's zone; here the question is always a local YYYY-MM-DD.

/** The `n`th (1-based) ISO `weekday` of a month; n = -1 for the last. */
function nthWeekday(year: number, month: number, weekday: number, n: number): CivilDate {
  if (n > 0) {
    const first = { year, month, day: 1 };
    return addDays(first, ((weekday - isoWeekday(first) + 7) % 7) + 7 * (n - 1));
  }
  const last = addDays({ year, month: month + 1, day: 1 }, -1);
  return addDays(last, -((isoWeekday(last) - weekday + 7) % 7));
}

/** A fixed-date holiday and, when it falls on a weekend, the weekday it is observed on (Saturday → Friday, Sunday → Monday). */
function withObserved(date: CivilDate): CivilDate[] {
  const weekday = isoWeekday(date);
  if (weekday === 6) return [date, addDays(date, -1)];
  if (weekday === 7) return [date, addDays(date, 1)];
  return [date];
}

const holidayCache = new Map<number, Set<string>>();

/** Every date in `year`'s federal holidays: the legal date and the observed date (one may fall in the next or previous year). */
function federalHolidays(year: number): Set<string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const dates = [
    ...withObserved({ year, month: 1, day: 1 }), // New Year's Day
    nthWeekday(year, 1, 1, 3), // Birthday of Martin Luther King, Jr.
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    nthWeekday(year, 5, 1, -1), // Memorial Day
    ...(year >= 2021 ? withObserved({ year, month: 6, day: 19 }) : []), // Juneteenth (since 2021)
    ...withObserved({ year, month: 7, day: 4 }), // Independence Day
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 10, 1, 2), // Columbus Day
    ...withObserved({ year, month: 11, day: 11 }), // Veterans Day
    nthWeekday(year, 11, 4, 4), // Thanksgiving Day
    ...withObserved({ year, month: 12, day: 25 }), // Christmas Day
  ];
  const set = new Set(dates.map(formatDate));
  holidayCache.set(year, set);
  return set;
}

/**
 * True on a US federal holiday, on its legal date and on its observed date (2026-07-03 and 2026-07-04).
 * New Year's Day on a Saturday is observed on 31 December of the year before (2027-12-31 for 2028).
 */
export function isUsFederalHoliday(localDate: string): boolean {
  const { year } = parseDate(localDate);
  return federalHolidays(year).has(localDate) || federalHolidays(year + 1).has(localDate);
}

// ---------------------------------------------------------------------------------------------
// Wall clock ↔ instant, through Intl (no fixed offsets, so DST is the zone database's business)
// ---------------------------------------------------------------------------------------------

interface WallTime extends CivilDate { hour: number; minute: number; second: number }

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat("en-US", {
        timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", second: "numeric",
      });
    } catch {
      throw new Error(`Unknown time zone ${JSON.stringify(timeZone)}`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function wallTime(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0,
    hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0,
  };
}

/** The zone's UTC offset in ms at `instant` (local = instant + offset). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallTime(instant, timeZone);
  const wholeSeconds = instant - (((instant % 1000) + 1000) % 1000);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - wholeSeconds;
}

const DAY_MS = 86_400_000;

/**
 * The instants whose local wall time is `date` at `secondsOfDay` (+ `ms`): one normally, two in a
 * fall-back overlap (earlier first). In a spring-forward gap, none exists; `gap` says what to return then:
 * "transition" the instant the clocks jump (the first instant at or after that wall time), or
 * "shifted" the wall time moved forward by the gap's length (02:30 → 03:30, as Temporal's "compatible").
 */
function instantsAt(date: CivilDate, secondsOfDay: number, ms: number, timeZone: string, gap: "transition" | "shifted"): number[] {
  const local = Date.UTC(date.year, date.month - 1, date.day) + secondsOfDay * 1000 + ms;
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  const found = [...new Set([before, after])]
    .map((offset) => local - offset)
    .filter((instant) => offsetAt(instant, timeZone) === local - instant)
    .sort((a, b) => a - b);
  if (found.length) return found;
  if (gap === "shifted") return [local - before];
  // Binary search for the first instant on the later offset, between the two candidate readings.
  let lo = local - after; // still on the earlier offset
  let hi = local - before; // already on the later offset
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return [hi];
}

/** The local calendar date of `instant` in `timeZone`, as YYYY-MM-DD. */
export function localDate(instant: number, timeZone: string): string {
  return formatDate(wallTime(instant, timeZone));
}

/** The first instant of the local day after the one `instant` falls on. */
export function startOfNextLocalDay(instant: number, timeZone: string): number {
  const [start] = instantsAt(addDays(wallTime(instant, timeZone), 1), 0, 0, timeZone, "transition");
  return start!;
}

// ---------------------------------------------------------------------------------------------
// Send windows
// ---------------------------------------------------------------------------------------------

export interface SendWindow {
  /** Local "HH:MM", inclusive. */
  start: string;
  /** Local "HH:MM", exclusive ("24:00" for the end of the day). */
  end: string;
  /** ISO weekdays the window is open on, Monday = 1 … Sunday = 7. */
  days: number[];
  /** Closed on US federal holidays (legal and observed dates). */
  skipHolidays: boolean;
}

export const DEFAULT_SEND_WINDOW: SendWindow = Object.freeze({
  start: "08:00", end: "11:00", days: Object.freeze([1, 2, 3, 4, 5]) as number[], skipHolidays: true,
});

const clock = (upTo: "23:59" | "24:00") =>
  z.string().regex(upTo === "24:00" ? /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/ : /^(?:[01]\d|2[0-3]):[0-5]\d$/, `a time "HH:MM" from 00:00 to ${upTo}`);

/** Settings for a send window; a field left out takes its default. The window may not cross midnight. */
export const sendWindowSchema = z
  .object({
    start: clock("23:59").default(DEFAULT_SEND_WINDOW.start),
    end: clock("24:00").default(DEFAULT_SEND_WINDOW.end),
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1, "at least one sending day")
      .refine((days) => new Set(days).size === days.length, "no weekday twice")
      .default([...DEFAULT_SEND_WINDOW.days]),
    skipHolidays: z.boolean().default(DEFAULT_SEND_WINDOW.skipHolidays),
  })
  .refine((w) => w.start < w.end, { message: "start must be before end (a window may not cross midnight)", path: ["end"] });

/** A valid SendWindow from settings, or an Error that says every field that is wrong. */
export function parseSendWindow(input: unknown): SendWindow {
  const parsed = sendWindowSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "window"}: ${issue.message}`);
    throw new Error(`Invalid send window: ${problems.join("; ")}`);
  }
  return { ...parsed.data, days: [...parsed.data.days].sort((a, b) => a - b) };
}

function secondsOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60;
}

function isSendingDay(date: CivilDate, window: SendWindow): boolean {
  return window.days.includes(isoWeekday(date)) && !(window.skipHolidays && isUsFederalHoliday(formatDate(date)));
}

function isInside(instant: number, window: SendWindow, timeZone: string): boolean {
  const w = wallTime(instant, timeZone);
  const seconds = w.hour * 3600 + w.minute * 60 + w.second;
  return seconds >= secondsOf(window.start) && seconds < secondsOf(window.end) && isSendingDay(w, window);
}

/** The earliest instant ≥ `after` inside the window, on a sending day, in `timeZone`. */
export function nextSendTime(after: number, window: SendWindow, timeZone: string): number {
  if (isInside(after, window, timeZone)) return after;
  const startSeconds = secondsOf(window.start);
  let date: CivilDate = wallTime(after, timeZone);
  // Two years is far more than any valid window needs (at most a weekday plus a holiday in a row).
  for (let i = 0; i < 732; i++, date = addDays(date, 1)) {
    if (!isSendingDay(date, window)) continue;
    // The window opens when the wall clock reaches its start: once a day, twice on a fall-back day
    // whose overlap holds the start, or at the jump when the start lies in a spring-forward gap.
    for (const opening of instantsAt(date, startSeconds, 0, timeZone, "transition")) {
      if (opening >= after && isInside(opening, window, timeZone)) return opening;
    }
  }
  throw new Error(`No send time within two years after ${new Date(after).toISOString()} for window ${JSON.stringify(window)}`);
}

/** The same local wall-clock time `days` business days (Mon–Fri, and not holidays when skipHolidays) after `from`. */
export function addBusinessDays(from: number, days: number, timeZone: string, skipHolidays = true): number {
  if (!Number.isInteger(days) || days < 0) throw new Error(`Business days must be a whole number ≥ 0, got ${days}`);
  const w = wallTime(from, timeZone);
  let date: CivilDate = w;
  for (let left = days; left > 0; ) {
    date = addDays(date, 1);
    if (isoWeekday(date) <= 5 && !(skipHolidays && isUsFederalHoliday(formatDate(date)))) left--;
  }
  const ms = ((from % 1000) + 1000) % 1000;
  // A wall time that falls in a fall-back overlap takes its first reading; in a spring-forward gap it moves on by the gap.
  const [instant] = instantsAt(date, w.hour * 3600 + w.minute * 60 + w.second, ms, timeZone, "shifted");
  return instant!;
}

// ---------------------------------------------------------------------------------------------
// Planning a step of a sequence
// ---------------------------------------------------------------------------------------------

export interface SchedulePolicy {
  window: SendWindow;
  timeZone: string;
  /** Demo mode: the window is always open and a business day lasts one minute. */
  demo: boolean;
}

const DEMO_BUSINESS_DAY_MS = 60_000;

/**
 * When a step should be sent. Step 1 (no previousSentAt): the next send time from now. A later step:
 * `delayBusinessDays` (default 0) business days after the previous send, then the next send time, never before now.
 */
export function planStepTime(policy: SchedulePolicy, opts: { now: number; previousSentAt?: number; delayBusinessDays?: number }): number {
  const { now, previousSentAt, delayBusinessDays = 0 } = opts;
  if (policy.demo) {
    return previousSentAt === undefined ? now : Math.max(now, previousSentAt + delayBusinessDays * DEMO_BUSINESS_DAY_MS);
  }
  const earliest = previousSentAt === undefined
    ? now
    : Math.max(now, addBusinessDays(previousSentAt, delayBusinessDays, policy.timeZone, policy.window.skipHolidays));
  return nextSendTime(earliest, policy.window, policy.timeZone);
}
