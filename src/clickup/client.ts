// The typed ClickUp API v2 client the Worker uses (tasks, fields, comments, webhooks); the setup-only
// calls (workspace structure) are in admin-client.ts. Runs in workerd and in Node (plain fetch, no node: imports).
//
//   const clickup = createClickUpClient({ token, baseUrl: env.CLICKUP_BASE_URL, gate });
//   const task = await clickup.createTask(listId, { name, markdown_content, custom_fields: [{ id, value }] });
//
// - Request bodies and response types come from src/clickup/openapi.d.ts (generated from ClickUp's
//   OpenAPI file by `npm run clickup:types`). Every response is checked with a zod schema of the
//   fields the app reads; each schema is checked at compile time against the documented type
//   (`Documented<...>`), and a function's return type is the documented type with the checked fields
//   replaced by their checked types (`Checked<...>`).
// - Requests go through openapi-fetch over the generated `paths` (ids as strings: `ClickUpPaths`), so
//   a path, its ids, a query key or a body field the file does not document fails to compile. The
//   fetch it is given is ClickUp's part: the gate's `acquire()` before every request and `observe()`
//   after it (with the answer's X-RateLimit-*, or null when no answer came), and a timeout. `read`
//   turns every answer into its checked value or a ClickUpError (retryable: 429, 5xx, timeout,
//   network, garbled JSON).
// - The token is only ever sent in the Authorization header; it is never part of an error.
import createClient, { defaultPathSerializer } from "openapi-fetch";
import { z } from "zod";
import { ClickUpError } from "./errors.ts";
import type { paths } from "./openapi.d.ts";
import { retryAfterMs } from "../lib/retry-after.ts";

// ---- types from the generated file ------------------------------------------------------------

type Method = "get" | "post" | "put" | "delete";
/** The documented operation at a path and method, e.g. `Operation<"/v2/task/{task_id}", "get">`. */
type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? NonNullable<paths[P][M]> : never;
/** The documented JSON body of a 200 answer. */
export type ResponseOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;
/** The documented JSON request body. */
export type RequestOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

type Element<T> = T extends readonly (infer E)[] ? E : never;
/** Every property optional, all the way down: what a schema of a subset of the fields must fit. */
type DeepPartial<T> = T extends readonly (infer E)[] ? DeepPartial<E>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** A zod schema whose output fits the documented type: it checks some of the fields, with their documented types. */
type Documented<Doc> = z.ZodType<DeepPartial<Doc>>;
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
/**
 * What a function returns: the fields its schema checked, with their checked types, and every other
 * documented field as optional (documented, not checked: the file and the live API disagree in places).
 */
export type Checked<Doc, Out> = DeepPartial<Omit<Doc, keyof Known<Out>>> & Known<Out>;

// ---- rate gate -----------------------------------------------------------------------------------

/** Rate-limit state from one ClickUp answer (`X-RateLimit-Limit/-Remaining/-Reset`, null when absent). */
export interface RateLimitInfo {
  status: number;
  limit: number | null;
  remaining: number | null;
  /** ms since the epoch (ClickUp sends unix seconds). */
  resetAt: number | null;
}

/**
 * Shared per-token rate limiting. The client calls `acquire()` before every request (it may wait; it
 * may return a ticket) and then, exactly once per request, `observe(info, ticket)`: with the answer's
 * X-RateLimit-* for every answer ClickUp sends, errors included, or with `null` when the request got
 * no answer (timeout, network failure), so the gate can settle the request's slot either way. A
 * failing `observe()` never fails the request (a task that was created must not look failed and be
 * created again); it goes to `onGateError`.
 */
export interface RateGate {
  acquire(): Promise<string | void>;
  observe(info: RateLimitInfo | null, ticket?: string | void): Promise<void> | void;
}

export interface ClickUpClientOptions {
  /** Personal token (`pk_...`) or OAuth token, sent as `Authorization`. */
  token: string;
  /** The host, e.g. "https://api.clickup.com" (a base ending in "/api" is accepted too). */
  baseUrl: string;
  gate?: RateGate;
  fetch?: typeof fetch;
  /** Per request, answer body included (default 15 000 ms). */
  timeoutMs?: number;
  /** Called when the gate's `observe()` throws (the request's result stands). */
  onGateError?: (error: unknown) => void;
}

