// World time: advancing the fixture world a month changes what every emulator answers (over real
// HTTP, through the app's own Perplexity and Anthropic clients where the sweep will use them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Sandbox, startSandbox } from "../../../sandbox/index.ts";
import { MONTH_1, resetWorld, worldMonth, WORLD_EVENTS } from "../../../sandbox/world/index.ts";
import { createAnthropicClient } from "../../../src/providers/anthropic.ts";
import { createPerplexityClient } from "../../../src/providers/perplexity.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  resetWorld();
  sandbox = await startSandbox({ providers: ["jina", "hunter", "perplexity", "anthropic", "mailgun"] });
});
afterAll(async () => {
  resetWorld();
  await sandbox.close();
});

const EAGLES = MONTH_1.eaglesLanding;
const MAPLE_STAFF_PAGE = `${MONTH_1.mapleHills.website}/staff`;

const Freshness = z.object({
  still_at_club: z.boolean().nullable().describe("true if the person still holds this role at the course, false if they left, null if the sources do not say"),
  current_employer: z.string().nullable().describe("Where the person works now, if they left"),
  current_title: z.string().nullable().describe("Their title there"),
  replacement_name: z.string().nullable().describe("Who holds the role at the course now, if someone else"),
  replacement_title: z.string().nullable().describe("That person's title"),
  evidence_url: z.string().nullable().describe("The page that says so"),
});

// The same shape as agent A2's extraction (src/agents/a2-data-extractor.ts).
const Extraction = z.object({
  course: z.object({
    phone: z.string().nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    holes: z.number().int().nullable(),
    course_type: z.enum(["private", "public", "semi-private", "resort", "municipal"]).nullable(),
    founded: z.number().int().nullable(),
  }),
  staff: z.array(z.object({ name: z.string(), title: z.string(), email: z.string().nullable(), phone: z.string().nullable() })).max(25),
});

const jina = (url: string) => fetch(`${sandbox.servers.jina.url}/${url}`);
const jinaText = async (url: string) => (await jina(url)).text();
const hunter = async (path: string, params: Record<string, string>) => {
  const res = await fetch(`${sandbox.servers.hunter.url}${path}?${new URLSearchParams({ ...params, api_key: "hunter-sandbox-key" })}`);
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> & { emails?: Array<Record<string, unknown>> } } };
};
const control = async (server: { url: string }, method: "GET" | "POST", path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...(body !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as { month: number; events: Array<{ kind: string; course_id: string }>; upcoming?: unknown[] } };
};
const research = (query: string) =>
  createPerplexityClient({ apiKey: "pplx-sandbox-key", baseUrl: sandbox.servers.perplexity.url }).research({
    query,
    instructions: "Answer from current public sources only. Use null when they do not say.",
    schema: Freshness,
    schemaName: "ContactFreshness",
  });
const askAbout = (name: string, title: string, course = "Eagle's Landing Resort & Golf", domain = "eagleslandingaz.com", state = "AZ") =>
  research(`Is ${name} still ${title} at ${course} (${domain}, ${state})? If not, where do they work now, and who replaced them?`);

const verify = async (email: string) => (await hunter("/v2/email-verifier", { email })).body.data;

describe("month 0: the world as it always was", () => {
  it("answers as before: Jordan Blake on the staff page, Priya's address valid, Maple Hills up", async () => {
    expect(worldMonth()).toBe(0);
    const staff = await jinaText(EAGLES.staffPageUrl);
    expect(staff).toContain("**Jordan Blake** — Director of Golf");
    expect(staff).not.toContain("Marcus Ortiz");
    expect((await jina(MAPLE_STAFF_PAGE)).status).toBe(200);
    expect((await jina(EAGLES.evidenceUrl)).status).toBe(422); // the news page does not exist yet
    expect(await verify(EAGLES.undeliverable.email)).toMatchObject({ status: "valid", result: "deliverable" });

    const jordan = await askAbout("Jordan Blake", "Director of Golf");
    expect(jordan.value.answer).toEqual({
      still_at_club: true,
      current_employer: "Eagle's Landing Resort & Golf",
      current_title: "Director of Golf",
      replacement_name: null,
      replacement_title: null,
      evidence_url: EAGLES.staffPageUrl,
    });
    const { body } = await control(sandbox.servers.perplexity, "GET", "/__emulator/world");
    expect(body).toMatchObject({ month: 0, events: [] });
    expect(body.upcoming).toHaveLength(WORLD_EVENTS.length);
  });

  it("keeps the Lakeside stale-staff case: Robert Chen left in 2026 for Kinross Golf Club", async () => {
    const robert = await askAbout("Robert Chen", "General Manager", "Lakeside Country Club", "lakesidecc-va.com", "VA");
    expect(robert.value.answer).toEqual({
      still_at_club: false,
      current_employer: "Kinross Golf Club",
      current_title: "General Manager",
      replacement_name: null,
      replacement_title: null,
      evidence_url: null,
    });
    expect(await jinaText("https://www.lakesidecc-va.com/staff")).toContain("**Robert Chen** — General Manager");
  });

  it("answers nulls for a person the world does not know", async () => {
    const nobody = await askAbout("Pat Nobody", "General Manager");
    expect(nobody.value.answer).toEqual({ still_at_club: null, current_employer: null, current_title: null, replacement_name: null, replacement_title: null, evidence_url: null });
  });
});

