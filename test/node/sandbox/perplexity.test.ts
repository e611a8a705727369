// The Perplexity emulator: Agent API (Responses format); Sonar chat completions retired.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type PerplexityEmulator, startPerplexityEmulator } from "../../../sandbox/perplexity/index.ts";
import { createPerplexityClient } from "../../../src/providers/perplexity.ts";

let pplx: PerplexityEmulator;
beforeAll(async () => {
  pplx = await startPerplexityEmulator();
});
afterAll(() => pplx.close());

interface OutputItem {
  type: "message" | "search_results";
  role?: string;
  status?: string;
  results?: Array<{ id: number; url: string; title: string; snippet: string; source: string }>;
  content?: Array<{ type: string; text: string; annotations: Array<{ type: string; url: string }> }>;
}
interface AgentBody {
  object: string;
  status: string;
  model: string;
  output: OutputItem[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number; cost: { currency: string; total_cost: number } };
  error: { message: string; type: string; code: number };
}

const call = async (path: string, body: unknown, key: string | null = "pplx-key") => {
  const res = await fetch(`${pplx.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as AgentBody };
};

const outputText = (body: AgentBody): string =>
  body.output
    .filter((o) => o.type === "message")
    .flatMap((o) => (o.content ?? []).map((c) => c.text))
    .join("");

describe("perplexity agent api", () => {
  it("answers POST /v1/agent with search results, a cited message and usage with cost", async () => {
    const { status, body } = await call("/v1/agent", { preset: "fast-search", input: "Direct phone number for Stacy Foster, General Manager at Richmond Country Club, Virginia?" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: "response", status: "completed", model: "perplexity/sonar" });
    const search = body.output.find((o) => o.type === "search_results");
    expect(search?.results?.[0]).toMatchObject({ id: 1, url: "https://www.richmondcountryclubva.com/", source: "web" });
    const msg = body.output.find((o) => o.type === "message");
    expect(msg).toMatchObject({ role: "assistant", status: "completed" });
    expect(outputText(body)).toContain("804-592-5861");
    expect(msg?.content?.[0]?.annotations[0]).toMatchObject({ type: "url_citation", url: "https://www.richmondcountryclubva.com/" });
    expect(body.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number), cost: { currency: "USD" }, tool_calls_details: { web_search: { invocation: 1 } } });
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);
  });

  it("returns schema-valid JSON for response_format json_schema (also on /v1/responses)", async () => {
    const Intel = z.object({ segment: z.enum(["high-end", "budget", "both"]), confidence: z.number().min(0).max(1), range_intel: z.string(), website: z.url().nullable() });
    const { status, body } = await call("/v1/responses", {
      model: "perplexity/sonar",
      tools: [{ type: "web_search" }],
      input: [{ type: "message", role: "user", content: "Segment Lakeside Country Club in Virginia for range ball sales." }],
      response_format: { type: "json_schema", json_schema: { name: "intel", schema: z.toJSONSchema(Intel) } },
    });
    expect(status).toBe(200);
    const intel = Intel.parse(JSON.parse(outputText(body)));
    expect(intel).toMatchObject({ segment: "high-end", confidence: 0.7, website: "https://www.lakesidecc-va.com" });
  });

  it("finds nothing for a course without a website", async () => {
    const { body } = await call("/v1/agent", { preset: "fast-search", input: "Website and phone for Cedar Ridge Municipal Golf Course, Texas" });
    expect(body.output[0]?.results).toEqual([]);
    expect(outputText(body)).toContain("could not find");
  });

  it("rejects what the API does not accept", async () => {
    expect((await call("/v1/agent", { preset: "fast-search", input: "x" }, null)).status).toBe(401);
    expect((await call("/v1/agent", { preset: "fast-search" })).status).toBe(400);
    expect((await call("/v1/agent", { input: "x" })).status).toBe(400);
    const bad = await call("/v1/agent", { model: "sonar", input: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: "invalid_request", code: 400 });
  });

  it("retired Sonar chat completions answer 410", async () => {
    const { status, body } = await call("/chat/completions", { model: "sonar", messages: [{ role: "user", content: "hi" }] });
    expect(status).toBe(410);
    expect(body.error.message).toContain("Agent API");
  });
});

describe("structured outputs: schema names and scripted answers", () => {
  const Intel = z.object({ segment: z.enum(["high-end", "budget", "both"]), confidence: z.number().int().min(1).max(10) });
  const ask = (name: string) =>
    call("/v1/agent", {
      model: "perplexity/sonar",
      input: "Segment Richmond Country Club in Virginia.",
      response_format: { type: "json_schema", json_schema: { name, schema: z.toJSONSchema(Intel) } },
    });

  it("a schema name must be 1-64 alphanumeric characters, as Perplexity's docs say: an underscore, a dash or 65 characters are refused", async () => {
    expect((await ask("CourseIntel")).status).toBe(200);
    expect((await ask("a".repeat(64))).status).toBe(200);
    for (const name of ["course_intel", "course-intel", "", "a".repeat(65), "course intel"]) {
      const { status, body } = await ask(name);
      expect(status, JSON.stringify(name)).toBe(400);
      expect(body.error).toMatchObject({ type: "invalid_request", code: 400, message: expect.stringContaining("1-64 alphanumeric") });
    }
  });

  it("every schema name our client sends is one the API accepts (the client refuses a bad one before sending)", async () => {
    const client = createPerplexityClient({ apiKey: "pplx-key", baseUrl: pplx.url });
    const fine = await client.research({ schemaName: "CourseIntel", query: "Segment Richmond Country Club in Virginia.", instructions: "x", schema: Intel });
    expect(fine.value.answer.segment).toBe("high-end");
    const before = pplx.recorder.list().length;
    await expect(client.research({ schemaName: "course_intel", query: "x", instructions: "x", schema: Intel })).rejects.toThrow(/alphanumeric/);
    expect(pplx.recorder.list().length).toBe(before);
  });

  it("scripted answers replace the message text, in order, by match; then the world answers again", async () => {
    const res = await fetch(`${pplx.url}/__emulator/perplexity/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ match: { contains: "richmond country club", schemaName: "CourseIntel" }, responses: [{ json: { segment: "budget", confidence: 11 } }, { text: "not json" }] }),
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(outputText((await ask("CourseIntel")).body))).toEqual({ segment: "budget", confidence: 11 });
    expect(outputText((await ask("CourseIntel")).body)).toBe("not json");
    expect(Intel.parse(JSON.parse(outputText((await ask("CourseIntel")).body))).segment).toBe("high-end");
    pplx.scripts.add({ response: { error: { status: 503, message: "busy" } } });
    expect((await ask("CourseIntel")).status).toBe(503);
  });

  it("our client clamps an 11 on a 1-10 scale and sends a repair call (without a search) for what it cannot mend", async () => {
    const client = createPerplexityClient({ apiKey: "pplx-key", baseUrl: pplx.url });
    pplx.scripts.add({ match: { contains: "Richmond" }, responses: [{ json: { segment: "premium", confidence: 11 } }, { json: { segment: "high-end", confidence: 12 } }] });
    // Counted by position, not time: the previous test's last request can share this millisecond.
    const before = pplx.recorder.list().length;
    const { value, usage } = await client.research({ schemaName: "CourseIntel", query: "Segment Richmond Country Club in Virginia.", instructions: "x", schema: Intel, clamp: ["confidence"] });
    expect(value.answer).toEqual({ segment: "high-end", confidence: 10 });
    expect(value.repairs.map((r) => r.action)).toEqual(["repair_call", "clamped"]);
    const sent = pplx.recorder.list().slice(before).filter((r) => r.path === "/v1/agent");
    expect(sent).toHaveLength(2);
    const repair = sent[1]!.body as { input: { role: string; content: string }[]; tools?: unknown };
    expect(repair.tools).toBeUndefined();
    expect(repair.input.map((i) => i.role)).toEqual(["user", "assistant", "user"]);
    expect(repair.input[2]!.content).toContain("segment");
    expect(usage.cost_usd).toBeGreaterThan(0);
  });
});