// ---- response schemas (the fields the app reads) ------------------------------------------------

/** ClickUp ids are strings in its answers; a few answers use numbers. Both read as a string. */
const idString = z.union([z.string(), z.number().transform(String)]);
/** A text the file documents as a string that ClickUp may also send as null: read as absent. */
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

const UserSchema = z.looseObject({ id: z.number(), username: text, email: text });
export const AuthorizedUserSchema = z.looseObject({ user: UserSchema }) satisfies Documented<ResponseOf<"/v2/user", "get">>;

const TeamSchema = z.looseObject({ id: z.string(), name: z.string() });
export const TeamsSchema = z.looseObject({ teams: z.array(TeamSchema) }) satisfies Documented<ResponseOf<"/v2/team", "get">>;

export const PlanSchema = z.looseObject({ plan_id: z.number(), plan_name: z.string() }) satisfies Documented<ResponseOf<"/v2/team/{team_id}/plan", "get">>;

const SpaceSchema = z.looseObject({ id: z.string(), name: z.string(), archived: z.boolean().optional() });
export const SpacesSchema = z.looseObject({ spaces: z.array(SpaceSchema) }) satisfies Documented<ResponseOf<"/v2/team/{team_id}/space", "get">>;

const ContainerRef = z.looseObject({ id: z.string(), name: z.string().optional() });

export const FolderSchema = z.looseObject({ id: z.string(), name: z.string(), hidden: z.boolean().optional(), archived: z.boolean().optional(), space: ContainerRef.optional() });
type FolderDoc = ResponseOf<"/v2/space/{space_id}/folder", "post">;
FolderSchema satisfies Documented<FolderDoc>;
// The file types Get Folders' `folders` as one object; its example and the API answer an array of folders.
export const FoldersSchema = z.looseObject({ folders: z.array(FolderSchema) }) satisfies Documented<{ folders: FolderDoc[] }>;

const StatusSchema = z.looseObject({ id: z.string().optional(), status: z.string(), type: z.string().optional(), orderindex: z.number().optional() });
export const ListSummarySchema = z.looseObject({ id: z.string(), name: z.string(), archived: z.boolean().optional(), folder: ContainerRef.optional(), space: ContainerRef.optional() });
export const ListsSchema = z.looseObject({ lists: z.array(ListSummarySchema) }) satisfies Documented<ResponseOf<"/v2/folder/{folder_id}/list", "get">>;
ListsSchema satisfies Documented<ResponseOf<"/v2/space/{space_id}/list", "get">>;
export const ListSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  archived: z.boolean().optional(),
  folder: ContainerRef.optional(),
  space: ContainerRef.optional(),
  statuses: z.array(StatusSchema),
}) satisfies Documented<ResponseOf<"/v2/list/{list_id}", "get">>;
ListSummarySchema satisfies Documented<ResponseOf<"/v2/folder/{folder_id}/list", "post">>;
ListSummarySchema satisfies Documented<ResponseOf<"/v2/space/{space_id}/list", "post">>;

const FieldOptionSchema = z.looseObject({ id: z.string(), name: z.string().optional(), label: z.string().optional() });
const FieldSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  type_config: z.looseObject({ options: z.array(FieldOptionSchema).optional() }).optional(),
});
export const FieldsSchema = z.looseObject({ fields: z.array(FieldSchema) }) satisfies Documented<ResponseOf<"/v2/list/{list_id}/field", "get">>;

const TaskFieldSchema = z.looseObject({ id: z.string(), name: z.string(), type: z.string(), value: z.unknown().optional() });
const TaskSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.looseObject({ status: z.string(), type: z.string().optional() }),
  description: text,
  markdown_description: text,
  url: z.string().optional(),
  archived: z.boolean().optional(),
  date_updated: text,
  creator: z.looseObject({ id: z.number() }).optional(),
  assignees: z.array(z.looseObject({ id: z.number() })).optional(),
  custom_fields: z.array(TaskFieldSchema).optional(),
  list: ContainerRef.optional(),
  folder: ContainerRef.optional(),
  space: z.looseObject({ id: z.string() }).optional(),
});
type TaskDoc = ResponseOf<"/v2/task/{task_id}", "get">;
// Create Task and Update Task answer a task shaped as Get Task documents it (the file types their
// `assignees`/`watchers` as strings; Get Task, its examples and the API: user objects).
TaskSchema satisfies Documented<TaskDoc>;

