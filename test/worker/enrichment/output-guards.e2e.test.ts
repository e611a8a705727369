// Model output guards on the real Worker against the emulators: a scripted model answers out of
// range and implausibly, and the run still ends with a segment, opportunities and starters, every
// guard recorded on the run with the raw value.
import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { courseByName } from "../../../sandbox/world/index.ts";
import { clickupTask, emulatorRequests, enrichAndWait, forgetCourse, withDb } from "../helpers.ts";

const stonebridge = courseByName("Stonebridge Golf Club", "GA")!;
const carter = stonebridge.staff.find((s) => s.full_name === "Dwayne Carter")!;
const created: string[] = [];

async function script(provider: "anthropic" | "perplexity", spec: Record<string, unknown>): Promise<void> {
  const base = provider === "anthropic" ? String(env.ANTHROPIC_BASE_URL) : String(env.PERPLEXITY_BASE_URL);
  const response = await fetch(`${base}/__emulator/${provider}/script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) });
  if (response.status !== 201) throw new Error(`script refused: ${await response.text()}`);
}

async function runGuards(jobId: string): Promise<Record<string, unknown>[]> {
  const [run] = await withDb((sql) => sql`select guards from enrichment_runs where id = ${jobId}`);
  return run!.guards as Record<string, unknown>[];
}

afterAll(async () => {
  for (const provider of ["anthropic", "perplexity"] as const) {
    const base = provider === "anthropic" ? String(env.ANTHROPIC_BASE_URL) : String(env.PERPLEXITY_BASE_URL);
    await fetch(`${base}/__emulator/${provider}/script`, { method: "DELETE" });
  }
  // The courses made here carry the scripted (guarded) answers: nobody else should read them.
  if (created.length) await withDb((sql) => sql`delete from courses where id in ${sql(created)}`);
});

const intel = (overrides: Record<string, unknown>) => ({
  segment: "both",
  segment_confidence: 6,
  segment_reasoning: "Semi-private with modest fees.",
  range_intel: { has_range: true, range_stations: 24, ball_brand: null, notes: null },
  opportunities: { range_ball_buy: 7, range_ball_lease: 6, range_ball_recycle: 5, lake_ball_retrieval: 4, range_equipment: 3, proshop_ecommerce: 2 },
  conversation_starters: [{ text: "Your range looks busy on weekends.", score: 7 }, { text: "Do you lease your range balls?", score: 6 }],
  summary: "Stonebridge is an 18-hole semi-private course.",
  ...overrides,
});

const profile = (overrides: Record<string, unknown>) => ({
  water_hazard_count: 6,
  confidence: "high",
  water_notes: null,
  course_type: "semi-private",
  holes: 18,
  green_fee: 55,
  members: 300,
  annual_rounds: 30_000,
  has_range: true,
  range_stations: 24,
  ball_brand: null,
  summary: "An 18-hole semi-private course.",
  ...overrides,
});

describe("model output guards (integration)", () => {
  it("a model answering out of range and implausibly: clamped, repaired, guarded, and the run keeps its segment, opportunities and starters", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    // A6: an invented segment first (one repair call), then scores past the scale, a starter said
    // twice, the segment restated as reasoning and summary, and a tie at the top.
    await script("anthropic", {
      match: { contains: "Segment the course (high-end, budget or both)" },
      responses: [
        { json: intel({ segment: "luxury", segment_confidence: 11 }) },
        {
          json: intel({
            segment_confidence: 11,
            segment_reasoning: "both",
            opportunities: { range_ball_buy: 0, range_ball_lease: 12, range_ball_recycle: 5, lake_ball_retrieval: 10, range_equipment: 3, proshop_ecommerce: 2 },
            conversation_starters: [{ text: "Your range looks busy on weekends.", score: 11 }, { text: "  your range looks busy on weekends! ", score: 6 }],
            summary: "Segment: Both — both",
          }),
        },
      ],
    });
    // A7: prose first (one repair call), then 59 water hazards on 18 holes.
    await script("perplexity", {
      match: { schemaName: "CourseProfile", contains: "Stonebridge" },
      responses: [{ text: "Stonebridge has a lot of water, maybe 59 hazards." }, { json: profile({ water_hazard_count: 59, water_notes: "59 water hazards" }) }],
    });
    // A6.5: 40 years at a course that opened in 1993, and a chatty summary.
    await script("perplexity", {
      match: { schemaName: "ContactBackground", contains: carter.full_name },
      response: { json: { tenure_years: 40, previous_clubs: ["Augusta Pines", "Augusta Pines"], summary: "Sure! Here is the background: Dwayne runs the course. [1]", linkedin_url: null } },
    });

    // Other files may have enriched Stonebridge already: this run must be its first (the course id below is its own).
    await forgetCourse(stonebridge.name, "GA");
    const since = Date.now();
    const courseId = crypto.randomUUID();
    created.push(courseId);
    const { jobId, output, job } = await enrichAndWait(workflows, { course_name: stonebridge.name, state: "GA", course_id: courseId });
    expect(output.course_id).toBe(courseId);
    expect(output.status, JSON.stringify(job)).toBe("succeeded");
    const a6 = (job.steps as { agent: string; status: string }[]).find((s) => s.agent === "A6");
    expect(a6?.status).toBe("succeeded");

    const [bi] = await withDb((sql) => sql`select segment, segment_confidence, opportunities, conversation_starters, summary, range_intel from business_intelligence where course_id = ${courseId}`);
    expect(bi).toMatchObject({ segment: "both", segment_confidence: 10 });
    expect(bi!.opportunities).toMatchObject({ range_ball_buy: 1, range_ball_lease: 10, lake_ball_retrieval: 10 });
    const starters = bi!.conversation_starters as { text: string; score: number }[];
    expect(starters.length).toBeGreaterThanOrEqual(2);
    expect(new Set(starters.map((s) => s.text.toLowerCase().replace(/[^a-z]/g, ""))).size).toBe(starters.length);
    expect(starters[0]).toEqual({ text: "Your range looks busy on weekends.", score: 10 });
    expect(bi!.summary).toContain("tie at 10/10");
    expect(bi!.summary).not.toMatch(/both/i);
    expect((bi!.range_intel as { reasoning: string }).reasoning).toBe("");

    const [course] = await withDb((sql) => sql`select water_hazard_count, water_hazard_confidence from courses where id = ${courseId}`);
    expect(course).toEqual({ water_hazard_count: null, water_hazard_confidence: "low" });
    const [tenure] = await withDb((sql) => sql`
      select e.tenure_years, e.previous_clubs, e.background_summary from contacts c join contact_enrichment e on e.contact_id = c.id
      where c.course_id = ${courseId} and c.full_name = ${carter.full_name}`);
    expect(tenure).toEqual({ tenure_years: null, previous_clubs: ["Augusta Pines"], background_summary: "Dwayne runs the course." });

    // Every guard is on the run, with what the model said.
    const guards = await runGuards(jobId);
    const fired = (agent: string, guard: string, field?: string) => guards.find((g) => g.agent === agent && g.guard === guard && (field === undefined || g.field === field));
    expect(fired("A6", "repair_call")).toMatchObject({ field: "segment", raw: { segment: "luxury" } });
    expect(fired("A6", "clamped", "segment_confidence")).toMatchObject({ raw: 11, value: 10 });
    expect(fired("A6", "clamped", "opportunities.range_ball_lease")).toMatchObject({ raw: 12, value: 10 });
    expect(fired("A6", "clamped", "opportunities.range_ball_buy")).toMatchObject({ raw: 0, value: 1 });
    expect(fired("A6", "clamped", "conversation_starters.0.score")).toMatchObject({ raw: 11, value: 10 });
    expect(fired("A6", "duplicate_starters")).toMatchObject({ raw: ["  your range looks busy on weekends! "] });
    expect(fired("A6", "too_few_starters")).toBeTruthy();
    expect(fired("A6", "segment_echo", "segment_reasoning")).toMatchObject({ raw: "both", value: null });
    expect(fired("A6", "segment_echo", "summary")).toMatchObject({ raw: "Segment: Both — both" });
    expect(fired("A6", "tied_opportunities")).toMatchObject({ raw: { lake_ball_retrieval: 10, range_ball_lease: 10 } });
    expect(fired("A7", "repair_call")).toMatchObject({ field: "(answer)", raw: "Stonebridge has a lot of water, maybe 59 hazards." });
    expect(fired("A7", "implausible_water_hazards")).toMatchObject({ field: "water_hazard_count", raw: 59, value: null });
    expect(fired("A6.5", "implausible_tenure")).toMatchObject({ field: "tenure_years", raw: 40, value: null, contact: carter.full_name });
    expect(fired("A6.5", "boilerplate")).toMatchObject({ field: "summary", value: "Dwayne runs the course.", contact: carter.full_name });

    // One repair call each, and the Perplexity one searched nothing.
    const a6Calls = (await emulatorRequests("anthropic", since)).filter((r) => r.path === "/v1/messages" && JSON.stringify(r.body).includes("Segment the course"));
    expect(a6Calls).toHaveLength(2);
    const a7Calls = (await emulatorRequests("perplexity", since)).filter((r) => r.path === "/v1/agent" && JSON.stringify(r.body).includes("CourseProfile"));
    expect(a7Calls).toHaveLength(2);
    expect((a7Calls[1]!.body as { tools?: unknown }).tools).toBeUndefined();
    // The repair calls are paid for and counted.
    const [calls] = await withDb((sql) => sql`select sum(input_tokens)::int as input from agent_calls where run_id = ${jobId} and agent = 'A6'`);
    expect(calls!.input).toBeGreaterThan(0);

    // The lead task renders the segment once, in words.
    const [lead] = await withDb((sql) => sql`select clickup_task_id from contacts where course_id = ${courseId} and clickup_task_id is not null limit 1`);
    expect(lead, "a lead task was written").toBeTruthy();
    const task = await clickupTask(String(lead!.clickup_task_id));
    const description = task.markdown_description ?? task.description ?? "";
    expect(description).toContain("**Segment:** Both high-end and budget (10/10)\n");
    expect(description).not.toMatch(/— both/i);
    expect(description).toContain("tie at 10/10");
  });

  it("an ordinary course trips no guard, and every schema name the run sends is one Perplexity accepts", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const since = Date.now();
    const courseId = crypto.randomUUID();
    created.push(courseId);
    const { jobId, output } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA", course_id: courseId });
    expect(output.status).toBe("succeeded");
    expect(await runGuards(jobId)).toEqual([]);
    const research = (await emulatorRequests("perplexity", since)).filter((r) => r.path === "/v1/agent");
    expect(research.length).toBeGreaterThan(0);
    for (const request of research) {
      const name = (request.body as { response_format?: { json_schema?: { name?: string } } }).response_format?.json_schema?.name;
      expect(name).toMatch(/^[A-Za-z0-9]{1,64}$/);
      expect(request.status).toBe(200);
    }
  });
});
