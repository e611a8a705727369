// Helpers for tests that talk to the ClickUp emulator: a ClickUp-style API call and a local webhook
// receiver that keeps every raw body (for signature checks).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ClickUpEmulator } from "./index.ts";

export const TOKEN = "pk_test_token";

export interface ApiResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Calls the emulator like a ClickUp client: `Authorization: <token>`, JSON in and out. */
export async function api(
  cu: ClickUpEmulator,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; rawBody?: string } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = token;
  const init: RequestInit = { method, headers };
  if (opts.rawBody !== undefined) init.body = opts.rawBody;
  else if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${cu.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  raw: string;
  json: { event: string; task_id: string; webhook_id: string; history_items?: Array<Record<string, unknown>> };
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answer for each request: a status, or a delay (ms) before a 200. */
  respond: (n: number) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

/** A local node:http webhook receiver that keeps every raw body. */
export async function startReceiver(respond: Receiver["respond"] = () => ({ status: 200 })): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const state: Receiver = {
    url: "",
    received,
    respond,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: req.headers, raw, json: JSON.parse(raw) as ReceivedWebhook["json"] });
      const answer = state.respond(received.length);
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "text/plain" });
        res.end("ok");
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/clickup`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
