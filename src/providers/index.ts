/** The provider clients a run gets, built from the configuration. */
import type { AppConfig } from "../env.ts";
import { type AnthropicClient, createAnthropicClient } from "./anthropic.ts";
import { createHunterClient, type HunterClient } from "./hunter.ts";
import { createJinaClient, type JinaClient } from "./jina.ts";
import { createPerplexityClient, type PerplexityClient } from "./perplexity.ts";

/** Configured providers; null when its key is missing (the agent then does without it, or the run fails clearly). */
export interface Providers {
  anthropic: AnthropicClient | null;
  perplexity: PerplexityClient | null;
  hunter: HunterClient | null;
  jina: JinaClient | null;
}

/** A client per configured provider; a missing key leaves that provider out (null). */
export function createProviders(config: AppConfig): Providers {
  const { env } = config;
  return {
    anthropic: env.ANTHROPIC_API_KEY ? createAnthropicClient({ apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL, timeoutMs: env.PROVIDER_TIMEOUT_MS }) : null,
    perplexity: env.PERPLEXITY_API_KEY ? createPerplexityClient({ apiKey: env.PERPLEXITY_API_KEY, baseUrl: env.PERPLEXITY_BASE_URL, model: env.PERPLEXITY_MODEL, timeoutMs: env.PROVIDER_TIMEOUT_MS }) : null,
    hunter: env.HUNTER_API_KEY ? createHunterClient({ apiKey: env.HUNTER_API_KEY, baseUrl: env.HUNTER_BASE_URL, pollDelayMs: env.HUNTER_VERIFY_POLL_MS, timeoutMs: env.PROVIDER_TIMEOUT_MS }) : null,
    // Jina Reader works without a key (at a lower rate limit).
    jina: createJinaClient({ apiKey: env.JINA_API_KEY, baseUrl: env.JINA_BASE_URL, timeoutMs: env.PROVIDER_TIMEOUT_MS }),
  };
}
