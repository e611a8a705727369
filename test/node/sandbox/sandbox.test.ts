// startSandbox: every emulator up, the env that points the app at them, shared latency; and the world.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS, type Sandbox, startSandbox } from "../../../sandbox/index.ts";
import { COURSES, MESSY_CASES, courseByDomain, courseByName, coursesInText, findCourses, pageByUrl } from "../../../sandbox/world/index.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

describe("startSandbox", () => {
  it("starts every provider and returns base URLs and keys", async () => {
    for (const p of PROVIDERS) expect(sandbox.servers[p].url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.env).toMatchObject({
      ANTHROPIC_BASE_URL: sandbox.servers.anthropic.url,
      CLICKUP_BASE_URL: sandbox.servers.clickup.url,
      HUNTER_BASE_URL: sandbox.servers.hunter.url,
      PERPLEXITY_BASE_URL: sandbox.servers.perplexity.url,
      JINA_BASE_URL: sandbox.servers.jina.url,
      MAILGUN_BASE_URL: sandbox.servers.mailgun.url,
      ANTHROPIC_API_KEY: expect.any(String),
      HUNTER_API_KEY: expect.any(String),
      MAILGUN_DOMAIN: expect.any(String),
      MAILGUN_WEBHOOK_SIGNING_KEY: expect.any(String),
    });
    for (const p of PROVIDERS) {
      const health = await fetch(`${sandbox.servers[p].url}/__emulator/health`);
      expect(((await health.json()) as { name: string }).name).toBe(p);
    }
    const hunter = await fetch(`${sandbox.env.HUNTER_BASE_URL}/v2/domain-search?domain=richmondcountryclubva.com&api_key=${sandbox.env.HUNTER_API_KEY}`);
    expect(hunter.status).toBe(200);
  });

  it("applies one latency profile and timeScale to every emulator; off by default", () => {
    for (const p of PROVIDERS) expect(sandbox.servers[p].latency.describe().profile).toBe("none");
    sandbox.setLatency("realistic", 0.01);
    for (const p of PROVIDERS) expect(sandbox.servers[p].latency.describe()).toMatchObject({ profile: "realistic", timeScale: 0.01 });
    sandbox.reset();
    for (const p of PROVIDERS) expect(sandbox.servers[p].latency.describe().profile).toBe("none");
  });

  it("starts a subset with strict keys", async () => {
    const small = await startSandbox({ providers: ["hunter"], strictKeys: true });
    try {
      expect(Object.keys(small.env).sort()).toEqual(["HUNTER_API_KEY", "HUNTER_BASE_URL"]);
      const bad = await fetch(`${small.env.HUNTER_BASE_URL}/v2/domain-search?domain=x.com&api_key=wrong`);
      expect(bad.status).toBe(401);
    } finally {
      await small.close();
    }
  });
});

describe("fixture world", () => {
  it("has Richmond Country Club with its staff", () => {
    const rcc = courseByName("Richmond Country Club", "Virginia");
    expect(rcc?.website).toBe("https://www.richmondcountryclubva.com");
    expect(rcc?.staff.map((s) => s.title)).toEqual(expect.arrayContaining(["General Manager", "Head Golf Professional", "Director of Golf", "Golf Course Superintendent"]));
    expect(courseByDomain("https://www.richmondcountryclubva.com/about")).toBe(rcc);
    expect(pageByUrl("http://richmondcountryclubva.com/about/staff/")?.page.title).toContain("Our Team");
  });

  it("documents every messy case, each pointing at a course carrying that tag", () => {
    expect(COURSES.length).toBeGreaterThanOrEqual(8);
    for (const m of MESSY_CASES) {
      const c = COURSES.find((x) => x.id === m.courseId);
      expect(c?.messy, m.kind).toContain(m.kind);
    }
    const kinds = new Set(MESSY_CASES.map((m) => m.kind));
    for (const k of ["no_website", "staff_page_no_emails", "duplicate_name", "prompt_injection"]) expect(kinds).toContain(k);
    expect(findCourses("pine valley golf club")).toHaveLength(2);
    expect(coursesInText("Pine Valley Golf Club, NJ").map((c) => c.state)).toEqual(["NJ"]);
  });
});
