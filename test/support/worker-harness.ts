import { createTestHarness } from "wrangler";

/** Every provider a test does not emulate points at a closed loopback port: no test reaches a real host. */
export const NO_PROVIDERS = {
  CLICKUP_BASE_URL: "http://127.0.0.1:9",
  ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
  HUNTER_BASE_URL: "http://127.0.0.1:9",
  PERPLEXITY_BASE_URL: "http://127.0.0.1:9",
  JINA_BASE_URL: "http://127.0.0.1:9",
  MAILGUN_BASE_URL: "http://127.0.0.1:9",
} as const;

export interface RunningWorker {
  url: URL;
  close(): Promise<void>;
}

/**
 * The real Worker (Durable Objects, Workflows) served over HTTP on loopback by wrangler's test
 * harness, so other processes (the provider emulators) can call it as they would in production.
 */
export async function startWorker(secrets: Record<string, string>): Promise<RunningWorker> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const harness = createTestHarness({
    workers: [{ configPath: "./wrangler.toml", secrets: { ENVIRONMENT: "test", LOG_LEVEL: "warn", ...NO_PROVIDERS, ...secrets } }],
  });
  const { url } = await harness.listen();
  return { url, close: () => harness.close() };
}
