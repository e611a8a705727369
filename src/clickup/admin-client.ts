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
  const transport = clickUpTransport(options);
  const { api, read } = transport;
  const text$ = { parseAs: "text" } as const;
  return {
    ...createClickUpClient(options, transport),
    /** The token's user: the app's own ClickUp user (its writes come back in webhooks as this user). */
    async getAuthorizedUser(): Promise<ClickUpUser> {
      return (await read(AuthorizedUserSchema, api.GET("/v2/user", text$))).user;
    },
    /** The Workspaces (teams) the token can reach. */
    async getTeams(): Promise<ClickUpTeam[]> {
      return (await read(TeamsSchema, api.GET("/v2/team", text$))).teams;
    },
    async getTeamPlan(teamId: string): Promise<ClickUpPlan> {
      return read(PlanSchema, api.GET("/v2/team/{team_id}/plan", { params: { path: { team_id: teamId } }, ...text$ }));
    },
    async getSpaces(teamId: string, opts: { archived?: boolean } = {}): Promise<ClickUpSpace[]> {
      return (await read(SpacesSchema, api.GET("/v2/team/{team_id}/space", { params: { path: { team_id: teamId }, query: { archived: opts.archived } }, ...text$ }))).spaces;
    },
    async getFolders(spaceId: string, opts: { archived?: boolean } = {}): Promise<ClickUpFolder[]> {
      return (await read(FoldersSchema, api.GET("/v2/space/{space_id}/folder", { params: { path: { space_id: spaceId }, query: { archived: opts.archived } }, ...text$ }))).folders;
    },
    async createFolder(spaceId: string, name: string): Promise<ClickUpFolder> {
      const body: RequestOf<"/v2/space/{space_id}/folder", "post"> = { name };
      return read(FolderSchema, api.POST("/v2/space/{space_id}/folder", { params: { path: { space_id: spaceId } }, body, ...text$ }));
    },
    async getFolderLists(folderId: string, opts: { archived?: boolean } = {}): Promise<ClickUpListSummary[]> {
      return (await read(ListsSchema, api.GET("/v2/folder/{folder_id}/list", { params: { path: { folder_id: folderId }, query: { archived: opts.archived } }, ...text$ }))).lists;
    },
    async createFolderList(folderId: string, name: string): Promise<ClickUpListSummary> {
      const body: RequestOf<"/v2/folder/{folder_id}/list", "post"> = { name };
      return read(ListSummarySchema, api.POST("/v2/folder/{folder_id}/list", { params: { path: { folder_id: folderId } }, body, ...text$ }));
    },
    async getFolderlessLists(spaceId: string, opts: { archived?: boolean } = {}): Promise<ClickUpListSummary[]> {
      return (await read(ListsSchema, api.GET("/v2/space/{space_id}/list", { params: { path: { space_id: spaceId }, query: { archived: opts.archived } }, ...text$ }))).lists;
    },
    async createFolderlessList(spaceId: string, name: string): Promise<ClickUpListSummary> {
      const body: RequestOf<"/v2/space/{space_id}/list", "post"> = { name };
      return read(ListSummarySchema, api.POST("/v2/space/{space_id}/list", { params: { path: { space_id: spaceId } }, body, ...text$ }));
    },
    /** A list with its statuses. */
    async getList(listId: string): Promise<ClickUpList> {
      return read(ListSchema, api.GET("/v2/list/{list_id}", { params: { path: { list_id: listId } }, ...text$ }));
    },
    /** The custom fields a list's tasks can use (the list's own and those of its folder, space and workspace), drop-down options included. */
    async getListFields(listId: string): Promise<ClickUpField[]> {
      return (await read(FieldsSchema, api.GET("/v2/list/{list_id}/field", { params: { path: { list_id: listId }, header: { "Content-Type": "application/json" } }, ...text$ }))).fields;
    },
  };
}

export type ClickUpAdminClient = ReturnType<typeof createClickUpAdminClient>;