describe("month 1", () => {
  it("advances over HTTP on any emulator, and an emulator's own reset leaves the world alone", async () => {
    const bad = await control(sandbox.servers.jina, "POST", "/__emulator/world/advance", { months: -1 });
    expect(bad.status).toBe(400);
    const adv = await control(sandbox.servers.jina, "POST", "/__emulator/world/advance", { months: 1 });
    expect(adv.status).toBe(200);
    expect(adv.body.month).toBe(1);
    expect(adv.body.events.map((e) => e.kind)).toEqual(["staff_left", "staff_joined", "page_published", "email_undeliverable", "site_down"]);
    expect(worldMonth()).toBe(1);
    // Every emulator serves the same clock (mailgun has nothing to do with the world, yet answers).
    expect((await control(sandbox.servers.mailgun, "GET", "/__emulator/world")).body).toMatchObject({ month: 1, upcoming: [] });
    // Tests reset single emulators between tests: that must not turn the clock back.
    for (const s of [sandbox.servers.jina, sandbox.servers.hunter, sandbox.servers.perplexity]) {
      expect((await fetch(`${s.url}/__emulator/reset`, { method: "POST" })).status).toBe(200);
    }
    sandbox.reset();
    expect(worldMonth()).toBe(1);
  });

  it("Jina: Eagle's Landing's staff page lists the successor, not the leaver; the news page names both", async () => {
    const staff = await jinaText(EAGLES.staffPageUrl);
    expect(staff).toContain("**Marcus Ortiz** — Director of Golf");
    expect(staff).toContain(EAGLES.successor.email);
    expect(staff).toContain("**Priya Shah** — Head Golf Professional");
    expect(staff).toContain("**Owen McAllister** — Director of Agronomy");
    expect(staff).not.toContain("Jordan Blake");

    const news = await jina(EAGLES.evidenceUrl);
    expect(news.status).toBe(200);
    const text = await news.text();
    expect(text).toContain("Marcus Ortiz");
    expect(text).toContain("Jordan Blake");
    expect(text).toContain("Coyote Springs Golf Club");
    // The rest of the site is unchanged.
    expect(await jinaText("https://www.eagleslandingaz.com/")).toContain("# Welcome to Eagle's Landing Resort & Golf");
  });

  it("Jina: Maple Hills is down, answered exactly like the Sandy Pines site_unreachable case", async () => {
    const res = await jina(MAPLE_STAFF_PAGE);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: number; name: string; message: string };
    const sandy = (await (await jina("https://www.sandypinesgolfsc.com/staff")).json()) as typeof body;
    expect(body).toMatchObject({ code: 422, name: MONTH_1.mapleHills.jina.name, status: sandy.code * 100 + 6 });
    expect(body.message).toContain(MONTH_1.mapleHills.jina.reason);
    expect(body.message.replaceAll(MAPLE_STAFF_PAGE, "URL")).toBe(sandy.message.replaceAll("https://www.sandypinesgolfsc.com/staff", "URL"));
  });

  it("Hunter: Priya's address is invalid; domain-search lists Marcus and shows Jordan as off the page", async () => {
    expect(await verify(EAGLES.undeliverable.email)).toMatchObject({ status: "invalid", result: "undeliverable", score: 0, email: EAGLES.undeliverable.email });
    expect(await verify(EAGLES.successor.email!)).toMatchObject({ status: "valid" });
    expect(await verify(EAGLES.unchanged[0].email)).toMatchObject({ status: "valid" });

    const { body } = await hunter("/v2/domain-search", { domain: "eagleslandingaz.com" });
    const emails = body.data.emails!;
    const marcus = emails.find((e) => e.value === EAGLES.successor.email);
    expect(marcus).toMatchObject({ first_name: "Marcus", last_name: "Ortiz", position: "Director of Golf", linkedin: EAGLES.successor.linkedin, phone_number: EAGLES.successor.phone });
    expect(marcus?.sources).toEqual([expect.objectContaining({ uri: EAGLES.staffPageUrl, still_on_page: true })]);
    const jordan = emails.find((e) => e.value === EAGLES.leaver.email);
    expect(jordan?.sources).toEqual([expect.objectContaining({ still_on_page: false })]);
    expect(emails.find((e) => e.value === EAGLES.undeliverable.email)).toMatchObject({ verification: { status: "invalid" } });
  });

  it("Perplexity: Jordan left for Coyote Springs, Marcus Ortiz replaced him, and the evidence is in the sources and readable", async () => {
    const jordan = await askAbout("Jordan Blake", "Director of Golf");
    expect(jordan.value.answer).toEqual({
      still_at_club: false,
      current_employer: EAGLES.leaver.left_club.now_at,
      current_title: "Director of Golf",
      replacement_name: "Marcus Ortiz",
      replacement_title: "Director of Golf",
      evidence_url: EAGLES.evidenceUrl,
    });
    expect(jordan.value.sources).toContain(EAGLES.evidenceUrl);
    const evidence = await jinaText(jordan.value.answer.evidence_url!);
    expect(evidence).toContain("Marcus Ortiz");
    expect(evidence).toContain("Jordan Blake");
  });

  it("Perplexity: people still there answer still_at_club true with the staff page as evidence", async () => {
    for (const [name, title] of [
      ["Priya Shah", "Head Golf Professional"],
      ["Owen McAllister", "Director of Agronomy"],
      ["Marcus Ortiz", "Director of Golf"],
    ] as const) {
      const r = await askAbout(name, title);
      expect(r.value.answer, name).toEqual({
        still_at_club: true,
        current_employer: "Eagle's Landing Resort & Golf",
        current_title: title,
        replacement_name: null,
        replacement_title: null,
        evidence_url: EAGLES.staffPageUrl,
      });
    }
    // Maple Hills' staff did not leave; only the site is down.
    const greg = await askAbout("Greg Vandenberg", "General Manager", "Maple Hills Golf Course", "maplehillsgolfmi.com", "MI");
    expect(greg.value.answer).toMatchObject({ still_at_club: true, replacement_name: null });
    // Lakeside answers as at month 0.
    const robert = await askAbout("Robert Chen", "General Manager", "Lakeside Country Club", "lakesidecc-va.com", "VA");
    expect(robert.value.answer).toMatchObject({ still_at_club: false, current_employer: "Kinross Golf Club" });
  });

  it("Anthropic: the extraction of the staff page yields Marcus, Priya and Owen, not Jordan", async () => {
    const page = await (await fetch(`${sandbox.servers.jina.url}/${EAGLES.staffPageUrl}`, { headers: { accept: "application/json" } })).json();
    const markdown = (page as { data: { content: string } }).data.content;
    const anthropic = createAnthropicClient({ apiKey: "sk-ant-sandbox-key", baseUrl: sandbox.servers.anthropic.url });
    const { value } = await anthropic.structured({
      model: "claude-haiku-4-5",
      system: "You extract facts about a golf course from its website. Report only what the content states; use null when it does not say.",
      content: [
        "Course: Eagle's Landing Resort & Golf (https://www.eagleslandingaz.com)",
        "Extract the course's details and every staff member listed (name and job title; email and phone only if printed next to them).",
        `<untrusted_content source="${EAGLES.staffPageUrl}">\n${markdown}\n</untrusted_content>`,
      ].join("\n\n"),
      schema: Extraction,
      maxTokens: 2_000,
    });
    expect(value.staff.map((s) => s.name)).toEqual(["Marcus Ortiz", "Priya Shah", "Owen McAllister"]);
  });
});

describe("reset", () => {
  it("POST /__emulator/world/reset brings month 0 back for every emulator", async () => {
    const res = await control(sandbox.servers.hunter, "POST", "/__emulator/world/reset");
    expect(res.body).toMatchObject({ month: 0, events: [] });
    expect(worldMonth()).toBe(0);
    const staff = await jinaText(EAGLES.staffPageUrl);
    expect(staff).toContain("**Jordan Blake** — Director of Golf");
    expect(staff).not.toContain("Marcus Ortiz");
    expect((await jina(EAGLES.evidenceUrl)).status).toBe(422);
    expect((await jina(MAPLE_STAFF_PAGE)).status).toBe(200);
    expect(await verify(EAGLES.undeliverable.email)).toMatchObject({ status: "valid" });
    const jordan = await askAbout("Jordan Blake", "Director of Golf");
    expect(jordan.value.answer).toMatchObject({ still_at_club: true, replacement_name: null });
    const { body } = await hunter("/v2/domain-search", { domain: "eagleslandingaz.com" });
    expect(body.data.emails!.map((e) => e.value)).not.toContain(EAGLES.successor.email);
  });
});
