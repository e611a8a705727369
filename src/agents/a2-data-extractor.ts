import { z } from "zod";
import { personKey } from "../lib/person-key.ts";
import { jobTitle, personName } from "../lib/staff-text.ts";
import { publicHttpUrl } from "../lib/public-url.ts";
import type { DomainEmail } from "../providers/hunter.ts";
import type { Page } from "../providers/jina.ts";
import { type AgentContext, UNTRUSTED_RULES, domainOf, emailDomain, isMissing, sameSite, untrusted } from "./agent-context.ts";
import { recordGuard, repairGuards } from "./output-guards.ts";

const STAFF_LINK = /(staff|team|about|contact|leadership|management|directory|pro-?shop|golf-?shop|people|professionals|administration)/i;
const TARGET_ROLE = /(general manager|\bgm\b|golf pro|professional|director of golf|superintendent|owner|operations|manager|director)/i;
const MAX_EXTRA_PAGES = 3;

const Extraction = z.object({
  course: z.object({
    phone: z.string().nullable(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    holes: z.number().int().nullable(),
    course_type: z.enum(["private", "public", "semi-private", "resort", "municipal"]).nullable(),
    founded: z.number().int().nullable(),
  }),
  staff: z
    .array(
      z.object({
        name: z.string(),
        title: z.string(),
        email: z.string().nullable(),
        phone: z.string().nullable(),
      }),
    )
    .max(25),
});

export interface StaffMember {
  name: string;
  first_name: string;
  last_name: string;
  title: string;
  /** Printed on the course's own pages (kept only when on the course's domain). */
  page_email: string | null;
  page_phone: string | null;
  source: "website" | "hunter";
}

export interface CourseDetails {
  phone: string | null;
  address: string | null;
  city: string | null;
  holes: number | null;
  course_type: string | null;
  founded: number | null;
}

export interface ExtractorOutput {
  course: CourseDetails;
  staff: StaffMember[];
  /** Hunter's domain search, reused by A3 so each person costs no extra lookup when Hunter already knows them. */
  domain_emails: DomainEmail[];
  pages_read: string[];
  /** Why the site could not be read, when it could not. */
  site_error: string | null;
}

export function splitName(full: string): { first_name: string; last_name: string } {
  const parts = full
    .replace(/,?\s+(jr\.?|sr\.?|ii|iii|iv|pga|cgcs|cgm|ccm)$/gi, "")
    .trim()
    .split(/\s+/);
  return { first_name: parts[0] ?? full, last_name: parts.length > 1 ? parts[parts.length - 1]! : "" };
}

/** A staff entry's name and title as checked (null: not a person, dropped); each refusal is a guard on the run. */
function checkedStaff(ctx: AgentContext, rawName: string, rawTitle: string | null | undefined): { name: string; title: string } | null {
  const name = personName(rawName);
  if (!("name" in name)) {
    recordGuard(ctx, { agent: "A2", guard: "not_a_person", field: "staff.name", raw: rawName, value: null });
    ctx.log.warn("staff_entry_dropped", { agent: "A2", reason: name.rejected });
    return null;
  }
  const title = jobTitle(rawTitle);
  if (title.dropped) recordGuard(ctx, { agent: "A2", guard: "title_dropped", field: "staff.title", raw: rawTitle ?? null, value: null, contact: name.name });
  return { name: name.name, title: title.title };
}

/** Links on the course's own site that likely list staff; nothing off-site is ever followed. */
export function staffPageLinks(page: Page, siteDomain: string): string[] {
  const found = new Set<string>();
  for (const match of page.markdown.matchAll(/\[([^\]]{0,80})\]\(([^)\s]+)\)/g)) {
    const [, text = "", href = ""] = match;
    let url: URL | null;
    try {
      url = publicHttpUrl(new URL(href, page.url).toString());
    } catch {
      url = null;
    }
    const domain = url ? domainOf(url.toString()) : null;
    if (!url || !domain || !sameSite(domain, siteDomain)) continue;
    if (!STAFF_LINK.test(`${text} ${url.pathname}`)) continue;
    url.search = "";
    if (url.toString().replace(/\/$/, "") === page.url.replace(/\/$/, "")) continue;
    found.add(url.toString());
  }
  return [...found].slice(0, MAX_EXTRA_PAGES);
}

