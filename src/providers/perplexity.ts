import { z } from "zod";
import { roundUsd } from "../lib/usd.ts";
import { PERPLEXITY_PRICES } from "./pricing.ts";
import { providerFetch } from "./http.ts";
import { ProviderError } from "./provider-error.ts";
import { type OutputRepair, readStructured, repairPrompt } from "./structured-output.ts";
import type { Called } from "./usage.ts";

/**
 * "The name field is required and must be 1-64 alphanumeric characters"
 * (https://docs.perplexity.ai/docs/grounded-llm/output-control/structured-outputs): no underscores.
 */
export const SCHEMA_NAME = /^[A-Za-z0-9]{1,64}$/;

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
  /** 1–64 letters and digits (Perplexity's rule), e.g. "CourseWebsite". */
  schemaName: string;
  model?: string;
  /** Paths of scores whose out-of-range value has a clear meaning; anything else invalid gets one repair call. */
  clamp?: readonly string[];
}

export interface Research<T> {
  answer: T;
  /** The pages the answer drew on (as returned; never fetched by us unless on the course's domain). */
  sources: string[];
  /** What had to be mended in the answer (clamped scores, a repair call, dropped items); empty when nothing. */
  repairs: OutputRepair[];
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
      if (!SCHEMA_NAME.test(request.schemaName)) {
        throw new ProviderError("perplexity", `schema name "${request.schemaName}" is not 1-64 alphanumeric characters`, { retryable: false });
      }
      const responseFormat = { type: "json_schema", json_schema: { name: request.schemaName, schema: z.toJSONSchema(request.schema) } };
      const ask = (input: string | { type: "message"; role: "user" | "assistant"; content: string }[], search: boolean) =>
        providerFetch(
          {
            provider: "perplexity",
            url: `${opts.baseUrl}/v1/agent`,
            method: "POST",
            headers: { authorization: `Bearer ${opts.apiKey}`, "content-type": "application/json" },
            body: JSON.stringify({
              model,
              instructions: request.instructions,
              input,
              ...(search ? { tools: [{ type: "web_search" }], max_steps: 3 } : {}),
              response_format: responseFormat,
            }),
            timeoutMs: opts.timeoutMs ?? 60_000,
          },
          AgentResponse,
        );
      const textOf = (data: z.output<typeof AgentResponse>) =>
        data.output.flatMap((item) => (item.type === "message" ? (item.content ?? []) : [])).map((c) => c.text ?? "").join("");
      const { data } = await ask(request.query, true);
      const firstText = textOf(data);
      let repairData: z.output<typeof AgentResponse> | null = null;
      const read = await readStructured(request.schema, firstText, {
        clamp: request.clamp ?? [],
        // The repair call searches nothing: it restates the answer it already has within the schema.
        repair: async (problems) => {
          const repaired = await ask(
            [
              { type: "message", role: "user", content: request.query },
              { type: "message", role: "assistant", content: firstText || "{}" },
              { type: "message", role: "user", content: repairPrompt(problems) },
            ],
            false,
          );
          repairData = repaired.data;
          return textOf(repaired.data);
        },
      });
      if (!read.ok) throw new ProviderError("perplexity", `answer does not match the schema after a repair call: ${read.problems.slice(0, 3).join("; ")}`, { retryable: false });
      const answer = read.value;
      const sources = [...new Set(data.output.flatMap((item) => (item.results ?? []).map((r) => r.url)))];
      const usages = [data, repairData as z.output<typeof AgentResponse> | null].filter((d): d is z.output<typeof AgentResponse> => d !== null);
      const input = usages.reduce((n, d) => n + (d.usage?.input_tokens ?? 0), 0);
      const output = usages.reduce((n, d) => n + (d.usage?.output_tokens ?? 0), 0);
      const cost = usages.reduce(
        (sum, d, i) =>
          sum +
          (d.usage?.cost?.total_cost ??
            ((d.usage?.input_tokens ?? 0) * PERPLEXITY_PRICES.inputPerMTok + (d.usage?.output_tokens ?? 0) * PERPLEXITY_PRICES.outputPerMTok) / 1_000_000 +
              (i === 0 ? PERPLEXITY_PRICES.perWebSearch : 0)),
        0,
      );
      return {
        value: { answer, sources, repairs: read.repairs },
        usage: { provider: "perplexity", model: data.model ?? model, input_tokens: input, output_tokens: output, cost_usd: roundUsd(cost) },
      };
    },
  };
}
