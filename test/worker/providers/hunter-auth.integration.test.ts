// Hunter's key travels in the X-API-KEY header (one of the ways Hunter documents), never in the
// query string, where it would land in traces and proxy logs.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createHunterClient } from "../../../src/providers/hunter.ts";

interface Recorded { path: string; query: Record<string, string>; headers: Record<string, string>; status: number }

async function hunterRequests(since: number): Promise<Recorded[]> {
  const response = await fetch(`${String(env.HUNTER_BASE_URL)}/__emulator/requests?since=${since}`);
  return ((await response.json()) as { requests: Recorded[] }).requests.filter((r) => r.path.startsWith("/v2/"));
}

describe("Hunter client authentication (integration, the Hunter emulator)", () => {
  it("every call sends the key as X-API-KEY and no api_key query parameter; the URL carries no key", async () => {
    const apiKey = String(env.HUNTER_API_KEY);
    const hunter = createHunterClient({ apiKey, baseUrl: String(env.HUNTER_BASE_URL), verifyPolls: 1 });
    const since = Date.now();
    await hunter.domainSearch("richmondcountryclubva.com");
    await hunter.emailFinder("richmondcountryclubva.com", "Michael", "Hartley");
    await hunter.verify("nobody@richmondcountryclubva.com");
    const requests = await hunterRequests(since);
    expect(requests.map((r) => r.path).sort()).toEqual(["/v2/domain-search", "/v2/email-finder", "/v2/email-verifier"]);
    for (const request of requests) {
      expect(request.status, request.path).toBeLessThan(300);
      expect(request.headers["x-api-key"], request.path).toBe(apiKey);
      expect(Object.keys(request.query), request.path).not.toContain("api_key");
      expect(JSON.stringify(request.query), request.path).not.toContain(apiKey);
    }
  });

  it("the emulator refuses a request without a key, as Hunter does (so the header is what authenticates)", async () => {
    const response = await fetch(`${String(env.HUNTER_BASE_URL)}/v2/domain-search?domain=richmondcountryclubva.com`);
    expect(response.status).toBe(401);
  });
});
