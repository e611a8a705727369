/** The setup-only ClickUp client (npm run clickup:setup): the runtime client plus the workspace's structure — teams, plan, spaces, folders, lists and their fields. */
import {
  AuthorizedUserSchema,
  FieldsSchema,
  FolderSchema,
  FoldersSchema,
  ListSchema,
  ListSummarySchema,
  ListsSchema,
  PlanSchema,
  SpacesSchema,
  TeamsSchema,
  type ClickUpClientOptions,
  clickUpTransport,
  createClickUpClient,
  type ClickUpField,
  type ClickUpFolder,
  type ClickUpList,
  type ClickUpListSummary,
  type ClickUpPlan,
  type ClickUpSpace,
  type ClickUpTeam,
  type ClickUpUser,
  type RequestOf,
} from "./client.ts";

export function createClickUpAdminClient(options: ClickUpClientOptions) {
  const call = clickUpTransport(options);
  return {
    ...createClickUpClient(options, call),
    /** The token's user: the app's own ClickUp user (its writes come back in webhooks as this user). */
    async getAuthorizedUser(): Promise<ClickUpUser> {
      return (await call("GET", "/v2/user", {}, AuthorizedUserSchema)).user;
    },
    /** The Workspaces (teams) the token can reach. */
    async getTeams(): Promise<ClickUpTeam[]> {
      return (await call("GET", "/v2/team", {}, TeamsSchema)).teams;
    },
    async getTeamPlan(teamId: string): Promise<ClickUpPlan> {
      return call("GET", "/v2/team/{team_id}/plan", { team_id: teamId }, PlanSchema);
    },
    async getSpaces(teamId: string, opts: { archived?: boolean } = {}): Promise<ClickUpSpace[]> {
      return (await call("GET", "/v2/team/{team_id}/space", { team_id: teamId }, SpacesSchema, { query: { archived: opts.archived } })).spaces;
    },
    async getFolders(spaceId: string, opts: { archived?: boolean } = {}): Promise<ClickUpFolder[]> {
      return (await call("GET", "/v2/space/{space_id}/folder", { space_id: spaceId }, FoldersSchema, { query: { archived: opts.archived } })).folders;
    },
    async createFolder(spaceId: string, name: string): Promise<ClickUpFolder> {
      const body: RequestOf<"/v2/space/{space_id}/folder", "post"> = { name };
      return call("POST", "/v2/space/{space_id}/folder", { space_id: spaceId }, FolderSchema, { body });
    },
    async getFolderLists(folderId: string, opts: { archived?: boolean } = {}): Promise<ClickUpListSummary[]> {
      return (await call("GET", "/v2/folder/{folder_id}/list", { folder_id: folderId }, ListsSchema, { query: { archived: opts.archived } })).lists;
    },
    async createFolderList(folderId: string, name: string): Promise<ClickUpListSummary> {
      const body: RequestOf<"/v2/folder/{folder_id}/list", "post"> = { name };
      return call("POST", "/v2/folder/{folder_id}/list", { folder_id: folderId }, ListSummarySchema, { body });
    },
    async getFolderlessLists(spaceId: string, opts: { archived?: boolean } = {}): Promise<ClickUpListSummary[]> {
      return (await call("GET", "/v2/space/{space_id}/list", { space_id: spaceId }, ListsSchema, { query: { archived: opts.archived } })).lists;
    },
    async createFolderlessList(spaceId: string, name: string): Promise<ClickUpListSummary> {
      const body: RequestOf<"/v2/space/{space_id}/list", "post"> = { name };
      return call("POST", "/v2/space/{space_id}/list", { space_id: spaceId }, ListSummarySchema, { body });
    },
    /** A list with its statuses. */
    async getList(listId: string): Promise<ClickUpList> {
      return call("GET", "/v2/list/{list_id}", { list_id: listId }, ListSchema);
    },
    /** The custom fields a list's tasks can use (the list's own and those of its folder, space and workspace), drop-down options included. */
    async getListFields(listId: string): Promise<ClickUpField[]> {
      return (await call("GET", "/v2/list/{list_id}/field", { list_id: listId }, FieldsSchema)).fields;
    },
  };
}

export type ClickUpAdminClient = ReturnType<typeof createClickUpAdminClient>;
