import { z } from "zod";
import { PERPLEXITY_PRICES, roundUsd } from "../agents/pricing.ts";
import { providerFetch } from "./http.ts";
import type { Called } from "./usage.ts";

const AgentResponse = z.object({
  model: z.string().optional(),
  output: z.array(
    z.looseObject({
      type: z.string(),
      content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).optional(),
      results: z.array(z.looseObject({ url: z.string(), title: z.string().optional() })).optional(),
    }),
  ),
  usage: z
    .looseObject({
      input_tokens: z.number().default(0),
      output_tokens: z.number().default(0),
      cost: z.looseObject({ total_cost: z.number() }).optional(),
    })
    .optional(),
});

export interface ResearchRequest<S extends z.ZodType> {
  /** The question; names the course and person, never page text. */
  query: string;
  instructions: string;
  schema: S;
  schemaName: string;
  model?: string;
}

export interface Research<T> {
  answer: T;
  /** The pages the answer drew on (as returned; never fetched by us unless on the course's domain). */
  sources: string[];
}

export interface PerplexityClient {
  research<S extends z.ZodType>(request: ResearchRequest<S>): Promise<Called<Research<z.output<S>>>>;
}

/**
 * Perplexity's Agent API (`POST /v1/agent`, Responses format), which replaced Sonar chat
 * completions on 2026-09-27: one web-search-backed answer in a JSON schema.
 */
export function createPerplexityClient(opts: { apiKey: string; baseUrl: string; model?: string; timeoutMs?: number }): PerplexityClient {
  return {
    async research(request) {
      const model = request.model ?? opts.model ?? "perplexity/sonar";
      const { data } = await providerFetch(
        {
          provider: "perplexity",
          url: `${opts.baseUrl}/v1/agent`,
          method: "POST",
          headers: { authorization: `Bearer ${opts.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            model,
            instructions: request.instructions,
            input: request.query,
            tools: [{ type: "web_search" }],
            max_steps: 3,
            response_format: { type: "json_schema", json_schema: { name: request.schemaName, schema: z.toJSONSchema(request.schema) } },
          }),
          timeoutMs: opts.timeoutMs ?? 60_000,
        },
        AgentResponse,
      );
      const text = data.output.flatMap((item) => (item.type === "message" ? (item.content ?? []) : [])).map((c) => c.text ?? "").join("");
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`perplexity: the answer is not JSON`);
      }
      const answer = request.schema.parse(json);
      const sources = [...new Set(data.output.flatMap((item) => (item.results ?? []).map((r) => r.url)))];
      const input = data.usage?.input_tokens ?? 0;
      const output = data.usage?.output_tokens ?? 0;
      const cost =
        data.usage?.cost?.total_cost ??
        (input * PERPLEXITY_PRICES.inputPerMTok + output * PERPLEXITY_PRICES.outputPerMTok) / 1_000_000 + PERPLEXITY_PRICES.perWebSearch;
      return {
        value: { answer, sources },
        usage: { provider: "perplexity", model: data.model ?? model, input_tokens: input, output_tokens: output, cost_usd: roundUsd(cost) },
      };
    },
  };
}
