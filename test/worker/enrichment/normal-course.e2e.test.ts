import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { courseByName } from "../../../sandbox/world/index.ts";
import { normalizePhone } from "../../../src/lib/phone.ts";
import { emulatorRequests, enrichAndWait, withDb } from "../helpers.ts";

const richmond = courseByName("Richmond Country Club", "VA")!;

async function contactsOf(courseId: string) {
  return withDb((sql) => sql`
    select c.id, c.full_name, c.title, e.email, e.email_status, e.email_score, e.linkedin_url, e.phone, e.phone_type,
           e.tenure_years::float as tenure_years, e.previous_clubs
    from contacts c join contact_enrichment e on e.contact_id = c.id
    where c.course_id = ${courseId} order by c.full_name`);
}

describe("EnrichCourse end to end against the emulators (integration)", () => {
  it("a normal course yields every contact with every field the fixture world holds, persisted exactly once", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const since = Date.now();
    const { jobId, output, job } = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA" });
    expect(output.status).toBe("succeeded");
    const courseId = output.course_id!;

    const [course] = await withDb((sql) => sql`select status, website, water_hazard_count, phone from courses where id = ${courseId}`);
    expect(course).toEqual({ status: "enriched", website: richmond.website, water_hazard_count: richmond.water_hazards, phone: normalizePhone(richmond.phone) });
    const [bi] = await withDb((sql) => sql`select segment, segment_confidence, opportunities, conversation_starters from business_intelligence where course_id = ${courseId}`);
    expect(bi!.segment).toBe(richmond.segment);
    expect(bi!.segment_confidence).toBe(richmond.segment_confidence);
    expect(Object.keys(bi!.opportunities as object).sort()).toEqual(Object.keys(richmond.opportunities).sort());
    expect((bi!.conversation_starters as { text: string; score: number }[]).length).toBeGreaterThanOrEqual(1);

    const contacts = await contactsOf(courseId);
    expect(contacts.map((c) => c.full_name).sort()).toEqual(richmond.staff.map((s) => s.full_name).sort());
    for (const person of richmond.staff) {
      const row = contacts.find((c) => c.full_name === person.full_name)!;
      const label = person.full_name;
      expect(row.title, label).toBe(person.title);
      const findable = person.email !== null && (person.hunter !== "none" || person.email_on_website);
      expect(row.email, label).toBe(findable ? person.email : null);
      if (findable) expect(row.email_status, label).toBe(person.verification);
      expect(row.linkedin_url, label).toBe(person.linkedin);
      expect(row.phone, label).toBe(normalizePhone(person.phone ?? richmond.phone));
      expect(row.tenure_years, label).toBe(person.tenure_years);
      expect(row.previous_clubs, label).toEqual(person.previous_clubs);
    }

    // Persisted once: one run row, and one agent_calls row per provider call the emulators saw.
    const [runs] = await withDb((sql) => sql`select count(*)::int as n from enrichment_runs where id = ${jobId}`);
    expect(runs!.n).toBe(1);
    const calls = await withDb((sql) => sql`select provider, count(*)::int as n from agent_calls where run_id = ${jobId} group by provider`);
    const byProvider = Object.fromEntries(calls.map((c) => [c.provider, c.n]));
    for (const provider of ["anthropic", "perplexity", "hunter", "jina"] as const) {
      const seen = (await emulatorRequests(provider, since)).filter((r) => !r.path.startsWith("/__emulator"));
      expect(byProvider[provider] ?? 0, provider).toBe(seen.length);
    }

    // GET /api/jobs/:id shows every agent step with status, duration and cost.
    const steps = job.steps as { agent: string; status: string; duration_ms: number; cost_usd: number; calls: number }[];
    const agents = steps.map((s) => s.agent);
    for (const expected of ["A1", "A2", "A7", "A6", ...richmond.staff.map((s) => `A6.5:${s.full_name}`)]) expect(agents).toContain(expected);
    for (const step of steps) {
      expect(step.status, step.agent).toBe("succeeded");
      expect(step.duration_ms, step.agent).toBeGreaterThanOrEqual(0);
      expect(typeof step.cost_usd, step.agent).toBe("number");
    }
    const [spent] = await withDb((sql) => sql`select sum(cost_usd)::float as total from agent_calls where run_id = ${jobId}`);
    expect(job.cost_usd).toBeCloseTo(spent!.total, 6);
    expect(job.cost_usd).toBeLessThan(0.155);
  });

  it("re-enriching the course updates its contacts instead of duplicating them", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const first = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "VA" });
    const before = await contactsOf(first.output.course_id!);
    const second = await enrichAndWait(workflows, { course_name: "Richmond Country Club", state: "Virginia" });
    expect(second.output).toMatchObject({ status: "succeeded", course_id: first.output.course_id });
    const after = await contactsOf(second.output.course_id!);
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(after).toHaveLength(richmond.staff.length);
    const [courses] = await withDb((sql) => sql`select count(*)::int as n from courses where name_key = 'richmond country club|va'`);
    expect(courses!.n).toBe(1);
  });

  it("posts the result to an allowed callback_url, signed with CALLBACK_SIGNING_SECRET (never the API key)", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const since = Date.now();
    const callback = `${env.CALLBACK_SINK_URL}/receive-enrichment`;
    const { jobId, output } = await enrichAndWait(workflows, { course_name: "Stonebridge Golf Club", state: "GA", callback_url: callback });
    expect(output.status).toBe("succeeded");
    const response = await fetch(`${env.CALLBACK_SINK_URL}/__emulator/requests?since=${since}`);
    const { requests } = (await response.json()) as { requests: { path: string; headers: Record<string, string>; body: Record<string, unknown> }[] };
    expect(requests).toHaveLength(1);
    const [received] = requests;
    expect(received!.path).toBe("/receive-enrichment");
    expect(received!.body).toMatchObject({ job_id: jobId, course_id: output.course_id, status: "succeeded" });
    expect((received!.body.contacts as unknown[]).length).toBe(courseByName("Stonebridge Golf Club", "GA")!.staff.length);
    const signed = async (secret: string) => {
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(JSON.stringify(received!.body)));
      return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
    };
    expect(received!.headers["x-signature"]).toBe(await signed(String(env.CALLBACK_SIGNING_SECRET)));
    expect(received!.headers["x-signature"]).not.toBe(await signed(String(env.AGENT_API_KEY)));
  });
});
