// The Perplexity emulator: Agent API (Responses format); Sonar chat completions retired.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startPerplexityEmulator } from "../../../sandbox/perplexity/index.ts";
import type { EmulatorServer } from "../../../sandbox/core/server.ts";

let pplx: EmulatorServer;
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
