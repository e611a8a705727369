// The shared HTTP core of every provider emulator: a node:http server on loopback that parses
// requests, records them, injects faults and latency, and serves the `/__emulator/*` control API:
//
//   GET    /__emulator/health      {name, url}
//   GET    /__emulator/requests    recorded requests (filters: ?method=&path=&route=&status=&since=)
//   DELETE /__emulator/requests    clear them
//   GET    /__emulator/faults      active faults
//   POST   /__emulator/faults      add one fault (JSON FaultSpec) or {faults: [...]}
//   DELETE /__emulator/faults      clear all faults (or ?id= one)
//   GET    /__emulator/latency     current latency settings
//   POST   /__emulator/latency     {profile?: "none"|"realistic", timeScale?, rules?: [{route, latency}]}
//   DELETE /__emulator/latency     back to no latency
//   POST   /__emulator/reset       clear requests, faults, latency, and call opts.onReset (not the world clock)
//   GET    /__emulator/world       the fixture world's clock {month, events, upcoming} (sandbox/world/time.ts)
//   POST   /__emulator/world/advance  {months?: 1} → {month, events}; /__emulator/world/reset → month 0
//          (the world is shared by every emulator in the process: any emulator's route moves all of them)
// Any other `/__emulator/...` path goes to the emulator's handler (not recorded, no faults, no latency),
// e.g. `POST /__emulator/anthropic/script`.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultFaultShaper, FaultInjector, type FaultShaper, parseFaultSpec, routeMatches } from "./faults.ts";
import { LatencyControls, type LatencySettings, sampleDistribution } from "./latency.ts";
import { filterFromQuery, Recorder } from "./recorder.ts";
import { worldControl } from "../world/time.ts";

export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface EmulatorRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the handler. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  rawBody: Buffer;
  text: string;
  /** Parsed body when the content type is JSON and the body parses; undefined otherwise. */
  json: unknown | undefined;
  /** Fields of an `application/x-www-form-urlencoded` or `multipart/form-data` body (repeated keys kept). */
  form?: URLSearchParams;
  /** File parts of a multipart body. */
  files?: UploadedFile[];
  /** Route key for recording/latency ("POST /v1/messages"); a handler may set it. */
  routeKey?: string;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are JSON-encoded; strings sent as text; Buffers as-is; undefined = empty body. */
  body?: unknown;
}

export interface EmulatorContext {
  name: string;
  url: string;
  recorder: Recorder;
  faults: FaultInjector;
  latency: LatencyControls;
}

export type EmulatorHandler = (req: EmulatorRequest, ctx: EmulatorContext) => Promise<EmulatorResponse> | EmulatorResponse;

export interface EmulatorServerOptions {
  name: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  handler: EmulatorHandler;
  /** Route patterns ("POST /v1/messages", "GET /v2/*") used as the recorded route key when they match. */
  routes?: string[];
  /** Provider-shaped bodies for injected errors and rate limits. */
  faultShaper?: FaultShaper;
  /** Called by `POST /__emulator/reset` (e.g. to drop scripted answers). */
  onReset?: () => void;
}

export interface EmulatorServer {
  name: string;
  url: string;
  port: number;
  recorder: Recorder;
  faults: FaultInjector;
  latency: LatencyControls;
  /** Clears recorded requests, faults and latency overrides (and calls onReset). */
  reset(): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse {
  return headers ? { status, body, headers } : { status, body };
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

function isJsonType(ct: string | undefined): boolean {
  if (!ct) return false;
  const base = ct.split(";")[0]?.trim().toLowerCase() ?? "";
  return base === "application/json" || base.endsWith("+json");
}

/** Minimal multipart/form-data parser (fields and files). */
export function parseMultipart(body: Buffer, contentType: string): { fields: URLSearchParams; files: UploadedFile[] } {
  const fields = new URLSearchParams();
  const files: UploadedFile[] = [];
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return { fields, files };
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === "--") break;
    if (body.subarray(pos, pos + 2).toString() === "\r\n") pos += 2;
    const next = body.indexOf(delimiter, pos);
    if (next === -1) break;
    // Part content ends with \r\n before the next delimiter.
    const part = body.subarray(pos, next - 2 >= pos ? next - 2 : next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const headerText = part.subarray(0, headerEnd).toString("utf8");
      const data = part.subarray(headerEnd + 4);
      const disp = /content-disposition:([^\r\n]*)/i.exec(headerText)?.[1] ?? "";
      const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1];
      const ctype = /content-type:\s*([^\r\n]*)/i.exec(headerText)?.[1]?.trim() ?? "application/octet-stream";
      if (name !== undefined) {
        if (filename !== undefined) files.push({ field: name, filename, contentType: ctype, data: Buffer.from(data) });
        else fields.append(name, data.toString("utf8"));
      }
    }
    pos = next;
  }
  return { fields, files };
}

