import { z } from "zod";
import { providerFetch } from "./http.ts";
import { type Called, flatRate } from "./usage.ts";

const Verification = z.looseObject({ status: z.string().nullable().optional() }).nullable().optional();

const EmailFinder = z.object({
  data: z.looseObject({
    email: z.string().nullable(),
    score: z.number().nullable().optional(),
    linkedin_url: z.string().nullable().optional(),
    phone_number: z.string().nullable().optional(),
    verification: Verification,
  }),
});

const DomainSearch = z.object({
  data: z.looseObject({
    domain: z.string().nullable().optional(),
    pattern: z.string().nullable().optional(),
    emails: z.array(
      z.looseObject({
        value: z.string(),
        confidence: z.number().nullable().optional(),
        first_name: z.string().nullable().optional(),
        last_name: z.string().nullable().optional(),
        position: z.string().nullable().optional(),
        linkedin: z.string().nullable().optional(),
        phone_number: z.string().nullable().optional(),
        verification: Verification,
      }),
    ),
  }),
});

const EmailVerifier = z.object({
  data: z.looseObject({ status: z.string().nullable().optional(), score: z.number().nullable().optional() }),
});

export interface HunterPerson {
  email: string | null;
  score: number | null;
  linkedin_url: string | null;
  phone: string | null;
  verification_status: string | null;
}

export interface DomainEmail extends HunterPerson {
  first_name: string | null;
  last_name: string | null;
  position: string | null;
}

export interface HunterClient {
  emailFinder(domain: string, firstName: string, lastName: string): Promise<Called<HunterPerson>>;
  domainSearch(domain: string): Promise<Called<DomainEmail[]>>;
  /** `pending`: Hunter was still verifying after a few polls (its 202 answer). */
  verify(email: string): Promise<Called<{ status: string | "pending"; score: number | null }>>;
}

/** Hunter v2: email-finder, domain-search and email-verifier. Flat-rate: requests are counted, not priced. */
export function createHunterClient(opts: { apiKey: string; baseUrl: string; timeoutMs?: number; verifyPolls?: number; pollDelayMs?: number }): HunterClient {
  const get = <S extends z.ZodType>(path: string, params: Record<string, string>, schema: S, acceptStatuses?: number[]) => {
    // The key goes in the X-API-KEY header, one of the three ways Hunter documents
    // (https://hunter.io/api-documentation/v2#authentication), never the `api_key` query: a URL lands
    // in traces and proxy logs.
    const query = new URLSearchParams(params);
    return providerFetch(
      { provider: "hunter", url: `${opts.baseUrl}${path}?${query}`, headers: { "x-api-key": opts.apiKey }, timeoutMs: opts.timeoutMs ?? 20_000, ...(acceptStatuses ? { acceptStatuses } : {}) },
      schema,
    );
  };
  return {
    async emailFinder(domain, firstName, lastName) {
      const { data } = await get("/v2/email-finder", { domain, first_name: firstName, last_name: lastName }, EmailFinder);
      const d = data.data;
      return {
        value: { email: d.email?.toLowerCase() ?? null, score: d.score ?? null, linkedin_url: d.linkedin_url ?? null, phone: d.phone_number ?? null, verification_status: d.verification?.status ?? null },
        usage: flatRate("hunter"),
      };
    },
    async domainSearch(domain) {
      const { data } = await get("/v2/domain-search", { domain, limit: "50" }, DomainSearch);
      return {
        value: data.data.emails.map((e) => ({
          email: e.value.toLowerCase(),
          score: e.confidence ?? null,
          linkedin_url: e.linkedin ?? null,
          phone: e.phone_number ?? null,
          verification_status: e.verification?.status ?? null,
          first_name: e.first_name ?? null,
          last_name: e.last_name ?? null,
          position: e.position ?? null,
        })),
        usage: flatRate("hunter"),
      };
    },
    async verify(email) {
      const polls = opts.verifyPolls ?? 3;
      for (let attempt = 1; ; attempt++) {
        const { status, data } = await get("/v2/email-verifier", { email }, EmailVerifier, [202]);
        // 202: Hunter is still verifying; ask again shortly, a few times, then report it as pending.
        if (status !== 202) return { value: { status: data.data.status ?? "unknown", score: data.data.score ?? null }, usage: flatRate("hunter") };
        if (attempt >= polls) return { value: { status: "pending", score: null }, usage: flatRate("hunter") };
        await new Promise((resolve) => setTimeout(resolve, opts.pollDelayMs ?? 1_500));
      }
    },
  };
}
