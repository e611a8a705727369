// Issue 16's computations on hand-made inputs: the ideal makespan of a burst, precision and recall
// against the fixture world's truth, and the per-delivery CPU of the webhook door. No Worker, no
// timing: numbers in, numbers out.
import { describe, expect, it } from "vitest";
import { ackCpu } from "../../bench/lib/ack.ts";
import { fixedWindows, idealMakespan, makespanMs, pathToFirstClickUpWriteMs } from "../../bench/lib/burst.ts";
import { importCeiling } from "../../bench/lib/import.ts";
import { normalizeLinkedIn, normalizePhone, qualityFigures, scoreCourse, scoreField, scorePeople, sumScores, truthOf, type LandedCourse } from "../../bench/lib/quality.ts";
import { percentile } from "../../bench/lib/stats.ts";
import { courseByName } from "../../sandbox/world/index.ts";

describe("ideal makespan of a burst", () => {
  it("is the requests ÷ rate plus the path to the first write when the plan's limit binds", () => {
    // 264 requests at 100 per 60 s: 158.4 s, plus 300 ms before the first write; the longest course is 25 s.
    const ideal = idealMakespan({ criticalPathsMs: [24_000, 25_000, 23_000], clickupRequests: 264, rate: { requests: 100, windowMs: 60_000 }, shortestPathToFirstWriteMs: 300 });
    expect(ideal.rate_bound_ms).toBeCloseTo(158_700, 6);
    expect(ideal.ideal_ms).toBeCloseTo(158_700, 6);
    expect(ideal.longest_critical_path_ms).toBe(25_000);
    expect(ideal.binding).toBe("rate_limit");
  });

  it("is the longest critical path when the limit does not bind (the path is not added twice)", () => {
    // 66 requests at 1,000 per 60 s: 3.96 s + 0.3 s, far below the 25 s course.
    const ideal = idealMakespan({ criticalPathsMs: [12_000, 25_000], clickupRequests: 66, rate: { requests: 1_000, windowMs: 60_000 }, shortestPathToFirstWriteMs: 300 });
    expect(ideal.ideal_ms).toBe(25_000);
    expect(ideal.binding).toBe("critical_path");
  });

  it("scales the rate with the window: the same plan at time scale 0.5 is 100 per 30 s", () => {
    const ideal = idealMakespan({ criticalPathsMs: [1_000], clickupRequests: 50, rate: { requests: 100, windowMs: 30_000 }, shortestPathToFirstWriteMs: 0 });
    expect(ideal.ideal_ms).toBeCloseTo(15_000, 6);
  });

  it("the shortest path to the first write is the intake read and the course row", () => {
    expect(pathToFirstClickUpWriteMs({ clickupLatencyMs: 300, dbRoundTripMs: 0, timeScale: 0.5 })).toBe(150);
    expect(pathToFirstClickUpWriteMs({ clickupLatencyMs: 300, dbRoundTripMs: 5, timeScale: 1 })).toBe(305);
  });

  it("makespan runs from the first entry to the last end; unknown while a run is unfinished", () => {
    expect(makespanMs([{ created_at_ms: 1_000, finished_at_ms: 30_000 }, { created_at_ms: 1_010, finished_at_ms: 41_000 }])).toBe(40_000);
    expect(makespanMs([{ created_at_ms: 1_000, finished_at_ms: 30_000 }, { created_at_ms: 1_010, finished_at_ms: null }])).toBeNull();
    expect(makespanMs([])).toBeNull();
  });
});

