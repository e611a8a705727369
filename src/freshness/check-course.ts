// Agent 8 for one course: the staff page read once (the same extraction as A2), then every contact
// due a check: the email re-verified, the page's verdict, one research call only when the page does
// not settle it, and the outcome recorded in one database call (which decides what changes).
import { extractCourseData, type ExtractorOutput } from "../agents/a2-data-extractor.ts";
import { type AgentContext, domainOf, isMissing } from "../agents/agent-context.ts";
import type { Logger } from "../lib/log.ts";
import { personStepKey } from "../lib/person-key.ts";
import { personForQuery } from "../lib/staff-text.ts";
import { normalizePhone } from "../lib/phone.ts";
import type { Store } from "../store/index.ts";
import { FreshnessResearch, type FreshnessVerdict, listedOnPage, type PageReading, pageVerdict, researchVerdict, successorOf, unknown } from "./decide.ts";
import { RecordedCheck, type SweepContact, type SweepCourse } from "./freshness.types.ts";

const STAFF_PAGE = /(staff|team|about|leadership|management|directory|people|professionals|administration)/i;

export interface CourseCheckDeps {
  sweepId: string;
  /** Calls scoped to this course (their durable step names carry the course id). */
  agents: AgentContext;
  store(): Store;
  /** A durable, retried database step; `name` is unique in the sweep's instance. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** What this contact's calls (those whose step names carry `key`) cost, and what the sweep has spent in all. */
  costOf(key: string): number;
  sweepCost(): number;
  /** True once the sweep's spend cap stops paid calls. */
  capReached(): boolean;
  /** Tells a stopped sequence's workflow (the database already refuses its next email). */
  stopSequence(workflowInstanceId: string): Promise<void>;
  log: Logger;
}

/** What the follow-up of one course needs from its page read (Hunter's list, the page's numbers, the successors as listed). */
export interface CoursePageContext {
  domain: string | null;
  extracted: ExtractorOutput | null;
}

export interface CourseCheckResult {
  course_id: string;
  checked: number;
  /** Contacts not checked because the spend cap was reached (the next sweep checks them). */
  skipped: number;
  page: CoursePageContext;
}

/** Reads the course's pages once; `readable` only when the course's own site answered with staff on it. */
export async function readStaffPage(agents: AgentContext, course: SweepCourse): Promise<{ reading: PageReading; context: CoursePageContext }> {
  const domain = course.website ? domainOf(course.website) : null;
  if (!course.website || !domain) return { reading: { readable: false, reason: "the course has no website on file" }, context: { domain, extracted: null } };
  const extracted = await extractCourseData(agents, { course_name: course.course_name, website: course.website, domain });
  // Hunter's list stands in for staff when the site is down (A2's fallback): that is no evidence of who is there now.
  const fromSite = extracted.staff.filter((s) => s.source === "website");
  if (extracted.site_error || extracted.pages_read.length === 0) {
    return { reading: { readable: false, reason: extracted.site_error ?? "no page could be read" }, context: { domain, extracted } };
  }
  if (fromSite.length === 0) return { reading: { readable: false, reason: "the pages read list no staff" }, context: { domain, extracted } };
  const url = extracted.pages_read.find((u) => STAFF_PAGE.test(new URL(u).pathname)) ?? extracted.pages_read[0] ?? course.website;
  return { reading: { readable: true, staff: fromSite, url }, context: { domain, extracted } };
}

export async function checkCourse(deps: CourseCheckDeps, course: SweepCourse): Promise<CourseCheckResult> {
  const { reading, context } = await readStaffPage(deps.agents, course);
  // A page not read because the cap stopped the extraction is no verdict: its contacts wait for the next sweep.
  if (!reading.readable && deps.capReached()) return { course_id: course.id, checked: 0, skipped: course.contacts.length, page: context };
  const results = await Promise.all(course.contacts.map((contact) => checkContact(deps, course, reading, contact)));
  const checked = results.filter((r) => r === "recorded").length;
  return { course_id: course.id, checked, skipped: results.length - checked, page: context };
}

