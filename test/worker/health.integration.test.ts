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
    expect(body.providers.anthropic).toMatchObject({ configured: false, reason: expect.stringContaining("ANTHROPIC_API_KEY") });
    expect(Object.keys(body.providers).sort()).toEqual(["anthropic", "clickup", "database", "hunter", "jina", "mailgun", "perplexity"]);
  });

  it("with no keys at all it still answers, listing every provider and route as disabled (never a crash)", async () => {
    const bare = { COURSE_COORDINATOR: env.COURSE_COORDINATOR, JOB_DIRECTORY: env.JOB_DIRECTORY, ENRICH_COURSE: env.ENRICH_COURSE, HUNTER_BASE_URL: "ftp://bad" };
    const response = await createApp().fetch(new Request("http://golf.test/health"), bare, createExecutionContext());
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(JSON.stringify(body.providers)).not.toContain('"configured":true');
    expect(body.routes).toMatchObject({ "POST /webhooks/clickup": expect.stringContaining("disabled") });
    expect(body.invalid_configuration).toEqual([expect.objectContaining({ variable: "HUNTER_BASE_URL" })]);
  });
});
