// The emulator's in-memory ClickUp workspace: one team (Workspace) with its plan and members,
// spaces, folders (folderless lists live in a hidden folder, as in ClickUp), lists with statuses,
// custom fields, tasks with field values, and comments. Every change to a task is reported to a
// listener as the webhook event(s) ClickUp would send, with history items naming the acting user.

import { E } from "./errors.ts";
import {
  type CustomField,
  type FieldLocation,
  type FieldSpec,
  fieldJson,
  makeField,
  normalizeValue,
  type StoredValue,
} from "./fields.ts";

export interface User {
  id: number;
  username: string;
  email: string;
  color: string;
  initials: string;
  profilePicture: string | null;
  /** 1 owner, 2 admin, 3 member, 4 guest. */
  role: number;
}

export type StatusType = "open" | "custom" | "done" | "closed";

export interface StatusDef {
  id: string;
  status: string;
  type: StatusType;
  orderindex: number;
  color: string;
}

export type StatusSpec = string | { status: string; type?: StatusType; color?: string };

export interface Plan {
  id: number;
  name: string;
}

/** ClickUp plan names with the ids the emulator uses for them (Enterprise = 4 as in the OpenAPI example). */
export const PLANS = {
  freeForever: { id: 1, name: "Free Forever" },
  unlimited: { id: 2, name: "Unlimited" },
  business: { id: 3, name: "Business" },
  enterprise: { id: 4, name: "Enterprise" },
  businessPlus: { id: 5, name: "Business Plus" },
} as const satisfies Record<string, Plan>;

export interface Space {
  id: string;
  name: string;
  color: string | null;
  private: boolean;
  archived: boolean;
  multiple_assignees: boolean;
  statuses: StatusDef[];
}

export interface Folder {
  id: string;
  name: string;
  space_id: string;
  /** The hidden folder holding a space's folderless lists. */
  hidden: boolean;
  archived: boolean;
  orderindex: number;
}

export interface List {
  id: string;
  name: string;
  space_id: string;
  folder_id: string;
  folderless: boolean;
  content: string;
  archived: boolean;
  orderindex: number;
  override_statuses: boolean;
  statuses: StatusDef[];
}

export interface Task {
  id: string;
  name: string;
  list_id: string;
  description: string;
  markdown: string;
  status: string;
  date_created: number;
  date_updated: number;
  date_closed: number | null;
  date_done: number | null;
  creator: number;
  assignees: number[];
  watchers: number[];
  tags: string[];
  archived: boolean;
  parent: string | null;
  priority: number | null;
  due_date: number | null;
  start_date: number | null;
  points: number | null;
  time_estimate: number | null;
  orderindex: number;
  values: Map<string, StoredValue>;
}

export interface Comment {
  id: string;
  task_id: string;
  text: string;
  user: number;
  assignee: number | null;
  date: number;
  resolved: boolean;
}

export type TaskEventName =
  | "taskCreated"
  | "taskUpdated"
  | "taskDeleted"
  | "taskPriorityUpdated"
  | "taskStatusUpdated"
  | "taskAssigneeUpdated"
  | "taskDueDateUpdated"
  | "taskTagUpdated"
  | "taskMoved"
  | "taskCommentPosted"
  | "taskCommentUpdated"
  | "taskTimeEstimateUpdated"
  | "taskTimeTrackedUpdated";

export interface HistoryUser {
  id: number;
  username: string;
  email: string;
  color: string;
  initials: string;
  profilePicture: string | null;
}

export interface HistoryItem {
  id: string;
  type: number;
  date: string;
  field: string;
  parent_id: string;
  data: Record<string, unknown>;
  source: null;
  user: HistoryUser;
  before: unknown;
  after: unknown;
  custom_field?: Record<string, unknown>;
  comment?: Record<string, unknown>;
}

export interface TaskLocation {
  task_id: string;
  list_id: string;
  folder_id: string;
  space_id: string;
}

/** One webhook event as ClickUp would emit it for a change (taskDeleted has no history items). */
export interface TaskChange {
  event: TaskEventName;
  location: TaskLocation;
  history_items?: HistoryItem[];
}

export interface CreateTaskInput {
  name: string;
  description?: string;
  markdown_content?: string;
  status?: string;
  assignees?: number[];
  tags?: string[];
  priority?: number | null;
  due_date?: number;
  start_date?: number;
  points?: number;
  time_estimate?: number;
  parent?: string | null;
  archived?: boolean;
  custom_fields?: Array<{ id: string; value: unknown }>;
}

