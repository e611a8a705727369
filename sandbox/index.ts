// Starts every provider emulator on loopback and returns the environment that points the app at
// them. Used by tests, `npm start -- --sandbox` (scripts/start.ts), the benchmark and sandbox/cli.ts.
//
//   const sandbox = await startSandbox();                                  // no latency (tests)
//   const sandbox = await startSandbox({ latency: "realistic", timeScale: 0.05 }); // benchmark shape
//   Object.assign(process.env, sandbox.env);
//   sandbox.servers.anthropic.script({ match: { toolName: "record_staff" }, response: { toolInput: {...} } });
//   await sandbox.close();
//
// Base URLs are hosts without a path, like the real defaults in src/env.ts (the app appends
// `/v1/messages`, `/v2/domain-search`, `/api/v2/...`, `/v3/<domain>/messages`, `/<url>` itself).

import { type ClickUpEmulator, type ClickUpEmulatorOptions, CLICKUP_SEED, startClickUpEmulator } from "./clickup/index.ts";
import type { EmulatorServer } from "./core/server.ts";
import type { LatencyProfile } from "./core/latency.ts";
import { type AnthropicEmulator, startAnthropicEmulator } from "./anthropic/index.ts";
import { type HunterEmulator, startHunterEmulator } from "./hunter/index.ts";
import { startJinaEmulator } from "./jina/index.ts";
import { DEFAULT_MAILGUN_SIGNING_KEY, type MailgunEmulator, startMailgunEmulator } from "./mailgun/index.ts";
import { startPerplexityEmulator } from "./perplexity/index.ts";

export type ProviderName = "anthropic" | "clickup" | "hunter" | "perplexity" | "jina" | "mailgun";
export const PROVIDERS: readonly ProviderName[] = ["anthropic", "clickup", "hunter", "perplexity", "jina", "mailgun"];

/** The fake credentials the sandbox hands out (the emulators accept any non-empty key unless `strictKeys`). */
export const SANDBOX_KEYS = {
  ANTHROPIC_API_KEY: "sk-ant-sandbox-key",
  CLICKUP_API_TOKEN: "pk_test_token",
  HUNTER_API_KEY: "hunter-sandbox-key",
  PERPLEXITY_API_KEY: "pplx-sandbox-key",
  JINA_API_KEY: "jina_sandbox_key",
  MAILGUN_API_KEY: "key-sandbox-mailgun",
  MAILGUN_DOMAIN: "mg.golf-outreach.test",
  MAILGUN_WEBHOOK_SIGNING_KEY: DEFAULT_MAILGUN_SIGNING_KEY,
} as const;

/**
 * What outreach needs in a sandbox demo (`npm start -- --sandbox`): a sender, the CAN-SPAM postal
 * address, unsubscribe links on the app's URL, and demo mode (the send window always open, a
 * business day a minute), so a lead moved to contacted gets email 1 at once.
 */
export function sandboxOutreachEnv(appUrl: string): Record<string, string> {
  return {
    APP_URL: appUrl,
    UNSUBSCRIBE_SIGNING_SECRET: "sandbox-unsubscribe-signing-secret",
    OUTREACH_POSTAL_ADDRESS: "Golf Outreach Demo, 1 Sandbox Way, Pinehurst, NC 28374",
    OUTREACH_DEFAULT_SENDER: `Sam Rivers <sam@${SANDBOX_KEYS.MAILGUN_DOMAIN}>`,
    OUTREACH_DEMO_MODE: "1",
  };
}

export interface SandboxOptions {
  /** Fixed ports per provider (default: free ports). */
  ports?: Partial<Record<ProviderName, number>>;
  host?: string;
  /** Latency profile for every emulator: "none" (default without timeScale), "realistic" (default when timeScale is given) or a custom profile. */
  latency?: "none" | "realistic" | LatencyProfile;
  /** Multiplies every latency (0.01 → an 18 s Sonnet call takes 180 ms). */
  timeScale?: number;
  /** Options for the ClickUp emulator (seed, plan, rate limit, webhooks...). */
  clickup?: ClickUpEmulatorOptions;
  /** Only start these (default: all). */
  providers?: readonly ProviderName[];
  /** Emulators accept only the SANDBOX_KEYS credentials (wrong key → 401). Default false: any non-empty key. */
  strictKeys?: boolean;
}

export interface SandboxServers {
  anthropic: AnthropicEmulator;
  clickup: ClickUpEmulator;
  hunter: HunterEmulator;
  perplexity: EmulatorServer;
  jina: EmulatorServer;
  mailgun: MailgunEmulator;
}

