// The ClickUp API v2 contract, read from ClickUp's official OpenAPI 3.1 file.
//
// Every request the emulator serves is first checked here: the path and method must be an operation
// of the file (else ClickUp's 404 "Route not found"), path and query parameters must satisfy their
// schemas (required query parameters present, numbers numeric, booleans "true"/"false"), and a JSON
// body must satisfy the operation's requestBody schema (JSON Schema 2020-12, `$ref`s into the file
// resolved). Response bodies can be checked against the documented 200 schema too (tests do).
//
// The file is found at $CLICKUP_OPENAPI_PATH, else `contracts/` in the repo, else `../shared/contracts/`
// beside the repo (where CI keeps the shared folder).

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { ClickUpError, E } from "./errors.ts";

const FILE_NAME = "clickup-api-v2-reference.json";
const SCHEMA_ID = "clickup-openapi";
const METHODS = ["get", "put", "post", "delete", "patch", "options", "head"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ParamSpec {
  name: string;
  in: "path" | "query";
  required: boolean;
  /** JSON pointer (URI fragment) of the parameter's schema inside the file. */
  schemaRef: string;
  /** The schema's declared type ("number", "boolean", "array", ...), for coercing strings. */
  type: string | undefined;
  itemType: string | undefined;
}

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. "/v2/list/{list_id}/task". */
  template: string;
  operationId: string;
  summary: string;
  segments: string[];
  pathParams: ParamSpec[];
  queryParams: ParamSpec[];
  body: { required: boolean; schemaRef: string } | undefined;
  /** Schema refs of the documented JSON responses by status. */
  responses: Record<string, string>;
}

export interface ValidatedRequest {
  op: Operation;
  /** Path parameters, percent-decoded strings. */
  params: Record<string, string>;
  /** Declared query parameters, coerced to their schema types (absent ones omitted). */
  query: Record<string, unknown>;
  /** The parsed JSON body (an empty object when the operation takes a body and none was sent). */
  body: unknown;
}

