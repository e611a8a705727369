import type { Providers } from "../agents/agent-context.ts";
import type { AppConfig } from "../env.ts";
import { createAnthropicClient } from "./anthropic.ts";
import { createHunterClient } from "./hunter.ts";
import { createJinaClient } from "./jina.ts";
import { createPerplexityClient } from "./perplexity.ts";

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