export interface Sandbox {
  /** Servers that were started (all by default). */
  servers: SandboxServers;
  /** `*_BASE_URL`s and fake keys for the app (only for the providers started). */
  env: Record<string, string>;
  /** Applies a latency profile (and optional timeScale) to every emulator. */
  setLatency(latency: "none" | "realistic" | LatencyProfile, timeScale?: number): void;
  /** Clears recorded requests, faults, latency overrides and emulator state (scripts, sent mail...). */
  reset(): void;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const wanted = new Set(opts.providers ?? PROVIDERS);
  const host = opts.host;
  const port = (p: ProviderName): number | undefined => opts.ports?.[p];
  const strict = opts.strictKeys ?? false;
  const started: Partial<SandboxServers> = {};
  const all: EmulatorServer[] = [];
  const track = <T extends EmulatorServer>(s: T): T => {
    all.push(s);
    return s;
  };

  try {
    const jobs: Array<Promise<unknown>> = [];
    if (wanted.has("anthropic")) jobs.push(startAnthropicEmulator({ port: port("anthropic"), host, ...(strict ? { apiKeys: [SANDBOX_KEYS.ANTHROPIC_API_KEY] } : {}) }).then((s) => (started.anthropic = track(s))));
    if (wanted.has("hunter")) jobs.push(startHunterEmulator({ port: port("hunter"), host, ...(strict ? { apiKeys: [SANDBOX_KEYS.HUNTER_API_KEY] } : {}) }).then((s) => (started.hunter = track(s))));
    if (wanted.has("perplexity")) jobs.push(startPerplexityEmulator({ port: port("perplexity"), host, ...(strict ? { apiKeys: [SANDBOX_KEYS.PERPLEXITY_API_KEY] } : {}) }).then((s) => (started.perplexity = track(s))));
    if (wanted.has("jina")) jobs.push(startJinaEmulator({ port: port("jina"), host, ...(strict ? { apiKeys: [SANDBOX_KEYS.JINA_API_KEY] } : {}) }).then((s) => (started.jina = track(s))));
    if (wanted.has("mailgun")) jobs.push(startMailgunEmulator({ port: port("mailgun"), host, ...(strict ? { apiKeys: [SANDBOX_KEYS.MAILGUN_API_KEY] } : {}) }).then((s) => (started.mailgun = track(s))));
    if (wanted.has("clickup")) {
      const clickupOpts: ClickUpEmulatorOptions = { ...(opts.clickup ?? {}) };
      if (port("clickup") !== undefined) clickupOpts.port = port("clickup");
      if (host !== undefined && clickupOpts.host === undefined) clickupOpts.host = host;
      jobs.push(startClickUpEmulator(clickupOpts).then((s) => (started.clickup = track(s))));
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.allSettled(all.map((s) => s.close()));
    throw err;
  }

  const setLatency = (latency: "none" | "realistic" | LatencyProfile, timeScale?: number): void => {
    for (const s of all) {
      s.latency.setProfile(latency);
      if (timeScale !== undefined) s.latency.setTimeScale(timeScale);
    }
  };
  const latency = opts.latency ?? (opts.timeScale !== undefined ? "realistic" : "none");
  setLatency(latency, opts.timeScale);

  const env: Record<string, string> = {};
  if (started.anthropic) Object.assign(env, { ANTHROPIC_BASE_URL: started.anthropic.url, ANTHROPIC_API_KEY: SANDBOX_KEYS.ANTHROPIC_API_KEY });
  if (started.clickup) {
    Object.assign(env, {
      CLICKUP_BASE_URL: started.clickup.url,
      CLICKUP_API_TOKEN: started.clickup.tokens[0] ?? SANDBOX_KEYS.CLICKUP_API_TOKEN,
      CLICKUP_TEAM_ID: CLICKUP_SEED.teamId,
      CLICKUP_INTAKE_LIST_ID: CLICKUP_SEED.intake.listId,
    });
  }
  if (started.hunter) Object.assign(env, { HUNTER_BASE_URL: started.hunter.url, HUNTER_API_KEY: SANDBOX_KEYS.HUNTER_API_KEY });
  if (started.perplexity) Object.assign(env, { PERPLEXITY_BASE_URL: started.perplexity.url, PERPLEXITY_API_KEY: SANDBOX_KEYS.PERPLEXITY_API_KEY });
  if (started.jina) Object.assign(env, { JINA_BASE_URL: started.jina.url, JINA_API_KEY: SANDBOX_KEYS.JINA_API_KEY });
  if (started.mailgun) {
    Object.assign(env, {
      MAILGUN_BASE_URL: started.mailgun.url,
      MAILGUN_API_KEY: SANDBOX_KEYS.MAILGUN_API_KEY,
      MAILGUN_DOMAIN: SANDBOX_KEYS.MAILGUN_DOMAIN,
      MAILGUN_WEBHOOK_SIGNING_KEY: started.mailgun.signingKey,
    });
  }

  let closing: Promise<void> | undefined;
  return {
    // Providers not started are absent at runtime; the type lists all for convenience.
    servers: started as SandboxServers,
    env,
    setLatency,
    reset() {
      for (const s of all) s.reset();
    },
    close() {
      closing ??= Promise.allSettled(all.map((s) => s.close())).then(() => undefined);
      return closing;
    },
  };
}
