// Anthropic Messages API emulator: `POST /v1/messages` (JSON and SSE streaming) and
// `POST /v1/messages/count_tokens`, as `@anthropic-ai/sdk` 1.x calls them.
//
// - Auth: `x-api-key` or `Authorization: Bearer` (SDK 1.x sends Bearer); missing → 401
//   authentication_error; a key outside `apiKeys` (when given) → 401.
// - `anthropic-version` header required (the real API rejects requests without it).
// - Validation → 400 invalid_request_error (model, max_tokens, messages, tools, tool_choice,
//   output_config.format / output_format); unknown model (not `claude-*`) → 404 not_found_error.
//   A structured-output schema with keywords the API does not support (minimum, maximum,
//   minLength, maxItems, minItems > 1, ...) → 400, as the real API answers; constraints the SDK moved
//   into descriptions are read back when the answer is filled, as a model reads them.
// - Answers: a `tool_use` block whose `input` satisfies the tool's `input_schema` (forced tool, `any`,
//   or `auto` with client tools), a text block with schema-valid JSON for structured outputs
//   (`output_config.format` / beta `output_format` of type json_schema), else a text answer. Values come
//   from the fixture world when the prompt names a course (see sandbox/world/schema-fill.ts).
// - Web search server tool (`web_search_*`): `server_tool_use` + `web_search_tool_result` blocks drawn
//   from the world, `usage.server_tool_use.web_search_requests`.
// - Usage: input tokens ≈ request chars / 4, output ≈ output chars / 4; prompt caching simulated
//   (cache_control breakpoints, ≥1,024 tokens Sonnet/Opus, ≥4,096 Haiku; 5-minute TTL).
// - Scripted answers per test: `emulator.script({...})` or `POST /__emulator/anthropic/script`.
// - Faults come from the core (`faults.add({route: "POST /v1/messages", kind: "rate_limit"})` → 429
//   rate_limit_error with retry-after; `{kind: "error", status: 529}` → overloaded_error).

import { createHash, randomBytes } from "node:crypto";
import { createEmulatorServer, type EmulatorRequest, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";
import {
  type Course,
  coursesInText,
  describeCourse,
  describeStaff,
  hashString,
  searchWorld,
  seededRandom,
  type StaffMember,
  staffInText,
} from "../world/index.ts";
import { fillSchema, type JsonSchema } from "../world/schema-fill.ts";

type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const requestId = (): string => `req_${randomBytes(12).toString("hex")}`;

export function anthropicError(status: number, message: string, extraHeaders?: Record<string, string>): EmulatorResponse {
  const id = requestId();
  return {
    status,
    headers: { "request-id": id, ...(extraHeaders ?? {}) },
    body: { type: "error", error: { type: ANTHROPIC_ERROR_TYPES[status] ?? "api_error", message }, request_id: id },
  };
}

export const anthropicFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  const id = requestId();
  if (kind === "rate_limit") {
    const retry = String(fault.retryAfter ?? 1);
    return {
      body: { type: "error", error: { type: "rate_limit_error", message: message ?? "Number of request tokens has exceeded your per-minute rate limit" }, request_id: id },
      headers: {
        "request-id": id,
        "retry-after": retry,
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": new Date(Date.now() + Number(retry) * 1000).toISOString(),
      },
    };
  }
  const type = ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const defaultMessage = status === 529 ? "Overloaded" : status >= 500 ? "Internal server error" : "Injected error";
  return { body: { type: "error", error: { type, message: message ?? defaultMessage }, request_id: id }, headers: { "request-id": id } };
};

// ---------------------------------------------------------------------------------------------
// Scripts.

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: Array<{ role: string; content: unknown }>;
  system?: unknown;
  tools?: Obj[];
  tool_choice?: Obj;
  output_config?: Obj;
  output_format?: Obj;
  stream?: boolean;
  [key: string]: unknown;
}

export interface ScriptMatch {
  /** The forced tool (tool_choice) or any offered tool has this name. */
  toolName?: string;
  /** Model id equals or contains this. */
  model?: string;
  /** The prompt (system + messages) contains this text (case-insensitive). */
  contains?: string;
}

