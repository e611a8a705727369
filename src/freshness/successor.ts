// The successor of a contact who left: enriched like any contact (A3 ∥ A5 ∥ A6.5, no new A6 call:
// the course's intel is reused for the lead task) and recorded once (record_freshness_replacement
// answers the same contact to a second call, from a resumed sweep or a later one).
import type { StaffMember } from "../agents/a2-data-extractor.ts";
import { splitName } from "../agents/a2-data-extractor.ts";
import { findEmailAndLinkedIn } from "../agents/a3-email-linkedin.ts";
import { findPhone } from "../agents/a5-phone.ts";
import { findContactBackground } from "../agents/a65-contact-background.ts";
import type { AgentContext } from "../agents/agent-context.ts";
import type { Logger } from "../lib/log.ts";
import { personKey } from "../lib/person-key.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { Store } from "../store/index.ts";
import { type ContactProfile, CourseWriteback } from "../store/records.ts";
import type { CoursePageContext } from "./check-course.ts";
import { RecordedReplacement, type SweepCheck } from "./freshness.types.ts";

/** What the successor was found with (their lead task is written from it): the contact profile and its ids. */
export interface SuccessorProfile extends ContactProfile {
  contact_id: string;
  clickup_task_id: string | null;
}

export interface SuccessorDeps {
  sweepId: string;
  agents: AgentContext;
  store(): Store;
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  log: Logger;
}

export async function createSuccessor(deps: SuccessorDeps, check: SweepCheck, page: CoursePageContext | null): Promise<SuccessorProfile> {
  const name = check.replacement_name;
  if (!name) throw new Error(`check of ${check.full_name} names no successor`);
  const course = await deps.step(`course:${check.contact_id}`, () => deps.store().call("get_course_writeback", { course_id: check.course_id }, CourseWriteback));
  // As the page lists them (its email and phone), else from the name alone (a resumed sweep has no page).
  const listed = page?.extracted?.staff.find((s) => personKey(s.name) === personKey(name));
  const person: StaffMember = listed ?? { name, ...splitName(name), title: check.replacement_title ?? "", page_email: null, page_phone: null, source: "website" };
  const key = `A8:successor:${check.contact_id}`;
  const website = course?.course.website ?? null;
  const domain = page?.domain ?? (website ? new URL(website).hostname.replace(/^www\./, "") : null);
  const known = page?.extracted?.domain_emails ?? [];
  const hunterListed = known.find((e) => personKey(`${e.first_name ?? ""} ${e.last_name ?? ""}`) === personKey(name));
  const courseName = course?.course.course_name ?? check.course_name;
  const [email, phone, background] = await Promise.all([
    domain
      ? findEmailAndLinkedIn(deps.agents, { course_name: courseName, domain, person, known, key })
      : Promise.resolve({ email: null, email_score: null, email_status: null, email_source: null, linkedin_url: null }),
    findPhone(deps.agents, { course_name: courseName, person, hunterPhone: hunterListed?.phone ?? null, coursePhone: page?.extracted?.course.phone ?? null, key }),
    findContactBackground(deps.agents, { course_name: courseName, state: course?.course.state ?? "", person, key }),
  ]);
  const linkedin = email.linkedin_url ?? background.linkedin_url;
  const phoneNumber = phone.phone ?? normalizePhone(person.page_phone);
  const recorded = await deps.step(`successor:${check.contact_id}`, () =>
    deps.store().call(
      "record_freshness_replacement",
      {
        sweep_id: deps.sweepId,
        left_contact_id: check.contact_id,
        contact: {
          name: person.name, title: person.title, email: email.email, email_score: email.email_score, email_status: email.email_status, email_source: email.email_source,
          linkedin_url: linkedin, phone: phoneNumber, phone_type: phone.phone_type, phone_source: phone.phone_source,
          tenure_years: background.tenure_years, previous_clubs: background.previous_clubs, background_summary: background.background_summary,
          sources: { staff: "freshness", background: background.sources },
        },
      },
      RecordedReplacement,
    ),
  );
  deps.log.info("freshness_successor", { left_contact_id: check.contact_id, contact_id: recorded.contact_id, created: recorded.created, duplicate: recorded.duplicate });
  return {
    contact_id: recorded.contact_id, clickup_task_id: recorded.clickup_task_id, name: person.name, title: person.title, email: email.email, email_status: email.email_status,
    phone: phoneNumber, phone_source: phone.phone_source, linkedin_url: linkedin, tenure_years: background.tenure_years, previous_clubs: background.previous_clubs, sources: background.sources,
  };
}