const EmptySchema = z.looseObject({}) satisfies Documented<ResponseOf<"/v2/task/{task_id}/field/{field_id}", "post">>;

const CommentSchema = z.looseObject({ id: idString, date: z.number().optional() }) satisfies Documented<ResponseOf<"/v2/task/{task_id}/comment", "post">>;
const TaskCommentSchema = z.looseObject({ id: idString, comment_text: text, user: z.looseObject({ id: z.number() }).nullish().transform((u) => u ?? undefined) });
const TaskCommentsSchema = z.looseObject({ comments: z.array(TaskCommentSchema) }) satisfies Documented<ResponseOf<"/v2/task/{task_id}/comment", "get">>;
// Get Tasks' file types `assignees` as strings (like Create Task's); Get Task, the examples and the API: user objects.
const TasksSchema = z.looseObject({ tasks: z.array(TaskSchema), last_page: z.boolean().optional() }) satisfies Documented<{ tasks: TaskDoc[]; last_page?: boolean }>;

const WebhookSchema = z.looseObject({
  id: z.string(),
  endpoint: z.string(),
  events: z.array(z.string()),
  space_id: idString.nullable().optional(),
  folder_id: idString.nullable().optional(),
  list_id: idString.nullable().optional(),
  task_id: idString.nullable().optional(),
  health: z.looseObject({ status: z.string(), fail_count: z.number().optional() }).optional(),
  secret: z.string().optional(),
});
const WebhooksSchema = z.looseObject({ webhooks: z.array(WebhookSchema) }) satisfies Documented<ResponseOf<"/v2/team/{team_id}/webhook", "get">>;
const CreatedWebhookSchema = z.looseObject({ id: z.string(), webhook: WebhookSchema.extend({ secret: z.string() }) }) satisfies Documented<
  ResponseOf<"/v2/team/{team_id}/webhook", "post">
>;
const UpdatedWebhookSchema = z.looseObject({ id: z.string(), webhook: WebhookSchema }) satisfies Documented<ResponseOf<"/v2/webhook/{webhook_id}", "put">>;

// ---- what the functions return --------------------------------------------------------------------

type Out<S extends z.ZodType> = z.output<S>;
export type ClickUpUser = Checked<NonNullable<ResponseOf<"/v2/user", "get">["user"]>, Out<typeof UserSchema>>;
export type ClickUpTeam = Checked<Element<ResponseOf<"/v2/team", "get">["teams"]>, Out<typeof TeamSchema>>;
export type ClickUpPlan = Checked<ResponseOf<"/v2/team/{team_id}/plan", "get">, Out<typeof PlanSchema>>;
export type ClickUpSpace = Checked<Element<ResponseOf<"/v2/team/{team_id}/space", "get">["spaces"]>, Out<typeof SpaceSchema>>;
export type ClickUpFolder = Checked<FolderDoc, Out<typeof FolderSchema>>;
export type ClickUpListSummary = Checked<Element<ResponseOf<"/v2/folder/{folder_id}/list", "get">["lists"]>, Out<typeof ListSummarySchema>>;
export type ClickUpList = Checked<ResponseOf<"/v2/list/{list_id}", "get">, Out<typeof ListSchema>>;
export type ClickUpField = Checked<Element<ResponseOf<"/v2/list/{list_id}/field", "get">["fields"]>, Out<typeof FieldSchema>>;
export type ClickUpTask = Checked<TaskDoc, Out<typeof TaskSchema>>;
export type ClickUpComment = Checked<ResponseOf<"/v2/task/{task_id}/comment", "post">, Out<typeof CommentSchema>>;
export type ClickUpTaskComment = Checked<Element<ResponseOf<"/v2/task/{task_id}/comment", "get">["comments"]>, Out<typeof TaskCommentSchema>>;
export type ClickUpWebhook = Checked<Element<ResponseOf<"/v2/team/{team_id}/webhook", "get">["webhooks"]>, Out<typeof WebhookSchema>>;
export type ClickUpCreatedWebhook = Checked<ResponseOf<"/v2/team/{team_id}/webhook", "post">, Out<typeof CreatedWebhookSchema>>;
export type ClickUpUpdatedWebhook = Checked<ResponseOf<"/v2/webhook/{webhook_id}", "put">, Out<typeof UpdatedWebhookSchema>>;

