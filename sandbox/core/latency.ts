// Latency profiles for the provider emulators.
//
// A profile maps routes (method + path pattern, `*` glob) to a base latency. The base latency can be a
// number (ms), a distribution, or a function of the request and the response the emulator produced
// (so a model call can take longer for a bigger model or a longer answer). `timeScale` multiplies
// every latency (0.01 turns an 18 s Sonnet call into 180 ms) so a benchmark can replay the realistic
// shape in seconds. The default profile is "none": zero latency, for fast tests.
//
// The numbers come from the seed (infrastructure-architecture.md: Haiku 4.5 for most agents, Sonnet
// 4.5 for Agent 6, ~180 s per course sequentially) and the brief: Haiku agent ~3–6 s, Agent 6 course
// intel ~18 s, Hunter ~400 ms, Jina page read ~1.5 s, Perplexity ~5 s, ClickUp ~300 ms, Mailgun ~200 ms.
// They are exported (`PROVIDER_LATENCY_MS`, `MODEL_LATENCY`, `modelLatencyMs`) so the benchmark can
// compute critical paths from the same table.

import type { EmulatorRequest, EmulatorResponse } from "./server.ts";
import { routeMatches } from "./faults.ts";

/** A latency distribution in milliseconds. */
export type LatencyDistribution =
  | number
  | { fixed: number }
  | { uniform: { min: number; max: number } }
  | { normal: { mean: number; sd: number; min?: number } };

export type LatencyFn = (req: EmulatorRequest, res: EmulatorResponse | undefined) => LatencyDistribution;

export interface LatencyRule {
  /** Route pattern: "POST /v1/messages", "GET /v2/*", "* /*", or "*". */
  route: string;
  latency: LatencyDistribution | LatencyFn;
}

export interface LatencyProfile {
  name: string;
  rules: LatencyRule[];
}

/** JSON-serialisable profile settings accepted by `POST /__emulator/latency`. */
export interface LatencySettings {
  /** A named profile ("none" | "realistic") replacing the current rules. */
  profile?: "none" | "realistic";
  timeScale?: number;
  /** Extra rules (distributions only), evaluated before the profile's own rules. */
  rules?: Array<{ route: string; latency: LatencyDistribution }>;
}

export function sampleDistribution(d: LatencyDistribution, random: () => number = Math.random): number {
  if (typeof d === "number") return Math.max(0, d);
  if ("fixed" in d) return Math.max(0, d.fixed);
  if ("uniform" in d) {
    const { min, max } = d.uniform;
    return Math.max(0, min + (max - min) * random());
  }
  const { mean, sd, min } = d.normal;
  // Box–Muller.
  const u1 = Math.max(random(), 1e-12);
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(min ?? 0, mean + sd * z);
}

/** Mean of a distribution (used by the benchmark for critical paths). */
export function meanOf(d: LatencyDistribution): number {
  if (typeof d === "number") return d;
  if ("fixed" in d) return d.fixed;
  if ("uniform" in d) return (d.uniform.min + d.uniform.max) / 2;
  return d.normal.mean;
}

// ---------------------------------------------------------------------------------------------
// The realistic table.

/** Base latency per provider call, in ms (means), before `timeScale`. */
export const PROVIDER_LATENCY_MS = {
  hunter: 400,
  jina: 1_500,
  perplexity: 5_000,
  clickup: 300,
  mailgun: 200,
  /** Each web search a model runs through the server tool adds this much. */
  anthropicWebSearch: 1_500,
} as const;

/**
 * Model latency = time to first token + output tokens / throughput.
 * Haiku 4.5: ~1 s + ~150 tok/s → a 400–700-token agent answer takes ~3.7–5.7 s.
 * Sonnet 4.5: ~2 s + ~60 tok/s → Agent 6 course intel (~1,000 output tokens) takes ~18 s.
 */
export const MODEL_LATENCY: Record<"haiku" | "sonnet" | "opus", { firstTokenMs: number; msPerOutputToken: number }> = {
  haiku: { firstTokenMs: 1_000, msPerOutputToken: 6.7 },
  sonnet: { firstTokenMs: 2_000, msPerOutputToken: 16 },
  opus: { firstTokenMs: 3_000, msPerOutputToken: 30 },
};

export function modelFamily(model: string): keyof typeof MODEL_LATENCY {
  const m = model.toLowerCase();
  if (m.includes("opus")) return "opus";
  if (m.includes("sonnet")) return "sonnet";
  return "haiku";
}

/** Mean latency of one model call producing `outputTokens`, plus `webSearches` server-side searches. */
export function modelLatencyMs(model: string, outputTokens: number, webSearches = 0): number {
  const p = MODEL_LATENCY[modelFamily(model)];
  return p.firstTokenMs + p.msPerOutputToken * Math.max(0, outputTokens) + webSearches * PROVIDER_LATENCY_MS.anthropicWebSearch;
}

/**
 * Output size a real model typically produces for one of our agent calls. The emulator's answers are
 * terser than a real model's (no preamble, short strings), so latency uses at least this many output
 * tokens (capped by `max_tokens`): Haiku ≈ 400 → ~3.7 s, Sonnet ≈ 1,000 → ~18 s.
 */
