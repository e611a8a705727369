// Perplexity emulator: the Agent API (Responses format), which replaced Sonar chat completions.
//
// Endpoints (docs.perplexity.ai, 2026): `POST /v1/agent` ("Create Agent Response"; the migration guide
// says "point requests at /v1/agent and switch … to responses.create()"), and `POST /v1/responses`, the
// earlier path of the same operation (OpenAI-compatible clients use it), served identically here.
// Request: `input` (string or input items) required; one of `model` / `models` / `preset`; optional
// `instructions`, `tools` ([{type: "web_search"}|{type: "fetch_url"}|{type: "function"}]),
// `response_format: {type: "json_schema", json_schema: {name, schema}}`, `max_output_tokens`,
// `max_steps` (1–10), `stream`.
// Response: `{id, object: "response", created_at, status: "completed", model, output: [
//   {type: "search_results", queries, results: [{id, url, title, snippet, date, last_updated, source}]},
//   {type: "message", id, status, role: "assistant", content: [{type: "output_text", text,
//     annotations: [{type: "url_citation", url, title, start_index, end_index}]}]}],
//   usage: {input_tokens, output_tokens, total_tokens, cost: {currency, input_cost, output_cost,
//   tool_calls_cost, total_cost}, tool_calls_details: {web_search: {invocation}}}}`.
//
// Retired: Sonar chat completions (`POST /chat/completions`, `/v1/chat/completions`) stopped on
// 2026-09-27. Clients that kept calling it reported the error "Sonar is now the Agent API" (Fabric
// release v1.4.528); the exact status code is not documented in what we could find, so this emulator
// answers 410 Gone with that message in Perplexity's error envelope.

import { randomBytes } from "node:crypto";
import { createEmulatorServer, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";
import { coursesInText, describeCourse, describeStaff, hashString, searchWorld, seededRandom, staffInText } from "../world/index.ts";
import { fillSchema, type JsonSchema } from "../world/schema-fill.ts";
import { PerplexityScripts } from "./scripts.ts";

/**
 * "The name field is required and must be 1-64 alphanumeric characters"
 * (https://docs.perplexity.ai/docs/grounded-llm/output-control/structured-outputs). The docs do not
 * show the refusal itself: this answers 400 invalid_request in the API's error envelope.
 */
const SCHEMA_NAME = /^[A-Za-z0-9]{1,64}$/;

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const perplexityError = (status: number, type: string, message: string): EmulatorResponse => json(status, { error: { message, type, code: status } });

export const perplexityFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  if (kind === "rate_limit") {
    return {
      body: { error: { message: message ?? "Rate limit exceeded. Please slow down.", type: "rate_limit_exceeded", code: 429 } },
      headers: { "retry-after": String(fault.retryAfter ?? 1), "x-ratelimit-remaining-requests": "0" },
    };
  }
  return { body: { error: { message: message ?? "Injected error", type: status >= 500 ? "internal_server_error" : "invalid_request", code: status } } };
};

/** Per-million-token prices used for `usage.cost` (sonar-class model) and the per-search tool fee. */
export const PERPLEXITY_PRICING = { inputPerMTok: 1, outputPerMTok: 1, webSearchPerCall: 0.005 } as const;

const estimateTokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

function inputText(input: unknown, instructions: unknown): string {
  const parts: string[] = [];
  if (typeof instructions === "string") parts.push(instructions);
  if (typeof input === "string") parts.push(input);
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (!isObj(item)) continue;
      const c = item.content;
      if (typeof c === "string") parts.push(c);
      else if (Array.isArray(c)) for (const p of c) if (isObj(p) && typeof p.text === "string") parts.push(p.text);
      if (typeof item.output === "string") parts.push(item.output);
    }
  }
  return parts.join("\n");
}

export interface PerplexityEmulatorOptions {
  port?: number;
  host?: string;
  apiKeys?: string[];
}

export interface PerplexityEmulator extends EmulatorServer {
  /** Scripted answers (also over HTTP: `POST /__emulator/perplexity/script`). */
  scripts: PerplexityScripts;
}

