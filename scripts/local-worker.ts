import { createTestHarness } from "wrangler";

/** Every provider not given explicitly points at a closed loopback port: nothing local ever reaches a real host by accident. */
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
 * The real Worker (Durable Objects, Workflows) served over HTTP on loopback by wrangler's harness,
 * in this process, so tests, the benchmark and `npm run enrich` can call it as production is called.
 */
export async function startWorker(secrets: Record<string, string>, opts: { providers?: "closed" | "as-given" } = {}): Promise<RunningWorker> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const base = opts.providers === "as-given" ? {} : NO_PROVIDERS;
  const harness = createTestHarness({
    workers: [{ configPath: "./wrangler.toml", secrets: { ENVIRONMENT: "test", LOG_LEVEL: "warn", ...base, ...secrets } }],
  });
  const { url } = await harness.listen();
  return { url, close: () => harness.close() };
}