export const TYPICAL_OUTPUT_TOKENS: Record<keyof typeof MODEL_LATENCY, number> = { haiku: 400, sonnet: 1_000, opus: 1_000 };

/**
 * Mean latency of one Messages API call as the realistic profile computes it (the benchmark can use
 * the same function for critical paths): max(actual output, min(max_tokens, typical)) output tokens.
 */
export function anthropicCallLatencyMs(model: string, maxTokens: number, outputTokens = 0, webSearches = 0): number {
  const typical = Math.min(maxTokens, TYPICAL_OUTPUT_TOKENS[modelFamily(model)]);
  return modelLatencyMs(model, Math.max(outputTokens, typical), webSearches);
}

function readUsage(res: EmulatorResponse | undefined): { output: number; searches: number } | undefined {
  const body = res?.body;
  if (!body || typeof body !== "object" || Buffer.isBuffer(body)) return undefined;
  const usage = (body as { usage?: unknown }).usage;
  if (!usage || typeof usage !== "object") return undefined;
  const u = usage as { output_tokens?: unknown; server_tool_use?: { web_search_requests?: unknown } | null };
  const output = typeof u.output_tokens === "number" ? u.output_tokens : 0;
  const s = u.server_tool_use?.web_search_requests;
  return { output, searches: typeof s === "number" ? s : 0 };
}

/** Anthropic latency as a function of the request (model, max_tokens) and the produced answer (output tokens, searches). */
export const anthropicMessagesLatency: LatencyFn = (req, res) => {
  const body = req.json as { model?: unknown; max_tokens?: unknown } | undefined;
  const model = typeof body?.model === "string" ? body.model : "claude-haiku-4-5";
  const maxTokens = typeof body?.max_tokens === "number" ? body.max_tokens : 1024;
  const usage = readUsage(res);
  const mean = anthropicCallLatencyMs(model, maxTokens, usage?.output ?? 0, usage?.searches ?? 0);
  return { normal: { mean, sd: mean * 0.1, min: mean * 0.6 } };
};

const spread = (mean: number, frac = 0.15): LatencyDistribution => ({
  normal: { mean, sd: mean * frac, min: mean * 0.5 },
});

export const noLatencyProfile: LatencyProfile = { name: "none", rules: [] };

export const realisticProfile: LatencyProfile = {
  name: "realistic",
  rules: [
    { route: "POST /v1/messages/count_tokens", latency: spread(150) },
    { route: "POST /v1/messages", latency: anthropicMessagesLatency },
    { route: "GET /v2/*", latency: spread(PROVIDER_LATENCY_MS.hunter) },
    { route: "POST /v1/agent", latency: spread(PROVIDER_LATENCY_MS.perplexity, 0.2) },
    { route: "POST /v1/responses", latency: spread(PROVIDER_LATENCY_MS.perplexity, 0.2) },
    { route: "POST /v3/*", latency: spread(PROVIDER_LATENCY_MS.mailgun) },
    { route: "* /api/v2/*", latency: spread(PROVIDER_LATENCY_MS.clickup) },
    // Jina Reader: `GET /<target-url>`.
    { route: "GET /http*", latency: spread(PROVIDER_LATENCY_MS.jina, 0.25) },
    { route: "POST /", latency: spread(PROVIDER_LATENCY_MS.jina, 0.25) },
  ],
};

export const namedProfiles: Record<"none" | "realistic", LatencyProfile> = {
  none: noLatencyProfile,
  realistic: realisticProfile,
};

/** Per-server latency controls. */
export class LatencyControls {
  profile: LatencyProfile = noLatencyProfile;
  timeScale = 1;
  /** Rules set at runtime; checked before the profile's. */
  overrides: LatencyRule[] = [];

  setProfile(profile: LatencyProfile | "none" | "realistic"): void {
    this.profile = typeof profile === "string" ? namedProfiles[profile] : profile;
  }

  setTimeScale(scale: number): void {
    if (!Number.isFinite(scale) || scale < 0) throw new Error(`invalid timeScale ${scale}`);
    this.timeScale = scale;
  }

  set(route: string, latency: LatencyDistribution | LatencyFn): void {
    this.overrides = this.overrides.filter((r) => r.route !== route);
    this.overrides.unshift({ route, latency });
  }

  apply(settings: LatencySettings): void {
    if (settings.profile) this.setProfile(settings.profile);
    if (settings.timeScale !== undefined) this.setTimeScale(settings.timeScale);
    for (const r of settings.rules ?? []) this.set(r.route, r.latency);
  }

  reset(): void {
    this.profile = noLatencyProfile;
    this.timeScale = 1;
    this.overrides = [];
  }

  /** Latency for this request, already scaled, in ms (0 when no rule matches). */
  delayFor(req: EmulatorRequest, res: EmulatorResponse | undefined): number {
    const rule = [...this.overrides, ...this.profile.rules].find((r) => routeMatches(r.route, req.method, req.path));
    if (!rule) return 0;
    const d = typeof rule.latency === "function" ? rule.latency(req, res) : rule.latency;
    return sampleDistribution(d) * this.timeScale;
  }

  describe(): { profile: string; timeScale: number; overrides: string[] } {
    return { profile: this.profile.name, timeScale: this.timeScale, overrides: this.overrides.map((r) => r.route) };
  }
}
