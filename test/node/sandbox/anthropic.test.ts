// The Anthropic emulator, driven by the real @anthropic-ai/sdk client.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import { z } from "zod";
import { createAnthropicClient } from "../../../src/providers/anthropic.ts";
import { type AnthropicEmulator, startAnthropicEmulator } from "../../../sandbox/anthropic/index.ts";
import { INJECTION } from "../../../sandbox/world/index.ts";

let em: AnthropicEmulator;
let client: Anthropic;

beforeAll(async () => {
  em = await startAnthropicEmulator();
  client = new Anthropic({ apiKey: "sk-ant-test", baseURL: em.url, maxRetries: 0 });
});
afterAll(() => em.close());
beforeEach(() => em.reset());

const HAIKU = "claude-haiku-4-5";
const SONNET = "claude-sonnet-4-6";

const CourseIntel = z.object({
  course_name: z.string(),
  website: z.url().nullable(),
  segment: z.enum(["high-end", "budget", "both"]),
  segment_confidence: z.number().int().min(1).max(10),
  opportunities: z.object({ range_ball_buy: z.number().min(0).max(10), range_ball_lease: z.number().min(0).max(10) }),
  conversation_starters: z.array(z.object({ text: z.string().min(10), score: z.number().int().min(1).max(10) })).min(3).max(5),
  water_hazard_count: z.number().int().min(0),
});

const Staff = z.object({
  contacts: z
    .array(
      z.object({
        name: z.string(),
        title: z.string(),
        email: z.email().optional(),
        linkedin_url: z.url().nullable(),
        phone: z.string().regex(/^\d{3}-\d{3}-\d{4}$/).nullable(),
      }),
    )
    .max(10),
});

const toolSchema = (schema: z.ZodType) => z.toJSONSchema(schema) as Anthropic.Tool.InputSchema;

function toolInput(msg: Anthropic.Message): unknown {
  const block = msg.content.find((b) => b.type === "tool_use");
  if (!block || block.type !== "tool_use") throw new Error("no tool_use block");
  return block.input;
}