export type ScriptedResponse =
  /** A text block. */
  | { text: string; stop_reason?: string; usage?: Obj }
  /** A tool_use block (tool name defaults to the forced/first tool). */
  | { toolInput: unknown; toolName?: string; stop_reason?: string; usage?: Obj }
  /** A text block carrying JSON (structured outputs). */
  | { json: unknown; usage?: Obj }
  /** Raw content blocks. */
  | { content: Obj[]; stop_reason?: string; usage?: Obj }
  /** An API error. */
  | { error: { status: number; type?: string; message?: string; headers?: Record<string, string> } };

export interface ScriptSpec {
  match?: ScriptMatch | ((req: MessagesRequest) => boolean);
  response?: ScriptedResponse;
  /** Consumed in order; the script is removed when all are used (unless `repeat`). */
  responses?: ScriptedResponse[];
  /** Keep answering with the last response forever. */
  repeat?: boolean;
  id?: string;
}

interface ActiveScript {
  id: string;
  match: ScriptSpec["match"];
  queue: ScriptedResponse[];
  repeat: boolean;
  used: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function blockText(b: unknown): string {
  if (typeof b === "string") return b;
  if (!isObj(b)) return "";
  if (b.type === "text" && typeof b.text === "string") return b.text;
  if (b.type === "tool_result") {
    const c = b.content;
    if (typeof c === "string") return c;
    if (Array.isArray(c)) return c.map(blockText).join("\n");
  }
  if (b.type === "tool_use" || b.type === "server_tool_use") return JSON.stringify(b.input ?? {});
  if (b.type === "document" && isObj(b.source) && typeof b.source.data === "string") return b.source.data;
  return "";
}

export function promptText(req: Pick<MessagesRequest, "system" | "messages">): string {
  const parts: string[] = [];
  const sys = req.system;
  if (typeof sys === "string") parts.push(sys);
  else if (Array.isArray(sys)) parts.push(sys.map(blockText).join("\n"));
  for (const m of req.messages ?? []) {
    if (typeof m.content === "string") parts.push(m.content);
    else if (Array.isArray(m.content)) parts.push(m.content.map(blockText).join("\n"));
  }
  return parts.join("\n");
}

/** Text of the user/system turns only (where the task names its course), without tool results. */
function instructionText(req: MessagesRequest): string {
  const parts: string[] = [];
  if (typeof req.system === "string") parts.push(req.system);
  else if (Array.isArray(req.system)) parts.push(req.system.map(blockText).join("\n"));
  for (const m of req.messages) {
    if (m.role !== "user" && m.role !== "system") continue;
    if (typeof m.content === "string") parts.push(m.content);
    else if (Array.isArray(m.content)) parts.push(m.content.filter((b) => !(isObj(b) && b.type === "tool_result")).map(blockText).join("\n"));
  }
  return parts.join("\n");
}

export const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

const isServerTool = (t: Obj): boolean => typeof t.type === "string" && t.type !== "custom" && !!t.type;
const isWebSearch = (t: Obj): boolean => typeof t.type === "string" && t.type.startsWith("web_search_");

function newId(prefix: string, random: () => number): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < 24; i++) s += chars[Math.floor(random() * chars.length)];
  return `${prefix}${s}`;
}

