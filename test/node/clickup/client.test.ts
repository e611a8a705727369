// The ClickUp client in Node with a scripted fetch: URL building, headers, rate-limit headers,
// answers of an unexpected shape; and the committed openapi.d.ts is what the generator produces.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateClickUpTypes } from "../../../scripts/clickup-types.ts";
import { createClickUpAdminClient } from "../../../src/clickup/admin-client.ts";
import { rateLimitInfo } from "../../../src/clickup/client.ts";
import { ClickUpError } from "../../../src/clickup/errors.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A fetch that records each request (URL and headers) and answers from a script. */
function scripted(answer: (url: string) => Response): { fetch: typeof fetch; calls: Array<{ url: string; headers: Headers }> } {
  const calls: Array<{ url: string; headers: Headers }> = [];
  return {
    calls,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      calls.push({ url: request.url, headers: request.headers });
      return answer(request.url);
    },
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("ClickUp client (Node, scripted fetch)", () => {
  it("builds /api/v2 URLs from the host (or a base ending in /api), sends the token as Authorization, encodes ids", async () => {
    for (const baseUrl of ["https://clickup.test", "https://clickup.test/", "https://clickup.test/api"]) {
      const f = scripted(() => json({ id: "a/b", name: "T", status: { status: "new" } }));
      const cu = createClickUpAdminClient({ token: "pk_1", baseUrl, fetch: f.fetch });
      await cu.getTask("a/b", { includeMarkdown: true });
      expect(f.calls[0]?.url).toBe("https://clickup.test/api/v2/task/a%2Fb?include_markdown_description=true");
      expect(f.calls[0]?.headers.get("authorization")).toBe("pk_1");
    }
  });

  it("an empty id is refused before any request is sent", async () => {
    const f = scripted(() => json({}));
    const cu = createClickUpAdminClient({ token: "pk_1", baseUrl: "https://x.test", fetch: f.fetch });
    await expect(cu.getTask("")).rejects.toThrow(/task_id is required/);
    await expect(cu.setCustomField("t1", "", "x")).rejects.toThrow(/field_id is required/);
    expect(f.calls).toHaveLength(0);
  });

  it("an answer of an unexpected shape is a clear, non-retryable error", async () => {
    const cu = createClickUpAdminClient({ token: "pk_1", baseUrl: "https://x.test", fetch: scripted(() => json({ id: 5 })).fetch });
    const error = await cu.getTask("t1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClickUpError);
    expect(error).toMatchObject({ kind: "bad_shape", status: 200, retryable: false });
    expect((error as ClickUpError).message).toMatch(/^ClickUp GET \/v2\/task\/t1: HTTP 200 with an unexpected answer \(id: .*\)/);
  });

  it("a 500 with a non-JSON body is retryable; a 429 without X-RateLimit-Reset falls back to retry-after", async () => {
    const cu500 = createClickUpAdminClient({ token: "pk_1", baseUrl: "https://x.test", fetch: scripted(() => new Response("<html>bad gateway</html>", { status: 502 })).fetch });
    expect(await cu500.getTeams().catch((e: unknown) => e)).toMatchObject({ kind: "http", status: 502, retryable: true, ecode: null, err: "<html>bad gateway</html>" });
    const before = Date.now();
    const cu429 = createClickUpAdminClient({ token: "pk_1", baseUrl: "https://x.test", fetch: scripted(() => json({ err: "Rate limit reached", ECODE: "APP_002" }, 429, { "retry-after": "3" })).fetch });
    const error = (await cu429.getTeams().catch((e: unknown) => e)) as ClickUpError;
    expect(error).toMatchObject({ status: 429, ecode: "APP_002", retryable: true });
    expect(error.resetAt).toBeGreaterThanOrEqual(before + 3000);
  });

  it("reads X-RateLimit-* (Reset in unix seconds, or already in ms)", () => {
    const h = (o: Record<string, string>): Headers => new Headers(o);
    expect(rateLimitInfo(200, h({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "7", "x-ratelimit-reset": "1764000000" }))).toEqual({
      status: 200,
      limit: 100,
      remaining: 7,
      resetAt: 1_764_000_000_000,
    });
    expect(rateLimitInfo(200, h({ "x-ratelimit-reset": "1764000000123" })).resetAt).toBe(1_764_000_000_123);
    expect(rateLimitInfo(200, h({}))).toEqual({ status: 200, limit: null, remaining: null, resetAt: null });
  });

  it("src/clickup/openapi.d.ts is what `npm run clickup:types` generates from contracts/", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clickup-types-"));
    try {
      const out = join(dir, "openapi.d.ts");
      await generateClickUpTypes(join(root, "contracts/clickup-api-v2-reference.json"), out);
      expect(readFileSync(out, "utf8") === readFileSync(join(root, "src/clickup/openapi.d.ts"), "utf8"), "run npm run clickup:types").toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
