import Anthropic, { APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import type { z } from "zod";
import { modelCostUsd } from "./pricing.ts";
import { ProviderError, isRetryableStatus, parseRetryAfter } from "./provider-error.ts";
import { type OutputRepair, readStructured, repairPrompt } from "./structured-output.ts";
import type { Called } from "./usage.ts";

export interface StructuredRequest<S extends z.ZodType> {
  model: string;
  /** Our instructions. Untrusted text never goes here. */
  system: string;
  /** The material to work on; untrusted page text goes here only, wrapped by the caller. */
  content: string;
  schema: S;
  maxTokens: number;
  /**
   * Paths of scores whose out-of-range value has a clear meaning ("opportunities.*"): 11 on a 1–10
   * scale is 10. Anything else that fails the schema gets one repair call.
   */
  clamp?: readonly string[];
}

/** An answer and the mends it needed (clamped scores, a repair call, dropped items). */
export interface Repaired<T> {
  output: T;
  repairs: OutputRepair[];
}

export interface AnthropicClient {
  /**
   * One model call with structured output and NO tools: whatever the content says, the model can
   * only answer in the schema's shape, and the answer is validated by zod.
   */
  structured<S extends z.ZodType>(request: StructuredRequest<S>): Promise<Called<z.output<S>>>;
  /** The same call, also saying what had to be mended so the run can record it. */
  structuredWithRepairs<S extends z.ZodType>(request: StructuredRequest<S>): Promise<Called<Repaired<z.output<S>>>>;
}

export function createAnthropicClient(opts: { apiKey: string; baseUrl: string; timeoutMs?: number }): AnthropicClient {
  // Retries belong to the workflow step (memoized, with backoff), not to the SDK.
  const client = new Anthropic({ apiKey: opts.apiKey, baseURL: opts.baseUrl, maxRetries: 0, timeout: opts.timeoutMs ?? 60_000 });
  const structuredWithRepairs = async <S extends z.ZodType>(request: StructuredRequest<S>): Promise<Called<Repaired<z.output<S>>>> => {
    // The SDK's zod helper makes the schema acceptable to the API (bounds move into descriptions);
    // the answer is then read here, so one bad field is mended instead of failing the whole call.
    const { schema } = zodOutputFormat(request.schema);
    let inputTokens = 0;
    let outputTokens = 0;
    const ask = async (messages: Anthropic.MessageParam[]): Promise<string> => {
      let message;
      try {
        message = await client.messages.create({
          model: request.model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages,
          output_config: { format: { type: "json_schema", schema } },
        });
      } catch (error) {
        throw toProviderError(error);
      }
      inputTokens += message.usage.input_tokens;
      outputTokens += message.usage.output_tokens;
      return message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    };
    const first: Anthropic.MessageParam[] = [{ role: "user", content: request.content }];
    const firstText = await ask(first);
    const read = await readStructured(request.schema, firstText, {
      clamp: request.clamp ?? [],
      // One repair call: the model sees its answer and the validation errors.
      repair: (problems) => ask([...first, { role: "assistant", content: firstText || "{}" }, { role: "user", content: repairPrompt(problems) }]),
    });
    if (!read.ok) {
      // Asked twice already: a third identical request would fail the same way, at full price.
      throw new ProviderError("anthropic", `answer does not match the schema after a repair call: ${read.problems.slice(0, 3).join("; ")}`, { retryable: false });
    }
    return {
      value: { output: read.value, repairs: read.repairs },
      usage: { provider: "anthropic", model: request.model, input_tokens: inputTokens, output_tokens: outputTokens, cost_usd: modelCostUsd(request.model, inputTokens, outputTokens) },
    };
  };
  return {
    structuredWithRepairs,
    async structured(request) {
      const { value, usage } = await structuredWithRepairs(request);
      return { value: value.output, usage };
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
