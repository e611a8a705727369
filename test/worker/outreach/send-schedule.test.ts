// Send windows, business days and federal holidays, computed in workerd's Intl (the runtime that will schedule the emails).
import { describe, expect, it } from "vitest";
import {
  addBusinessDays, DEFAULT_SEND_WINDOW, isUsFederalHoliday, localDate, nextSendTime, parseSendWindow,
  planStepTime, startOfNextLocalDay, timeZoneForState, type SchedulePolicy, type SendWindow,
} from "../../../src/outreach/send-schedule.ts";

const NY = "America/New_York";
const PHOENIX = "America/Phoenix";
/** An instant written with its local offset, so each expectation reads as a wall time. */
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test date ${iso}`);
  return ms;
};
const iso = (ms: number) => new Date(ms).toISOString();

describe("timeZoneForState", () => {
  it.each([
    ["VA", NY], ["california", "America/Los_Angeles"], [" Colorado ", "America/Denver"], ["hi", "Pacific/Honolulu"],
    ["AZ", PHOENIX], ["DC", NY], ["District of Columbia", NY], ["WA", "America/Los_Angeles"], ["GA", NY],
  ])("a one-zone state: %s → %s", (state, zone) => {
    expect(timeZoneForState(state)).toBe(zone);
  });

  it.each([
    ["TX", "America/Chicago"], ["FL", NY], ["IN", "America/Indiana/Indianapolis"], ["KY", NY], ["TN", "America/Chicago"],
    ["ND", "America/Chicago"], ["SD", "America/Chicago"], ["NE", "America/Chicago"], ["KS", "America/Chicago"],
    ["OR", "America/Los_Angeles"], ["ID", "America/Boise"], ["MI", "America/Detroit"], ["AK", "America/Anchorage"],
    ["texas", "America/Chicago"], ["Florida", NY],
  ])("a state across zones gets its majority zone: %s → %s", (state, zone) => {
    expect(timeZoneForState(state)).toBe(zone);
  });

  it("every state and DC has a zone the runtime knows", () => {
    const codes = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split(" ");
    for (const code of codes) {
      const zone = timeZoneForState(code);
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone }), code).not.toThrow();
    }
  });

  it.each(["Ontario", "ZZ", "", "Texass"])("an unknown state (%j) is an error naming it", (state) => {
    expect(() => timeZoneForState(state)).toThrow(new RegExp(`No time zone for state ${JSON.stringify(state)}`));
  });
});

describe("isUsFederalHoliday", () => {
  // Legal dates, plus the observed weekday when the legal date is a weekend.
  const HOLIDAYS_2026 = [
    "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19",
    "2026-07-03", "2026-07-04", // Independence Day is a Saturday: observed Friday
    "2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
  ];
  const HOLIDAYS_2027 = [
    "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31",
    "2027-06-18", "2027-06-19", // Juneteenth is a Saturday: observed Friday
    "2027-07-04", "2027-07-05", // Independence Day is a Sunday: observed Monday
    "2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25",
    "2027-12-24", "2027-12-25", // Christmas is a Saturday: observed Friday
    "2027-12-31", // New Year's Day 2028 is a Saturday: observed the Friday before
  ];

  /** Every day of a year that the function calls a holiday. */
  const holidaysIn = (year: number) => {
    const found: string[] = [];
    for (let d = new Date(Date.UTC(year, 0, 1)); d.getUTCFullYear() === year; d.setUTCDate(d.getUTCDate() + 1)) {
      const date = d.toISOString().slice(0, 10);
      if (isUsFederalHoliday(date)) found.push(date);
    }
    return found;
  };

  it("2026: exactly the eleven holidays, July 4 observed on Friday 3", () => {
    expect(holidaysIn(2026)).toEqual(HOLIDAYS_2026);
  });

  it("2027: exactly the eleven holidays with Juneteenth, July 4, Christmas and New Year 2028 observed", () => {
    expect(holidaysIn(2027)).toEqual(HOLIDAYS_2027);
  });

  it("ordinary days are not holidays, and Juneteenth only counts from 2021", () => {
    expect(isUsFederalHoliday("2026-07-06")).toBe(false);
    expect(isUsFederalHoliday("2026-12-24")).toBe(false);
    expect(isUsFederalHoliday("2020-06-19")).toBe(false);
    expect(isUsFederalHoliday("2021-06-18")).toBe(true); // the first Juneteenth, a Saturday
  });

  it("a malformed date is an error", () => {
    expect(() => isUsFederalHoliday("2026-7-4")).toThrow(/YYYY-MM-DD/);
  });
});

describe("localDate and startOfNextLocalDay", () => {
  it("the local date is the zone's, not UTC's", () => {
    expect(localDate(at("2026-03-09T03:30:00Z"), NY)).toBe("2026-03-08");
    expect(localDate(at("2026-03-09T03:30:00Z"), "UTC")).toBe("2026-03-09");
    expect(localDate(at("2026-12-31T23:30:00-10:00"), "Pacific/Honolulu")).toBe("2026-12-31");
  });

  it("the next local midnight, on either side of both DST changes", () => {
    expect(iso(startOfNextLocalDay(at("2026-03-07T12:00:00-05:00"), NY))).toBe(iso(at("2026-03-08T00:00:00-05:00")));
    expect(iso(startOfNextLocalDay(at("2026-03-08T12:00:00-04:00"), NY))).toBe(iso(at("2026-03-09T00:00:00-04:00")));
    expect(iso(startOfNextLocalDay(at("2026-10-31T23:59:59-04:00"), NY))).toBe(iso(at("2026-11-01T00:00:00-04:00")));
    expect(iso(startOfNextLocalDay(at("2026-11-01T12:00:00-05:00"), NY))).toBe(iso(at("2026-11-02T00:00:00-05:00")));
  });
});

describe("nextSendTime (08:00–11:00, Mon–Fri, holidays skipped)", () => {
  const next = (after: string, zone = NY, window: SendWindow = DEFAULT_SEND_WINDOW) => iso(nextSendTime(at(after), window, zone));

  it("before the window: its start the same day", () => {
    expect(next("2026-03-03T06:00:00-05:00")).toBe(iso(at("2026-03-03T08:00:00-05:00")));
  });

  it("inside the window: right away", () => {
    expect(next("2026-03-03T09:15:27-05:00")).toBe(iso(at("2026-03-03T09:15:27-05:00")));
    expect(next("2026-03-03T08:00:00-05:00")).toBe(iso(at("2026-03-03T08:00:00-05:00")));
    expect(next("2026-03-03T10:59:59-05:00")).toBe(iso(at("2026-03-03T10:59:59-05:00")));
  });

  it("at or after the end (exclusive): the next morning", () => {
    expect(next("2026-03-03T11:00:00-05:00")).toBe(iso(at("2026-03-04T08:00:00-05:00")));
    expect(next("2026-03-03T16:00:00-05:00")).toBe(iso(at("2026-03-04T08:00:00-05:00")));
  });

  it("Friday afternoon and the weekend: Monday morning", () => {
    expect(next("2026-02-20T14:00:00-05:00")).toBe(iso(at("2026-02-23T08:00:00-05:00")));
    expect(next("2026-02-22T09:00:00-05:00")).toBe(iso(at("2026-02-23T08:00:00-05:00")));
  });

  it("a holiday is skipped: July 3 2026 (observed) and MLK Day", () => {
    expect(next("2026-07-02T12:00:00-04:00")).toBe(iso(at("2026-07-06T08:00:00-04:00")));
    expect(next("2026-01-18T09:00:00-05:00")).toBe(iso(at("2026-01-20T08:00:00-05:00")));
    expect(next("2026-07-02T12:00:00-04:00", NY, { ...DEFAULT_SEND_WINDOW, skipHolidays: false })).toBe(iso(at("2026-07-03T08:00:00-04:00")));
  });

  it("across the March change in New York: 08:00 EDT on Monday", () => {
    expect(next("2026-03-06T14:00:00-05:00")).toBe(iso(at("2026-03-09T08:00:00-04:00")));
    expect(next("2026-03-08T23:00:00-04:00")).toBe(iso(at("2026-03-09T08:00:00-04:00")));
  });

  it("across the November change in New York: 08:00 EST on Monday", () => {
    expect(next("2026-10-30T12:00:00-04:00")).toBe(iso(at("2026-11-02T08:00:00-05:00")));
    expect(next("2027-11-05T12:00:00-04:00")).toBe(iso(at("2027-11-08T08:00:00-05:00")));
  });

  it("Phoenix keeps UTC−7 all year", () => {
    expect(next("2026-03-06T12:00:00-07:00", PHOENIX)).toBe(iso(at("2026-03-09T08:00:00-07:00")));
    expect(next("2026-10-30T12:00:00-07:00", PHOENIX)).toBe(iso(at("2026-11-02T08:00:00-07:00")));
    expect(next("2026-07-15T07:59:00-07:00", PHOENIX)).toBe(iso(at("2026-07-15T08:00:00-07:00")));
  });

  it("a window opening inside the spring-forward gap opens when the clocks jump", () => {
    const sundayNight: SendWindow = { start: "02:30", end: "04:00", days: [7], skipHolidays: false };
    expect(next("2026-03-08T00:00:00-05:00", NY, sundayNight)).toBe(iso(at("2026-03-08T03:00:00-04:00")));
    const insideGap: SendWindow = { start: "02:00", end: "02:30", days: [7], skipHolidays: false };
    expect(next("2026-03-08T00:00:00-05:00", NY, insideGap)).toBe(iso(at("2026-03-15T02:00:00-04:00")));
  });

  it("a window inside the fall-back overlap opens twice", () => {
    const overlap: SendWindow = { start: "01:00", end: "01:30", days: [7], skipHolidays: false };
    expect(next("2026-11-01T00:30:00-04:00", NY, overlap)).toBe(iso(at("2026-11-01T01:00:00-04:00")));
    expect(next("2026-11-01T01:40:00-04:00", NY, overlap)).toBe(iso(at("2026-11-01T01:00:00-05:00")));
    expect(next("2026-11-01T01:10:00-05:00", NY, overlap)).toBe(iso(at("2026-11-01T01:10:00-05:00")));
  });

  it("an unknown time zone is an error naming it", () => {
    expect(() => nextSendTime(Date.now(), DEFAULT_SEND_WINDOW, "Mars/Olympus_Mons")).toThrow(/Unknown time zone "Mars\/Olympus_Mons"/);
  });
});

describe("parseSendWindow", () => {
  it("missing fields take the defaults", () => {
    expect(parseSendWindow({})).toEqual(DEFAULT_SEND_WINDOW);
    expect(parseSendWindow(undefined)).toEqual(DEFAULT_SEND_WINDOW);
    expect(parseSendWindow({ start: "09:30", days: [5, 1] })).toEqual({ ...DEFAULT_SEND_WINDOW, start: "09:30", days: [1, 5] });
    expect(parseSendWindow({ start: "18:00", end: "24:00" }).end).toBe("24:00");
  });

  it.each([
    [{ start: "8am" }, /start: a time "HH:MM"/],
    [{ end: "25:00" }, /end: a time "HH:MM"/],
    [{ start: "11:00", end: "08:00" }, /start must be before end/],
    [{ days: [] }, /at least one sending day/],
    [{ days: [0, 8] }, /days\.0/],
    [{ days: [1, 1] }, /no weekday twice/],
    [{ skipHolidays: "yes" }, /skipHolidays/],
  ])("refuses %j", (input, message) => {
    expect(() => parseSendWindow(input)).toThrow(message);
  });
});

describe("addBusinessDays", () => {
  const add = (from: string, days: number, skipHolidays?: boolean) => iso(addBusinessDays(at(from), days, NY, skipHolidays));

  it("over a weekend, keeping the wall-clock time", () => {
    expect(add("2026-02-19T09:30:00-05:00", 2)).toBe(iso(at("2026-02-23T09:30:00-05:00")));
    expect(add("2026-02-20T10:15:00-05:00", 5)).toBe(iso(at("2026-02-27T10:15:00-05:00")));
    expect(add("2026-02-21T10:00:00-05:00", 1)).toBe(iso(at("2026-02-23T10:00:00-05:00"))); // from a Saturday
  });

  it("over holidays, unless told not to skip them", () => {
    expect(add("2026-07-02T09:00:00-04:00", 1)).toBe(iso(at("2026-07-06T09:00:00-04:00")));
    expect(add("2026-07-02T09:00:00-04:00", 1, false)).toBe(iso(at("2026-07-03T09:00:00-04:00")));
    expect(add("2026-11-25T10:00:00-05:00", 1)).toBe(iso(at("2026-11-27T10:00:00-05:00")));
  });

  it("over a DST change: the same local time, so 71 or 73 hours for three calendar days", () => {
    expect(add("2026-03-06T09:00:00-05:00", 1)).toBe(iso(at("2026-03-09T09:00:00-04:00")));
    expect(add("2026-10-30T09:00:00-04:00", 1)).toBe(iso(at("2026-11-02T09:00:00-05:00")));
  });

  it("zero days is the same instant; a negative or fractional count is an error", () => {
    expect(add("2026-02-19T09:30:00.250-05:00", 0)).toBe(iso(at("2026-02-19T09:30:00.250-05:00")));
    expect(() => addBusinessDays(0, -1, NY)).toThrow(/whole number/);
    expect(() => addBusinessDays(0, 1.5, NY)).toThrow(/whole number/);
  });
});

describe("planStepTime", () => {
  const policy: SchedulePolicy = { window: DEFAULT_SEND_WINDOW, timeZone: NY, demo: false };
  const demo: SchedulePolicy = { ...policy, demo: true };

  it("step 1: the next send time from now", () => {
    expect(iso(planStepTime(policy, { now: at("2026-02-21T12:00:00-05:00") }))).toBe(iso(at("2026-02-23T08:00:00-05:00")));
    expect(iso(planStepTime(policy, { now: at("2026-02-23T09:00:00-05:00") }))).toBe(iso(at("2026-02-23T09:00:00-05:00")));
  });

  it("a later step: the delay in business days after the previous send, inside the window", () => {
    const previousSentAt = at("2026-02-23T08:10:00-05:00");
    const now = previousSentAt + 60_000;
    expect(iso(planStepTime(policy, { now, previousSentAt, delayBusinessDays: 3 }))).toBe(iso(at("2026-02-26T08:10:00-05:00")));
    // Sent late (outside the window): the follow-up waits for the next window after the delay.
    const late = at("2026-02-23T12:00:00-05:00");
    expect(iso(planStepTime(policy, { now: late, previousSentAt: late, delayBusinessDays: 2 }))).toBe(iso(at("2026-02-26T08:00:00-05:00")));
  });

  it("a later step is never planned before now", () => {
    const previousSentAt = at("2026-02-23T08:10:00-05:00");
    expect(iso(planStepTime(policy, { now: at("2026-02-27T10:30:00-05:00"), previousSentAt, delayBusinessDays: 1 }))).toBe(iso(at("2026-02-27T10:30:00-05:00")));
    expect(iso(planStepTime(policy, { now: at("2026-02-27T11:30:00-05:00"), previousSentAt, delayBusinessDays: 1 }))).toBe(iso(at("2026-03-02T08:00:00-05:00")));
  });

  it("demo mode: the window is always open and a business day is a minute", () => {
    const saturdayNight = at("2026-02-21T23:00:00-05:00");
    expect(planStepTime(demo, { now: saturdayNight })).toBe(saturdayNight);
    expect(planStepTime(demo, { now: saturdayNight, previousSentAt: saturdayNight, delayBusinessDays: 3 })).toBe(saturdayNight + 180_000);
    expect(planStepTime(demo, { now: saturdayNight + 600_000, previousSentAt: saturdayNight, delayBusinessDays: 3 })).toBe(saturdayNight + 600_000);
  });
});
