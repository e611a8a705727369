// The ClickUp API v2 emulator: a real HTTP server on loopback that follows ClickUp's official
// OpenAPI file, keeps an in-memory workspace, rate-limits per token, and delivers signed webhooks
// with ClickUp's retry and health rules. Faults, latency and request recording come from the core.
//
//   const clickup = await startClickUpEmulator({ seed: "intake" });
//   // CLICKUP_BASE_URL = `${clickup.url}/api`, CLICKUP_API_TOKEN = "pk_test_token"
//   clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: "Pebble Beach Golf Links" });
//   await clickup.flushWebhooks();
//   await clickup.close();
//
// Control routes (not recorded), for a test or benchmark in another process:
//   GET  /__emulator/clickup/state               workspace summary (ids, counts, plan, webhooks)
//   GET  /__emulator/clickup/tasks/{task_id}     a task as Get Task shows it
//   GET  /__emulator/clickup/webhook-deliveries  the delivery log (?event=&webhook_id=&task_id=)
//   POST /__emulator/clickup/flush-webhooks      waits for deliveries in flight
//   POST /__emulator/clickup/as-user             {action, ...} a person's action (see `asUser` below)

import { createEmulatorServer, type EmulatorRequest, type EmulatorResponse, type EmulatorServer, type FaultShaper } from "../core/index.ts";
import { type ClickUpContract, loadClickUpContract } from "./contract.ts";
import { ClickUpError } from "./errors.ts";
import type { CustomField, FieldLocation, FieldSpec } from "./fields.ts";
import { RateLimiter, rateLimitHeaders } from "./rate-limit.ts";
import { createClickUpHandler } from "./routes.ts";
import { CLICKUP_SEED, type SeedName, seedWorkspace } from "./seed.ts";
import { type Webhook, type WebhookDelivery, type WebhookDeliveryOptions, WebhookHub } from "./webhooks.ts";
import type { CreateTaskInput, Plan, UpdateTaskInput, User, Workspace } from "./workspace.ts";

export { CLICKUP_SEED, type SeedName } from "./seed.ts";
export { PLANS, type Plan, type User, Workspace, type TaskChange, type HistoryItem } from "./workspace.ts";
export { ClickUpContract, loadClickUpContract } from "./contract.ts";
export { ClickUpError } from "./errors.ts";
export { signWebhookBody, WEBHOOK_EVENTS, type Webhook, type WebhookDelivery, type WebhookDeliveryOptions } from "./webhooks.ts";
export { FIELD_TYPES, type CustomField, type FieldSpec, type FieldType } from "./fields.ts";

export interface ClickUpEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Requests per token per window (default 100, ClickUp's Free Forever/Unlimited/Business limit). */
  rateLimitPerMinute?: number;
  /** Rate-limit window (default 60 000 ms). */
  rateLimitWindowMs?: number;
  /** Accepted personal tokens; all act as the seeded API user. Default ["pk_test_token"]. */
  tokens?: string[];
  /** Default "intake". */
  seed?: SeedName;
  /** Workspace plan (default PLANS.business). Free Forever limits Set Custom Field Value to 60 uses. */
  plan?: Plan;
  customFieldUseLimit?: number;
  /** Webhook delivery: timeoutMs (7000), maxAttempts (5), retryDelayMs, suspendAfter (100), failCountPer. */
  webhooks?: Partial<WebhookDeliveryOptions>;
  /**
   * Give every webhook this secret instead of a random one, so the app's CLICKUP_WEBHOOK_SECRET can be
   * set before the webhook exists (sandbox convenience; ClickUp always generates the secret).
   */
  webhookSecret?: string;
  /** Check 200 bodies against the documented response schemas (violations in `responseViolations`). */
  checkResponses?: boolean;
  /** Another copy of the OpenAPI file. */
  contractPath?: string;
}

export interface ClickUpEmulator extends EmulatorServer {
  /** Base URL for a ClickUp client: `${url}/api` (the client appends `/v2/...`). */
  apiBaseUrl: string;
  workspace: Workspace;
  contract: ClickUpContract;
  hub: WebhookHub;
  limiter: RateLimiter;
  tokens: string[];
  /** `api`: the tokens' user (the app's own writes); `rep`: the person the `*AsUser` helpers act as. */
  users: { api: User; rep: User };
  seed: typeof CLICKUP_SEED;
  responseViolations: string[];
  /** A person creates a task in a list (emits taskCreated + taskStatusUpdated). Returns the task as Get Task shows it. */
  createTaskAsUser(listId: string, input: CreateTaskInput, user?: User): Record<string, unknown>;
  setTaskStatusAsUser(taskId: string, status: string, user?: User): Record<string, unknown>;
  /** Field by id or name; a drop-down may be given by option label, UUID or orderindex (as picked in the UI). */
  setCustomFieldAsUser(taskId: string, field: string, value: unknown, user?: User): Record<string, unknown>;
  clearCustomFieldAsUser(taskId: string, field: string, user?: User): Record<string, unknown>;
  updateTaskAsUser(taskId: string, input: UpdateTaskInput, user?: User): Record<string, unknown>;
  deleteTaskAsUser(taskId: string, user?: User): void;
  commentAsUser(taskId: string, text: string, user?: User): Record<string, unknown>;
  /** The public API documents no way to create a field: tests and fixtures add them here. */
  createField(location: FieldLocation | string, spec: FieldSpec): CustomField;
  /** A task as Get Task shows it. */
  task(taskId: string): Record<string, unknown>;
  /** Registers a webhook as the API user would with Create Webhook (no request made, none recorded). */
  registerWebhook(endpoint: string, opts?: { events?: string[]; space_id?: string; folder_id?: string; list_id?: string; task_id?: string }): Webhook;
  webhookDeliveries(filter?: { event?: string; webhook_id?: string; task_id?: string }): WebhookDelivery[];
  /** Resolves once deliveries in flight (retries included) have settled. */
  flushWebhooks(): Promise<void>;
  resetRateLimits(): void;
}

