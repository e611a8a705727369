/** What one provider call cost; the workflow records one `agent_calls` row per call from it. */
export interface CallUsage {
  provider: "anthropic" | "perplexity" | "hunter" | "jina";
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface Called<T> {
  value: T;
  usage: CallUsage;
}

export function flatRate(provider: "hunter" | "jina"): CallUsage {
  return { provider, model: null, input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}