function validate(body: unknown): string | undefined {
  if (!isObj(body)) return "Request body must be a JSON object";
  if (typeof body.model !== "string" || !body.model) return "model: Field required";
  if (body.max_tokens === undefined) return "max_tokens: Field required";
  if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Input should be a valid integer greater than or equal to 1";
  if (!Array.isArray(body.messages)) return "messages: Field required";
  if (body.messages.length === 0) return "messages: at least one message is required";
  for (const [i, m] of body.messages.entries()) {
    if (!isObj(m)) return `messages.${i}: Input should be an object`;
    if (m.role !== "user" && m.role !== "assistant" && m.role !== "system") return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof m.content !== "string" && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid string or list`;
  }
  if (body.temperature !== undefined && (typeof body.temperature !== "number" || body.temperature < 0 || body.temperature > 1)) return "temperature: Input should be less than or equal to 1";
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) return "system: Input should be a valid string or list";
  const tools = body.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return "tools: Input should be a valid list";
    for (const [i, t] of tools.entries()) {
      if (!isObj(t)) return `tools.${i}: Input should be an object`;
      if (typeof t.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (!isServerTool(t)) {
        if (!isObj(t.input_schema)) return `tools.${i}.custom.input_schema: Field required`;
        if (t.input_schema.type !== "object") return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
      }
    }
  }
  const tc = body.tool_choice;
  if (tc !== undefined) {
    if (!isObj(tc) || !["auto", "any", "tool", "none"].includes(String(tc.type))) return "tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'";
    if (tc.type === "tool") {
      if (typeof tc.name !== "string") return "tool_choice.tool.name: Field required";
      if (!Array.isArray(tools) || !tools.some((t) => isObj(t) && t.name === tc.name)) return `Tool '${tc.name}' not found in tools`;
    }
    if ((tc.type === "any" || tc.type === "tool") && (!Array.isArray(tools) || tools.length === 0)) return "tool_choice may only be specified while providing tools.";
  }
  for (const key of ["output_config", "output_format"] as const) {
    const oc = body[key];
    if (oc === undefined || oc === null) continue;
    const format = key === "output_config" ? (isObj(oc) ? oc.format : undefined) : oc;
    if (format === undefined || format === null) continue;
    if (!isObj(format) || format.type !== "json_schema") return `${key === "output_config" ? "output_config.format" : "output_format"}.type: Input should be 'json_schema'`;
    if (!isObj(format.schema)) return `${key === "output_config" ? "output_config.format" : "output_format"}.schema: Field required`;
    const unsupported = unsupportedSchemaKeyword(format.schema);
    if (unsupported) return `${key === "output_config" ? "output_config.format" : "output_format"}.schema: ${unsupported}`;
  }
  return undefined;
}

function outputSchema(req: MessagesRequest): JsonSchema | undefined {
  const f = isObj(req.output_config) ? req.output_config.format : undefined;
  if (isObj(f) && f.type === "json_schema" && isObj(f.schema)) return constraintsFromDescriptions(f.schema) as JsonSchema;
  const legacy = req.output_format;
  if (isObj(legacy) && legacy.type === "json_schema" && isObj(legacy.schema)) return constraintsFromDescriptions(legacy.schema) as JsonSchema;
  return undefined;
}

// Structured outputs accept only part of JSON Schema ("JSON Schema limitations",
// https://platform.claude.com/docs/en/build-with-claude/structured-outputs): no numerical
// constraints (minimum, maximum, multipleOf), no string length constraints, no array constraints
// beyond minItems 0 or 1. The API refuses them with 400, e.g. "output_format.schema: For 'integer'
// type, property 'minimum' is not supported"; the SDKs move them into the field's description.
const UNSUPPORTED_KEYWORDS: Record<string, string[]> = {
  integer: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
  number: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"],
  string: ["minLength", "maxLength"],
  array: ["maxItems", "uniqueItems"],
  object: ["minProperties", "maxProperties"],
};

function unsupportedSchemaKeyword(schema: unknown): string | undefined {
  if (Array.isArray(schema)) {
    for (const item of schema) {
      const found = unsupportedSchemaKeyword(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObj(schema)) return undefined;
  const types = Array.isArray(schema.type) ? schema.type.map(String) : typeof schema.type === "string" ? [schema.type] : [];
  for (const type of types) {
    for (const keyword of UNSUPPORTED_KEYWORDS[type] ?? []) if (keyword in schema) return `For '${type}' type, property '${keyword}' is not supported`;
    if (type === "array" && typeof schema.minItems === "number" && schema.minItems > 1) return `For 'array' type, 'minItems' values other than 0 or 1 are not supported`;
  }
  for (const key of ["properties", "$defs", "definitions"] as const) {
    const children = schema[key];
    if (isObj(children)) {
      const found = unsupportedSchemaKeyword(Object.values(children));
      if (found) return found;
    }
  }
  for (const key of ["items", "anyOf", "allOf", "oneOf"] as const) {
    const found = unsupportedSchemaKeyword(schema[key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * A model reads the constraints the SDK moved into a description ("… {minimum: 1, maximum: 10}"):
 * the emulator fills answers with them put back, so its answers respect them as a model's would.
 */
function constraintsFromDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(constraintsFromDescriptions);
  if (!isObj(schema)) return schema;
  const out: Obj = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === "enum" || key === "const" ? value : constraintsFromDescriptions(value);
  const described = typeof schema.description === "string" ? /\{([^{}]*)\}\s*$/.exec(schema.description) : null;
  if (described) {
    for (const match of described[1]!.matchAll(/(\w+): ("(?:[^"\\]|\\.)*"|[^,]+)(?:, |$)/g)) {
      try {
        if (!(match[1]! in out)) out[match[1]!] = JSON.parse(match[2]!);
      } catch {
        // Not JSON: not a constraint the SDK wrote.
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Prompt caching (approximation): tokens of the prefix up to the last cache_control breakpoint.

function hasCacheControl(v: unknown): boolean {
  return isObj(v) && isObj(v.cache_control);
}

function cachePrefix(req: MessagesRequest): string | undefined {
  const parts: unknown[] = [];
  let lastBreak = -1;
  const push = (v: unknown): void => {
    parts.push(v);
    if (hasCacheControl(v)) lastBreak = parts.length;
  };
  for (const t of req.tools ?? []) push(t);
  if (Array.isArray(req.system)) for (const b of req.system) push(b);
  else if (req.system !== undefined) push(req.system);
  for (const m of req.messages) {
    if (Array.isArray(m.content)) for (const b of m.content) push(b);
    else push(m.content);
  }
  if (lastBreak < 0) return undefined;
  return JSON.stringify(parts.slice(0, lastBreak));
}

// ---------------------------------------------------------------------------------------------

export interface AnthropicEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted keys; any non-empty key when omitted. */
  apiKeys?: string[];
}

export interface AnthropicEmulator extends EmulatorServer {
  script(spec: ScriptSpec): string;
  clearScripts(): void;
  scripts(): Array<{ id: string; remaining: number; repeat: boolean }>;
}

export async function startAnthropicEmulator(opts: AnthropicEmulatorOptions = {}): Promise<AnthropicEmulator> {
  let scripts: ActiveScript[] = [];
  let nextScript = 1;
  const cache = new Map<string, number>(); // prefix hash → expiry ms

  const addScript = (spec: ScriptSpec): string => {
    const queue = spec.responses ?? (spec.response ? [spec.response] : []);
    if (queue.length === 0) throw new Error("a script needs `response` or `responses`");
    const id = spec.id ?? `script_${nextScript++}`;
    scripts.push({ id, match: spec.match, queue: [...queue], repeat: spec.repeat ?? false, used: 0 });
    return id;
  };

  const scriptMatches = (s: ActiveScript, req: MessagesRequest): boolean => {
    const m = s.match;
    if (!m) return true;
    if (typeof m === "function") return m(req);
    if (m.model && !(req.model === m.model || req.model.includes(m.model))) return false;
    if (m.toolName) {
      const forced = isObj(req.tool_choice) && req.tool_choice.type === "tool" ? req.tool_choice.name : undefined;
      const offered = (req.tools ?? []).some((t) => t.name === m.toolName);
      if (forced !== m.toolName && !(forced === undefined && offered)) return false;
    }
    if (m.contains && !promptText(req).toLowerCase().includes(m.contains.toLowerCase())) return false;
    return true;
  };

  const takeScript = (req: MessagesRequest): ScriptedResponse | undefined => {
    const s = scripts.find((x) => scriptMatches(x, req));
    if (!s) return undefined;
    s.used++;
    const r = s.queue.length > 1 || !s.repeat ? s.queue.shift()! : s.queue[0]!;
    if (s.queue.length === 0) scripts = scripts.filter((x) => x !== s);
    return r;
  };

  const usageFor = (req: MessagesRequest, content: Obj[], searches: number): Obj => {
    const total = estimateTokens(JSON.stringify({ s: req.system ?? null, m: req.messages, t: req.tools ?? null }).length);
    let cacheCreation = 0;
    let cacheRead = 0;
    const prefix = cachePrefix(req);
    if (prefix) {
      const prefixTokens = estimateTokens(prefix.length);
      const minimum = req.model.includes("haiku") ? 4096 : 1024;
      if (prefixTokens >= minimum) {
        const key = createHash("sha256").update(req.model).update(prefix).digest("hex");
        const now = Date.now();
        const exp = cache.get(key);
        if (exp && exp > now) cacheRead = prefixTokens;
        else cacheCreation = prefixTokens;
        cache.set(key, now + 5 * 60_000);
      }
    }
    const output = estimateTokens(JSON.stringify(content).length);
    return {
      input_tokens: Math.max(1, total - cacheCreation - cacheRead),
      output_tokens: output,
      cache_creation_input_tokens: cacheCreation,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: cacheCreation, ephemeral_1h_input_tokens: 0 },
      server_tool_use: searches > 0 ? { web_search_requests: searches, web_fetch_requests: 0 } : null,
      service_tier: "standard",
      inference_geo: null,
      output_tokens_details: null,
      speed: null,
    };
  };

  const messageEnvelope = (req: MessagesRequest, content: Obj[], stopReason: string, usage: Obj, random: () => number): Obj => ({
    id: newId("msg_01", random),
    type: "message",
    role: "assistant",
    model: req.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage,
  });

  const fromScript = (req: MessagesRequest, r: ScriptedResponse, random: () => number): EmulatorResponse | Obj => {
    if ("error" in r) {
      return anthropicError(r.error.status, r.error.message ?? "Scripted error", r.error.headers);
    }
    let content: Obj[];
    let stop = "end_turn";
    if ("toolInput" in r) {
      const forced = isObj(req.tool_choice) && req.tool_choice.type === "tool" ? String(req.tool_choice.name) : undefined;
      const name = r.toolName ?? forced ?? (req.tools ?? []).find((t) => !isServerTool(t))?.name ?? "tool";
      content = [{ type: "tool_use", id: newId("toolu_01", random), name, input: r.toolInput, caller: { type: "direct" } }];
      stop = r.stop_reason ?? "tool_use";
    } else if ("json" in r) {
      content = [{ type: "text", text: JSON.stringify(r.json), citations: null }];
    } else if ("text" in r) {
      content = [{ type: "text", text: r.text, citations: null }];
      stop = r.stop_reason ?? "end_turn";
    } else {
      content = r.content;
      stop = r.stop_reason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn");
    }
    const usage = { ...usageFor(req, content, 0), ...(r.usage ?? {}) };
    return messageEnvelope(req, content, stop, usage, random);
  };

  const generate = (req: MessagesRequest): Obj => {
    const instructions = instructionText(req);
    const random = seededRandom(hashString(`${req.model}\n${promptText(req)}\n${JSON.stringify(req.tools ?? [])}`));
    const courses = coursesInText(instructions);
    const course: Course | undefined = courses[0] ?? coursesInText(promptText(req))[0];
    const mentioned = course ? staffInText(course, instructions) : [];
    const staff: StaffMember | undefined = mentioned.length === 1 ? mentioned[0] : undefined;
    const tools = req.tools ?? [];
    const clientTools = tools.filter((t) => !isServerTool(t));
    const webSearch = tools.find(isWebSearch);
    const tc = isObj(req.tool_choice) ? req.tool_choice : { type: "auto" };
    const last = req.messages[req.messages.length - 1];
    const afterToolResult = !!last && last.role === "user" && Array.isArray(last.content) && last.content.some((b) => isObj(b) && b.type === "tool_result");
    const content: Obj[] = [];
    let searches = 0;

    if (webSearch && tc.type !== "none" && !afterToolResult) {
      const query = course ? `${course.name} ${course.city} ${course.state_name} official website` : instructions.slice(0, 120).replace(/\s+/g, " ").trim();
      let results = course ? searchWorld(`${course.name} ${course.state}`, 5) : [];
      const allowed = Array.isArray(webSearch.allowed_domains) ? (webSearch.allowed_domains as string[]) : undefined;
      const blocked = Array.isArray(webSearch.blocked_domains) ? (webSearch.blocked_domains as string[]) : undefined;
      const hostOf = (u: string): string => new URL(u).hostname.replace(/^www\./, "");
      if (allowed) results = results.filter((r) => allowed.some((d) => hostOf(r.url).endsWith(d.replace(/^www\./, ""))));
      if (blocked) results = results.filter((r) => !blocked.some((d) => hostOf(r.url).endsWith(d.replace(/^www\./, ""))));
      const id = newId("srvtoolu_01", random);
      content.push({ type: "server_tool_use", id, name: "web_search", input: { query }, caller: { type: "direct" } });
      content.push({
        type: "web_search_tool_result",
        tool_use_id: id,
        caller: { type: "direct" },
        content: results.map((r) => ({
          type: "web_search_result",
          url: r.url,
          title: r.title,
          encrypted_content: Buffer.from(r.snippet).toString("base64"),
          page_age: r.page_age,
        })),
      });
      searches = 1;
    }

    const ctx = { course, staff, random };
    const schema = outputSchema(req);
    const finalTool = (): Obj | undefined => clientTools.find((t) => /submit|record|save|report|return|output|result|final|extract|answer/i.test(String(t.name))) ?? clientTools[0];
    let toolToCall: Obj | undefined;
    if (tc.type === "tool") toolToCall = clientTools.find((t) => t.name === tc.name);
    else if (tc.type === "any") toolToCall = finalTool();
    else if (tc.type === "auto" && clientTools.length > 0 && !schema) {
      const called = new Set(
        req.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b): b is Obj => isObj(b) && b.type === "tool_use").map((b) => String(b.name)),
      );
      const candidate = finalTool();
      if (candidate && !(afterToolResult && called.has(String(candidate.name)))) toolToCall = candidate;
    }

    let stop = "end_turn";
    if (toolToCall) {
      content.push({
        type: "tool_use",
        id: newId("toolu_01", random),
        name: toolToCall.name,
        input: fillSchema(toolToCall.input_schema as JsonSchema, ctx),
        caller: { type: "direct" },
      });
      stop = "tool_use";
    } else if (schema) {
      content.push({ type: "text", text: JSON.stringify(fillSchema(schema, ctx)), citations: null });
    } else {
      const text = course ? (staff ? describeStaff(course, staff) : describeCourse(course)) : "I could not find reliable information about that.";
      content.push({ type: "text", text, citations: null });
    }

    let usage = usageFor(req, content, searches);
    if ((usage.output_tokens as number) > req.max_tokens) {
      // Truncate like the real API: stop at max_tokens.
      const lastBlock = content[content.length - 1]!;
      if (lastBlock.type === "text" && typeof lastBlock.text === "string") lastBlock.text = lastBlock.text.slice(0, req.max_tokens * 4);
      usage = { ...usage, output_tokens: req.max_tokens };
      stop = "max_tokens";
    }
    return messageEnvelope(req, content, stop, usage, random);
  };

  const sse = (message: Obj): EmulatorResponse => {
    const events: string[] = [];
    const send = (type: string, data: Obj): void => {
      events.push(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    const content = (message.content as Obj[]) ?? [];
    const usage = message.usage as Obj;
    send("message_start", { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
    send("ping", {});
    content.forEach((block, index) => {
      if (block.type === "text") {
        send("content_block_start", { index, content_block: { type: "text", text: "", citations: null } });
        const text = String(block.text ?? "");
        for (let i = 0; i < text.length; i += 64) send("content_block_delta", { index, delta: { type: "text_delta", text: text.slice(i, i + 64) } });
      } else if (block.type === "tool_use" || block.type === "server_tool_use") {
        send("content_block_start", { index, content_block: { ...block, input: {} } });
        const j = JSON.stringify(block.input ?? {});
        for (let i = 0; i < j.length; i += 64) send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: j.slice(i, i + 64) } });
      } else {
        send("content_block_start", { index, content_block: block });
      }
      send("content_block_stop", { index });
    });
    send("message_delta", {
      delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: null },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        server_tool_use: usage.server_tool_use,
      },
    });
    send("message_stop", {});
    return { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": requestId() }, body: events.join("") };
  };

  const authError = (req: EmulatorRequest): EmulatorResponse | undefined => {
    const key = req.headers["x-api-key"] ?? (req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1] ?? "");
    if (!key) return anthropicError(401, "x-api-key header is required");
    if (opts.apiKeys && !opts.apiKeys.includes(key)) return anthropicError(401, "invalid x-api-key");
    if (!req.headers["anthropic-version"]) return anthropicError(400, "anthropic-version: header is required");
    return undefined;
  };

  const server = await createEmulatorServer({
    name: "anthropic",
    port: opts.port,
    host: opts.host,
    routes: ["POST /v1/messages/count_tokens", "POST /v1/messages"],
    faultShaper: anthropicFaultShaper,
    onReset: () => {
      scripts = [];
      cache.clear();
    },
    handler: (req) => {
      if (req.path === "/__emulator/anthropic/script") {
        if (req.method === "POST") {
          try {
            const body = req.json as { scripts?: unknown } | undefined;
            const specs = Array.isArray(body?.scripts) ? body.scripts : [body];
            const ids = specs.map((s) => {
              if (!isObj(s)) throw new Error("script must be an object");
              if (s.match !== undefined && !isObj(s.match)) throw new Error("over HTTP, match must be an object {toolName?, model?, contains?}");
              return addScript(s as ScriptSpec);
            });
            return json(201, { ids });
          } catch (err) {
            return json(400, { error: { code: "invalid_script", message: (err as Error).message } });
          }
        }
        if (req.method === "DELETE") {
          scripts = [];
          return json(200, { cleared: true });
        }
        if (req.method === "GET") return json(200, { scripts: scripts.map((s) => ({ id: s.id, remaining: s.queue.length, repeat: s.repeat, used: s.used })) });
      }

      const isCount = req.path === "/v1/messages/count_tokens";
      if (req.path !== "/v1/messages" && !isCount) return anthropicError(404, `Not found: ${req.method} ${req.path}`);
      if (req.method !== "POST") return anthropicError(405 as number, `Method ${req.method} not allowed`);
      const auth = authError(req);
      if (auth) return auth;
      if (req.json === undefined) return anthropicError(400, req.text ? "Request body is not valid JSON" : "Request body is required");
      const body = req.json;

      if (isCount) {
        if (!isObj(body) || typeof body.model !== "string") return anthropicError(400, "model: Field required");
        if (!Array.isArray(body.messages)) return anthropicError(400, "messages: Field required");
        const tokens = estimateTokens(JSON.stringify({ s: body.system ?? null, m: body.messages, t: body.tools ?? null }).length);
        return json(200, { input_tokens: tokens }, { "request-id": requestId() });
      }

      const problem = validate(body);
      if (problem) return anthropicError(400, problem);
      const mreq = body as MessagesRequest;
      if (!/^claude-/.test(mreq.model)) return anthropicError(404, `model: ${mreq.model}`);

      const random = seededRandom(hashString(promptText(mreq)));
      const scripted = takeScript(mreq);
      const out = scripted ? fromScript(mreq, scripted, random) : generate(mreq);
      if ("status" in out && typeof out.status === "number" && !("type" in out)) return out as EmulatorResponse;
      const message = out as Obj;
      if (mreq.stream === true) return sse(message);
      return {
        status: 200,
        headers: {
          "request-id": requestId(),
          "anthropic-ratelimit-requests-limit": "4000",
          "anthropic-ratelimit-requests-remaining": "3999",
          "anthropic-ratelimit-input-tokens-limit": "400000",
          "anthropic-ratelimit-output-tokens-limit": "80000",
        },
        body: message,
      };
    },
  });

  return Object.assign(server, {
    script: addScript,
    clearScripts: () => {
      scripts = [];
    },
    scripts: () => scripts.map((s) => ({ id: s.id, remaining: s.queue.length, repeat: s.repeat })),
  });
}
