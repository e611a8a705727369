/** clickup:setup's shared shapes: the report, what each resource module provisions, and the context they share. */
import type { ClickUpField, ClickUpList } from "../../src/clickup/client.ts";
import { type ClickUpSettings, type LeadFieldKey, normalizeName } from "../../src/clickup/config.ts";
import type { Segment } from "../../src/lib/segment.ts";

export interface ManualStep {
  kind: "custom_field" | "dropdown_options" | "status" | "app_url" | "webhook";
  /** Where to do it (the list, or the space). */
  where: string;
  instruction: string;
}

export interface SetupReport {
  status: "complete" | "incomplete" | "error";
  exit_code: 0 | 1 | 2;
  team_id: string | null;
  space_id: string | null;
  app_user_id: number | null;
  plan: string | null;
  created: string[];
  updated: string[];
  manual_steps: ManualStep[];
  warnings: string[];
  /** written: stored or changed; unchanged: already as found; not_written: manual steps remain. */
  settings: "written" | "unchanged" | "not_written";
  entities_changed: number;
  requests: { get: number; post: number; put: number };
  error?: string;
}

/** A refusal setup explains in words (the workspace, space or list it cannot use). */
export class SetupError extends Error {}

/** What every resource module is handed: the environment, the report, retried reads and writes, and where manual steps go. */
export interface SetupContext {
  env: Record<string, string | undefined>;
  spaceName: string | undefined;
  report: SetupReport;
  read: <T>(fn: () => Promise<T>) => Promise<T>;
  write: <T>(fn: () => Promise<T>) => Promise<T>;
  secrets: string[];
  step(s: ManualStep): void;
}

export function named<T extends { name: string; archived?: boolean | undefined }>(items: T[], name: string): T | undefined {
  const wanted = normalizeName(name);
  return items.find((i) => !i.archived && normalizeName(i.name) === wanted);
}

export interface ListInfo {
  id: string;
  /** "High-End / New Leads" */
  label: string;
  list: ClickUpList;
  fields: ClickUpField[];
}

export interface Provisioned {
  teamName: string;
  spaceName: string;
  appUser: { id: number; username: string | undefined };
  plan: { id: number | null; name: string | null };
  intake: ListInfo;
  alerts: { id: string; name: string; admin_user_id: number | null; statuses: { open: string; closed: string } };
  folders: Record<Segment, { id: string; name: string }>;
  leadLists: Record<Segment, ListInfo>;
  fields: Partial<Record<LeadFieldKey, { id: string; name: string; type: string }>>;
  segmentOptions: Partial<Record<Segment, { id: string; label: string }>>;
  stateField: { id: string; name: string; type: string } | null;
  statusNames: { intake: Partial<Record<string, string>>; leads: Partial<Record<string, string>> };
  statusIds: Array<{ key: string; id: string; name: string; list_id: string }>;
  webhook: { id: string; endpoint: string; events: string[]; secret: string | null } | null;
  settings: ClickUpSettings | null;
}