export interface UpdateTaskInput {
  name?: string;
  description?: string;
  markdown_content?: string;
  status?: string;
  priority?: number | null;
  due_date?: number | null;
  start_date?: number | null;
  points?: number | null;
  time_estimate?: number | null;
  archived?: boolean;
  parent?: string;
  assignees?: { add?: number[]; rem?: number[] };
  watchers?: { add?: number[]; rem?: number[] };
}

export interface TaskQuery {
  archived?: boolean;
  include_closed?: boolean;
  subtasks?: boolean;
  statuses?: string[];
  assignees?: string[];
  tags?: string[];
  page?: number;
  order_by?: string;
  reverse?: boolean;
  date_created_gt?: number;
  date_created_lt?: number;
  date_updated_gt?: number;
  date_updated_lt?: number;
}

const DEFAULT_STATUSES: StatusSpec[] = [
  { status: "to do", type: "open", color: "#d3d3d3" },
  { status: "complete", type: "closed", color: "#6bc950" },
];

const STATUS_COLORS = ["#d3d3d3", "#4194f6", "#a875ff", "#f9d900", "#ff7800", "#2ecd6f", "#6bc950"];

const PRIORITIES: Record<number, { priority: string; color: string }> = {
  1: { priority: "urgent", color: "#f50000" },
  2: { priority: "high", color: "#ffcc00" },
  3: { priority: "normal", color: "#6fddff" },
  4: { priority: "low", color: "#d8d8d8" },
};

export const PAGE_SIZE = 100;

