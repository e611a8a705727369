import Anthropic, { APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import type { z } from "zod";
import { modelCostUsd } from "../agents/pricing.ts";
import { ProviderError, isRetryableStatus, parseRetryAfter } from "./provider-error.ts";
import type { Called } from "./usage.ts";

export interface StructuredRequest<S extends z.ZodType> {
  model: string;
  /** Our instructions. Untrusted text never goes here. */
  system: string;
  /** The material to work on; untrusted page text goes here only, wrapped by the caller. */
  content: string;
  schema: S;
  maxTokens: number;
}

export interface AnthropicClient {
  /**
   * One model call with structured output and NO tools: whatever the content says, the model can
   * only answer in the schema's shape, and the answer is validated by zod.
   */
  structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<Called<z.output<S>>>;
}

export function createAnthropicClient(opts: { apiKey: string; baseUrl: string; timeoutMs?: number }): AnthropicClient {
  // Retries belong to the workflow step (memoized, with backoff), not to the SDK.
  const client = new Anthropic({ apiKey: opts.apiKey, baseURL: opts.baseUrl, maxRetries: 0, timeout: opts.timeoutMs ?? 60_000 });
  return {
    async structured(request) {
      let message;
      try {
        message = await client.messages.parse({
          model: request.model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages: [{ role: "user", content: request.content }],
          output_config: { format: zodOutputFormat(request.schema) },
        });
      } catch (error) {
        throw toProviderError(error);
      }
      const parsed = request.schema.safeParse(message.parsed_output);
      if (!parsed.success) {
        throw new ProviderError("anthropic", `answer does not match the schema: ${parsed.error.issues.slice(0, 3).map((i) => i.message).join("; ")}`, { retryable: true });
      }
      const { input_tokens, output_tokens } = message.usage;
      return {
        value: parsed.data,
        usage: { provider: "anthropic", model: request.model, input_tokens, output_tokens, cost_usd: modelCostUsd(request.model, input_tokens, output_tokens) },
      };
    },
  };
}

function toProviderError(error: unknown): ProviderError {
  if (error instanceof APIConnectionTimeoutError) return new ProviderError("anthropic", "timed out", { retryable: true });
  if (error instanceof APIError) {
    const status = typeof error.status === "number" ? error.status : null;
    const retryAfter = error.headers instanceof Headers ? error.headers.get("retry-after") : null;
    return new ProviderError("anthropic", `HTTP ${status ?? "?"}: ${error.message.slice(0, 300)}`, {
      status,
      retryable: status === null || isRetryableStatus(status),
      retryAfterMs: parseRetryAfter(retryAfter),
    });
  }
  // Includes the SDK's own JSON parse failure of a garbled body.
  return new ProviderError("anthropic", error instanceof Error ? error.message : String(error), { retryable: true });
}
