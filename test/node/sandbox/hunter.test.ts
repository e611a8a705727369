// The Hunter v2 emulator: documented shapes, auth, parameter errors, 202-then-200 verification.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type HunterEmulator, startHunterEmulator } from "../../../sandbox/hunter/index.ts";

let hunter: HunterEmulator;
beforeAll(async () => {
  hunter = await startHunterEmulator();
});
afterAll(() => hunter.close());
beforeEach(() => hunter.reset());

interface HunterEmail {
  value: string;
  type: "personal" | "generic";
  confidence: number;
  first_name: string | null;
  last_name: string | null;
  position: string | null;
  verification: { date: string | null; status: string | null };
  sources: Array<{ domain: string; uri: string; still_on_page: boolean }>;
}
/** The documented envelope: `data` + `meta` on success, `errors` on failure. */
interface HunterBody {
  data: { [key: string]: unknown; emails: HunterEmail[]; email?: string | null; status?: string; score?: number | null };
  meta: { results?: number; limit?: number; offset?: number; params: Record<string, string | null> };
  errors: Array<{ id: string; code: number; details: string }>;
}

const get = async (path: string, params: Record<string, string>, headers: Record<string, string> = {}) => {
  const res = await fetch(`${hunter.url}${path}?${new URLSearchParams(params)}`, { headers });
  return { status: res.status, body: (await res.json()) as HunterBody };
};

describe("domain-search", () => {
  it("lists the emails Hunter knows for a world domain, with sources and verification", async () => {
    const { status, body } = await get("/v2/domain-search", { domain: "richmondcountryclubva.com", api_key: "k" });
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ domain: "richmondcountryclubva.com", organization: "Richmond Country Club", accept_all: false, pattern: "{f}{last}" });
    const values = body.data.emails.map((e) => e.value);
    expect(values).toEqual(expect.arrayContaining(["sfoster@richmondcountryclubva.com", "bkeller@richmondcountryclubva.com", "info@richmondcountryclubva.com"]));
    expect(values).not.toContain("mhartley@richmondcountryclubva.com"); // finder-only
    const stacy = body.data.emails.find((e) => e.value.startsWith("sfoster"));
    expect(stacy).toMatchObject({ type: "personal", first_name: "Stacy", last_name: "Foster", position: "General Manager", confidence: 96, verification: { status: "valid" } });
    expect(stacy?.sources[0]).toMatchObject({ domain: "richmondcountryclubva.com", still_on_page: true });
    expect(body.meta).toMatchObject({ results: 3, limit: 10, offset: 0 });
  });

  it("filters by type and paginates", async () => {
    const generic = await get("/v2/domain-search", { domain: "www.richmondcountryclubva.com", type: "generic", api_key: "k" });
    expect(generic.body.data.emails).toHaveLength(1);
    const page = await get("/v2/domain-search", { domain: "richmondcountryclubva.com", limit: "1", offset: "1", api_key: "k" });
    expect(page.body.data.emails).toHaveLength(1);
    expect(page.body.meta).toMatchObject({ results: 3, limit: 1, offset: 1 });
  });

  it("knows some but not all of Willow Creek's staff (names without emails on the site)", async () => {
    const { body } = await get("/v2/domain-search", { domain: "willowcreekgolfnc.com", api_key: "k" });
    const people = body.data.emails.filter((e) => e.type === "personal");
    expect(people.map((e) => e.last_name)).toEqual(["Whitfield"]);
  });

  it("returns an empty result for an unknown domain", async () => {
    const { status, body } = await get("/v2/domain-search", { domain: "nowhere.example", api_key: "k" });
    expect(status).toBe(200);
    expect(body.data.emails).toEqual([]);
    expect(body.data.organization).toBeNull();
  });

  it("401 without a key, 400 without domain/company (errors envelope)", async () => {
    const noKey = await get("/v2/domain-search", { domain: "richmondcountryclubva.com" });
    expect(noKey.status).toBe(401);
    expect(noKey.body).toEqual({ errors: [{ id: "authentication_failed", code: 401, details: expect.any(String) }] });
    const noDomain = await get("/v2/domain-search", { api_key: "k" });
    expect(noDomain.status).toBe(400);
    expect(noDomain.body.errors[0]).toMatchObject({ id: "wrong_params", code: 400 });
    // The key may also come as a header.
    expect((await get("/v2/domain-search", { domain: "x.com" }, { "X-API-KEY": "k" })).status).toBe(200);
  });
});