function defaultContractPath(): string {
  const fromEnv = process.env.CLICKUP_OPENAPI_PATH;
  if (fromEnv) return fromEnv;
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const candidates = [
    resolve(repoRoot, "contracts", FILE_NAME),
    resolve(repoRoot, "..", "shared", "contracts", FILE_NAME),
    resolve("/work/shared/contracts", FILE_NAME),
  ];
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

function pointer(parts: Array<string | number>): string {
  return `${SCHEMA_ID}#/${parts.map((p) => encodeURIComponent(String(p).replace(/~/g, "~0").replace(/\//g, "~1"))).join("/")}`;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function schemaType(schema: Json | undefined): string | undefined {
  if (!isObject(schema)) return undefined;
  const t = schema.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === "string" && x !== "null");
  return undefined;
}

function describeError(e: ErrorObject, where: string): string {
  const path = e.instancePath
    .split("/")
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, "/").replace(/~0/g, "~")}`))
    .join("")
    .replace(/^\./, "");
  const subject = path ? `${where} ${path}` : where;
  if (e.keyword === "required") return `${subject}: missing required property '${String(e.params.missingProperty)}'`;
  return `${subject} ${e.message ?? "is invalid"}`;
}

/** The most useful error of a failed validation: a leaf error rather than the anyOf/oneOf summary. */
function bestError(errors: ErrorObject[] | null | undefined): ErrorObject | undefined {
  if (!errors || errors.length === 0) return undefined;
  const leaves = errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" && e.keyword !== "if");
  const required = leaves.find((e) => e.keyword === "required" && e.instancePath === "");
  return required ?? leaves.find((e) => e.keyword === "required") ?? leaves[0] ?? errors[0];
}

function coerceScalar(value: string, type: string | undefined): unknown {
  if (type === "boolean") {
    if (value === "true") return true;
    if (value === "false") return false;
    return value;
  }
  if (type === "number" || type === "integer") {
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.trim())) return Number(value);
    return value;
  }
  return value;
}

export class ClickUpContract {
  readonly path: string;
  readonly info: { title: string; version: string };
  readonly #doc: JsonObject;
  readonly #ajv: Ajv2020;
  #ajvAll: Ajv2020 | undefined;
  readonly #ops: Operation[] = [];
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #responseValidators = new Map<string, ValidateFunction>();

  constructor(path: string = defaultContractPath()) {
    this.path = path;
    this.#doc = JSON.parse(readFileSync(path, "utf8")) as JsonObject;
    const info = isObject(this.#doc.info) ? this.#doc.info : {};
    this.info = { title: String(info.title ?? ""), version: String(info.version ?? "") };
    this.#ajv = this.#makeAjv(false);
    this.#index();
  }

  #makeAjv(allErrors: boolean): Ajv2020 {
    const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors });
    formatsModule.default(ajv);
    // OpenAPI's numeric formats are not JSON Schema formats.
    ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addSchema(this.#doc, SCHEMA_ID);
    return ajv;
  }

  #index(): void {
    const paths = isObject(this.#doc.paths) ? this.#doc.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      const shared = Array.isArray(item.parameters) ? item.parameters : [];
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        const params: ParamSpec[] = [];
        const collect = (list: Json[], base: Array<string | number>): void => {
          list.forEach((p, i) => {
            if (!isObject(p) || (p.in !== "path" && p.in !== "query") || typeof p.name !== "string") return;
            if (params.some((q) => q.name === p.name && q.in === p.in)) return;
            const schema = p.schema;
            params.push({
              name: p.name,
              in: p.in,
              required: p.required === true || p.in === "path",
              schemaRef: pointer([...base, i, "schema"]),
              type: schemaType(schema),
              itemType: isObject(schema) ? schemaType(schema.items) : undefined,
            });
          });
        };
        collect(Array.isArray(op.parameters) ? op.parameters : [], ["paths", template, method, "parameters"]);
        collect(shared, ["paths", template, "parameters"]);
        let body: Operation["body"];
        const rb = op.requestBody;
        if (isObject(rb) && isObject(rb.content) && isObject(rb.content["application/json"])) {
          const media = rb.content["application/json"];
          if (isObject(media) && media.schema !== undefined) {
            body = {
              required: rb.required === true,
              schemaRef: pointer(["paths", template, method, "requestBody", "content", "application/json", "schema"]),
            };
          }
        }
        const responses: Record<string, string> = {};
        if (isObject(op.responses)) {
          for (const [status, r] of Object.entries(op.responses)) {
            if (isObject(r) && isObject(r.content) && isObject(r.content["application/json"])) {
              const media = r.content["application/json"];
              if (isObject(media) && media.schema !== undefined) {
                responses[status] = pointer(["paths", template, method, "responses", status, "content", "application/json", "schema"]);
              }
            }
          }
        }
        this.#ops.push({
          method: method.toUpperCase(),
          template,
          operationId: typeof op.operationId === "string" ? op.operationId : `${method} ${template}`,
          summary: typeof op.summary === "string" ? op.summary : "",
          segments: template.split("/").filter(Boolean),
          pathParams: params.filter((p) => p.in === "path"),
          queryParams: params.filter((p) => p.in === "query"),
          body,
          responses,
        });
      }
    }
  }

  operations(): readonly Operation[] {
    return this.#ops;
  }

  operation(operationId: string): Operation | undefined {
    return this.#ops.find((o) => o.operationId === operationId);
  }

  #validator(ref: string): ValidateFunction {
    let v = this.#validators.get(ref);
    if (!v) {
      v = this.#ajv.compile({ $ref: ref });
      this.#validators.set(ref, v);
    }
    return v;
  }

  /**
   * Finds the operation for a method and an API path relative to the server root ("/v2/...").
   * A literal segment beats a parameter ("/time_entries/current" over "/time_entries/{timer_id}").
   */
  match(method: string, apiPath: string): { op: Operation; params: Record<string, string> } | undefined {
    const segs = apiPath.split("/").filter(Boolean);
    let best: { op: Operation; params: Record<string, string>; score: string } | undefined;
    for (const op of this.#ops) {
      if (op.method !== method.toUpperCase() || op.segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let score = "";
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const t = op.segments[i] as string;
        const s = segs[i] as string;
        const m = /^\{(.+)\}$/.exec(t);
        if (m) {
          let decoded: string;
          try {
            decoded = decodeURIComponent(s);
          } catch {
            decoded = s;
          }
          params[m[1] as string] = decoded;
          score += "0";
        } else if (t === s) score += "1";
        else {
          ok = false;
          break;
        }
      }
      if (ok && (!best || score > best.score)) best = { op, params, score };
    }
    return best ? { op: best.op, params: best.params } : undefined;
  }

  #checkParam(p: ParamSpec, value: unknown): void {
    const v = this.#validator(p.schemaRef);
    if (!v(value)) {
      const e = bestError(v.errors);
      throw E.invalidParam(e ? describeError(e, `${p.in} parameter ${p.name}`) : `invalid ${p.in} parameter ${p.name}`);
    }
  }

  /** Validates parameters and body of a matched request; throws ClickUpError (400) on a violation. */
  validate(
    matched: { op: Operation; params: Record<string, string> },
    query: URLSearchParams,
    rawText: string,
  ): ValidatedRequest {
    const { op, params } = matched;
    for (const p of op.pathParams) {
      const raw = params[p.name];
      if (raw === undefined || raw === "") throw E.invalidParam(`path parameter ${p.name} is required`);
      this.#checkParam(p, coerceScalar(raw, p.type));
    }
    const q: Record<string, unknown> = {};
    for (const p of op.queryParams) {
      const values = [...query.getAll(p.name), ...query.getAll(`${p.name}[]`)];
      if (values.length === 0) {
        if (p.required) throw E.invalidParam(`query parameter ${p.name} is required`);
        continue;
      }
      const value =
        p.type === "array" ? values.map((v) => coerceScalar(v, p.itemType)) : coerceScalar(values[values.length - 1] as string, p.type);
      this.#checkParam(p, value);
      q[p.name] = value;
    }
    let body: unknown;
    if (op.body) {
      const text = rawText.trim();
      if (text.length === 0) body = {};
      else {
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw E.invalidJson((err as Error).message);
        }
      }
      const v = this.#validator(op.body.schemaRef);
      if (!v(body)) {
        const e = bestError(v.errors);
        throw E.invalidBody(e ? describeError(e, "body") : "body is invalid");
      }
    }
    return { op, params, query: q, body };
  }

  /** A copy of the requestBody example the file gives for an operation (undefined when none). */
  requestExample(operationId: string): Record<string, unknown> | undefined {
    const op = this.operation(operationId);
    if (!op) return undefined;
    const item = isObject(this.#doc.paths) ? this.#doc.paths[op.template] : undefined;
    const operation = isObject(item) ? item[op.method.toLowerCase()] : undefined;
    const rb = isObject(operation) ? operation.requestBody : undefined;
    const media = isObject(rb) && isObject(rb.content) ? rb.content["application/json"] : undefined;
    if (!isObject(media)) return undefined;
    const schema = isObject(media.schema) ? media.schema : {};
    const ex = media.example ?? (Array.isArray(schema.examples) ? schema.examples[0] : undefined);
    return isObject(ex) ? (structuredClone(ex) as Record<string, unknown>) : undefined;
  }

  /** Errors of a response body against the documented JSON schema for that status ([] when none is documented). */
  responseErrors(operationId: string, status: number, body: unknown): string[] {
    const op = this.operation(operationId);
    const ref = op?.responses[String(status)];
    if (!op || !ref) return [];
    let v = this.#responseValidators.get(ref);
    if (!v) {
      this.#ajvAll ??= this.#makeAjv(true);
      v = this.#ajvAll.compile({ $ref: ref });
      this.#responseValidators.set(ref, v);
    }
    if (v(body)) return [];
    return (v.errors ?? []).filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf").map((e) => describeError(e, "response"));
  }
}

let shared: ClickUpContract | undefined;

/** The contract parsed once per process (parsing and compiling is the expensive part). */
export function loadClickUpContract(path?: string): ClickUpContract {
  if (path) return new ClickUpContract(path);
  shared ??= new ClickUpContract();
  return shared;
}

export { ClickUpError };
