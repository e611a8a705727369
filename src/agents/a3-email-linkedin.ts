import { z } from "zod";
import { personKey } from "../lib/person-key.ts";
import { personForQuery } from "../lib/staff-text.ts";
import type { DomainEmail } from "../providers/hunter.ts";
import { type AgentContext, emailDomain, isMissing, sameSite } from "./agent-context.ts";
import type { StaffMember } from "./a2-data-extractor.ts";
import { recordGuard, repairGuards } from "./output-guards.ts";

export interface EmailLinkedInOutput {
  email: string | null;
  email_score: number | null;
  /** Hunter's verification status (valid, accept_all, invalid, unknown, webmail, disposable, pending). */
  email_status: string | null;
  email_source: "hunter_finder" | "hunter_domain_search" | "website" | "research" | null;
  linkedin_url: string | null;
}

const Research = z.object({
  email: z.string().nullable().describe("The person's work email address, if published"),
  linkedin_url: z.string().nullable().describe("The person's LinkedIn profile URL, if found"),
});

export function linkedinProfile(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value.startsWith("http") ? value : `https://${value}`);
    const host = url.hostname.toLowerCase();
    if (!(host === "linkedin.com" || host.endsWith(".linkedin.com")) || !url.pathname.startsWith("/in/")) return null;
    return `https://www.linkedin.com${url.pathname.replace(/\/$/, "")}`;
  } catch {
    return null;
  }
}

/**
 * A3: email and LinkedIn. Hunter first (what its domain search already knows, then email-finder,
 * then the verifier); the page's own address next; a research call only when Hunter has nothing.
 * An address is kept only when it is at the course's domain or Hunter verifies it.
 */
export async function findEmailAndLinkedIn(
  ctx: AgentContext,
  input: { course_name: string; domain: string; person: StaffMember; known: DomainEmail[]; key: string },
): Promise<EmailLinkedInOutput> {
  const { hunter, perplexity } = ctx.providers;
  const { person, domain } = input;
  const label = (step: string, provider: "hunter" | "perplexity") => ({ step: `A3.${step}:${input.key}`, agent: "A3" as const, provider, contact: person.name });
  let out: EmailLinkedInOutput = { email: null, email_score: null, email_status: null, email_source: null, linkedin_url: null };

  const listed = input.known.find((e) => e.first_name && e.last_name && personKey(`${e.first_name} ${e.last_name}`) === personKey(person.name));
  if (listed?.email) {
    out = { email: listed.email, email_score: listed.score, email_status: listed.verification_status, email_source: "hunter_domain_search", linkedin_url: linkedinProfile(listed.linkedin_url) };
  } else if (hunter && person.last_name) {
    const found = await ctx.call(label("hunter.find", "hunter"), () => hunter.emailFinder(domain, person.first_name, person.last_name));
    if (!isMissing(found) && found.email) {
      out = { email: found.email, email_score: found.score, email_status: found.verification_status, email_source: "hunter_finder", linkedin_url: linkedinProfile(found.linkedin_url) };
    } else if (!isMissing(found)) out.linkedin_url = linkedinProfile(found.linkedin_url);
  }
  if (!out.email && person.page_email) out = { ...out, email: person.page_email, email_source: "website" };

  // The query names the person only as src/lib/staff-text.ts allows (Perplexity's calls carry web_search).
  const asked = personForQuery(person.name, person.title);
  if (!out.email && !out.linkedin_url && perplexity && asked) {
    const research = await ctx.call(label("research", "perplexity"), () =>
      perplexity.research({
        schemaName: "ContactEmail",
        instructions: "You find published work contact details of golf course staff. Use null when not found; never guess an address.",
        query: `Work email address and LinkedIn profile of ${asked.name}, ${asked.title} at ${input.course_name} (${domain}).`,
        schema: Research,
      }),
    );
    if (!isMissing(research)) {
      for (const guard of repairGuards("A3", research.repairs, person.name)) recordGuard(ctx, guard);
      out.linkedin_url = linkedinProfile(research.answer.linkedin_url);
      const email = research.answer.email?.toLowerCase().trim() ?? null;
      if (email && z.email().safeParse(email).success) out = { ...out, email, email_source: "research" };
    }
  }

  // Every address is verified before it is kept (a listing can be stale: people leave); an address
  // off the course's domain must verify to be kept at all.
  if (out.email && hunter) {
    const email = out.email;
    const verified = await ctx.call(label("hunter.verify", "hunter"), () => hunter.verify(email));
    if (!isMissing(verified) && verified.status !== "pending") out = { ...out, email_status: verified.status, email_score: out.email_score ?? verified.score };
    else if (!isMissing(verified)) out = { ...out, email_status: out.email_status ?? "pending" };
  }
  const onDomain = out.email ? sameSite(emailDomain(out.email) ?? "", domain) : false;
  if (out.email && !onDomain && out.email_status !== "valid") {
    ctx.log.warn("email_dropped", { agent: "A3", contact_name: person.name, reason: "not at the course's domain and not verified" });
    out = { ...out, email: null, email_score: null, email_status: null, email_source: null };
  }
  if (out.email && out.email_status === "invalid") out = { ...out, email: null, email_score: null, email_source: null };
  return out;
}