export type CreateTaskBody = RequestOf<"/v2/list/{list_id}/task", "post">;
/** Update Task's documented body. ClickUp ignores custom fields here: use setCustomField. */
export type UpdateTaskBody = RequestOf<"/v2/task/{task_id}", "put">;
/** A value for Set Custom Field Value: an option UUID for a drop-down, a number, a string... */
export type CustomFieldValue = RequestOf<"/v2/task/{task_id}/field/{field_id}", "post"> extends infer B ? (B extends { value?: infer V } ? V : never) : never;
export type CreateCommentBody = RequestOf<"/v2/task/{task_id}/comment", "post">;
export type CreateWebhookBody = RequestOf<"/v2/team/{team_id}/webhook", "post">;
/** Update Webhook's documented body: `events` is a string here ("*" or "taskCreated,taskUpdated"). */
export type UpdateWebhookBody = RequestOf<"/v2/webhook/{webhook_id}", "put">;

// ---- the client ----------------------------------------------------------------------------------

/**
 * The generated `paths`, with the workspace, space, folder and list ids of a path typed as the
 * strings the app holds: ClickUp's file types them as numbers, its answers carry them as strings
 * of digits, and they are sent as they came.
 */
type StringIds<T> = { [K in keyof T]: T[K] extends number ? string : T[K] };
type WithStringIds<Op> = Op extends { parameters: { path: infer Path } } ? Omit<Op, "parameters"> & { parameters: Omit<Op["parameters"], "path"> & { path: StringIds<Path> } } : Op;
export type ClickUpPaths = { [P in keyof paths]: { [M in keyof paths[P]]: WithStringIds<paths[P][M]> } };

/** A request naming a path id that is empty: refused before it is sent (it would address another resource). */
export class MissingPathId extends TypeError {}

/** What openapi-fetch answers for a request read as text (`parseAs: "text"`). */
type TextAnswer = { data?: string; error?: unknown; response: Response };

function apiBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return trimmed.endsWith("/api") ? trimmed : `${trimmed}/api`;
}

