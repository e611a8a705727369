// Seeded ClickUp workspaces with fixed ids, so tests, the sandbox and `.dev.vars` can name them.
//
// "empty":  the team, the app's user (owner of the API token) and a rep, one space "Team Space".
// "intake": the Golf Outreach layout, complete as `npm run clickup:setup` expects it (one space):
//   Space "Sales"
//     folderless list "Intake" (a rep creates one task per course here)
//       statuses: new (open) · enriching · enriched · needs attention · complete (closed)
//       list fields: State (short_text), Course Website (url), Enrichment Job ID (short_text),
//                    Contacts Found (number), Course Segment (drop_down High-End/Budget/Both)
//     folders "High-End", "Budget", "Both", each with list "New Leads"
//       statuses: new lead (open) · contacted · replied · not interested · unsubscribed · won (done) · closed (closed)
//     space fields (one id for all lists of the space): Segment (drop_down High-End/Budget/Both),
//       Confidence (number), Email (email), Phone (phone), LinkedIn URL (url), Top Opp 1 (short_text),
//       Top Opp 1 Score (number), Top Opp 2 (short_text), Top Opp 2 Score (number), Course (short_text),
//       Website (url), and extras the app does not need: Contact Title, Background, Contact ID

import type { FieldSpec } from "./fields.ts";
import { makeUser, type Plan, PLANS, type StatusSpec, type User, Workspace } from "./workspace.ts";

export type SeedName = "empty" | "intake";

const SEGMENT_OPTIONS = [
  { id: "6f1d0a52-3c1e-4b8a-9f00-5e6d7c8b9a01", name: "High-End", color: "#7b68ee" },
  { id: "6f1d0a52-3c1e-4b8a-9f00-5e6d7c8b9a02", name: "Budget", color: "#2ecd6f" },
  { id: "6f1d0a52-3c1e-4b8a-9f00-5e6d7c8b9a03", name: "Both", color: "#f9d900" },
];

const COURSE_SEGMENT_OPTIONS = [
  { id: "7a2e1b63-4d2f-4c9b-8e11-6f7e8d9cab01", name: "High-End", color: "#7b68ee" },
  { id: "7a2e1b63-4d2f-4c9b-8e11-6f7e8d9cab02", name: "Budget", color: "#2ecd6f" },
  { id: "7a2e1b63-4d2f-4c9b-8e11-6f7e8d9cab03", name: "Both", color: "#f9d900" },
];

export const CLICKUP_SEED = {
  teamId: "9011482291",
  teamName: "Golf Outreach",
  /** The user behind the accepted API tokens (the app's own writes carry this user). */
  apiUser: { id: 81942001, username: "Golf Outreach Bot", email: "bot@golf-outreach.test" },
  /** A sales rep; the `*AsUser` helpers act as this user by default. */
  repUser: { id: 81942002, username: "Riley Rep", email: "riley.rep@golf-outreach.test" },
  teamSpaceId: "901140000001",
  intake: {
    spaceId: "901140000010",
    spaceName: "Sales",
    listId: "901140000011",
    statuses: ["new", "enriching", "enriched", "needs attention", "complete"],
    fields: {
      state: { id: "3b9f2c10-8a4e-4f21-b7c3-1d2e3f4a5b01", name: "State", type: "short_text" },
      website: { id: "3b9f2c10-8a4e-4f21-b7c3-1d2e3f4a5b02", name: "Course Website", type: "url" },
      jobId: { id: "3b9f2c10-8a4e-4f21-b7c3-1d2e3f4a5b03", name: "Enrichment Job ID", type: "short_text" },
      contactsFound: { id: "3b9f2c10-8a4e-4f21-b7c3-1d2e3f4a5b04", name: "Contacts Found", type: "number" },
      segment: { id: "3b9f2c10-8a4e-4f21-b7c3-1d2e3f4a5b05", name: "Course Segment", type: "drop_down", options: COURSE_SEGMENT_OPTIONS },
    },
  },
  leads: {
    /** The lead folders live in the Intake list's space (one space, one webhook). */
    spaceId: "901140000010",
    folders: {
      highEnd: { id: "901140000021", name: "High-End", newLeadsListId: "901140000022" },
      budget: { id: "901140000023", name: "Budget", newLeadsListId: "901140000024" },
      both: { id: "901140000025", name: "Both", newLeadsListId: "901140000026" },
    },
    statuses: ["new lead", "contacted", "replied", "not interested", "unsubscribed", "won", "closed"],
    /** Space-level fields: the same id on every lead list. Keys as in src/clickup/config.ts LEAD_FIELDS (plus extras). */
    fields: {
      segment: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d01", name: "Segment", type: "drop_down", options: SEGMENT_OPTIONS },
      confidence: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d02", name: "Confidence", type: "number" },
      title: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d03", name: "Contact Title", type: "short_text" },
      course: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d04", name: "Course", type: "short_text" },
      email: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d05", name: "Email", type: "email" },
      phone: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d06", name: "Phone", type: "phone" },
      linkedin: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d07", name: "LinkedIn URL", type: "url" },
      top_opp_1: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d08", name: "Top Opp 1", type: "short_text" },
      top_opp_2: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d09", name: "Top Opp 2", type: "short_text" },
      background: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d0a", name: "Background", type: "text" },
      contactId: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d0b", name: "Contact ID", type: "short_text" },
      top_opp_1_score: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d0c", name: "Top Opp 1 Score", type: "number" },
      top_opp_2_score: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d0d", name: "Top Opp 2 Score", type: "number" },
      website: { id: "c4a1e7d2-5b3f-4e6a-9d8c-2b1a0f9e8d0e", name: "Website", type: "url" },
    },
  },
} as const;