async function checkContact(deps: CourseCheckDeps, course: SweepCourse, page: PageReading, contact: SweepContact): Promise<"recorded" | "skipped"> {
  const { hunter, perplexity } = deps.agents.providers;
  const key = `A8:${personStepKey(contact.full_name)}`;
  let emailStatus: string | null = null;
  const email = contact.email;
  if (email && hunter) {
    const verified = await deps.agents.call({ step: `A8.verify:${key}`, agent: "A8", provider: "hunter", contact: contact.full_name }, () => hunter.verify(email));
    if (!isMissing(verified)) emailStatus = verified.status;
  }

  let verdict: FreshnessVerdict | "ask" = pageVerdict(page, contact, emailStatus);
  const asked = personForQuery(contact.full_name, contact.title);
  if (verdict === "ask") {
    if (!asked) verdict = unknown("the name on file is not one research may be asked about (it carries a link, markup or an instruction)");
    else if (!perplexity) verdict = unknown("the staff page does not settle it and research (Perplexity) is not configured");
    else if (deps.capReached()) return "skipped";
    else {
      const research = await deps.agents.call({ step: `A8.research:${key}`, agent: "A8", provider: "perplexity", contact: contact.full_name }, () =>
        perplexity.research({
          schemaName: "freshnesscheck",
          instructions:
            "You check whether golf course staff still hold their role. Answer from published sources only (club pages, news, association listings); " +
            "use null when the sources do not say. Never guess: a person is only 'left' when a source says so, and evidence_url is that source.",
          query: researchQuery(course, contact, asked),
          schema: FreshnessResearch,
        }),
      );
      if (isMissing(research)) {
        if (research.missing === "spend_cap") return "skipped";
        verdict = unknown("the research call failed; the next sweep tries again");
      } else verdict = researchVerdict(research.answer, research.sources);
    }
  }

  const listed = listedOnPage(page, contact.full_name);
  const successor = verdict.outcome === "left" ? successorOf(contact, verdict, page, course.contacts) : null;
  const found = verdict.outcome === "still_there" && listed ? { email: listed.page_email, phone: normalizePhone(listed.page_phone) } : { email: null, phone: null };
  const decided = verdict;
  const recorded = await deps.step(`record:${contact.id}`, () =>
    deps.store().call(
      "record_freshness_check",
      {
        sweep_id: deps.sweepId,
        contact_id: contact.id,
        outcome: decided.outcome,
        decided_by: decided.decided_by,
        email_status: emailStatus,
        email_invalid: emailStatus === "invalid",
        found_email: found.email,
        found_phone: found.phone,
        evidence_url: decided.evidence_url,
        evidence: decided.evidence,
        now_at: decided.now_at,
        now_title: decided.now_title,
        replacement_name: successor?.name ?? null,
        replacement_title: successor?.title ?? null,
        cost_usd: deps.costOf(key),
        sweep_cost_usd: deps.sweepCost(),
      },
      RecordedCheck,
    ),
  );
  deps.log.info("freshness_checked", {
    course_id: course.id, contact_id: contact.id, contact_name: contact.full_name, outcome: decided.outcome, decided_by: decided.decided_by,
    email_status: emailStatus, duplicate: recorded.duplicate, cost: deps.costOf(key),
  });
  if (!recorded.duplicate) {
    for (const stopped of recorded.stopped) if (stopped.workflow_instance_id) await deps.stopSequence(stopped.workflow_instance_id);
  }
  return "recorded";
}

/** Names and titles come from page text: checked (`personForQuery`), and the LinkedIn URL is a hint for the search, never scraped. */
function researchQuery(course: SweepCourse, contact: SweepContact, { name, title }: { name: string; title: string }): string {
  const site = course.website ? domainOf(course.website) : null;
  const hint = contact.linkedin_url ? ` Their LinkedIn profile, as a hint only: ${contact.linkedin_url}.` : "";
  return `Is ${name} still ${title} at ${course.course_name} (${site ? `${site}, ` : ""}${course.state})? If not, where do they work now, and who replaced them?${hint}`;
}
