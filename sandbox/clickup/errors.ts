// ClickUp's error shape: `{"err": "<message>", "ECODE": "<code>"}` with a non-2xx status.
//
// Where the code comes from:
// - documented on developer.clickup.com "Common Errors": OAUTH_017 (Authorization header required),
//   OAUTH_019/021/025/077 (token not found), OAUTH_023/026/027/029–045 (team not authorized), 429 for
//   the rate limit;
// - seen in public client code against the live API: APP_001 (route not found), APP_002 (rate limit
//   reached), ITEM_013 (task not found), ITEM_015 (list/space not found), FIELD_011 (drop-down value
//   not an option uuid or index), FIELD_033 (custom-field uses exceeded for the plan), FIELD_115
//   (field not in the task's location hierarchy);
// - chosen by the emulator (no public source found): INPUT_*, WEBHOOK_*, STATUS_*, the other FIELD_*
//   value-format codes and EMU_*. Clients should branch on the HTTP status and treat ECODE as opaque.

export class ClickUpError extends Error {
  readonly status: number;
  readonly ecode: string;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, err: string, ecode: string, headers?: Record<string, string>) {
    super(err);
    this.status = status;
    this.ecode = ecode;
    this.headers = headers;
  }

  body(): { err: string; ECODE: string } {
    return { err: this.message, ECODE: this.ecode };
  }
}

export const E = {
  routeNotFound: () => new ClickUpError(404, "Route not found", "APP_001"),
  notImplemented: (op: string) =>
    new ClickUpError(501, `The ClickUp emulator does not implement ${op}`, "EMU_001"),
  authHeaderRequired: () => new ClickUpError(401, "Authorization header required", "OAUTH_017"),
  tokenInvalid: () => new ClickUpError(401, "Token invalid", "OAUTH_025"),
  teamNotAuthorized: () => new ClickUpError(401, "Team not authorized", "OAUTH_027"),
  rateLimited: () => new ClickUpError(429, "Rate limit reached", "APP_002"),
  invalidJson: (detail: string) => new ClickUpError(400, `Invalid JSON body: ${detail}`, "INPUT_001"),
  invalidBody: (detail: string) => new ClickUpError(400, detail, "INPUT_002"),
  invalidParam: (detail: string) => new ClickUpError(400, detail, "INPUT_003"),
  taskNotFound: () => new ClickUpError(404, "Task not found", "ITEM_013"),
  listNotFound: () => new ClickUpError(404, "List not found", "ITEM_015"),
  folderNotFound: () => new ClickUpError(404, "Folder not found", "ITEM_015"),
  spaceNotFound: () => new ClickUpError(404, "Space not found", "ITEM_015"),
  commentNotFound: () => new ClickUpError(404, "Comment not found", "ITEM_016"),
  webhookNotFound: () => new ClickUpError(404, "Webhook not found", "WEBHOOK_002"),
  invalidWebhookEvent: (event: string) => new ClickUpError(400, `Invalid event: ${event}`, "WEBHOOK_001"),
  invalidWebhookEndpoint: () => new ClickUpError(400, "Endpoint must be a valid http(s) URL", "WEBHOOK_003"),
  statusNotFound: (status: string) => new ClickUpError(400, `Status does not exist: ${status}`, "STATUS_001"),
  invalidAssignee: (id: unknown) => new ClickUpError(400, `Assignee is not a member of the workspace: ${String(id)}`, "INPUT_004"),
  parentNotFound: () => new ClickUpError(400, "Parent task not found in this list", "INPUT_005"),
  fieldNotInHierarchy: () =>
    new ClickUpError(400, "Custom field does not exist in the task location hierarchy", "FIELD_115"),
  dropDownValue: () => new ClickUpError(400, "Value must be an option index or uuid", "FIELD_011"),
  fieldValue: (type: string, detail: string, ecode: string) =>
    new ClickUpError(400, `Invalid value for ${type} field: ${detail}`, ecode),
  fieldUsesExceeded: () => new ClickUpError(400, "Custom field usages exceeded for your plan", "FIELD_033"),
} as const;
