import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestHarness, experimental_readRawConfig } from "wrangler";

/** Every provider not given explicitly points at a closed loopback port: nothing local ever reaches a real host by accident. */
export const NO_PROVIDERS = {
  CLICKUP_BASE_URL: "http://127.0.0.1:9",
  ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
  HUNTER_BASE_URL: "http://127.0.0.1:9",
  PERPLEXITY_BASE_URL: "http://127.0.0.1:9",
  JINA_BASE_URL: "http://127.0.0.1:9",
  MAILGUN_BASE_URL: "http://127.0.0.1:9",
} as const;

/** The checkout's wrangler.toml (the one production deploys). */
export const WRANGLER_CONFIG = join(dirname(fileURLToPath(import.meta.url)), "..", "wrangler.toml");

/** Top-level keys whose paths wrangler resolves against the config's directory; only `main` is rebased below. */
const PATH_KEYS = ["base_dir", "tsconfig", "assets", "site", "build", "alias", "wasm_modules", "text_blobs", "data_blobs", "pages_build_output_dir", "containers"];

export interface HermeticWranglerConfig {
  /** An absolute path to the generated config, alone in a fresh temporary directory. */
  configPath: string;
  remove(): void;
}

/**
 * wrangler.toml, as it is, in a fresh temporary directory, for the Worker that tests, the benchmark
 * and `npm run enrich` run: wrangler reads local secrets from the directory of the config it is
 * given (wrangler's `getVarsForDev`: `.dev.vars.<env>` or `.dev.vars`, and when there is none `.env`,
 * `.env.local`, `.env.<env>`, `.env.<env>.local`, plus all of process.env when
 * CLOUDFLARE_INCLUDE_PROCESS_ENV=true), and no documented option of wrangler's test harness or of
 * @cloudflare/vitest-plugin turns that off. The checkout's `.dev.vars` (a developer's real keys) must
 * not reach a test. So the config is written here with `main` made absolute, beside an EMPTY
 * `.dev.vars`: wrangler finds that, loads nothing from it, and never falls back to the `.env` files
 * or process.env. Every other field (name, compatibility date and flags, Durable Objects, their
 * migrations, the Workflow, vars) is the checkout's, unchanged; only `env.*` sections are left out,
 * so a CLOUDFLARE_ENV in the developer's shell cannot select one (wrangler.toml has none today).
 */
export function hermeticWranglerConfig(): HermeticWranglerConfig {
  const { rawConfig } = experimental_readRawConfig({ config: WRANGLER_CONFIG });
  const { env: _environments, ...config } = rawConfig as Record<string, unknown>;
  const unhandled = PATH_KEYS.filter((key) => key in config);
  if (unhandled.length > 0) {
    throw new Error(`wrangler.toml sets ${unhandled.join(", ")}: paths relative to wrangler.toml that hermeticWranglerConfig (scripts/local-worker.ts) does not rebase yet`);
  }
  if (typeof config.main !== "string") throw new Error("wrangler.toml has no main");
  config.main = resolve(dirname(WRANGLER_CONFIG), config.main);
  const dir = mkdtempSync(join(tmpdir(), "golf-worker-config-"));
  const configPath = join(dir, "wrangler.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  writeFileSync(join(dir, ".dev.vars"), "# Empty on purpose: the Worker's secrets are exactly what its caller passes (scripts/local-worker.ts).\n");
  return { configPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningWorker {
  url: URL;
  close(): Promise<void>;
}

/**
 * The real Worker (Durable Objects, Workflows) served over HTTP on loopback by wrangler's harness,
 * in this process, so tests, the benchmark and `npm run enrich` can call it as production is called.
 * Its configuration is wrangler.toml's vars plus exactly `secrets` (over the test defaults and, unless
 * `providers: "as-given"`, NO_PROVIDERS): never the checkout's `.dev.vars` or `.env`
 * (see hermeticWranglerConfig). `npm run enrich -- --real` reads .dev.vars itself and passes the keys in.
 */
export async function startWorker(secrets: Record<string, string>, opts: { providers?: "closed" | "as-given" } = {}): Promise<RunningWorker> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const base = opts.providers === "as-given" ? {} : NO_PROVIDERS;
  const config = hermeticWranglerConfig();
  const harness = createTestHarness({
    workers: [{ configPath: config.configPath, secrets: { ENVIRONMENT: "test", LOG_LEVEL: "warn", ...base, ...secrets } }],
  });
  const close = async (): Promise<void> => {
    try {
      await harness.close();
    } finally {
      config.remove();
    }
  };
  try {
    const { url } = await harness.listen();
    return { url, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
