import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { call } from "./helpers.ts";

describe("GET /health (integration)", () => {
  it("answers 200 and says which providers are configured", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; providers: Record<string, { configured: boolean; reason?: string }> };
    expect(body.status).toBe("ok");
    expect(body.providers.database).toMatchObject({ configured: true });
    // The suite points every provider at its emulator on loopback.
    for (const name of ["anthropic", "clickup", "hunter", "perplexity", "jina", "mailgun"]) {
      expect(body.providers[name], name).toMatchObject({ configured: true, base_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    }
    expect(Object.keys(body.providers).sort()).toEqual(["anthropic", "clickup", "database", "hunter", "jina", "mailgun", "perplexity"]);
  });

  it("with no keys at all it still answers, listing every provider and route as disabled (never a crash)", async () => {
    const bare = { COURSE_COORDINATOR: env.COURSE_COORDINATOR, JOB_DIRECTORY: env.JOB_DIRECTORY, ENRICH_COURSE: env.ENRICH_COURSE, HUNTER_BASE_URL: "ftp://bad" };
    const response = await createApp().fetch(new Request("http://golf.test/health"), bare, createExecutionContext());
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    const providers = body.providers as Record<string, { configured: boolean; reason?: string }>;
    for (const name of ["anthropic", "clickup", "hunter", "perplexity", "mailgun", "database"]) {
      expect(providers[name], name).toMatchObject({ configured: false, reason: expect.stringMatching(/not set|neither/) });
    }
    // Jina Reader works keyless, and says so.
    expect(providers.jina).toMatchObject({ configured: true, reason: expect.stringContaining("keyless") });
    expect(body.routes).toMatchObject({ "POST /webhooks/clickup": expect.stringContaining("disabled") });
    expect(body.invalid_configuration).toEqual([expect.objectContaining({ variable: "HUNTER_BASE_URL" })]);
  });
});