function headerNumber(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** X-RateLimit-* of an answer. `X-RateLimit-Reset` is unix seconds (a value already in ms is kept). */
export function rateLimitInfo(status: number, headers: Headers): RateLimitInfo {
  const reset = headerNumber(headers, "x-ratelimit-reset");
  return {
    status,
    limit: headerNumber(headers, "x-ratelimit-limit"),
    remaining: headerNumber(headers, "x-ratelimit-remaining"),
    resetAt: reset === null ? null : reset > 1e12 ? reset : reset * 1000,
  };
}

const ClickUpErrorBody = z.looseObject({ err: z.string().optional(), ECODE: z.string().optional() });

/** A request that got no (whole) answer: timed out, or failed on the way. */
function noAnswer(request: string, error: unknown, signal?: AbortSignal): ClickUpError {
  const timedOut = signal?.aborted === true || (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"));
  return new ClickUpError({ kind: timedOut ? "timeout" : "network", status: 0, request, ...(timedOut ? {} : { detail: error instanceof Error ? error.message : String(error) }) });
}

/**
 * The typed API (openapi-fetch over `ClickUpPaths`) and `read`, which turns an answer into the
 * checked value or a ClickUpError. The URL, path ids, query and JSON body are openapi-fetch's;
 * what is ClickUp's is in the fetch it is given: the gate, the timeout, failures as ClickUpError.
 */
export function clickUpTransport(options: ClickUpClientOptions) {
  const base = apiBase(options.baseUrl);
  const basePath = new URL(base).pathname;
  // Called as a plain function: workerd refuses a `fetch` detached from its global.
  const doFetch: typeof fetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const gate = options.gate;
  /** "GET /v2/task/abc" for each answer, for its errors (never the host, the query or the token). */
  const requestOf = new WeakMap<Response, string>();

  /** Tells the gate how a request ended: its answer's headers, or null when there was no answer. */
  async function settle(info: RateLimitInfo | null, ticket: string | void): Promise<void> {
    if (!gate) return;
    try {
      await gate.observe(info, ticket);
    } catch (error) {
      options.onGateError?.(error);
    }
  }

  /** Every request: the gate's acquire() and observe(), and a timeout from the grant that covers the answer's body too. */
  async function gatedFetch(request: Request): Promise<Response> {
    const label = `${request.method} ${new URL(request.url).pathname.slice(basePath.length)}`;
    const ticket = gate ? await gate.acquire() : undefined;
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(new Request(request, { signal }));
    } catch (error) {
      await settle(null, ticket);
      throw noAnswer(label, error, signal);
    }
    await settle(rateLimitInfo(response.status, response.headers), ticket);
    requestOf.set(response, label);
    return response;
  }

  const api = createClient<ClickUpPaths>({
    baseUrl: base,
    fetch: gatedFetch,
    headers: { authorization: options.token, accept: "application/json" },
    pathSerializer: (pathname, params) => {
      for (const [, name] of pathname.matchAll(/\{([^}]+)\}/g)) {
        if (params[name!] === undefined || params[name!] === "") throw new MissingPathId(`ClickUp ${pathname}: ${name} is required`);
      }
      return defaultPathSerializer(pathname, params);
    },
  });

  /** The checked value of a 2xx JSON answer; ClickUpError for anything else (retryable: 429, 5xx, timeout, network, garbled JSON). */
  async function read<S extends z.ZodType>(schema: S, pending: Promise<TextAnswer>): Promise<z.output<S>> {
    let answer: TextAnswer;
    try {
      answer = await pending;
    } catch (error) {
      // The gate and the fetch throw ClickUpErrors; anything else failed while the body was read.
      if (error instanceof ClickUpError || error instanceof MissingPathId) throw error;
      throw noAnswer("request", error);
    }
    const { response } = answer;
    const request = requestOf.get(response) ?? "request";
    if (!response.ok) {
      const body = ClickUpErrorBody.safeParse(answer.error);
      const text = typeof answer.error === "string" ? answer.error : answer.error === undefined ? "" : JSON.stringify(answer.error);
      throw new ClickUpError({
        kind: "http",
        status: response.status,
        request,
        ecode: body.success ? (body.data.ECODE ?? null) : null,
        err: body.success ? (body.data.err ?? null) : text.slice(0, 200) || null,
        resetAt: response.status === 429 ? (rateLimitInfo(response.status, response.headers).resetAt ?? retryAfterAt(response.headers)) : null,
      });
    }
    let json: unknown;
    try {
      json = answer.data ? JSON.parse(answer.data) : {};
    } catch {
      throw new ClickUpError({ kind: "bad_json", status: response.status, request });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
        .join("; ");
      throw new ClickUpError({ kind: "bad_shape", status: response.status, request, detail });
    }
    return parsed.data;
  }

  return { api, read };
}

export type ClickUpTransport = ReturnType<typeof clickUpTransport>;

/** Answers are read as text: `read` parses them, so a garbled body is a ClickUpError, not a SyntaxError. */
const text$ = { parseAs: "text" } as const;