const clickUpFaultShaper: FaultShaper = (kind, status, message) => {
  if (kind === "rate_limit") {
    const reset = String(Math.ceil(Date.now() / 1000) + 60);
    return {
      body: { err: message ?? "Rate limit reached", ECODE: "APP_002" },
      headers: { "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset },
    };
  }
  return { body: { err: message ?? (status >= 500 ? "Internal Server Error" : "Injected error"), ECODE: `EMU_${status}` } };
};

export async function startClickUpEmulator(opts: ClickUpEmulatorOptions = {}): Promise<ClickUpEmulator> {
  const contract = loadClickUpContract(opts.contractPath);
  const seedOpts: Parameters<typeof seedWorkspace>[1] = {};
  if (opts.plan) seedOpts.plan = opts.plan;
  if (opts.customFieldUseLimit !== undefined) seedOpts.customFieldUseLimit = opts.customFieldUseLimit;
  const { workspace, apiUser, repUser } = seedWorkspace(opts.seed ?? "intake", seedOpts);
  const hub = new WebhookHub(opts.webhooks, opts.webhookSecret);
  workspace.listener = (changes) => hub.dispatch(changes);
  const limiter = new RateLimiter(opts.rateLimitPerMinute ?? 100, opts.rateLimitWindowMs ?? 60_000);
  const tokenList = opts.tokens ?? ["pk_test_token"];
  const tokens = new Map(tokenList.map((t) => [t, apiUser] as const));
  const responseViolations: string[] = [];

  const resolveField = (taskId: string, field: string): string => {
    const task = workspace.getTask(taskId);
    const f = workspace.fieldsForList(task.list_id).find((x) => x.id === field || x.name === field);
    return f?.id ?? field;
  };

  const asUser = {
    createTaskAsUser: (listId: string, input: CreateTaskInput, user: User = repUser) =>
      workspace.taskJson(workspace.createTask(listId, input, user), { markdown: true }),
    setTaskStatusAsUser: (taskId: string, status: string, user: User = repUser) =>
      workspace.taskJson(workspace.updateTask(taskId, { status }, user), { markdown: true }),
    setCustomFieldAsUser: (taskId: string, field: string, value: unknown, user: User = repUser) =>
      workspace.taskJson(workspace.setFieldValue(taskId, resolveField(taskId, field), value, user, { acceptLabel: true }), { markdown: true }),
    clearCustomFieldAsUser: (taskId: string, field: string, user: User = repUser) =>
      workspace.taskJson(workspace.removeFieldValue(taskId, resolveField(taskId, field), user), { markdown: true }),
    updateTaskAsUser: (taskId: string, input: UpdateTaskInput, user: User = repUser) =>
      workspace.taskJson(workspace.updateTask(taskId, input, user), { markdown: true }),
    deleteTaskAsUser: (taskId: string, user: User = repUser): void => workspace.deleteTask(taskId, user),
    commentAsUser: (taskId: string, text: string, user: User = repUser) =>
      workspace.commentJson(workspace.addComment(taskId, { comment_text: text }, user)),
  };

  const deliveries = (filter: { event?: string; webhook_id?: string; task_id?: string } = {}): WebhookDelivery[] =>
    hub.deliveries
      .filter((d) => (!filter.event || d.event === filter.event) && (!filter.webhook_id || d.webhook_id === filter.webhook_id) && (!filter.task_id || d.task_id === filter.task_id))
      .map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) }));

  const control = async (req: EmulatorRequest): Promise<EmulatorResponse | undefined> => {
    const p = req.path;
    const ok = (body: unknown, status = 200): EmulatorResponse => ({ status, body });
    try {
      if (p === "/__emulator/clickup/state" && req.method === "GET") {
        return ok({
          team: workspace.team,
          plan: workspace.plan,
          users: { api: apiUser, rep: repUser },
          tokens: tokenList,
          spaces: [...workspace.spaces.values()].map((s) => ({ id: s.id, name: s.name })),
          folders: [...workspace.folders.values()].filter((f) => !f.hidden).map((f) => ({ id: f.id, name: f.name, space_id: f.space_id })),
          lists: [...workspace.lists.values()].map((l) => ({ id: l.id, name: l.name, folder_id: l.folderless ? null : l.folder_id, space_id: l.space_id, statuses: l.statuses.map((s) => s.status) })),
          fields: [...workspace.fields.values()].map((f) => ({ id: f.id, name: f.name, type: f.type, location: f.location })),
          task_count: workspace.tasks.size,
          custom_field_uses: workspace.customFieldUses,
          webhooks: [...hub.webhooks.values()].map((w) => hub.json(w)),
        });
      }
      const taskMatch = /^\/__emulator\/clickup\/tasks\/([^/]+)$/.exec(p);
      if (taskMatch && req.method === "GET") return ok(workspace.taskJson(workspace.getTask(decodeURIComponent(taskMatch[1] as string)), { markdown: true }));
      if (p === "/__emulator/clickup/webhook-deliveries" && req.method === "GET") {
        const f: { event?: string; webhook_id?: string; task_id?: string } = {};
        for (const k of ["event", "webhook_id", "task_id"] as const) {
          const v = req.query.get(k);
          if (v) f[k] = v;
        }
        const list = deliveries(f);
        return ok({ count: list.length, deliveries: list });
      }
      if (p === "/__emulator/clickup/flush-webhooks" && req.method === "POST") {
        await hub.flush();
        return ok({ flushed: true });
      }
      if (p === "/__emulator/clickup/as-user" && req.method === "POST") {
        const b = (req.json ?? (req.text ? JSON.parse(req.text) : {})) as Record<string, unknown>;
        const s = (k: string): string => String(b[k] ?? "");
        switch (b.action) {
          case "createTask":
            return ok(asUser.createTaskAsUser(s("list_id"), b as unknown as CreateTaskInput));
          case "setStatus":
            return ok(asUser.setTaskStatusAsUser(s("task_id"), s("status")));
          case "setField":
            return ok(asUser.setCustomFieldAsUser(s("task_id"), s("field"), b.value));
          case "clearField":
            return ok(asUser.clearCustomFieldAsUser(s("task_id"), s("field")));
          case "updateTask":
            return ok(asUser.updateTaskAsUser(s("task_id"), (b.update ?? {}) as UpdateTaskInput));
          case "deleteTask":
            asUser.deleteTaskAsUser(s("task_id"));
            return ok({ deleted: true });
          case "comment":
            return ok(asUser.commentAsUser(s("task_id"), s("text")));
          default:
            return ok({ error: { code: "unknown_action", message: "action: createTask|setStatus|setField|clearField|updateTask|deleteTask|comment" } }, 400);
        }
      }
    } catch (err) {
      if (err instanceof ClickUpError) return ok(err.body(), err.status);
      return ok({ error: { code: "bad_request", message: (err as Error).message } }, 400);
    }
    return undefined;
  };

  const handlerDeps: Parameters<typeof createClickUpHandler>[0] = { contract, workspace, hub, limiter, tokens, control };
  if (opts.checkResponses) handlerDeps.responseViolations = responseViolations;
  const handler = createClickUpHandler(handlerDeps);

  const serverOpts: Parameters<typeof createEmulatorServer>[0] = {
    name: "clickup",
    handler,
    faultShaper: clickUpFaultShaper,
    onReset: () => limiter.reset(),
  };
  if (opts.port !== undefined) serverOpts.port = opts.port;
  if (opts.host !== undefined) serverOpts.host = opts.host;
  const server = await createEmulatorServer(serverOpts);

  const close = server.close.bind(server);
  return {
    ...server,
    apiBaseUrl: `${server.url}/api`,
    workspace,
    contract,
    hub,
    limiter,
    tokens: tokenList,
    users: { api: apiUser, rep: repUser },
    seed: CLICKUP_SEED,
    responseViolations,
    ...asUser,
    createField(location, spec) {
      const loc: FieldLocation = typeof location === "string" ? { kind: "list", id: location } : location;
      return workspace.createField(loc, spec);
    },
    task: (taskId) => workspace.taskJson(workspace.getTask(taskId), { markdown: true }),
    registerWebhook(endpoint, o = {}) {
      const input: Parameters<WebhookHub["create"]>[0] = { endpoint, events: o.events ?? ["*"] };
      if (o.space_id) input.space_id = workspace.getSpace(o.space_id).id;
      if (o.folder_id) input.folder_id = workspace.getFolder(o.folder_id).id;
      if (o.list_id) input.list_id = workspace.getList(o.list_id).id;
      if (o.task_id) input.task_id = workspace.getTask(o.task_id).id;
      return hub.create(input, apiUser, workspace.team.id);
    },
    webhookDeliveries: deliveries,
    flushWebhooks: () => hub.flush(),
    resetRateLimits: () => limiter.reset(),
    async close() {
      await hub.close();
      await close();
    },
  };
}

/** Rate-limit headers for a token without counting a request (for tests and tools). */
export function peekRateLimit(emulator: ClickUpEmulator, token: string): Record<string, string> {
  return rateLimitHeaders(emulator.limiter.peek(token));
}