describe("the ceiling of an import", () => {
  const rate = { requests: 100, windowMs: 60_000 };

  it("is the plan's window floor plus the path to the first request when the limit binds", () => {
    // 1,500 requests at 100 per 60 s: 15 windows, the last may start 14 × 60 s = 840 s after the first,
    // which comes 20 s in; 500 × 24 s ÷ 20 slots = 600 s. The plan's average (900 s + 20 s) is kept beside it.
    const c = importCeiling({ criticalPathsMs: Array.from({ length: 500 }, () => 24_000), clickupRequests: 1_500, rate, shortestPathToFirstRequestMs: 20_000, limit: 20 });
    expect(c.rate_bound_ms).toBe(860_000);
    expect(c.rate_average_ms).toBeCloseTo(920_000, 6);
    expect(c.work_bound_ms).toBeCloseTo(600_000, 6);
    expect(c.ideal_ms).toBe(860_000);
    expect(c.binding).toBe("rate_limit");
  });

  it("charges nothing for requests that fit in one window (they may all pass at once)", () => {
    const c = importCeiling({ criticalPathsMs: Array.from({ length: 21 }, () => 12_000), clickupRequests: 58, rate: { requests: 100, windowMs: 30_000 }, shortestPathToFirstRequestMs: 11_650, limit: 20 });
    expect(c.rate_bound_ms).toBe(11_650);
    expect(c.work_bound_ms).toBe(12_600);
    expect(c.ideal_ms).toBe(12_600);
    expect(c.binding).toBe("run_slots");
  });

  it("is the runs' work ÷ the run slots when the slots bind (a plan whose limit does not)", () => {
    // Σ = 600 s: over 1 slot the runs take 600 s end to end (binds); over 10 slots 60 s, below the 300 s run.
    const paths = [100_000, 200_000, 300_000];
    const one = importCeiling({ criticalPathsMs: paths, clickupRequests: 30, rate: { requests: 1_000, windowMs: 60_000 }, shortestPathToFirstRequestMs: 1_000, limit: 1 });
    expect(one.work_bound_ms).toBe(600_000);
    expect(one.ideal_ms).toBe(600_000);
    expect(one.binding).toBe("run_slots");
    const ten = importCeiling({ criticalPathsMs: paths, clickupRequests: 30, rate: { requests: 1_000, windowMs: 60_000 }, shortestPathToFirstRequestMs: 1_000, limit: 10 });
    expect(ten.work_bound_ms).toBe(60_000);
    expect(ten.ideal_ms).toBe(300_000);
    expect(ten.binding).toBe("critical_path");
  });

  it("is never below any of its three terms", () => {
    // 12 requests at 5 per 4 s: 3 windows, 2 × 4 s + 3 s = 11 s; 21 s ÷ 2 = 10.5 s; 9 s.
    const c = importCeiling({ criticalPathsMs: [5_000, 9_000, 7_000], clickupRequests: 12, rate: { requests: 5, windowMs: 4_000 }, shortestPathToFirstRequestMs: 3_000, limit: 2 });
    expect(c.rate_bound_ms).toBe(11_000);
    expect(c.work_bound_ms).toBe(10_500);
    expect(c.ideal_ms).toBe(Math.max(c.rate_bound_ms, c.work_bound_ms, c.longest_critical_path_ms));
    expect(c.binding).toBe("rate_limit");
  });
});

describe("precision and recall", () => {
  it("people: invented ones cost precision, missed ones recall", () => {
    const s = scorePeople(new Set(["ann lee", "bo chan", "cy diaz"]), new Set(["ann lee", "bo chan", "eve mallory"]));
    expect(s).toMatchObject({ tp: 2, fp: 1, fn: 1 });
    expect(s.precision).toBeCloseTo(2 / 3, 9);
    expect(s.recall).toBeCloseTo(2 / 3, 9);
  });

  it("a field: a wrong value counts against both, none kept against recall only, a value for nobody's truth against precision", () => {
    const s = scoreField([
      { truth: "a@x.com", found: "a@x.com" }, // right
      { truth: "b@x.com", found: "guess@x.com" }, // wrong: fp and fn
      { truth: "c@x.com", found: null }, // missed: fn
      { truth: null, found: "d@x.com" }, // kept where the truth has none: fp
      { truth: null, found: null }, // nothing to find, nothing kept
    ]);
    expect(s).toMatchObject({ tp: 1, fp: 2, fn: 2 });
    expect(s.precision).toBeCloseTo(1 / 3, 9);
    expect(s.recall).toBeCloseTo(1 / 3, 9);
  });

  it("nothing kept has no precision (null, not 1); nothing to find has no recall", () => {
    expect(scoreField([{ truth: "a@x.com", found: null }]).precision).toBeNull();
    expect(scoreField([{ truth: null, found: null }]).recall).toBeNull();
  });

  it("sums are recomputed from the counts, not averaged", () => {
    const total = sumScores([scorePeople(new Set(["a"]), new Set(["a"])), scorePeople(new Set(["b", "c", "d"]), new Set(["x"]))]);
    expect(total).toMatchObject({ tp: 1, fp: 1, fn: 3, precision: 0.5, recall: 0.25 });
  });

  it("phones compare on their last ten digits, LinkedIn URLs without scheme, www or trailing slash", () => {
    expect(normalizePhone("+1 (804) 555-0110")).toBe(normalizePhone("804-555-0110"));
    expect(normalizeLinkedIn("https://www.linkedin.com/in/Angela-Price-PGA/")).toBe(normalizeLinkedIn("linkedin.com/in/angela-price-pga"));
  });
});