export async function startPerplexityEmulator(opts: PerplexityEmulatorOptions = {}): Promise<PerplexityEmulator> {
  const scripts = new PerplexityScripts();
  const server = await createEmulatorServer({
    name: "perplexity",
    port: opts.port,
    host: opts.host,
    routes: ["POST /v1/agent", "POST /v1/responses", "POST /chat/completions", "POST /v1/chat/completions"],
    faultShaper: perplexityFaultShaper,
    onReset: () => scripts.clear(),
    handler: (req) => {
      const scriptControl = scripts.control(req.method, req.path, req.json);
      if (scriptControl) return json(scriptControl.status, scriptControl.body);
      if (req.path === "/chat/completions" || req.path === "/v1/chat/completions") {
        return perplexityError(410, "endpoint_retired", "Sonar is now the Agent API: Sonar chat completions were retired on 2026-09-27. Use POST /v1/agent (responses.create).");
      }
      if (req.path !== "/v1/agent" && req.path !== "/v1/responses") return perplexityError(404, "not_found", `No route for ${req.method} ${req.path}`);
      if (req.method !== "POST") return perplexityError(405, "method_not_allowed", `Method ${req.method} not allowed`);
      const key = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!key || (opts.apiKeys && !opts.apiKeys.includes(key))) return perplexityError(401, "invalid_api_key", "Invalid or missing API key. Provide it as 'Authorization: Bearer <key>'.");
      const body = req.json;
      if (!isObj(body)) return perplexityError(400, "invalid_request", "Request body must be a JSON object");
      if (body.input === undefined || (typeof body.input !== "string" && !Array.isArray(body.input))) return perplexityError(400, "invalid_request", "input: Field required (string or array of input items)");
      const models = Array.isArray(body.models) ? body.models.filter((m): m is string => typeof m === "string") : undefined;
      if (models && (models.length < 1 || models.length > 5)) return perplexityError(400, "invalid_request", "models: between 1 and 5 models are allowed");
      const model = models?.[0] ?? (typeof body.model === "string" ? body.model : undefined);
      const preset = typeof body.preset === "string" ? body.preset : undefined;
      if (!model && !preset) return perplexityError(400, "invalid_request", "Either model, models or preset is required");
      if (model && !/^[a-z0-9-]+\/[A-Za-z0-9._-]+$/.test(model)) return perplexityError(400, "invalid_request", `model must be in provider/model format (e.g. "perplexity/sonar"), got "${model}"`);
      if (body.max_steps !== undefined && (typeof body.max_steps !== "number" || body.max_steps < 1 || body.max_steps > 10)) return perplexityError(400, "invalid_request", "max_steps must be between 1 and 10");
      if (body.stream === true) return perplexityError(400, "invalid_request", "stream: true is not supported by this emulator");
      const rf = body.response_format;
      let schema: JsonSchema | undefined;
      let schemaName: string | undefined;
      if (rf !== undefined) {
        if (!isObj(rf) || rf.type !== "json_schema" || !isObj(rf.json_schema) || !isObj(rf.json_schema.schema) || typeof rf.json_schema.name !== "string") {
          return perplexityError(400, "invalid_request", "response_format must be {type: 'json_schema', json_schema: {name, schema}}");
        }
        if (!SCHEMA_NAME.test(rf.json_schema.name)) {
          return perplexityError(400, "invalid_request", `response_format.json_schema.name must be 1-64 alphanumeric characters, got "${rf.json_schema.name}"`);
        }
        schema = rf.json_schema.schema;
        schemaName = rf.json_schema.name;
      }
      const tools = Array.isArray(body.tools) ? body.tools.filter(isObj) : [];
      // Presets carry web search; explicit tools are honoured; a bare model searches only with a web_search tool.
      const searchEnabled = preset !== undefined || tools.some((t) => t.type === "web_search");

      const text = inputText(body.input, body.instructions);
      const random = seededRandom(hashString(text));
      const named = coursesInText(text);
      const course = named[0];
      const mentioned = course ? staffInText(course, text) : [];
      const staff = mentioned.length === 1 ? mentioned[0] : undefined;
      const results = searchEnabled && course ? searchWorld(`${course.name} ${course.state}`, 5) : [];
      const output: Obj[] = [];
      if (searchEnabled) {
        output.push({
          type: "search_results",
          queries: [course ? `${course.name} ${course.city} ${course.state_name}` : text.slice(0, 100)],
          results: results.map((r, i) => ({ id: i + 1, url: r.url, title: r.title, snippet: r.snippet, date: r.page_age, last_updated: r.page_age, source: "web" })),
        });
      }
      let answer: string;
      const annotations: Obj[] = [];
      if (schema) {
        // The answer matches the schema (docs.perplexity.ai/docs/agent-api/output-control: "LLM responses
        // will match the specified format"); a list of courses holds every course the search found.
        answer = JSON.stringify(fillSchema(schema, { course, staff, courses: named, random }));
      } else if (course && !(searchEnabled && results.length === 0)) {
        answer = staff ? describeStaff(course, staff) : describeCourse(course);
        if (results[0]) {
          const marker = " [1]";
          const start = answer.length;
          answer += marker;
          annotations.push({ type: "url_citation", url: results[0].url, title: results[0].title, start_index: start, end_index: start + marker.length });
        }
      } else {
        // Includes the no_website case: the search finds nothing, so nothing is claimed.
        answer = course ? `I could not find reliable public information about ${course.name} in ${course.state_name}.` : "I could not find reliable public information about that.";
      }
      const scripted = scripts.take(text, schemaName);
      if (scripted && "error" in scripted) return perplexityError(scripted.error.status, scripted.error.type ?? "scripted_error", scripted.error.message ?? "Scripted error");
      if (scripted) {
        answer = "json" in scripted ? JSON.stringify(scripted.json) : scripted.text;
        annotations.length = 0;
      }
      output.push({
        type: "message",
        id: `msg_${randomBytes(8).toString("hex")}`,
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: answer, annotations }],
      });
      const inputTokens = estimateTokens(text);
      const outputTokens = estimateTokens(answer);
      const searches = searchEnabled ? 1 : 0;
      const inputCost = (inputTokens / 1e6) * PERPLEXITY_PRICING.inputPerMTok;
      const outputCost = (outputTokens / 1e6) * PERPLEXITY_PRICING.outputPerMTok;
      const toolCost = searches * PERPLEXITY_PRICING.webSearchPerCall;
      return json(200, {
        id: `resp_${randomBytes(12).toString("hex")}`,
        object: "response",
        created_at: Math.floor(Date.now() / 1000),
        status: "completed",
        model: model ?? "perplexity/sonar",
        ...(preset ? { preset } : {}),
        output,
        usage: {
          input_tokens: inputTokens,
          output_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
          cost: {
            currency: "USD",
            input_cost: Number(inputCost.toFixed(6)),
            output_cost: Number(outputCost.toFixed(6)),
            tool_calls_cost: toolCost,
            total_cost: Number((inputCost + outputCost + toolCost).toFixed(6)),
          },
          ...(searches ? { tool_calls_details: { web_search: { invocation: searches } } } : {}),
        },
      });
    },
  });
  return Object.assign(server, { scripts });
}