/** The client the Worker uses: tasks, their fields and comments, and the webhooks the health check and reconcile look at. */
export function createClickUpClient(options: ClickUpClientOptions, { api, read }: ClickUpTransport = clickUpTransport(options)) {
  return {
    async getTask(taskId: string, opts: { includeMarkdown?: boolean } = {}): Promise<ClickUpTask> {
      const query = { include_markdown_description: opts.includeMarkdown ? true : undefined };
      return read(TaskSchema, api.GET("/v2/task/{task_id}", { params: { path: { task_id: taskId }, query }, ...text$ }));
    },
    /** One request: name, markdown_content, status, assignees and `custom_fields: [{id, value}]` inline (drop-downs by option UUID). */
    async createTask(listId: string, body: CreateTaskBody): Promise<ClickUpTask> {
      return read(TaskSchema, api.POST("/v2/list/{list_id}/task", { params: { path: { list_id: listId } }, body, ...text$ }));
    },
    /** name / status / markdown_content / description... ClickUp ignores custom fields here (see setCustomField). */
    async updateTask(taskId: string, body: UpdateTaskBody): Promise<ClickUpTask> {
      return read(TaskSchema, api.PUT("/v2/task/{task_id}", { params: { path: { task_id: taskId } }, body, ...text$ }));
    },
    /** Set Custom Field Value: one request per field (a drop-down takes the option UUID). */
    async setCustomField(taskId: string, fieldId: string, value: CustomFieldValue): Promise<void> {
      await read(EmptySchema, api.POST("/v2/task/{task_id}/field/{field_id}", { params: { path: { task_id: taskId, field_id: fieldId } }, body: { value }, ...text$ }));
    },
    /** Remove Custom Field Value: the field is empty again (one request). */
    async removeCustomField(taskId: string, fieldId: string): Promise<void> {
      await read(EmptySchema, api.DELETE("/v2/task/{task_id}/field/{field_id}", { params: { path: { task_id: taskId, field_id: fieldId } }, ...text$ }));
    },
    /** Get Tasks of a list, one page (100 tasks), newest first unless `reverse`. */
    async getTasks(
      listId: string,
      query: { page?: number; order_by?: "created" | "updated" | "id" | "due_date"; reverse?: boolean; subtasks?: boolean; include_closed?: boolean; date_created_gt?: number } = {},
    ): Promise<{ tasks: ClickUpTask[]; last_page: boolean }> {
      const answer = await read(TasksSchema, api.GET("/v2/list/{list_id}/task", { params: { path: { list_id: listId }, query }, ...text$ }));
      return { tasks: answer.tasks, last_page: answer.last_page ?? true };
    },
    /** The newest comments of a task (ClickUp answers 25 per page). */
    async getTaskComments(taskId: string): Promise<ClickUpTaskComment[]> {
      return (await read(TaskCommentsSchema, api.GET("/v2/task/{task_id}/comment", { params: { path: { task_id: taskId } }, ...text$ }))).comments;
    },
    async createTaskComment(taskId: string, body: CreateCommentBody): Promise<ClickUpComment> {
      return read(CommentSchema, api.POST("/v2/task/{task_id}/comment", { params: { path: { task_id: taskId } }, body, ...text$ }));
    },
    /** Adds a task to a second list (needs the workspace's "Tasks in Multiple Lists" ClickApp). */
    async addTaskToList(listId: string, taskId: string): Promise<void> {
      await read(z.looseObject({}), api.POST("/v2/list/{list_id}/task/{task_id}", { params: { path: { list_id: listId, task_id: taskId } }, ...text$ }));
    },
    /** The token's webhooks in a workspace (with their secrets). */
    async getWebhooks(teamId: string): Promise<ClickUpWebhook[]> {
      return (await read(WebhooksSchema, api.GET("/v2/team/{team_id}/webhook", { params: { path: { team_id: teamId } }, ...text$ }))).webhooks;
    },
    /** Creates a webhook; the answer's `webhook.secret` signs every delivery (`X-Signature`). */
    async createWebhook(teamId: string, body: CreateWebhookBody): Promise<ClickUpCreatedWebhook> {
      return read(CreatedWebhookSchema, api.POST("/v2/team/{team_id}/webhook", { params: { path: { team_id: teamId } }, body, ...text$ }));
    },
    /** Changes a webhook's endpoint, events ("*" or "a,b") or status ("active" reactivates a suspended one). */
    async updateWebhook(webhookId: string, body: UpdateWebhookBody): Promise<ClickUpUpdatedWebhook> {
      return read(UpdatedWebhookSchema, api.PUT("/v2/webhook/{webhook_id}", { params: { path: { webhook_id: webhookId } }, body, ...text$ }));
    },
    /**
     * Get Tasks of a list updated after `date_updated_gt` (ms epoch), one page (100 tasks). With
     * `order_by: "updated"` and `reverse: true` the oldest change comes first.
     */
    async getTasksUpdatedSince(
      listId: string,
      query: { date_updated_gt: number; page?: number; order_by?: "updated"; reverse?: boolean; include_closed?: boolean; subtasks?: boolean },
    ): Promise<{ tasks: ClickUpTask[]; last_page: boolean }> {
      const answer = await read(TasksSchema, api.GET("/v2/list/{list_id}/task", { params: { path: { list_id: listId }, query }, ...text$ }));
      return { tasks: answer.tasks, last_page: answer.last_page ?? true };
    },
  };
}

export type ClickUpClient = ReturnType<typeof createClickUpClient>;

/** `retry-after` (seconds or an HTTP date) as an ms epoch, when a 429 has no X-RateLimit-Reset. */
function retryAfterAt(headers: Headers): number | null {
  const now = Date.now();
  const ms = retryAfterMs(headers.get("retry-after"), now);
  return ms === null ? null : now + ms;
}
