import { roundUsd } from "../lib/usd.ts";

/**
 * The price table: every cost the app estimates comes from here. USD per million tokens, list
 * prices (2026-11). A model missing from the table is priced as the most expensive one, so an
 * unknown model can never make a run look cheaper than it is.
 */
export const MODEL_PRICES_PER_MTOK: Record<string, { input: number; output: number }> = {
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-sonnet-4-6": { input: 3, output: 15 },
  "claude-opus-4-5": { input: 5, output: 25 },
};

/** Perplexity Agent API, when the answer carries no `usage.cost` of its own. */
export const PERPLEXITY_PRICES = { inputPerMTok: 1, outputPerMTok: 1, perWebSearch: 0.005 } as const;

const FALLBACK = Object.values(MODEL_PRICES_PER_MTOK).reduce((max, p) => (p.input + p.output > max.input + max.output ? p : max));

export function modelPrice(model: string): { input: number; output: number; known: boolean } {
  const exact = MODEL_PRICES_PER_MTOK[model] ?? MODEL_PRICES_PER_MTOK[model.replace(/-\d{8}$/, "")];
  return exact ? { ...exact, known: true } : { ...FALLBACK, known: false };
}

export function modelCostUsd(model: string, inputTokens: number, outputTokens: number): number {
  const price = modelPrice(model);
  return roundUsd((inputTokens * price.input + outputTokens * price.output) / 1_000_000);
}
