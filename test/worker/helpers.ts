import { env, exports } from "cloudflare:workers";
import postgres from "postgres";

export const API_KEY = "test-agent-api-key";
export const CLICKUP_SECRET = "test-clickup-webhook-secret";
export const SUPABASE_SECRET = "test-supabase-webhook-secret";
export const INTAKE_LIST_ID = String(env.CLICKUP_INTAKE_LIST_ID);

/** Sends a request through the Worker's real fetch handler (same isolate, real bindings). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`http://golf.test${path}`, init));
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A ClickUp delivery, signed over the exact bytes sent unless a signature is given. */
export async function deliverClickUp(payload: unknown, opts: { signature?: string | null; rawBody?: string } = {}) {
  const body = opts.rawBody ?? JSON.stringify(payload);
  const signature = opts.signature === undefined ? await hmacHex(CLICKUP_SECRET, body) : opts.signature;
  return call("/webhooks/clickup", {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature === null ? {} : { "x-signature": signature }) },
    body,
  });
}

export function taskCreated(taskId: string, opts: { webhookId?: string; historyId?: string; listId?: string } = {}) {
  return {
    webhook_id: opts.webhookId ?? "wh-1",
    event: "taskCreated",
    task_id: taskId,
    history_items: [
      {
        id: opts.historyId ?? `hist-${taskId}`,
        type: 1,
        date: String(Date.now()),
        field: "status",
        parent_id: opts.listId ?? INTAKE_LIST_ID,
        data: { status_type: "open" },
        source: null,
        user: { id: 183, username: "Rep", email: "rep@example.com" },
        before: { status: null },
        after: { status: "new" },
      },
    ],
  };
}

/** A postgres.js client on the test database (from inside workerd, over cloudflare:sockets). */
export async function withDb<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(String(env.DATABASE_URL), { max: 1, fetch_types: false, prepare: false, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function uniqueCourseName(label: string): string {
  return `${label} ${crypto.randomUUID().slice(0, 8)} Golf Club`;
}

export async function enrich(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await postJson("/api/enrich-course", body, { "x-api-key": API_KEY, ...headers });
  return { response, json: (await response.json()) as Record<string, unknown> };
}

export async function getJob(jobId: string) {
  const response = await call(`/api/jobs/${jobId}`, { headers: { "x-api-key": API_KEY } });
  return { response, json: (await response.json()) as Record<string, unknown> };
}

/** Creates a task in the ClickUp emulator's Intake list through ClickUp's own API (as a rep would). */
export async function createIntakeTask(name: string, customFields: { id: string; value: unknown }[] = []): Promise<string> {
  const response = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2/list/${INTAKE_LIST_ID}/task`, {
    method: "POST",
    headers: { authorization: String(env.CLICKUP_API_TOKEN), "content-type": "application/json" },
    body: JSON.stringify({ name, custom_fields: customFields }),
  });
  if (!response.ok) throw new Error(`emulator refused the task: ${response.status} ${await response.text()}`);
  return String(((await response.json()) as { id: string }).id);
}

export type Provider = "anthropic" | "clickup" | "hunter" | "perplexity" | "jina" | "mailgun";

function emulatorUrl(provider: Provider, path: string): string {
  return `${String(env[`${provider.toUpperCase()}_BASE_URL`])}${path}`;
}

/** Injects a fault into an emulator over its control API (route like "POST /v1/messages"). */
export async function injectFault(provider: Provider, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(emulatorUrl(provider, "/__emulator/faults"), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fault) });
  if (!response.ok) throw new Error(`fault refused: ${await response.text()}`);
}

export async function clearFaults(provider: Provider): Promise<void> {
  await fetch(emulatorUrl(provider, "/__emulator/faults"), { method: "DELETE" });
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
  time: number;
  duration_ms?: number;
  fault?: unknown;
}

/** What an emulator received (optionally only since a time), read back over HTTP. */
export async function emulatorRequests(provider: Provider, since?: number): Promise<RecordedRequest[]> {
  const query = since === undefined ? "" : `?since=${since}`;
  const response = await fetch(emulatorUrl(provider, `/__emulator/requests${query}`));
  return ((await response.json()) as { requests: RecordedRequest[] }).requests;
}

/** Starts a run through the API and waits for its workflow to finish; returns the job as the API shows it. */
export async function enrichAndWait(
  workflows: { get(): Promise<{ waitForStatus(s: string): Promise<void>; getOutput(): Promise<unknown> }[]> },
  body: Record<string, unknown>,
) {
  const before = (await workflows.get()).length;
  const { response, json } = await enrich(body);
  if (response.status !== 202) throw new Error(`enrich refused: ${JSON.stringify(json)}`);
  const instances = await workflows.get();
  const instance = instances[before] ?? instances[instances.length - 1];
  await instance!.waitForStatus("complete");
  const output = (await instance!.getOutput()) as { status: string; course_id?: string; error?: string };
  const job = await getJob(String(json.job_id));
  return { jobId: String(json.job_id), output, job: job.json };
}

/** Forgets a course (and its contacts, runs, intake tasks) so a test starts it fresh; earlier files may have enriched it. */
export async function forgetCourse(name: string, state: string): Promise<void> {
  await withDb((sql) => sql`delete from courses where name_key = lower(${name}) || '|' || lower(${state})`);
}

/** A ClickUp task as ClickUp's API shows it (read over HTTP from the emulator, as a rep's client would). */
export async function clickupTask(taskId: string): Promise<{ id: string; name: string; status: { status: string }; markdown_description?: string; description?: string }> {
  const response = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2/task/${taskId}?include_markdown_description=true`, { headers: { authorization: String(env.CLICKUP_API_TOKEN) } });
  if (!response.ok) throw new Error(`emulator: task ${taskId}: ${response.status}`);
  return (await response.json()) as never;
}

export async function clickupComments(taskId: string): Promise<{ comment_text: string }[]> {
  const response = await fetch(`${String(env.CLICKUP_BASE_URL)}/api/v2/task/${taskId}/comment`, { headers: { authorization: String(env.CLICKUP_API_TOKEN) } });
  if (!response.ok) throw new Error(`emulator: comments of ${taskId}: ${response.status}`);
  return ((await response.json()) as { comments: { comment_text: string }[] }).comments;
}

/** Waits (generously: loaded CI machines) until `check` returns a value. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
