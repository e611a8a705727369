/** clickup:setup, the workspace: the token's user, the workspace (team), its plan and the space. */
import type { ClickUpAdminClient } from "../../src/clickup/admin-client.ts";
import { ClickUpError } from "../../src/clickup/errors.ts";
import { named, type SetupContext, SetupError } from "./setup.types.ts";

export async function findWorkspace(client: ClickUpAdminClient, ctx: SetupContext) {
  const { env, report, read } = ctx;
  // Who the token is (the app's own user), and which workspace.
  const user = await read(() => client.getAuthorizedUser());
  report.app_user_id = user.id;
  const teamId = env.CLICKUP_TEAM_ID?.trim();
  const teams = await read(() => client.getTeams());
  const team = teamId ? teams.find((t) => t.id === teamId) : teams.length === 1 ? teams[0] : undefined;
  if (!team) {
    const known = teams.map((t) => `${t.name} (${t.id})`).join(", ") || "none";
    throw new SetupError(teamId ? `the token cannot reach workspace ${teamId} (it can reach: ${known})` : `the token reaches ${teams.length} workspaces: set CLICKUP_TEAM_ID to one of: ${known}`);
  }
  report.team_id = team.id;

  // The plan: its rate limit and custom-field uses.
  let plan: { id: number | null; name: string | null } = { id: null, name: null };
  try {
    const p = await read(() => client.getTeamPlan(team.id));
    plan = { id: p.plan_id, name: p.plan_name };
  } catch (error) {
    if (!(error instanceof ClickUpError) || error.retryable) throw error;
    report.warnings.push(`could not read the workspace plan (${error.message}); assuming 100 requests/min and no custom-field limit`);
  }
  report.plan = plan.name;

  // The space.
  const spaces = await read(() => client.getSpaces(team.id));
  const spaceId = env.CLICKUP_SPACE_ID?.trim();
  const space = spaceId
    ? spaces.find((s) => s.id === spaceId)
    : ctx.spaceName
      ? named(spaces, ctx.spaceName)
      : spaces.length === 1
        ? spaces[0]
        : undefined;
  if (!space) {
    const known = spaces.map((s) => `"${s.name}" (${s.id})`).join(", ") || "none";
    throw new SetupError(
      spaceId
        ? `space ${spaceId} is not in workspace ${team.id} (spaces: ${known})`
        : ctx.spaceName
          ? `no space named "${ctx.spaceName}" in workspace ${team.id} (spaces: ${known})`
          : `workspace ${team.id} has ${spaces.length} spaces: set CLICKUP_SPACE_ID or pass --space "<name>" (spaces: ${known})`,
    );
  }
  report.space_id = space.id;
  const spaceLabel = `Space "${space.name}"`;
  return { user, team, plan, space, spaceLabel };
}

export type Workspace = Awaited<ReturnType<typeof findWorkspace>>;
