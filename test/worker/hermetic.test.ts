import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * The workerd project's bindings are wrangler.toml's vars plus vitest.config.ts's `miniflare.bindings`,
 * never the checkout's `.dev.vars` or `.env`. (Without vitest.config.ts's hermetic config they would be:
 * the plugin calls wrangler's `unstable_getMiniflareWorkerOptions`, whose `getBindings`/`getVarsForDev`
 * add `.dev.vars` from the wrangler config's directory, or else `.env`, as secrets.)
 *
 * test/node/hermetic.test.ts runs this file in a child vitest while a hostile `.dev.vars` and `.env`
 * sit in the repo root, every value of which contains the word "hostile"; run alone it checks the same.
 */
const bindings = env as unknown as Record<string, unknown>;

describe("worker project configuration is hermetic", () => {
  it("the secrets vitest.config.ts sets are in force", () => {
    expect(bindings.ENVIRONMENT).toBe("test");
    expect(bindings.LOG_LEVEL).toBe("silent");
    expect(bindings.AGENT_API_KEY).toBe("test-agent-api-key");
    expect(bindings.CLICKUP_WEBHOOK_SECRET).toBe("test-clickup-webhook-secret");
    expect(bindings.SUPABASE_WEBHOOK_SECRET).toBe("test-supabase-webhook-secret");
    expect(bindings.HUNTER_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // wrangler.toml's vars still apply.
    expect(bindings.ANTHROPIC_MODEL).toBe("claude-haiku-4-5");
  });

  it("nothing from a local .dev.vars or .env: no binding vitest.config.ts does not set, no hostile value", () => {
    for (const key of ["HERMETIC_CANARY", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SPEND_CAP_USD", "PIPELINE_MODE"]) {
      expect(bindings[key], key).toBeUndefined();
    }
    const hostile = Object.entries(bindings).filter(([, value]) => typeof value === "string" && value.includes("hostile"));
    expect(hostile).toEqual([]);
    // vite reads no .env either (envDir: false): a VITE_ variable there would show in import.meta.env.
    expect((import.meta as unknown as { env: Record<string, unknown> }).env.VITE_HERMETIC_CANARY).toBeUndefined();
  });
});
