import { z } from "zod";
import { normalizePhone } from "../lib/phone.ts";
import { personForQuery } from "../lib/staff-text.ts";
import { type AgentContext, isMissing } from "./agent-context.ts";
import type { StaffMember } from "./a2-data-extractor.ts";
import { recordGuard, repairGuards } from "./output-guards.ts";

export interface PhoneOutput {
  phone: string | null;
  phone_type: "direct" | "course" | null;
  phone_source: "website" | "hunter" | "research" | "course_website" | null;
}

const Research = z.object({
  phone: z.string().nullable().describe("The person's direct work phone number, if published"),
});

/**
 * A5: a direct number from the course's pages or Hunter; else the course's main number (no call
 * needed); a research call only when neither exists.
 */
export async function findPhone(
  ctx: AgentContext,
  input: { course_name: string; person: StaffMember; hunterPhone: string | null; coursePhone: string | null; key: string },
): Promise<PhoneOutput> {
  const direct = normalizePhone(input.person.page_phone);
  if (direct) return { phone: direct, phone_type: "direct", phone_source: "website" };
  const fromHunter = normalizePhone(input.hunterPhone);
  if (fromHunter) return { phone: fromHunter, phone_type: "direct", phone_source: "hunter" };
  const course = normalizePhone(input.coursePhone);
  if (course) return { phone: course, phone_type: "course", phone_source: "course_website" };

  const perplexity = ctx.providers.perplexity;
  // The query names the person only as src/lib/staff-text.ts allows (Perplexity's calls carry web_search).
  const asked = personForQuery(input.person.name, input.person.title);
  if (!perplexity || !asked) return { phone: null, phone_type: null, phone_source: null };
  const research = await ctx.call({ step: `A5.research:${input.key}`, agent: "A5", provider: "perplexity", contact: input.person.name }, () =>
    perplexity.research({
      schemaName: "ContactPhone",
      instructions: "You find published phone numbers of golf course staff. Use null when none is published.",
      query: `Direct phone number of ${asked.name}, ${asked.title} at ${input.course_name}.`,
      schema: Research,
    }),
  );
  if (!isMissing(research)) for (const guard of repairGuards("A5", research.repairs, input.person.name)) recordGuard(ctx, guard);
  const phone = isMissing(research) ? null : normalizePhone(research.answer.phone);
  return phone ? { phone, phone_type: "direct", phone_source: "research" } : { phone: null, phone_type: null, phone_source: null };
}
