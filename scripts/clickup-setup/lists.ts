/** clickup:setup, the lists: Intake, Alerts, and the folders High-End / Budget / Both with their "New Leads". */
import type { ClickUpAdminClient } from "../../src/clickup/admin-client.ts";
import { ALERTS_LIST_NAME, INTAKE_LIST_NAME, LEAD_FOLDER_NAMES, LEAD_LIST_NAME } from "../../src/clickup/config.ts";
import { type Segment, SEGMENTS } from "../../src/lib/segment.ts";
import { type ListInfo, named, type Provisioned, type SetupContext, SetupError } from "./setup.types.ts";
import type { Workspace } from "./workspace.ts";

/** CLICKUP_INTAKE_LIST_ID, or the space's folderless list "Intake" (created if missing). */
export async function provisionIntakeList(client: ClickUpAdminClient, ctx: SetupContext, { space, spaceLabel }: Workspace): Promise<ListInfo> {
  const { env, report, read, write } = ctx;
  // The Intake list: CLICKUP_INTAKE_LIST_ID, or the space's folderless list "Intake" (created if missing).
  let intakeId = env.CLICKUP_INTAKE_LIST_ID?.trim() || undefined;
  if (!intakeId) {
    const folderless = await read(() => client.getFolderlessLists(space.id));
    const found = named(folderless, INTAKE_LIST_NAME);
    if (found) intakeId = found.id;
    else {
      const created = await write(() => client.createFolderlessList(space.id, INTAKE_LIST_NAME));
      intakeId = created.id;
      report.created.push(`list "${INTAKE_LIST_NAME}" (${created.id}) in ${spaceLabel}`);
    }
  }
  const intakeListId = intakeId;
  const intakeList = await read(() => client.getList(intakeListId));
  if (intakeList.space && intakeList.space.id !== space.id) {
    throw new SetupError(`CLICKUP_INTAKE_LIST_ID ${intakeListId} is in space ${intakeList.space.id}, not in ${spaceLabel} (${space.id}): the webhook on the space would not see it`);
  }
  const intakeFields = await read(() => client.getListFields(intakeListId));
  const intake: ListInfo = { id: intakeListId, label: `"${intakeList.name}"`, list: intakeList, fields: intakeFields };
  return intake;
}

export async function provisionAlertsList(client: ClickUpAdminClient, ctx: SetupContext, { user, space, spaceLabel }: Workspace): Promise<Provisioned["alerts"]> {
  const { env, report, read, write, step } = ctx;
  // The Alerts list (folderless): admin alerts are tasks there. Its statuses are whatever the list
  // has: the first open one for a new alert, the closed one when it clears.
  const folderlessNow = await read(() => client.getFolderlessLists(space.id));
  let alertsListId = named(folderlessNow, ALERTS_LIST_NAME)?.id;
  if (!alertsListId) {
    const created = await write(() => client.createFolderlessList(space.id, ALERTS_LIST_NAME));
    alertsListId = created.id;
    report.created.push(`list "${ALERTS_LIST_NAME}" (${created.id}) in ${spaceLabel}`);
  }
  const alertsListIdFound = alertsListId;
  const alertsList = await read(() => client.getList(alertsListIdFound));
  const openStatus = alertsList.statuses.find((x) => x.type === "open") ?? alertsList.statuses[0];
  const closedStatus = alertsList.statuses.find((x) => x.type === "closed") ?? alertsList.statuses[alertsList.statuses.length - 1];
  const adminRaw = env.CLICKUP_ADMIN_USER_ID?.trim();
  const adminUserId = adminRaw ? Number(adminRaw) : user.id;
  if (!Number.isInteger(adminUserId)) throw new SetupError(`CLICKUP_ADMIN_USER_ID "${adminRaw}" is not a ClickUp user id (a number)`);
  if (!openStatus || !closedStatus || openStatus === closedStatus) {
    step({ kind: "status", where: `list "${alertsList.name}" (${alertsList.id})`, instruction: `List "${alertsList.name}" of ${spaceLabel} needs an open and a closed status (ClickUp's defaults "to do" and "complete" will do).` });
  }
  const alerts: Provisioned["alerts"] = { id: alertsList.id, name: alertsList.name, admin_user_id: adminUserId, statuses: { open: openStatus?.status ?? "", closed: closedStatus?.status ?? "" } };
  return alerts;
}

export async function provisionLeadLists(client: ClickUpAdminClient, ctx: SetupContext, { space, spaceLabel }: Workspace): Promise<{ folders: Provisioned["folders"]; leadLists: Provisioned["leadLists"] }> {
  const { report, read, write } = ctx;
  // Folders High-End / Budget / Both, each with "New Leads".
  const existingFolders = await read(() => client.getFolders(space.id));
  const folders = {} as Record<Segment, { id: string; name: string }>;
  const leadLists = {} as Record<Segment, ListInfo>;
  for (const segment of SEGMENTS) {
    const folderName = LEAD_FOLDER_NAMES[segment];
    let folder = named(existingFolders.filter((f) => !f.hidden), folderName);
    let lists: { id: string; name: string; archived?: boolean | undefined }[] = [];
    if (folder) {
      const folderId = folder.id;
      lists = await read(() => client.getFolderLists(folderId));
    } else {
      folder = await write(() => client.createFolder(space.id, folderName));
      report.created.push(`folder "${folderName}" (${folder.id}) in ${spaceLabel}`);
    }
    const folderId = folder.id;
    folders[segment] = { id: folder.id, name: folder.name };
    let list = named(lists, LEAD_LIST_NAME);
    if (!list) {
      list = await write(() => client.createFolderList(folderId, LEAD_LIST_NAME));
      report.created.push(`list "${folder.name} / ${LEAD_LIST_NAME}" (${list.id})`);
    }
    const listId = list.id;
    const full = await read(() => client.getList(listId));
    const fields = await read(() => client.getListFields(listId));
    leadLists[segment] = { id: listId, label: `"${folder.name} / ${full.name}"`, list: full, fields };
  }
  const allLeadLabels = SEGMENTS.map((s) => leadLists[s].label).join(", ");
  return { folders, leadLists };
}