/**
 * A2: course details and staff (name, title) from the course's own pages (Jina Reader), read by a
 * model call that has no tools, with Hunter's domain search beside it. When the site cannot be read,
 * Hunter's list of people at the domain is the staff list.
 */
export async function extractCourseData(ctx: AgentContext, input: { course_name: string; website: string; domain: string }): Promise<ExtractorOutput> {
  const { jina, hunter, anthropic } = ctx.providers;
  const domainSearch = hunter
    ? ctx.call({ step: "A2.hunter.domain_search", agent: "A2", provider: "hunter" }, () => hunter.domainSearch(input.domain))
    : Promise.resolve([] as DomainEmail[]);

  const pages: Page[] = [];
  let siteError: string | null = null;
  if (jina) {
    const home = await ctx.call({ step: "A2.jina.home", agent: "A2", provider: "jina" }, () => jina.read(input.website));
    if (isMissing(home)) siteError = home.error ?? "the website could not be read";
    else {
      pages.push(home);
      const extra = await Promise.all(
        staffPageLinks(home, input.domain).map((url, i) => ctx.call({ step: `A2.jina.page${i + 1}`, agent: "A2", provider: "jina" }, () => jina.read(url))),
      );
      for (const page of extra) if (!isMissing(page) && !page.warning) pages.push(page);
    }
  } else siteError = "JINA_BASE_URL is unreachable or Jina is disabled";

  let extraction: z.infer<typeof Extraction> | null = null;
  if (pages.length && anthropic) {
    const content = [
      `Course: ${input.course_name} (${input.website})`,
      "Extract the course's details and every staff member listed (name and job title; email and phone only if printed next to them).",
      ...pages.map((p) => untrusted(p.url, p.markdown)),
    ].join("\n\n");
    const result = await ctx.call({ step: "A2.extract", agent: "A2", provider: "anthropic" }, () =>
      anthropic.structuredWithRepairs({
        model: ctx.models.cheap,
        system: `You extract facts about a golf course from its website. ${UNTRUSTED_RULES}`,
        content,
        schema: Extraction,
        maxTokens: 2_000,
      }),
    );
    if (!isMissing(result)) {
      extraction = result.output;
      for (const guard of repairGuards("A2", result.repairs)) recordGuard(ctx, guard);
    }
  }

  const domainEmails = await domainSearch;
  const known = isMissing(domainEmails) ? [] : domainEmails;
  const staff = new Map<string, StaffMember>();
  for (const person of extraction?.staff ?? []) {
    // Page text: what is not a person's name never reaches a query (see src/lib/staff-text.ts).
    const checked = checkedStaff(ctx, person.name, person.title);
    if (!checked) continue;
    const key = personKey(checked.name);
    if (!key || staff.has(key)) continue;
    const email = person.email?.toLowerCase().trim() ?? null;
    staff.set(key, {
      name: checked.name,
      ...splitName(checked.name),
      title: checked.title,
      // An address printed on the page counts only when it is at the course's own domain.
      page_email: email && emailDomain(email) && sameSite(emailDomain(email)!, input.domain) ? email : null,
      page_phone: person.phone,
      source: "website",
    });
  }
  if (staff.size === 0) {
    for (const person of known) {
      if (!person.first_name || !person.last_name || !TARGET_ROLE.test(person.position ?? "")) continue;
      // Hunter's names and positions are scraped from the web too: the same check.
      const checked = checkedStaff(ctx, `${person.first_name} ${person.last_name}`, person.position);
      if (!checked) continue;
      const key = personKey(checked.name);
      if (staff.has(key)) continue;
      staff.set(key, { name: checked.name, ...splitName(checked.name), title: checked.title, page_email: null, page_phone: null, source: "hunter" });
    }
  }
  return {
    course: extraction?.course ?? { phone: null, address: null, city: null, holes: null, course_type: null, founded: null },
    staff: [...staff.values()],
    domain_emails: known,
    pages_read: pages.map((p) => p.url),
    site_error: siteError,
  };
}