describe("email-finder", () => {
  it("finds an address by first/last name or full_name, with a score", async () => {
    const a = await get("/v2/email-finder", { domain: "richmondcountryclubva.com", first_name: "Michael", last_name: "Hartley", api_key: "k" });
    expect(a.status).toBe(200);
    expect(a.body.data).toMatchObject({ email: "mhartley@richmondcountryclubva.com", score: 84, position: "Director of Golf", verification: { status: "valid" } });
    const b = await get("/v2/email-finder", { domain: "willowcreekgolfnc.com", full_name: "Marcus Bell", api_key: "k" });
    expect(b.body.data.email).toBe("mbell@willowcreekgolfnc.com");
    expect(b.body.meta.params.full_name).toBe("Marcus Bell");
  });

  it("answers email null when Hunter has nothing", async () => {
    const { status, body } = await get("/v2/email-finder", { domain: "willowcreekgolfnc.com", first_name: "Paul", last_name: "Jennings", api_key: "k" });
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ email: null, score: null });
  });

  it("400 without the name", async () => {
    const { status, body } = await get("/v2/email-finder", { domain: "richmondcountryclubva.com", api_key: "k" });
    expect(status).toBe(400);
    expect(body.errors[0]?.id).toBe("wrong_params");
  });
});

describe("email-verifier", () => {
  it("verifies world addresses with status and score", async () => {
    const ok = await get("/v2/email-verifier", { email: "sfoster@richmondcountryclubva.com", api_key: "k" });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ status: "valid", result: "deliverable", email: "sfoster@richmondcountryclubva.com", smtp_check: true, accept_all: false });
    expect(ok.body.data.score).toBeGreaterThanOrEqual(90);
    const stale = await get("/v2/email-verifier", { email: "rchen@lakesidecc-va.com", api_key: "k" });
    expect(stale.body.data.status).toBe("invalid");
    const acceptAll = await get("/v2/email-verifier", { email: "dcarter@stonebridgegolfga.com", api_key: "k" });
    expect(acceptAll.body.data).toMatchObject({ status: "accept_all", accept_all: true });
  });

  it("answers 202 (still verifying) first, then 200 — the world's Maple Hills GM", async () => {
    const email = "gvandenberg@maplehillsgolfmi.com";
    const first = await get("/v2/email-verifier", { email, api_key: "k" });
    expect(first.status).toBe(202);
    const second = await get("/v2/email-verifier", { email, api_key: "k" });
    expect(second.status).toBe(200);
    expect(second.body.data.status).toBe("valid");
  });

  it("makes any address pending on demand (code and HTTP)", async () => {
    hunter.setPending("bkeller@richmondcountryclubva.com", 2);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await get("/v2/email-verifier", { email: "bkeller@richmondcountryclubva.com", api_key: "k" })).status);
    expect(statuses).toEqual([202, 202, 200]);
    await fetch(`${hunter.url}/__emulator/hunter/pending`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "info@richmondcountryclubva.com" }) });
    expect((await get("/v2/email-verifier", { email: "info@richmondcountryclubva.com", api_key: "k" })).status).toBe(202);
  });

  it("400 for a missing or malformed email", async () => {
    expect((await get("/v2/email-verifier", { api_key: "k" })).status).toBe(400);
    expect((await get("/v2/email-verifier", { email: "not-an-email", api_key: "k" })).status).toBe(400);
  });

  it("rate-limits in Hunter's envelope", async () => {
    hunter.faults.add({ route: "GET /v2/*", kind: "rate_limit", times: 1 });
    const r = await get("/v2/email-verifier", { email: "sfoster@richmondcountryclubva.com", api_key: "k" });
    expect(r.status).toBe(429);
    expect(r.body.errors[0]).toMatchObject({ code: 429 });
  });
});