const INTAKE_STATUSES: StatusSpec[] = [
  { status: "new", type: "open", color: "#d3d3d3" },
  { status: "enriching", type: "custom", color: "#4194f6" },
  { status: "enriched", type: "custom", color: "#2ecd6f" },
  { status: "needs attention", type: "custom", color: "#e50000" },
  { status: "complete", type: "closed", color: "#6bc950" },
];

const LEAD_STATUSES: StatusSpec[] = [
  { status: "new lead", type: "open", color: "#d3d3d3" },
  { status: "contacted", type: "custom", color: "#4194f6" },
  { status: "replied", type: "custom", color: "#a875ff" },
  { status: "not interested", type: "custom", color: "#ff7800" },
  { status: "unsubscribed", type: "custom", color: "#667684" },
  { status: "won", type: "done", color: "#2ecd6f" },
  { status: "closed", type: "closed", color: "#6bc950" },
];

function copySpec(spec: FieldSpec & { id: string }): FieldSpec {
  const out: FieldSpec = { id: spec.id, name: spec.name, type: spec.type };
  if (spec.options) out.options = spec.options.map((o) => (typeof o === "string" ? o : { ...o }));
  return out;
}

export interface SeededWorkspace {
  workspace: Workspace;
  apiUser: User;
  repUser: User;
}

export function seedWorkspace(seed: SeedName, opts: { plan?: Plan; customFieldUseLimit?: number; now?: () => number } = {}): SeededWorkspace {
  const s = CLICKUP_SEED;
  const wsOpts: ConstructorParameters<typeof Workspace>[0] = { teamId: s.teamId, teamName: s.teamName, plan: opts.plan ?? PLANS.business };
  if (opts.customFieldUseLimit !== undefined) wsOpts.customFieldUseLimit = opts.customFieldUseLimit;
  if (opts.now) wsOpts.now = opts.now;
  const ws = new Workspace(wsOpts);
  const apiUser = ws.addUser(makeUser(s.apiUser.id, s.apiUser.username, s.apiUser.email, "#7b68ee", 1));
  const repUser = ws.addUser(makeUser(s.repUser.id, s.repUser.username, s.repUser.email, "#2ecd6f", 3));
  ws.createSpace({ id: s.teamSpaceId, name: "Team Space" });
  if (seed === "intake") {
    ws.createSpace({ id: s.intake.spaceId, name: s.intake.spaceName, statuses: LEAD_STATUSES });
    ws.createList({ spaceId: s.intake.spaceId }, { id: s.intake.listId, name: "Intake", statuses: INTAKE_STATUSES });
    for (const f of Object.values(s.intake.fields)) ws.createField({ kind: "list", id: s.intake.listId }, copySpec(f));
    for (const folder of Object.values(s.leads.folders)) {
      ws.createFolder(s.leads.spaceId, { id: folder.id, name: folder.name });
      ws.createList({ folderId: folder.id }, { id: folder.newLeadsListId, name: "New Leads", statuses: LEAD_STATUSES });
    }
    for (const f of Object.values(s.leads.fields)) ws.createField({ kind: "space", id: s.leads.spaceId }, copySpec(f));
  }
  return { workspace: ws, apiUser, repUser };
}