describe("scoring a landed course against the fixture world", () => {
  const lakeside = courseByName("Lakeside Country Club", "VA")!;
  const angela = lakeside.staff.find((s) => s.full_name === "Angela Price")!;
  const robert = lakeside.staff.find((s) => s.left_club)!;

  it("the truth leaves out a person who left the club and gives the main line to someone without their own", () => {
    expect(truthOf(lakeside).map((p) => p.full_name)).toEqual(["Angela Price"]);
    const richmond = courseByName("Richmond Country Club", "VA")!;
    const noPhone = richmond.staff.find((s) => s.phone === null)!;
    expect(truthOf(richmond).find((p) => p.full_name === noPhone.full_name)!.phone).toBe(richmond.phone);
  });

  it("everything right: precision and recall 1, the segment right", () => {
    const landed: LandedCourse = {
      world: "Lakeside Country Club, VA",
      course: "Lakeside Country Club 2",
      status: "succeeded",
      segment: lakeside.segment,
      contacts: [{ full_name: "angela price, PGA", email: angela.email!.toUpperCase(), phone: `+1 ${angela.phone}`, linkedin: `${angela.linkedin}/` }],
    };
    const q = scoreCourse(lakeside, landed);
    expect(q.people).toMatchObject({ precision: 1, recall: 1 });
    for (const f of ["email", "phone", "linkedin"] as const) expect(q.fields[f], f).toMatchObject({ precision: 1, recall: 1 });
    expect(q.segment_right).toBe(true);
  });

  it("the leaver kept as a lead with his dead address, a wrong segment: counted and named", () => {
    const landed: LandedCourse = {
      world: "Lakeside Country Club, VA",
      course: "Lakeside Country Club 3",
      status: "succeeded",
      segment: "budget",
      contacts: [
        { full_name: angela.full_name, email: null, phone: angela.phone, linkedin: null },
        { full_name: robert.full_name, email: robert.email, phone: robert.phone, linkedin: robert.linkedin },
      ],
    };
    const q = scoreCourse(lakeside, landed);
    expect(q.people).toMatchObject({ tp: 1, fp: 1, fn: 0 });
    expect(q.extra_people).toEqual(["Robert Chen (left the club)"]);
    expect(q.fields.email).toMatchObject({ tp: 0, fp: 1, fn: 1, precision: 0, recall: 0 });
    expect(q.fields.phone).toMatchObject({ tp: 1, fp: 1, fn: 0 });
    expect(q.segment_right).toBe(false);

    const figures = qualityFigures([landed, { ...landed, course: "Lakeside Country Club 4", segment: lakeside.segment, contacts: [] }], "hand-made");
    expect(figures.courses).toBe(2);
    expect(figures.people_precision).toBe(0.5);
    expect(figures.people_recall).toBe(0.5);
    expect(figures.segment_accuracy).toBe(0.5);
    expect(figures.by_world_course["Lakeside Country Club, VA"]!.runs).toBe(2);
  });

  it("refuses a landed course the world does not have", () => {
    expect(() => qualityFigures([{ world: "Nowhere Links, ZZ", course: "x", status: "succeeded", segment: null, contacts: [] }], "hand-made")).toThrow(/no world course/);
  });
});

describe("webhook CPU per delivery", () => {
  const sample = (at: number, byProcess: Record<string, number>) => ({ at, byProcess });
  it("subtracts the idle rate over the same time and divides by the deliveries", () => {
    // Idle: the Worker burns 10 ms per second, the entry process nothing. Loaded for 2 s: 250 and 40 ms.
    const cpu = ackCpu(
      { before: sample(0, { "workerd:1": 100, "workerd:2": 50, "node:9": 0 }), after: sample(1_000, { "workerd:1": 110, "workerd:2": 50, "node:9": 500 }) },
      { before: sample(1_000, { "workerd:1": 110, "workerd:2": 50 }), after: sample(3_000, { "workerd:1": 360, "workerd:2": 90, "node:9": 9_999 }) },
      100,
    );
    expect(cpu.worker_ms).toBe(230); // 250 − 2 s × 10 ms/s
    expect(cpu.worker_ms_per_delivery).toBeCloseTo(2.3, 9);
    expect(cpu.all_workerd_ms).toBe(270); // + the entry process's 40; the bench's own node process is not counted
    expect(cpu.idle_ms_subtracted).toBe(20);
  });

  it("never goes negative when the idle interval was the busier one", () => {
    const cpu = ackCpu({ before: sample(0, { "workerd:1": 0 }), after: sample(1_000, { "workerd:1": 100 }) }, { before: sample(0, { "workerd:1": 0 }), after: sample(1_000, { "workerd:1": 10 }) }, 10);
    expect(cpu.worker_ms).toBe(0);
  });
});

describe("percentile (the one every figure uses)", () => {
  it("interpolates between closest ranks and ignores non-finite values", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, Number.NaN, 20], 99)).toBeCloseTo(19.9, 9);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe("the emulator's fixed windows over a burst", () => {
  it("opens a window with the first request after the last one closed", () => {
    // 100 ms windows from t=1000: [1000, 1050, 1099] | [1100, 1150] | (gap) [1400]
    expect(fixedWindows([1_150, 1_000, 1_050, 1_099, 1_100, 1_400], 100, 1_000)).toEqual([
      { start_ms: 0, requests: 3 },
      { start_ms: 100, requests: 2 },
      { start_ms: 400, requests: 1 },
    ]);
    expect(fixedWindows([], 100, 0)).toEqual([]);
  });
});