/** Form fields as a plain object for recording (repeated keys become arrays). */
export function formToObject(form: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of form) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function encodeBody(res: EmulatorResponse): { data: Buffer; contentType: string | undefined } {
  const b = res.body;
  if (b === undefined || b === null) return { data: Buffer.alloc(0), contentType: undefined };
  if (Buffer.isBuffer(b)) return { data: b, contentType: "application/octet-stream" };
  if (typeof b === "string") return { data: Buffer.from(b, "utf8"), contentType: "text/plain; charset=utf-8" };
  return { data: Buffer.from(JSON.stringify(b), "utf8"), contentType: "application/json" };
}

function hasHeader(headers: Record<string, string> | undefined, name: string): boolean {
  return !!headers && Object.keys(headers).some((k) => k.toLowerCase() === name);
}

export async function createEmulatorServer(opts: EmulatorServerOptions): Promise<EmulatorServer> {
  const recorder = new Recorder();
  const faults = new FaultInjector(opts.faultShaper ?? defaultFaultShaper);
  const latency = new LatencyControls();
  const host = opts.host ?? "127.0.0.1";
  const sockets = new Set<Socket>();
  const ctx: EmulatorContext = { name: opts.name, url: "", recorder, faults, latency };

  const reset = (): void => {
    recorder.clear();
    faults.clear();
    latency.reset();
    opts.onReset?.();
  };

  const control = async (req: EmulatorRequest): Promise<EmulatorResponse | undefined> => {
    const p = req.path;
    const m = req.method;
    if (p === "/__emulator/health" && m === "GET") return json(200, { name: opts.name, url: ctx.url });
    if (p === "/__emulator/requests") {
      if (m === "GET") {
        const list = recorder.list(filterFromQuery(req.query));
        return json(200, { count: list.length, requests: list });
      }
      if (m === "DELETE") {
        recorder.clear();
        return json(200, { cleared: true });
      }
    }
    if (p === "/__emulator/faults") {
      if (m === "GET") return json(200, { faults: faults.describe() });
      if (m === "POST") {
        try {
          const input = req.json as { faults?: unknown } | undefined;
          const specs = Array.isArray(input?.faults) ? input.faults : [input];
          const added = specs.map((s) => faults.add(parseFaultSpec(s)));
          return json(201, { faults: added.map(({ match: _m, ...f }) => f) });
        } catch (err) {
          return json(400, { error: { code: "invalid_fault", message: (err as Error).message } });
        }
      }
      if (m === "DELETE") {
        const id = req.query.get("id");
        if (id) return json(faults.remove(id) ? 200 : 404, { removed: id });
        faults.clear();
        return json(200, { cleared: true });
      }
    }
    if (p === "/__emulator/latency") {
      if (m === "GET") return json(200, latency.describe());
      if (m === "POST") {
        try {
          latency.apply((req.json ?? {}) as LatencySettings);
          return json(200, latency.describe());
        } catch (err) {
          return json(400, { error: { code: "invalid_latency", message: (err as Error).message } });
        }
      }
      if (m === "DELETE") {
        latency.reset();
        return json(200, latency.describe());
      }
    }
    if (p === "/__emulator/reset" && m === "POST") {
      reset();
      return json(200, { reset: true });
    }
    const world = worldControl(m, p, req.json);
    if (world) return json(world.status, world.body);
    return undefined;
  };

  const send = (res: ServerResponse, out: EmulatorResponse): void => {
    if (res.destroyed || res.writableEnded) return;
    const { data, contentType } = encodeBody(out);
    const headers: Record<string, string> = { ...(out.headers ?? {}) };
    if (contentType && !hasHeader(headers, "content-type")) headers["content-type"] = contentType;
    headers["content-length"] = String(data.length);
    res.writeHead(out.status, headers);
    res.end(data);
  };

  const handle = async (raw: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const url = new URL(raw.url ?? "/", "http://emulator.local");
    const rawBody = await readBody(raw);
    const headers = headerRecord(raw);
    const text = rawBody.toString("utf8");
    const ct = headers["content-type"];
    let parsed: unknown;
    if (isJsonType(ct) && text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    const req: EmulatorRequest = {
      method: (raw.method ?? "GET").toUpperCase(),
      // Jina Reader takes a full URL as the path (`/https://example.com/x`): keep the raw path.
      path: (raw.url ?? "/").split("?")[0] ?? "/",
      query: url.searchParams,
      headers,
      rawBody,
      text,
      json: parsed,
    };
    const baseCt = ct?.split(";")[0]?.trim().toLowerCase();
    if (baseCt === "application/x-www-form-urlencoded") req.form = new URLSearchParams(text);
    else if (baseCt === "multipart/form-data" && ct) {
      const mp = parseMultipart(rawBody, ct);
      req.form = mp.fields;
      req.files = mp.files;
    }
    req.routeKey = opts.routes?.find((r) => routeMatches(r, req.method, req.path)) ?? `${req.method} ${req.path}`;

    if (req.path.startsWith("/__emulator/")) {
      try {
        const out = (await control(req)) ?? (await opts.handler(req, ctx));
        send(res, out);
      } catch (err) {
        send(res, json(500, { error: { code: "emulator_error", message: (err as Error).message } }));
      }
      return;
    }

    const recordBody: unknown = req.json ?? (req.form ? formToObject(req.form) : text);
    const record = (status: number, fault?: string): void => {
      const entry = {
        time: started,
        method: req.method,
        path: req.path,
        query: Object.fromEntries(req.query),
        headers,
        body: recordBody,
        status,
        duration_ms: Date.now() - started,
        route: req.routeKey,
      };
      recorder.record(fault ? { ...entry, fault } : entry);
    };

    const { terminal, latency: latencyFaults } = faults.take(req);
    const extraDelay = latencyFaults.reduce((sum, f) => sum + (f.latency !== undefined ? sampleDistribution(f.latency) : 0), 0);

    if (terminal) {
      if (extraDelay > 0) await sleep(extraDelay);
      switch (terminal.kind) {
        case "timeout": {
          // Accept and never answer; the client gives up (or server.close() destroys the socket).
          res.on("close", () => record(0, "timeout"));
          return;
        }
        case "reset": {
          record(0, "reset");
          raw.socket.destroy();
          return;
        }
        case "lost_answer": {
          const done = await Promise.resolve(opts.handler(req, ctx)).catch(() => json(500, {}));
          record(done.status, "lost_answer");
          raw.socket.destroy();
          return;
        }
        case "malformed": {
          const status = terminal.status ?? 200;
          send(res, {
            status,
            headers: { "content-type": "application/json", ...(terminal.headers ?? {}) },
            body: typeof terminal.body === "string" ? terminal.body : '{"id": "msg_trunc", "content": [{"type": "te',
          });
          record(status, "malformed");
          return;
        }
        case "error":
        case "rate_limit": {
          const status = terminal.status ?? (terminal.kind === "rate_limit" ? 429 : 500);
          const shaped = faults.shaper(terminal.kind, status, terminal.message, terminal);
          const headers = { ...(shaped.headers ?? {}), ...(terminal.headers ?? {}) };
          if (terminal.kind === "rate_limit" && !hasHeader(headers, "retry-after")) {
            headers["retry-after"] = String(terminal.retryAfter ?? 1);
          }
          send(res, { status, headers, body: terminal.body !== undefined ? terminal.body : shaped.body });
          record(status, terminal.kind);
          return;
        }
        case "latency":
          break;
      }
    }

    let out: EmulatorResponse;
    try {
      out = await opts.handler(req, ctx);
    } catch (err) {
      out = json(500, { error: { code: "emulator_error", message: (err as Error).message } });
    }
    const delay = latency.delayFor(req, out) + extraDelay;
    if (delay > 0) await sleep(delay);
    send(res, out);
    record(out.status, latencyFaults.length > 0 ? "latency" : undefined);
  };

  const server = createServer((raw, res) => {
    handle(raw, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, json(500, { error: { code: "emulator_error", message: String(err) } }));
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  ctx.url = url;

  let closed: Promise<void> | undefined;
  return {
    name: opts.name,
    url,
    port,
    recorder,
    faults,
    latency,
    reset,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
