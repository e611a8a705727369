// The Jina Reader emulator: markdown and JSON forms, world pages, unknown and unreachable sites.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJinaEmulator } from "../../../sandbox/jina/index.ts";
import type { EmulatorServer } from "../../../sandbox/core/server.ts";
import { INJECTION } from "../../../sandbox/world/index.ts";

let jina: EmulatorServer;
beforeAll(async () => {
  jina = await startJinaEmulator();
});
afterAll(() => jina.close());

const read = (url: string, headers: Record<string, string> = {}) => fetch(`${jina.url}/${url}`, { headers });

describe("jina reader", () => {
  it("returns markdown as text/plain by default, without a key", async () => {
    const res = await read("https://www.richmondcountryclubva.com/about/staff");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/^Title: Our Team \| Richmond Country Club\n\nURL Source: https:\/\/www\.richmondcountryclubva\.com\/about\/staff\n\nMarkdown Content:\n/);
    expect(text).toContain("**Stacy Foster** — General Manager");
    expect(text).toContain("sfoster@richmondcountryclubva.com");
  });

  it("returns the JSON form with Accept: application/json and a Bearer key", async () => {
    const res = await read("https://richmondcountryclubva.com", { Accept: "application/json", Authorization: "Bearer jina_key" });
    const body = (await res.json()) as { code: number; status: number; data: { title: string; url: string; content: string; usage: { tokens: number } } };
    expect(body.code).toBe(200);
    expect(body.status).toBe(20000);
    expect(body.data.url).toBe("https://www.richmondcountryclubva.com/");
    expect(body.data.title).toContain("Richmond Country Club");
    expect(body.data.content).toContain("# Welcome to Richmond Country Club");
    expect(body.data.usage.tokens).toBeGreaterThan(0);
    expect(jina.recorder.last()?.route).toBe("GET /http*");
  });

  it("serves staff pages without emails and the page carrying a prompt injection as-is", async () => {
    const willow = await (await read("https://www.willowcreekgolfnc.com/staff")).text();
    expect(willow).toContain("Karen Whitfield");
    expect(willow).not.toContain("@willowcreekgolfnc.com");
    const harbor = await (await read("https://www.harborpointlinks.com/staff")).text();
    expect(harbor).toContain(INJECTION.attackerEmail);
    expect(harbor).toContain("169.254.169.254");
  });

  it("answers 422 for an unknown site and for a world site that is down", async () => {
    const unknown = await read("https://no-such-golf-club.example/");
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ code: 422, name: "AssertionFailureError", data: null });
    const down = await read("https://www.sandypinesgolfsc.com/");
    expect(down.status).toBe(422);
  });

  it("passes an origin 404 through with a warning, refuses private addresses, shows LinkedIn's wall", async () => {
    const missing = await read("https://www.richmondcountryclubva.com/no-such-page", { Accept: "application/json" });
    expect(missing.status).toBe(200);
    expect(((await missing.json()) as { data: { warning: string } }).data.warning).toContain("404");
    expect((await read(INJECTION.ssrfUrl)).status).toBe(422);
    expect(await (await read("https://www.linkedin.com/in/stacy-foster-rcc")).text()).toContain("Sign in");
  });

  it("accepts POST / with {url}", async () => {
    const res = await fetch(jina.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "https://www.eagleslandingaz.com/practice" }) });
    expect(await res.text()).toContain("TrackMan");
  });
});