/** Markdown to the plain text ClickUp keeps in `text_content` (close enough for an emulator). */
export function markdownToText(md: string): string {
  return md
    .replace(/```[a-z]*\n?/gi, "")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}#{1,6}\s+/gm, "")
    .replace(/^\s{0,3}>\s?/gm, "")
    .replace(/(\*\*|__)(.*?)\1/g, "$2")
    .replace(/(\*|_)(.*?)\1/g, "$2")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/^\s*[-*+]\s+/gm, "")
    .trim();
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() ?? "")
    .join("")
    .slice(0, 2);
}

export function makeUser(id: number, username: string, email: string, color = "#7b68ee", role = 3): User {
  return { id, username, email, color, initials: initials(username), profilePicture: `https://attachments.clickup.com/profilePictures/${id}_emu.jpg`, role };
}

export interface WorkspaceOptions {
  teamId: string;
  teamName: string;
  plan: Plan;
  /** Free Forever workspaces get 60 custom-field uses (Set Custom Field Value calls); default by plan. */
  customFieldUseLimit?: number;
  /** Clock (ms); tests may pin it. */
  now?: () => number;
}

export class Workspace {
  readonly team: { id: string; name: string; color: string; avatar: string };
  plan: Plan;
  customFieldUseLimit: number;
  customFieldUses = 0;
  readonly users = new Map<number, User>();
  readonly spaces = new Map<string, Space>();
  readonly folders = new Map<string, Folder>();
  readonly lists = new Map<string, List>();
  readonly fields = new Map<string, CustomField>();
  readonly tasks = new Map<string, Task>();
  readonly comments = new Map<string, Comment>();
  /** Receives the webhook events of every task change, in order. */
  listener: ((changes: TaskChange[]) => void) | undefined;
  readonly now: () => number;

  #containerSeq = 0;
  #taskSeq = 0;
  #commentSeq = 0;
  #historySeq = 0n;
  #orderSeq = 0;

  constructor(opts: WorkspaceOptions) {
    this.team = { id: opts.teamId, name: opts.teamName, color: "#7b68ee", avatar: `https://attachments.clickup.com/team_avatars/${opts.teamId}_emu.png` };
    this.plan = opts.plan;
    this.customFieldUseLimit = opts.customFieldUseLimit ?? (opts.plan.id === PLANS.freeForever.id ? 60 : Number.POSITIVE_INFINITY);
    this.now = opts.now ?? Date.now;
  }

  // ---- ids ---------------------------------------------------------------------------------

  #containerId(): string {
    let id: string;
    do id = String(901_100_000_000 + ++this.#containerSeq);
    while (this.spaces.has(id) || this.folders.has(id) || this.lists.has(id));
    return id;
  }

  #taskId(): string {
    let id: string;
    do id = `86${(++this.#taskSeq + 1_000_000).toString(36)}`;
    while (this.tasks.has(id));
    return id;
  }

  historyId(): string {
    this.#historySeq += 1n;
    return String(2_800_763_136_700_000_000n + this.#historySeq);
  }

  // ---- structure ---------------------------------------------------------------------------

  addUser(user: User): User {
    this.users.set(user.id, user);
    return user;
  }

  #statuses(ownerId: string, specs: StatusSpec[]): StatusDef[] {
    return specs.map((s, i) => {
      const spec = typeof s === "string" ? { status: s } : s;
      const type: StatusType = spec.type ?? (i === 0 ? "open" : i === specs.length - 1 ? "closed" : "custom");
      return {
        id: `p${ownerId}_${i}`,
        status: spec.status,
        type,
        orderindex: i,
        color: spec.color ?? STATUS_COLORS[i % STATUS_COLORS.length] ?? "#d3d3d3",
      };
    });
  }

  createSpace(input: { name: string; id?: string; statuses?: StatusSpec[]; multiple_assignees?: boolean }): Space {
    const id = input.id ?? this.#containerId();
    const space: Space = {
      id,
      name: input.name,
      color: null,
      private: false,
      archived: false,
      multiple_assignees: input.multiple_assignees ?? true,
      statuses: this.#statuses(id, input.statuses ?? DEFAULT_STATUSES),
    };
    this.spaces.set(id, space);
    return space;
  }

  createFolder(spaceId: string, input: { name: string; id?: string }): Folder {
    if (!this.spaces.has(spaceId)) throw E.spaceNotFound();
    const folder: Folder = {
      id: input.id ?? this.#containerId(),
      name: input.name,
      space_id: spaceId,
      hidden: false,
      archived: false,
      orderindex: [...this.folders.values()].filter((f) => f.space_id === spaceId && !f.hidden).length,
    };
    this.folders.set(folder.id, folder);
    return folder;
  }

  #hiddenFolder(spaceId: string): Folder {
    const existing = [...this.folders.values()].find((f) => f.space_id === spaceId && f.hidden);
    if (existing) return existing;
    const folder: Folder = { id: this.#containerId(), name: "hidden", space_id: spaceId, hidden: true, archived: false, orderindex: 0 };
    this.folders.set(folder.id, folder);
    return folder;
  }

  /** A list in a folder (`folderId`) or folderless in a space (`spaceId`); statuses default to the space's. */
  createList(
    parent: { folderId: string } | { spaceId: string },
    input: { name: string; id?: string; content?: string; statuses?: StatusSpec[] },
  ): List {
    let folder: Folder;
    if ("folderId" in parent) {
      const f = this.folders.get(parent.folderId);
      if (!f || f.hidden) throw E.folderNotFound();
      folder = f;
    } else {
      if (!this.spaces.has(parent.spaceId)) throw E.spaceNotFound();
      folder = this.#hiddenFolder(parent.spaceId);
    }
    const space = this.spaces.get(folder.space_id);
    if (!space) throw E.spaceNotFound();
    const id = input.id ?? this.#containerId();
    const list: List = {
      id,
      name: input.name,
      space_id: space.id,
      folder_id: folder.id,
      folderless: folder.hidden,
      content: input.content ?? "",
      archived: false,
      orderindex: [...this.lists.values()].filter((l) => l.folder_id === folder.id).length,
      override_statuses: input.statuses !== undefined,
      statuses: input.statuses ? this.#statuses(id, input.statuses) : structuredClone(space.statuses),
    };
    this.lists.set(id, list);
    return list;
  }

  /** Adds a custom field at a location (ClickUp's public v2 API documents no "create field" call). */
  createField(location: FieldLocation, spec: FieldSpec): CustomField {
    const exists =
      location.kind === "team"
        ? location.id === this.team.id
        : location.kind === "space"
          ? this.spaces.has(location.id)
          : location.kind === "folder"
            ? this.folders.has(location.id)
            : this.lists.has(location.id);
    if (!exists) throw new Error(`no ${location.kind} ${location.id} to add the field to`);
    if (spec.id && this.fields.has(spec.id)) throw new Error(`custom field ${spec.id} exists`);
    const field = makeField(spec, location, this.now());
    this.fields.set(field.id, field);
    return field;
  }

  getSpace(id: string): Space {
    const s = this.spaces.get(id);
    if (!s) throw E.spaceNotFound();
    return s;
  }

  getFolder(id: string): Folder {
    const f = this.folders.get(id);
    if (!f || f.hidden) throw E.folderNotFound();
    return f;
  }

  getList(id: string): List {
    const l = this.lists.get(id);
    if (!l) throw E.listNotFound();
    return l;
  }

  getTask(id: string): Task {
    const t = this.tasks.get(id);
    if (!t) throw E.taskNotFound();
    return t;
  }

  findList(name: string, parentName?: string): List | undefined {
    return [...this.lists.values()].find((l) => {
      if (l.name !== name) return false;
      if (parentName === undefined) return true;
      const folder = this.folders.get(l.folder_id);
      return folder?.name === parentName || this.spaces.get(l.space_id)?.name === parentName;
    });
  }

  findField(name: string, listId?: string): CustomField | undefined {
    const pool = listId ? this.fieldsForList(listId) : [...this.fields.values()];
    return pool.find((f) => f.name === name);
  }

  /** Fields defined at a location or above it (what ClickUp shows on a list, folder or space). */
  fieldsFor(kind: FieldLocation["kind"], id: string): CustomField[] {
    const chain: FieldLocation[] = [{ kind: "team", id: this.team.id }];
    if (kind === "list") {
      const list = this.getList(id);
      chain.push({ kind: "space", id: list.space_id }, { kind: "folder", id: list.folder_id }, { kind: "list", id });
    } else if (kind === "folder") {
      const folder = this.getFolder(id);
      chain.push({ kind: "space", id: folder.space_id }, { kind: "folder", id });
    } else if (kind === "space") {
      this.getSpace(id);
      chain.push({ kind: "space", id });
    }
    return [...this.fields.values()].filter((f) => chain.some((c) => c.kind === f.location.kind && c.id === f.location.id));
  }

  fieldsForList(listId: string): CustomField[] {
    return this.fieldsFor("list", listId);
  }

  // ---- tasks -------------------------------------------------------------------------------

  location(task: Task): TaskLocation {
    const list = this.getList(task.list_id);
    return { task_id: task.id, list_id: list.id, folder_id: list.folder_id, space_id: list.space_id };
  }

  #status(list: List, name: string | undefined): StatusDef {
    if (name === undefined) return list.statuses[0] as StatusDef;
    const s = list.statuses.find((x) => x.status.toLowerCase() === name.trim().toLowerCase());
    if (!s) throw E.statusNotFound(name);
    return s;
  }

  #checkMembers(ids: number[] | undefined): void {
    for (const id of ids ?? []) if (!this.users.has(id)) throw E.invalidAssignee(id);
  }

  historyUser(user: User): HistoryUser {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      color: user.color,
      initials: user.initials,
      profilePicture: user.profilePicture,
    };
  }

  #item(task: Task, field: string, actor: User, before: unknown, after: unknown, data: Record<string, unknown> = {}): HistoryItem {
    return {
      id: this.historyId(),
      type: 1,
      date: String(this.now()),
      field,
      parent_id: task.list_id,
      data,
      source: null,
      user: this.historyUser(actor),
      before,
      after,
    };
  }

  #statusState(s: StatusDef): Record<string, unknown> {
    return { status: s.status, color: s.color, orderindex: s.orderindex, type: s.type };
  }

  #emit(changes: TaskChange[]): void {
    if (changes.length > 0) this.listener?.(changes);
  }

  #applyStatusDates(task: Task, s: StatusDef, now: number): void {
    task.date_closed = s.type === "closed" ? (task.date_closed ?? now) : null;
    task.date_done = s.type === "done" || s.type === "closed" ? (task.date_done ?? now) : null;
  }

  createTask(listId: string, input: CreateTaskInput, actor: User): Task {
    const list = this.getList(listId);
    if (input.name.trim() === "") throw E.invalidBody("Task name invalid");
    const status = this.#status(list, input.status);
    this.#checkMembers(input.assignees);
    if (input.parent) {
      const parent = this.tasks.get(input.parent);
      if (!parent || parent.list_id !== list.id) throw E.parentNotFound();
    }
    // Values are only saved for fields applicable to the list; others are ignored, as in ClickUp.
    const applicable = new Map(this.fieldsForList(list.id).map((f) => [f.id, f]));
    const values = new Map<string, StoredValue>();
    for (const cf of input.custom_fields ?? []) {
      const field = applicable.get(cf.id);
      if (!field || cf.value === null || cf.value === undefined) continue;
      values.set(field.id, normalizeValue(field, cf.value));
    }
    const now = this.now();
    // markdown_content wins over description when both are sent.
    const markdown = input.markdown_content ?? input.description ?? "";
    const task: Task = {
      id: this.#taskId(),
      name: input.name,
      list_id: list.id,
      description: input.markdown_content !== undefined ? markdownToText(input.markdown_content) : (input.description ?? ""),
      markdown,
      status: status.status,
      date_created: now,
      date_updated: now,
      date_closed: null,
      date_done: null,
      creator: actor.id,
      assignees: [...new Set(input.assignees ?? [])],
      watchers: [actor.id],
      tags: [...(input.tags ?? [])],
      archived: input.archived ?? false,
      parent: input.parent ?? null,
      priority: input.priority ?? null,
      due_date: input.due_date ?? null,
      start_date: input.start_date ?? null,
      points: input.points ?? null,
      time_estimate: input.time_estimate ?? null,
      orderindex: ++this.#orderSeq,
      values,
    };
    this.#applyStatusDates(task, status, now);
    this.tasks.set(task.id, task);
    const loc = this.location(task);
    const statusItem = this.#item(
      task,
      "status",
      actor,
      { status: null, color: "#000000", type: "removed", orderindex: -1 },
      this.#statusState(status),
      { status_type: status.type },
    );
    const creationItem = this.#item(task, "task_creation", actor, null, null);
    this.#emit([
      { event: "taskCreated", location: loc, history_items: [statusItem, creationItem] },
      { event: "taskStatusUpdated", location: loc, history_items: [structuredClone(statusItem)] },
    ]);
    return task;
  }

  /** Update Task: custom fields are not part of it (ClickUp ignores them; use Set Custom Field Value). */
  updateTask(taskId: string, input: UpdateTaskInput, actor: User): Task {
    const task = this.getTask(taskId);
    const list = this.getList(task.list_id);
    const now = this.now();
    const changes: TaskChange[] = [];
    const loc = this.location(task);
    const push = (event: TaskEventName, item: HistoryItem): void => {
      changes.push({ event, location: loc, history_items: [item] });
    };
    // Validate everything before changing anything.
    const nextStatus = input.status !== undefined ? this.#status(list, input.status) : undefined;
    this.#checkMembers(input.assignees?.add);
    this.#checkMembers(input.watchers?.add);
    if (input.parent !== undefined) {
      const parent = this.tasks.get(input.parent);
      if (!parent || parent.list_id !== list.id || parent.id === task.id) throw E.parentNotFound();
    }

    if (input.name !== undefined && input.name !== task.name) {
      push("taskUpdated", this.#item(task, "name", actor, task.name, input.name));
      task.name = input.name;
    }
    if (input.markdown_content !== undefined || input.description !== undefined) {
      // markdown_content wins over description; a blank description (" ") clears it.
      let markdown: string;
      let text: string;
      if (input.markdown_content !== undefined) {
        markdown = input.markdown_content;
        text = markdownToText(markdown);
      } else {
        const d = input.description ?? "";
        markdown = d.trim() === "" ? "" : d;
        text = markdown;
      }
      if (markdown !== task.markdown || text !== task.description) {
        push("taskUpdated", this.#item(task, "content", actor, task.markdown || null, markdown || null));
        task.description = text;
        task.markdown = markdown;
      }
    }
    if (nextStatus && nextStatus.status !== task.status) {
      const before = this.#status(list, task.status);
      push("taskStatusUpdated", this.#item(task, "status", actor, this.#statusState(before), this.#statusState(nextStatus), { status_type: nextStatus.type }));
      task.status = nextStatus.status;
      this.#applyStatusDates(task, nextStatus, now);
    }
    if (input.priority !== undefined && input.priority !== task.priority) {
      const render = (p: number | null): unknown =>
        p === null ? null : { id: String(p), priority: PRIORITIES[p]?.priority ?? String(p), color: PRIORITIES[p]?.color ?? "#d8d8d8", orderindex: String(p) };
      push("taskPriorityUpdated", this.#item(task, "priority", actor, render(task.priority), render(input.priority)));
      task.priority = input.priority;
    }
    if (input.due_date !== undefined && input.due_date !== task.due_date) {
      push("taskDueDateUpdated", this.#item(task, "due_date", actor, task.due_date === null ? null : String(task.due_date), input.due_date === null ? null : String(input.due_date)));
      task.due_date = input.due_date;
    }
    if (input.time_estimate !== undefined && input.time_estimate !== task.time_estimate) {
      push("taskTimeEstimateUpdated", this.#item(task, "time_estimate", actor, task.time_estimate, input.time_estimate));
      task.time_estimate = input.time_estimate;
    }
    if (input.start_date !== undefined) task.start_date = input.start_date;
    if (input.points !== undefined) task.points = input.points;
    if (input.archived !== undefined && input.archived !== task.archived) {
      push("taskUpdated", this.#item(task, "archived", actor, task.archived ? 1 : 0, input.archived ? 1 : 0));
      task.archived = input.archived;
    }
    if (input.parent !== undefined && input.parent !== task.parent) {
      push("taskUpdated", this.#item(task, "parent", actor, task.parent, input.parent));
      task.parent = input.parent;
    }
    for (const id of input.assignees?.add ?? []) {
      if (task.assignees.includes(id)) continue;
      task.assignees.push(id);
      const u = this.users.get(id);
      push("taskAssigneeUpdated", this.#item(task, "assignee_add", actor, null, u ? this.historyUser(u) : { id }));
    }
    for (const id of input.assignees?.rem ?? []) {
      if (!task.assignees.includes(id)) continue;
      task.assignees = task.assignees.filter((a) => a !== id);
      const u = this.users.get(id);
      push("taskAssigneeUpdated", this.#item(task, "assignee_rem", actor, u ? this.historyUser(u) : { id }, null));
    }
    for (const id of input.watchers?.add ?? []) if (!task.watchers.includes(id)) task.watchers.push(id);
    for (const id of input.watchers?.rem ?? []) task.watchers = task.watchers.filter((w) => w !== id);
    task.date_updated = now;
    this.#emit(changes);
    return task;
  }

  deleteTask(taskId: string, _actor: User): void {
    const task = this.getTask(taskId);
    const loc = this.location(task);
    const doomed = [task.id, ...[...this.tasks.values()].filter((t) => t.parent === task.id).map((t) => t.id)];
    for (const id of doomed) this.tasks.delete(id);
    for (const [cid, c] of this.comments) if (doomed.includes(c.task_id)) this.comments.delete(cid);
    this.#emit([{ event: "taskDeleted", location: loc }]);
  }

  #applicableField(task: Task, fieldId: string): CustomField {
    const field = this.fieldsForList(task.list_id).find((f) => f.id === fieldId);
    if (!field) throw E.fieldNotInHierarchy();
    return field;
  }

  #fieldChange(task: Task, field: CustomField, actor: User, before: StoredValue | undefined, after: StoredValue | undefined): void {
    task.date_updated = this.now();
    const item = this.#item(task, "custom_field", actor, before ?? null, after ?? null);
    item.custom_field = fieldJson(field);
    this.#emit([{ event: "taskUpdated", location: this.location(task), history_items: [item] }]);
  }

  /**
   * Set Custom Field Value. `countUse` counts it against the plan's custom-field uses (API calls do);
   * `acceptLabel` lets a person's action pick a drop-down option by label.
   */
  setFieldValue(taskId: string, fieldId: string, value: unknown, actor: User, opts: { countUse?: boolean; acceptLabel?: boolean } = {}): Task {
    const task = this.getTask(taskId);
    const field = this.#applicableField(task, fieldId);
    if (opts.countUse && this.customFieldUses >= this.customFieldUseLimit) throw E.fieldUsesExceeded();
    const stored = normalizeValue(field, value, opts.acceptLabel ?? false);
    if (opts.countUse) this.customFieldUses++;
    const before = task.values.get(field.id);
    task.values.set(field.id, stored);
    if (before !== stored) this.#fieldChange(task, field, actor, before, stored);
    return task;
  }

  removeFieldValue(taskId: string, fieldId: string, actor: User): Task {
    const task = this.getTask(taskId);
    const field = this.#applicableField(task, fieldId);
    const before = task.values.get(field.id);
    if (before === undefined) return task;
    task.values.delete(field.id);
    this.#fieldChange(task, field, actor, before, undefined);
    return task;
  }

  addComment(taskId: string, input: { comment_text: string; assignee?: number }, actor: User): Comment {
    const task = this.getTask(taskId);
    if (input.assignee !== undefined) this.#checkMembers([input.assignee]);
    const comment: Comment = {
      id: String(90_110_000_000_000 + ++this.#commentSeq),
      task_id: task.id,
      text: input.comment_text,
      user: actor.id,
      assignee: input.assignee ?? null,
      date: this.now(),
      resolved: false,
    };
    this.comments.set(comment.id, comment);
    const item = this.#item(task, "comment", actor, null, comment.id);
    item.comment = this.commentJson(comment);
    this.#emit([{ event: "taskCommentPosted", location: this.location(task), history_items: [item] }]);
    return comment;
  }

  commentsFor(taskId: string): Comment[] {
    this.getTask(taskId);
    return [...this.comments.values()].filter((c) => c.task_id === taskId).sort((a, b) => b.date - a.date || Number(b.id) - Number(a.id));
  }

  queryTasks(listId: string, q: TaskQuery): { tasks: Task[]; last_page: boolean } {
    const list = this.getList(listId);
    const statuses = q.statuses?.map((s) => s.toLowerCase());
    let tasks = [...this.tasks.values()].filter((t) => {
      if (t.list_id !== list.id) return false;
      if (t.archived !== (q.archived ?? false)) return false;
      if (!(q.subtasks ?? false) && t.parent !== null) return false;
      const s = list.statuses.find((x) => x.status === t.status);
      if (statuses && !statuses.includes(t.status.toLowerCase())) return false;
      if (!statuses && s?.type === "closed" && !(q.include_closed ?? false)) return false;
      if (q.assignees && !q.assignees.some((a) => t.assignees.includes(Number(a)))) return false;
      if (q.tags && !q.tags.some((tag) => t.tags.includes(tag))) return false;
      if (q.date_created_gt !== undefined && !(t.date_created > q.date_created_gt)) return false;
      if (q.date_created_lt !== undefined && !(t.date_created < q.date_created_lt)) return false;
      if (q.date_updated_gt !== undefined && !(t.date_updated > q.date_updated_gt)) return false;
      if (q.date_updated_lt !== undefined && !(t.date_updated < q.date_updated_lt)) return false;
      return true;
    });
    const key = q.order_by ?? "created";
    const value = (t: Task): number =>
      key === "updated" ? t.date_updated : key === "due_date" ? (t.due_date ?? Number.MAX_SAFE_INTEGER) : key === "id" ? t.orderindex : t.date_created;
    // Newest first by default; `reverse=true` turns it around.
    tasks = tasks.sort((a, b) => value(b) - value(a) || b.orderindex - a.orderindex);
    if (q.reverse) tasks.reverse();
    const page = q.page ?? 0;
    const slice = tasks.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    return { tasks: slice, last_page: (page + 1) * PAGE_SIZE >= tasks.length };
  }

  // ---- JSON as the API shows it -----------------------------------------------------------

  userJson(user: User): Record<string, unknown> {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      color: user.color,
      profilePicture: user.profilePicture,
      initials: user.initials,
      week_start_day: 0,
      global_font_support: false,
      timezone: "America/New_York",
    };
  }

  #memberRef(user: User): Record<string, unknown> {
    return { id: user.id, username: user.username, color: user.color, initials: user.initials, email: user.email, profilePicture: user.profilePicture };
  }

  teamJson(): Record<string, unknown> {
    return {
      id: this.team.id,
      name: this.team.name,
      color: this.team.color,
      avatar: this.team.avatar,
      members: [...this.users.values()].map((u) => ({ user: { ...this.#memberRef(u), role: u.role } })),
    };
  }

  #statusJson(s: StatusDef): Record<string, unknown> {
    return { id: s.id, status: s.status, type: s.type, orderindex: s.orderindex, color: s.color };
  }

  spaceJson(space: Space): Record<string, unknown> {
    const enabled = { enabled: true };
    return {
      id: space.id,
      name: space.name,
      private: space.private,
      color: space.color,
      avatar: null,
      admin_can_manage: true,
      archived: space.archived,
      members: [...this.users.values()].map((u) => ({ user: this.#memberRef(u) })),
      statuses: space.statuses.map((s) => this.#statusJson(s)),
      multiple_assignees: space.multiple_assignees,
      features: {
        due_dates: { enabled: true, start_date: false, remap_due_dates: false, remap_closed_due_date: false },
        time_tracking: { enabled: false },
        tags: enabled,
        time_estimates: enabled,
        checklists: enabled,
        custom_fields: enabled,
        remap_dependencies: enabled,
        dependency_warning: enabled,
        portfolios: enabled,
      },
    };
  }

  #taskCount(listId: string): number {
    return [...this.tasks.values()].filter((t) => t.list_id === listId && !t.archived).length;
  }

  listJson(list: List, opts: { brief?: boolean } = {}): Record<string, unknown> {
    const folder = this.folders.get(list.folder_id);
    const space = this.spaces.get(list.space_id);
    const out: Record<string, unknown> = {
      id: list.id,
      name: list.name,
      orderindex: list.orderindex,
      content: list.content,
      status: null,
      priority: null,
      assignee: null,
      task_count: this.#taskCount(list.id),
      due_date: null,
      due_date_time: false,
      start_date: null,
      start_date_time: null,
      folder: { id: folder?.id ?? list.folder_id, name: folder?.name ?? "hidden", hidden: folder?.hidden ?? true, access: true },
      space: { id: list.space_id, name: space?.name ?? "", access: true },
      archived: list.archived,
      override_statuses: list.override_statuses,
      permission_level: "create",
    };
    if (!opts.brief) {
      out.statuses = list.statuses.map((s) => ({ id: s.id, status: s.status, orderindex: s.orderindex, color: s.color, type: s.type }));
      out.inbound_address = `a.t.${list.id}.emulator@tasks.clickup.com`;
    }
    return out;
  }

  folderJson(folder: Folder): Record<string, unknown> {
    const space = this.spaces.get(folder.space_id);
    const lists = [...this.lists.values()].filter((l) => l.folder_id === folder.id && !l.archived);
    return {
      id: folder.id,
      name: folder.name,
      orderindex: folder.orderindex,
      override_statuses: false,
      hidden: folder.hidden,
      space: { id: folder.space_id, name: space?.name ?? "", access: true },
      task_count: String(lists.reduce((n, l) => n + this.#taskCount(l.id), 0)),
      archived: folder.archived,
      statuses: [],
      lists: lists.map((l) => ({
        id: l.id,
        name: l.name,
        orderindex: l.orderindex,
        status: null,
        priority: null,
        assignee: null,
        task_count: this.#taskCount(l.id),
        due_date: null,
        start_date: null,
        space: { id: l.space_id, name: space?.name ?? "", access: true },
        archived: l.archived,
        override_statuses: l.override_statuses,
        statuses: l.statuses.map((s) => this.#statusJson(s)),
        permission_level: "create",
      })),
      permission_level: "create",
    };
  }

  taskJson(task: Task, opts: { markdown?: boolean } = {}): Record<string, unknown> {
    const list = this.getList(task.list_id);
    const folder = this.folders.get(list.folder_id);
    const status = list.statuses.find((s) => s.status === task.status) ?? (list.statuses[0] as StatusDef);
    const creator = this.users.get(task.creator);
    const userRef = (id: number): Record<string, unknown> => {
      const u = this.users.get(id);
      return u ? this.#memberRef(u) : { id };
    };
    const parentTask = task.parent ? this.tasks.get(task.parent) : undefined;
    let top: Task | undefined = parentTask;
    while (top?.parent) top = this.tasks.get(top.parent);
    const out: Record<string, unknown> = {
      id: task.id,
      custom_id: null,
      custom_item_id: 0,
      name: task.name,
      text_content: task.description,
      description: task.description,
      status: { id: status.id, status: status.status, color: status.color, orderindex: status.orderindex, type: status.type },
      orderindex: `${task.orderindex}.00000000000000000000000000000000`,
      date_created: String(task.date_created),
      date_updated: String(task.date_updated),
      date_closed: task.date_closed === null ? null : String(task.date_closed),
      date_done: task.date_done === null ? null : String(task.date_done),
      archived: task.archived,
      creator: creator ? { id: creator.id, username: creator.username, color: creator.color, email: creator.email, profilePicture: creator.profilePicture } : { id: task.creator },
      assignees: task.assignees.map(userRef),
      group_assignees: [],
      watchers: task.watchers.map(userRef),
      checklists: [],
      tags: task.tags.map((name) => ({ name, tag_fg: "#800000", tag_bg: "#2ecd6f", creator: task.creator })),
      parent: task.parent,
      top_level_parent: top ? top.id : null,
      priority:
        task.priority === null
          ? null
          : { id: String(task.priority), priority: PRIORITIES[task.priority]?.priority ?? String(task.priority), color: PRIORITIES[task.priority]?.color ?? "#d8d8d8", orderindex: String(task.priority) },
      due_date: task.due_date === null ? null : String(task.due_date),
      start_date: task.start_date === null ? null : String(task.start_date),
      points: task.points,
      time_estimate: task.time_estimate,
      time_spent: 0,
      custom_fields: this.fieldsForList(list.id).map((f) => fieldJson(f, { stored: task.values.get(f.id), withValue: true })),
      dependencies: [],
      linked_tasks: [],
      locations: [],
      team_id: this.team.id,
      url: `https://app.clickup.com/t/${task.id}`,
      sharing: { public: false, public_share_expires_on: null, public_fields: [], token: null, seo_optimized: false },
      permission_level: "create",
      list: { id: list.id, name: list.name, access: true },
      project: { id: folder?.id ?? list.folder_id, name: folder?.name ?? "hidden", hidden: folder?.hidden ?? true, access: true },
      folder: { id: folder?.id ?? list.folder_id, name: folder?.name ?? "hidden", hidden: folder?.hidden ?? true, access: true },
      space: { id: list.space_id },
    };
    if (opts.markdown) out.markdown_description = task.markdown;
    return out;
  }

  commentJson(c: Comment): Record<string, unknown> {
    const user = this.users.get(c.user);
    const ref = (u: User | undefined): Record<string, unknown> | null => (u ? this.#memberRef(u) : null);
    return {
      id: c.id,
      comment: [{ text: c.text }],
      comment_text: c.text,
      user: ref(user),
      resolved: c.resolved,
      assignee: c.assignee === null ? null : ref(this.users.get(c.assignee)),
      assigned_by: c.assignee === null ? null : ref(user),
      reactions: [],
      date: String(c.date),
      reply_count: "0",
    };
  }
}
