// Hunter v2 emulator: domain-search, email-finder, email-verifier, with the documented envelope
// (`{data, meta}` on success, `{errors: [{id, code, details}]}` on failure) and data from the world.
//
// - Auth: `api_key` query parameter, `X-API-KEY` header or `Authorization: Bearer`, the three ways
//   Hunter documents (https://hunter.io/api-documentation/v2#authentication; its OpenAPI description
//   declares the same schemes: ApiKeyQuery `api_key`, ApiKeyHeader `X-API-KEY`, BearerAuth);
//   missing/unknown → 401.
// - Missing parameters → 400 `wrong_params`.
// - email-verifier answers 202 ("verification still in progress, ask again") `pending` times for an
//   address before 200; the world sets one (Maple Hills GM); `hunter.setPending(email, n)` adds more.
// - Rate limits through faults: Hunter documents 429 for exhausted quota and 403 for the
//   per-second/minute limit; `faults.add({route: "GET /v2/*", kind: "rate_limit"})` gives 429, add
//   `status: 403` for the other.
// - Email finder with no result: 200 with `email: null` and `score: null`.

import { createEmulatorServer, type EmulatorResponse, type EmulatorServer, json } from "../core/server.ts";
import type { FaultShaper } from "../core/faults.ts";
import { COURSES, type Course, courseByDomain, normalizeDomain, type StaffMember, staffByEmail } from "../world/index.ts";

export const hunterError = (status: number, id: string, details: string): EmulatorResponse => json(status, { errors: [{ id, code: status, details }] });

export const hunterFaultShaper: FaultShaper = (kind, status, message, fault): ReturnType<FaultShaper> => {
  if (kind === "rate_limit") {
    const details =
      status === 403 ? "You have reached the rate limit. Please slow down your requests." : "You have reached your usage limit. Upgrade your plan if necessary.";
    return {
      body: { errors: [{ id: status === 403 ? "too_many_requests" : "usage_limit_reached", code: status, details: message ?? details }] },
      headers: { "retry-after": String(fault.retryAfter ?? 1), "x-ratelimit-remaining": "0" },
    };
  }
  return { body: { errors: [{ id: status >= 500 ? "internal_error" : "bad_request", code: status, details: message ?? "Injected error" }] } };
};

const SENIORITY: Record<StaffMember["role"], string> = {
  general_manager: "executive",
  owner: "executive",
  director_of_golf: "senior",
  director_of_operations: "senior",
  head_golf_professional: "senior",
  superintendent: "senior",
  assistant_professional: "junior",
};

function sources(c: Course, s: StaffMember | undefined): Array<Record<string, unknown>> {
  if (!c.website) return [];
  const staffPage = c.pages.find((p) => /staff|team/.test(p.url));
  const uri = s?.email_on_website && staffPage ? staffPage.url : `${c.website}/`;
  return [{ domain: c.domain, uri, extracted_on: "2025-03-14", last_seen_on: "2026-09-30", still_on_page: !s?.left_club }];
}

function emailEntry(c: Course, s: StaffMember): Record<string, unknown> {
  return {
    value: s.email,
    type: "personal",
    confidence: s.hunter_confidence,
    sources: sources(c, s),
    first_name: s.first_name,
    last_name: s.last_name,
    position: s.title,
    position_raw: s.title,
    seniority: SENIORITY[s.role],
    department: s.role === "superintendent" ? "operations" : "management",
    linkedin: s.linkedin,
    twitter: null,
    phone_number: s.phone_type === "direct" || s.phone_type === "mobile" ? s.phone : null,
    verification: { date: "2026-10-01", status: s.verification === "unknown" ? null : s.verification },
  };
}

function pattern(c: Course): string {
  return c.staff.some((s) => s.email) ? "{f}{last}" : "{first}";
}

const acceptAll = (c: Course): boolean => c.messy.includes("accept_all_domain");

export interface HunterEmulatorOptions {
  port?: number;
  host?: string;
  /** Accepted keys; any non-empty key when omitted. */
  apiKeys?: string[];
}

export interface HunterEmulator extends EmulatorServer {
  /** The verifier answers 202 for this address the next `times` calls. */
  setPending(email: string, times: number): void;
}

