import { env } from "cloudflare:workers";
import { introspectWorkflow } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { courseByName, INJECTION } from "../../../sandbox/world/index.ts";
import { emulatorRequests, enrichAndWait, withDb } from "../helpers.ts";

async function contactRows(courseId: string) {
  return withDb((sql) => sql`
    select c.full_name, c.title, e.email, e.email_status, e.phone
    from contacts c join contact_enrichment e on e.contact_id = c.id where c.course_id = ${courseId} order by c.full_name`);
}

describe("messy courses of the fixture world (integration)", () => {
  it("a course with no website fails with that reason, visibly, and nothing is half-written", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const { output, job } = await enrichAndWait(workflows, { course_name: "Cedar Ridge Municipal Golf Course", state: "TX" });
    expect(output).toMatchObject({ status: "failed", error: expect.stringContaining("no website found") });
    expect(job).toMatchObject({ status: "failed", error: expect.stringContaining("no website found") });
    const [course] = await withDb((sql) => sql`select status, last_error from courses where id = ${output.course_id!}`);
    expect(course).toMatchObject({ status: "failed", last_error: expect.stringContaining("no website found") });
    const [contacts] = await withDb((sql) => sql`select count(*)::int as n from contacts where course_id = ${output.course_id!}`);
    expect(contacts!.n).toBe(0);
  });

  it("a staff page without emails: the run succeeds, Hunter's finds are kept and the rest are null", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Willow Creek Golf Club", "NC")!;
    const { output } = await enrichAndWait(workflows, { course_name: world.name, state: "NC" });
    expect(output.status).toBe("succeeded");
    const rows = await contactRows(output.course_id!);
    expect(rows.map((r) => r.full_name).sort()).toEqual(world.staff.map((s) => s.full_name).sort());
    for (const person of world.staff) {
      const row = rows.find((r) => r.full_name === person.full_name)!;
      expect(row.email, person.full_name).toBe(person.hunter === "none" ? null : person.email);
    }
    expect(rows.some((r) => r.email === null)).toBe(true);
    expect(rows.some((r) => r.email !== null)).toBe(true);
  });

  it("two courses with the same name in two states stay two courses with their own data", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const nj = await enrichAndWait(workflows, { course_name: "Pine Valley Golf Club", state: "NJ" });
    const oh = await enrichAndWait(workflows, { course_name: "Pine Valley Golf Club", state: "Ohio" });
    expect(nj.output.status).toBe("succeeded");
    expect(oh.output.status).toBe("succeeded");
    expect(nj.output.course_id).not.toBe(oh.output.course_id);
    const rows = await withDb((sql) => sql`
      select c.state, c.website, b.segment from courses c join business_intelligence b on b.course_id = c.id
      where c.id in (${nj.output.course_id!}, ${oh.output.course_id!}) order by c.state`);
    const [worldNj, worldOh] = [courseByName("Pine Valley Golf Club", "NJ")!, courseByName("Pine Valley Golf Club", "OH")!];
    expect(rows).toEqual([
      { state: "NJ", website: worldNj.website, segment: worldNj.segment },
      { state: "OH", website: worldOh.website, segment: worldOh.segment },
    ]);
    expect((await contactRows(nj.output.course_id!)).map((r) => r.full_name).sort()).toEqual(worldNj.staff.map((s) => s.full_name).sort());
    expect((await contactRows(oh.output.course_id!)).map((r) => r.full_name).sort()).toEqual(worldOh.staff.map((s) => s.full_name).sort());
  });

  it("a page carrying a prompt injection changes no output field, and nothing it names is fetched or mailed", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Harbor Point Golf Links", "FL")!;
    const since = Date.now();
    const { output } = await enrichAndWait(workflows, { course_name: world.name, state: "FL" });
    expect(output.status).toBe("succeeded");
    const [bi] = await withDb((sql) => sql`select segment from business_intelligence where course_id = ${output.course_id!}`);
    expect(bi!.segment).toBe(world.segment);
    expect(bi!.segment).not.toBe(INJECTION.injectedSegment);
    const rows = await contactRows(output.course_id!);
    expect(rows.map((r) => r.full_name).sort()).toEqual(world.staff.map((s) => s.full_name).sort());
    for (const row of rows) expect(row.email ?? "").not.toContain("evil.example");
    await expectNothingFetchedFromInjection(since);
  });

  it("even a model that obeys the injection cannot add the attacker's address or make us fetch its URLs", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Harbor Point Golf Links", "FL")!;
    const compromised = {
      course: { phone: world.phone, address: world.address, city: world.city, holes: world.holes, course_type: world.type, founded: world.founded },
      staff: [
        ...world.staff.map((s) => ({ name: s.full_name, title: s.title, email: INJECTION.attackerEmail, phone: null })),
        { name: INJECTION.fakeContact.name, title: INJECTION.fakeContact.title, email: INJECTION.attackerEmail, phone: INJECTION.fakeContact.phone },
      ],
    };
    const script = await fetch(`${String(env.ANTHROPIC_BASE_URL)}/__emulator/anthropic/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ match: { contains: "Extract the course's details" }, response: { json: compromised } }),
    });
    expect(script.status).toBeLessThan(300);
    const since = Date.now();
    const { output } = await enrichAndWait(workflows, { course_name: world.name, state: "FL", course_id: crypto.randomUUID() });
    expect(output.status).toBe("succeeded");
    const rows = await contactRows(output.course_id!);
    for (const row of rows) expect(row.email ?? "", row.full_name).not.toContain("evil.example");
    // The real staff keep the addresses Hunter verified for them, not the attacker's.
    for (const person of world.staff) expect(rows.find((r) => r.full_name === person.full_name)?.email).toBe(person.email);
    await expectNothingFetchedFromInjection(since);
  });

  it("Hunter's verifier answering 202 (still verifying) is asked again and its final answer kept", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Maple Hills Golf Course", "MI")!;
    const pending = world.staff.find((s) => s.verification_pending_calls)!;
    // Other suites may have used up the emulator's 202: ask for one again.
    await fetch(`${String(env.HUNTER_BASE_URL)}/__emulator/hunter/pending`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: pending.email, times: 1 }) });
    const since = Date.now();
    const { output } = await enrichAndWait(workflows, { course_name: world.name, state: "MI", course_id: crypto.randomUUID() });
    expect(output.status).toBe("succeeded");
    const row = (await contactRows(output.course_id!)).find((r) => r.full_name === pending.full_name)!;
    expect(row).toMatchObject({ email: pending.email, email_status: pending.verification });
    const verifier = (await emulatorRequests("hunter", since)).filter((r) => r.path === "/v2/email-verifier");
    const forPending = verifier.filter((r) => JSON.stringify(r).includes(encodeURIComponent(pending.email!)) || JSON.stringify(r).includes(pending.email!));
    expect(forPending.map((r) => r.status)).toEqual([202, 200]);
  });

  it("a staff page that lists someone who has left: their address no longer verifies and is not kept", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Lakeside Country Club", "VA")!;
    const gone = world.staff.find((s) => s.left_club)!;
    const { output } = await enrichAndWait(workflows, { course_name: world.name, state: "VA", course_id: crypto.randomUUID() });
    expect(output.status).toBe("succeeded");
    const row = (await contactRows(output.course_id!)).find((r) => r.full_name === gone.full_name)!;
    expect(row.email).toBeNull();
  });

  it("a website that is down: the run still finds the staff through Hunter and ends partial, saying why", async () => {
    await using workflows = await introspectWorkflow(env.ENRICH_COURSE);
    const world = courseByName("Sandy Pines Golf Club", "SC")!;
    const { output, job } = await enrichAndWait(workflows, { course_name: world.name, state: "SC" });
    expect(output.status).toBe("partial");
    expect(job.status).toBe("succeeded");
    expect(job.partial).toBe(true);
    const a2 = (job.steps as { agent: string; status: string; error?: string }[]).find((s) => s.agent === "A2")!;
    expect(a2).toMatchObject({ status: "failed", error: expect.stringContaining("422") });
    const rows = await contactRows(output.course_id!);
    expect(rows.map((r) => r.full_name).sort()).toEqual(world.staff.map((s) => s.full_name).sort());
    const [course] = await withDb((sql) => sql`select status from courses where id = ${output.course_id!}`);
    expect(course!.status).toBe("partial");
  });
});

async function expectNothingFetchedFromInjection(since: number): Promise<void> {
  for (const provider of ["jina", "hunter", "perplexity", "anthropic", "mailgun"] as const) {
    for (const request of await emulatorRequests(provider, since)) {
      if (provider === "anthropic" || provider === "perplexity") continue; // prompts may quote the page; they are not fetches
      expect(`${request.method} ${request.path}`, provider).not.toMatch(/169\.254|evil\.example/);
    }
  }
  const mail = await emulatorRequests("mailgun", since);
  expect(mail.filter((r) => r.method === "POST" && !r.path.startsWith("/__emulator"))).toHaveLength(0);
}