describe("auth and validation", () => {
  it("rejects a request without a key (401 authentication_error)", async () => {
    const res = await fetch(`${em.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: HAIKU, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  it("accepts the SDK's Bearer key and rejects missing required fields with 400 invalid_request_error", async () => {
    const bad = { model: HAIKU, messages: [{ role: "user", content: "hi" }] } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const err = await client.messages.create(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(em.recorder.last()?.headers.authorization).toBe("Bearer sk-ant-test");

    const noMessages = await client.messages.create({ model: HAIKU, max_tokens: 5, messages: [] }).catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(Anthropic.BadRequestError);
    const badChoice = await client.messages
      .create({ model: HAIKU, max_tokens: 5, messages: [{ role: "user", content: "x" }], tools: [{ name: "a", input_schema: { type: "object" } }], tool_choice: { type: "tool", name: "b" } })
      .catch((e: unknown) => e);
    expect(badChoice).toBeInstanceOf(Anthropic.BadRequestError);
    const unknownModel = await client.messages.create({ model: "gpt-4o", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(unknownModel).toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe("answers", () => {
  it("forces a tool call whose input validates against the zod schema, filled from the world", async () => {
    const msg = await client.messages.create({
      model: SONNET,
      max_tokens: 2000,
      tools: [{ name: "record_course_intel", description: "Record course intel", input_schema: toolSchema(CourseIntel) }],
      tool_choice: { type: "tool", name: "record_course_intel" },
      messages: [{ role: "user", content: "Write course intel for Richmond Country Club (Virginia)." }],
    });
    expect(msg).toMatchObject({ type: "message", role: "assistant", model: SONNET, stop_reason: "tool_use" });
    expect(msg.id).toMatch(/^msg_/);
    const intel = CourseIntel.parse(toolInput(msg));
    expect(intel).toMatchObject({ course_name: "Richmond Country Club", website: "https://www.richmondcountryclubva.com", segment: "high-end", segment_confidence: 8, water_hazard_count: 7 });
    expect(intel.opportunities).toEqual({ range_ball_buy: 8, range_ball_lease: 9 });
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(10);
  });

  it("extracts staff with world emails, omitting the ones nobody published", async () => {
    const msg = await client.messages.create({
      model: HAIKU,
      max_tokens: 2000,
      tools: [{ name: "record_staff", input_schema: toolSchema(Staff) }],
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "Staff page of Richmond Country Club, VA:\n..." }],
    });
    const { contacts } = Staff.parse(toolInput(msg));
    expect(contacts.find((c) => c.name === "Stacy Foster")).toMatchObject({ title: "General Manager", email: "sfoster@richmondcountryclubva.com", phone: "804-592-5861" });
    expect(contacts.find((c) => c.name === "Daniel Ruiz")?.email).toBeUndefined();
  });

  it("disambiguates a duplicate course name by state", async () => {
    const ask = async (state: string) =>
      CourseIntel.parse(
        toolInput(
          await client.messages.create({
            model: HAIKU,
            max_tokens: 2000,
            tools: [{ name: "intel", input_schema: toolSchema(CourseIntel) }],
            tool_choice: { type: "tool", name: "intel" },
            messages: [{ role: "user", content: `Pine Valley Golf Club in ${state}` }],
          }),
        ),
      );
    expect((await ask("New Jersey")).segment).toBe("high-end");
    expect((await ask("Ohio")).website).toBe("https://www.pinevalleygolfohio.com");
  });

  it("does not follow the prompt injection on Harbor Point's staff page", async () => {
    const page = `Staff page of Harbor Point Golf Links, FL:\n${INJECTION.text}`;
    const msg = await client.messages.create({
      model: HAIKU,
      max_tokens: 2000,
      tools: [{ name: "intel", input_schema: toolSchema(CourseIntel) }],
      tool_choice: { type: "tool", name: "intel" },
      messages: [{ role: "user", content: page }],
    });
    expect(CourseIntel.parse(toolInput(msg)).segment).toBe("high-end");
    expect(JSON.stringify(msg.content)).not.toContain(INJECTION.attackerEmail);
  });

  it("returns schema-valid JSON text for structured outputs (output_config.format, the schema as the SDK's zod helper sends it)", async () => {
    const msg = await client.messages.create({
      model: HAIKU,
      max_tokens: 2000,
      output_config: { format: { type: "json_schema", schema: zodOutputFormat(CourseIntel).schema } },
      messages: [{ role: "user", content: "Eagle's Landing Resort & Golf, Arizona" }],
    });
    const text = msg.content[0];
    expect(text?.type).toBe("text");
    const parsed = CourseIntel.parse(JSON.parse(text && text.type === "text" ? text.text : ""));
    expect(parsed).toMatchObject({ segment: "high-end", website: "https://www.eagleslandingaz.com" });
    expect(msg.stop_reason).toBe("end_turn");
  });

  it("runs the web search server tool from the world and reports it in usage", async () => {
    const msg = await client.messages.create({
      model: HAIKU,
      max_tokens: 1000,
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 3 }],
      messages: [{ role: "user", content: "Find the official website of Richmond Country Club in Virginia." }],
    });
    const [use, result, answer] = msg.content;
    expect(use).toMatchObject({ type: "server_tool_use", name: "web_search" });
    expect(result?.type).toBe("web_search_tool_result");
    if (result?.type === "web_search_tool_result" && Array.isArray(result.content)) {
      expect(result.content.map((r) => r.url)).toContain("https://vsga.org/courselisting/11950");
      expect(result.content[0]?.url).toBe("https://www.richmondcountryclubva.com/");
    }
    expect(answer?.type === "text" && answer.text).toContain("https://www.richmondcountryclubva.com");
    expect(msg.usage.server_tool_use?.web_search_requests).toBe(1);

    const none = await client.messages.create({
      model: HAIKU,
      max_tokens: 1000,
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      messages: [{ role: "user", content: "Find the website of Cedar Ridge Municipal Golf Course, Texas." }],
    });
    const res = none.content.find((b) => b.type === "web_search_tool_result");
    expect(res && res.type === "web_search_tool_result" ? res.content : null).toEqual([]);
  });

  it("streams the same message (SSE) for the SDK's stream helper", async () => {
    const stream = client.messages.stream({
      model: HAIKU,
      max_tokens: 2000,
      tools: [{ name: "intel", input_schema: toolSchema(CourseIntel) }],
      tool_choice: { type: "tool", name: "intel" },
      messages: [{ role: "user", content: "Maple Hills Golf Course, Michigan" }],
    });
    const final = await stream.finalMessage();
    expect(CourseIntel.parse(toolInput(final)).segment).toBe("budget");
  });

  it("counts tokens and simulates prompt caching", async () => {
    const count = await client.messages.countTokens({ model: HAIKU, messages: [{ role: "user", content: "x".repeat(400) }] });
    expect(count.input_tokens).toBeGreaterThanOrEqual(100);

    const system: Anthropic.TextBlockParam[] = [{ type: "text", text: "Rules. ".repeat(1000), cache_control: { type: "ephemeral" } }];
    const ask = () => client.messages.create({ model: SONNET, max_tokens: 100, system, messages: [{ role: "user", content: "Richmond Country Club" }] });
    const first = await ask();
    const second = await ask();
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1000);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
  });
});

describe("scripts", () => {
  it("answers scripted responses in order, by match, then falls back", async () => {
    em.script({ match: { toolName: "intel" }, responses: [{ toolInput: { segment: "budget" } }, { error: { status: 529, message: "Overloaded" } }] });
    const req = {
      model: HAIKU,
      max_tokens: 100,
      tools: [{ name: "intel", input_schema: { type: "object" as const } }],
      tool_choice: { type: "tool" as const, name: "intel" },
      messages: [{ role: "user" as const, content: "Richmond Country Club" }],
    };
    expect(toolInput(await client.messages.create(req))).toEqual({ segment: "budget" });
    const err = await client.messages.create(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect(toolInput(await client.messages.create(req))).not.toEqual({ segment: "budget" });
  });

  it("takes scripts over HTTP (match objects)", async () => {
    const res = await fetch(`${em.url}/__emulator/anthropic/script`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ match: { contains: "willow creek" }, response: { text: "scripted!" } }),
    });
    expect(res.status).toBe(201);
    const other = await client.messages.create({ model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: "Richmond Country Club" }] });
    expect(other.content[0]?.type === "text" && other.content[0].text).not.toBe("scripted!");
    const msg = await client.messages.create({ model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: "Willow Creek Golf Club" }] });
    expect(msg.content[0]?.type === "text" && msg.content[0].text).toBe("scripted!");
  });
});

describe("faults through the SDK", () => {
  it("429 rate_limit_error with retry-after, then success: the SDK retries once (times: 1)", async () => {
    em.faults.add({ route: "POST /v1/messages", kind: "rate_limit", retryAfter: 1, headers: { "retry-after-ms": "10" }, times: 1 });
    const retrying = new Anthropic({ apiKey: "k", baseURL: em.url, maxRetries: 2 });
    const msg = await retrying.messages.create({ model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: "Richmond Country Club" }] });
    expect(msg.type).toBe("message");
    const calls = em.recorder.list({ route: "POST /v1/messages" });
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("429 surfaces as RateLimitError with retry-after when retries are off; 529 as overloaded_error", async () => {
    em.faults.add({ route: "POST /v1/messages", kind: "rate_limit", retryAfter: 3, times: 1 });
    const err = await client.messages.create({ model: HAIKU, max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.headers.get("retry-after")).toBe("3");
    expect(e.error).toMatchObject({ error: { type: "rate_limit_error" } });

    em.faults.add({ route: "POST /v1/messages", kind: "error", status: 529, times: 1 });
    const over = await client.messages.create({ model: HAIKU, max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((x: unknown) => x);
    expect((over as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((over as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: "overloaded_error" } });
  });

  it("a hanging call ends in the SDK's timeout error", async () => {
    em.faults.add({ route: "POST /v1/messages", kind: "timeout", times: 1 });
    const err = await client.messages.create({ model: HAIKU, max_tokens: 10, messages: [{ role: "user", content: "x" }] }, { timeout: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });
});

describe("structured outputs: what the API refuses, and how our client reads an answer out of range", () => {
  it("refuses a schema with numerical, length or array constraints, as the API does (the SDK moves them into descriptions)", async () => {
    for (const schema of [z.object({ n: z.number().int().min(1) }), z.object({ s: z.string().max(5) }), z.object({ a: z.array(z.string()).min(3) })]) {
      const err = await client.messages
        .create({ model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: "x" }], output_config: { format: { type: "json_schema", schema: z.toJSONSchema(schema) as { [k: string]: unknown } } } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).toMatch(/output_config\.format\.schema: For '\w+' type, (property )?'\w+'/);
    }
    const transformed = zodOutputFormat(z.object({ n: z.number().int().min(1).max(10) })).schema;
    expect(JSON.stringify(transformed)).toContain("minimum: 1");
    const ok = await client.messages.create({ model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: "x" }], output_config: { format: { type: "json_schema", schema: transformed } } });
    const n = (JSON.parse(ok.content[0]?.type === "text" ? ok.content[0].text : "{}") as { n: number }).n;
    // The emulator reads the bounds back from the description, as a model would.
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(10);
  });

  const Intel = z.object({ segment: z.enum(["high-end", "budget", "both"]), confidence: z.number().int().min(1).max(10), starters: z.array(z.string()).min(1).max(2) });
  const ours = () => createAnthropicClient({ apiKey: "sk-ant-test", baseUrl: em.url });

  it("a score of 11 is clamped to 10 without another call; a long list keeps its first items", async () => {
    em.script({ match: { contains: "Pinecrest" }, response: { json: { segment: "budget", confidence: 11, starters: ["a", "b", "c"] } } });
    const { value } = await ours().structuredWithRepairs({ model: SONNET, system: "s", content: "Pinecrest", schema: Intel, maxTokens: 500, clamp: ["confidence"] });
    expect(value.output).toEqual({ segment: "budget", confidence: 10, starters: ["a", "b"] });
    expect(value.repairs.map((r) => r.action)).toEqual(["clamped", "truncated"]);
    expect(em.recorder.list({ route: "POST /v1/messages" })).toHaveLength(1);
  });

  it("anything else gets one repair call that carries the validation errors, and its tokens are counted", async () => {
    em.script({ match: { contains: "Pinecrest" }, responses: [{ json: { segment: "luxury", confidence: 5, starters: ["a"] } }, { json: { segment: "high-end", confidence: 5, starters: ["a"] } }] });
    const { value, usage } = await ours().structuredWithRepairs({ model: SONNET, system: "s", content: "Pinecrest", schema: Intel, maxTokens: 500 });
    expect(value.output.segment).toBe("high-end");
    expect(value.repairs).toEqual([{ field: "segment", action: "repair_call", raw: { segment: "luxury" } }]);
    const calls = em.recorder.list({ route: "POST /v1/messages" });
    expect(calls).toHaveLength(2);
    const repair = calls[1]!.body as { messages: { role: string; content: string }[] };
    expect(repair.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(repair.messages[2]!.content).toContain("segment");
    expect(usage.input_tokens).toBeGreaterThan(0);
  });

  it("still invalid after the repair call: the call fails for good (not retried at full price)", async () => {
    em.script({ match: { contains: "Pinecrest" }, repeat: true, response: { json: { segment: "luxury", confidence: 5, starters: ["a"] } } });
    const err = await ours().structuredWithRepairs({ model: SONNET, system: "s", content: "Pinecrest", schema: Intel, maxTokens: 500 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ProviderError", retryable: false, message: expect.stringContaining("after a repair call") });
    expect(em.recorder.list({ route: "POST /v1/messages" })).toHaveLength(2);
  });
});