export async function startHunterEmulator(opts: HunterEmulatorOptions = {}): Promise<HunterEmulator> {
  const initialPending = (): Map<string, number> =>
    new Map(COURSES.flatMap((c) => c.staff.filter((s) => s.email && s.verification_pending_calls).map((s) => [s.email!.toLowerCase(), s.verification_pending_calls!] as [string, number])));
  let pending = initialPending();

  const server = await createEmulatorServer({
    name: "hunter",
    port: opts.port,
    host: opts.host,
    routes: ["GET /v2/domain-search", "GET /v2/email-finder", "GET /v2/email-verifier"],
    faultShaper: hunterFaultShaper,
    onReset: () => {
      pending = initialPending();
    },
    handler: (req) => {
      if (req.path === "/__emulator/hunter/pending" && req.method === "POST") {
        const b = req.json as { email?: unknown; times?: unknown } | undefined;
        if (typeof b?.email !== "string") return json(400, { error: { code: "invalid", message: "email required" } });
        pending.set(b.email.toLowerCase(), typeof b.times === "number" ? b.times : 1);
        return json(200, { ok: true });
      }
      const known = ["/v2/domain-search", "/v2/email-finder", "/v2/email-verifier"];
      if (!known.includes(req.path)) return hunterError(404, "not_found", "This endpoint does not exist.");
      if (req.method !== "GET") return hunterError(405, "method_not_allowed", "Only GET is supported on this endpoint.");
      const q = req.query;
      const key = q.get("api_key") ?? req.headers["x-api-key"] ?? req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!key) return hunterError(401, "authentication_failed", "No user found for the API key supplied");
      if (opts.apiKeys && !opts.apiKeys.includes(key)) return hunterError(401, "authentication_failed", "No user found for the API key supplied");

      if (req.path === "/v2/domain-search") {
        const domainParam = q.get("domain");
        const company = q.get("company");
        if (!domainParam && !company) return hunterError(400, "wrong_params", "You are missing the domain or company parameter");
        const c = domainParam ? courseByDomain(domainParam) : COURSES.find((x) => x.name.toLowerCase() === (company ?? "").toLowerCase() && x.domain);
        const domain = domainParam ? normalizeDomain(domainParam) : (c?.domain ?? null);
        const limit = Math.min(Number(q.get("limit") ?? 10) || 10, 100);
        const offset = Number(q.get("offset") ?? 0) || 0;
        const type = q.get("type");
        const seniority = q.get("seniority");
        let emails: Array<Record<string, unknown>> = [];
        if (c && c.domain) {
          emails = c.staff.filter((s) => s.email && s.hunter === "domain_search").map((s) => emailEntry(c, s));
          emails.push({
            value: `info@${c.domain}`,
            type: "generic",
            confidence: 92,
            sources: sources(c, undefined),
            first_name: null,
            last_name: null,
            position: null,
            position_raw: null,
            seniority: null,
            department: null,
            linkedin: null,
            twitter: null,
            phone_number: null,
            verification: { date: "2026-10-01", status: acceptAll(c) ? "accept_all" : "valid" },
          });
        }
        if (type === "personal" || type === "generic") emails = emails.filter((e) => e.type === type);
        if (seniority) emails = emails.filter((e) => seniority.split(",").includes(String(e.seniority)));
        const total = emails.length;
        return json(200, {
          data: {
            domain,
            disposable: false,
            webmail: false,
            accept_all: c ? acceptAll(c) : false,
            pattern: c ? pattern(c) : null,
            organization: c?.name ?? null,
            description: c ? `${c.name} is a ${c.type} golf course in ${c.city}, ${c.state_name}.` : null,
            industry: c ? "Leisure, Travel & Tourism" : null,
            twitter: null,
            facebook: null,
            linkedin: null,
            instagram: null,
            youtube: null,
            technologies: [],
            country: c ? "US" : null,
            state: c?.state ?? null,
            city: c?.city ?? null,
            postal_code: c ? (c.address.match(/(\d{5})$/)?.[1] ?? null) : null,
            street: c ? (c.address.split(",")[0] ?? null) : null,
            headcount: c ? "11-50" : null,
            company_type: c ? "privately held" : null,
            emails: emails.slice(offset, offset + limit),
            linked_domains: [],
          },
          meta: { results: total, limit, offset, params: { domain, company, type, seniority, department: q.get("department") } },
        });
      }

      if (req.path === "/v2/email-finder") {
        const domainParam = q.get("domain");
        const company = q.get("company");
        let first = q.get("first_name");
        let last = q.get("last_name");
        const full = q.get("full_name");
        if (full && (!first || !last)) {
          const parts = full.trim().split(/\s+/);
          first = parts[0] ?? null;
          last = parts.slice(1).join(" ") || null;
        }
        if (!domainParam && !company) return hunterError(400, "wrong_params", "You are missing the domain or company parameter");
        if (!first || !last) return hunterError(400, "wrong_params", "You are missing the first_name and last_name or full_name parameters");
        const c = domainParam ? courseByDomain(domainParam) : COURSES.find((x) => x.name.toLowerCase() === (company ?? "").toLowerCase());
        const s = c?.staff.find((m) => m.first_name.toLowerCase() === first!.toLowerCase() && m.last_name.toLowerCase() === last!.toLowerCase());
        const found = !!(c && s && s.email && s.hunter !== "none");
        return json(200, {
          data: {
            first_name: first,
            last_name: last,
            email: found ? s!.email : null,
            score: found ? s!.hunter_confidence : null,
            domain: c?.domain ?? (domainParam ? normalizeDomain(domainParam) : null),
            accept_all: c ? acceptAll(c) : false,
            position: found ? s!.title : null,
            twitter: null,
            linkedin_url: found ? s!.linkedin : null,
            phone_number: found && (s!.phone_type === "direct" || s!.phone_type === "mobile") ? s!.phone : null,
            company: c?.name ?? company,
            sources: found ? sources(c!, s) : [],
            verification: { date: found ? "2026-10-01" : null, status: found ? (s!.verification === "unknown" ? null : s!.verification) : null },
          },
          meta: { params: { first_name: q.get("first_name"), last_name: q.get("last_name"), full_name: full, domain: domainParam, company, max_duration: q.get("max_duration") } },
        });
      }

      // email-verifier
      const email = q.get("email");
      if (!email) return hunterError(400, "wrong_params", "You are missing the email parameter");
      const regexp = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(email);
      if (!regexp) return hunterError(400, "invalid_email", "The email address you supplied is invalid");
      const hit = staffByEmail(email);
      const domain = email.split("@")[1]!.toLowerCase();
      const c = hit?.course ?? courseByDomain(domain);
      const left = pending.get(email.toLowerCase()) ?? 0;
      const webmail = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com"].includes(domain);
      const disposable = ["mailinator.com", "10minutemail.com"].includes(domain);
      let status: string;
      let score: number;
      if (hit) {
        status = hit.staff.verification;
        score = status === "valid" ? 95 : status === "accept_all" ? 70 : status === "invalid" ? 0 : 40;
      } else if (webmail) {
        status = "webmail";
        score = 60;
      } else if (disposable) {
        status = "disposable";
        score = 0;
      } else if (c) {
        // A guessed address on a known domain: accept_all domains accept it, others bounce.
        status = email.toLowerCase() === `info@${c.domain}` ? "valid" : acceptAll(c) ? "accept_all" : "invalid";
        score = status === "valid" ? 90 : status === "accept_all" ? 60 : 0;
      } else {
        status = "unknown";
        score = 30;
      }
      const result = status === "valid" ? "deliverable" : status === "invalid" ? "undeliverable" : "risky";
      const data = {
        status,
        result,
        _deprecation_notice: "Using result is deprecated, use status instead",
        score,
        email,
        regexp,
        gibberish: false,
        disposable,
        webmail,
        mx_records: !!c || webmail,
        smtp_server: !!c || webmail,
        smtp_check: status === "valid" || status === "accept_all",
        accept_all: status === "accept_all",
        block: false,
        sources: hit ? sources(hit.course, hit.staff) : [],
      };
      if (left > 0) {
        pending.set(email.toLowerCase(), left - 1);
        // 202: verification still in progress; same envelope, status not final yet.
        return json(202, { data: { ...data, status: "unknown", result: "risky", score: null, smtp_check: false }, meta: { params: { email } } });
      }
      return json(200, { data, meta: { params: { email } } });
    },
  });

  return Object.assign(server, {
    setPending(email: string, times: number) {
      pending.set(email.toLowerCase(), times);
    },
  });
}
