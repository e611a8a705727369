// Brings up what the benchmark measures: a migrated database behind a counting proxy, every
// provider emulator with the realistic latency profile, and the real Worker (Durable Objects and
// Workflows, via wrangler's test harness) reached by the ClickUp emulator's own signed webhooks.

import { runClickUpSetup } from "../../scripts/clickup-setup.ts";
import { CLICKUP_SEED, type Webhook } from "../../sandbox/clickup/index.ts";
import { startSandbox, type Sandbox } from "../../sandbox/index.ts";
import { createTestDatabase, sqlClient, type TestDatabase } from "../../test/support/database.ts";
import { startWorker, type RunningWorker } from "../../test/support/worker-harness.ts";
import { startPgCountingProxy, type PgCountingProxy } from "./pg-proxy.ts";
import { benchProfile } from "./profile.ts";
import type postgres from "postgres";

export const BENCH_API_KEY = "bench-agent-api-key";

export interface AppSettings {
  /** Multiplies every emulator latency (the profile's numbers are real-provider milliseconds). */
  timeScale: number;
  /** "none" switches latency off (the counting test). */
  latency: "realistic" | "none";
  /** Sample the profile's distributions instead of using their means (see profile.ts). */
  jitter: boolean;
  clickupRateLimitPerWindow: number;
  clickupRateLimitWindowMs: number;
  logLevel: string;
}

export interface BenchWorld {
  database: TestDatabase;
  /** The benchmark's own reads go here directly, never through the proxy. */
  sql: postgres.Sql;
  proxy: PgCountingProxy;
  sandbox: Sandbox;
  /** The webhook `npm run clickup:setup` created (null until the first Worker is up). */
  webhook: Webhook | null;
  settings: AppSettings;
  close(): Promise<void>;
}

export async function startBenchWorld(settings: AppSettings): Promise<BenchWorld> {
  const database = await createTestDatabase();
  const cleanups: Array<() => Promise<unknown>> = [() => database.stop()];
  try {
    const sql = sqlClient(database.url, { max: 2 });
    cleanups.unshift(() => sql.end({ timeout: 1 }));
    const proxy = await startPgCountingProxy(database.url);
    cleanups.unshift(() => proxy.close());
    const sandbox = await startSandbox({
      latency: settings.latency === "realistic" ? benchProfile(settings.jitter) : "none",
      ...(settings.latency === "realistic" ? { timeScale: settings.timeScale } : {}),
      providers: ["anthropic", "clickup", "hunter", "perplexity", "jina"],
      clickup: {
        seed: "intake",
        rateLimitPerMinute: settings.clickupRateLimitPerWindow,
        rateLimitWindowMs: settings.clickupRateLimitWindowMs,
      },
    });
    cleanups.unshift(() => sandbox.close());
    return {
      database,
      sql,
      proxy,
      sandbox,
      webhook: null,
      settings,
      async close() {
        for (const cleanup of cleanups) await cleanup().catch(() => {});
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw error;
  }
}

export interface BenchWorker extends RunningWorker {
  mode: "parallel" | "sequential";
}

/**
 * Starts the Worker in this pipeline mode and connects ClickUp to it as an admin would: the first
 * time with `npm run clickup:setup` (lists, fields, statuses and the webhook on the space, with the
 * ids and the webhook's secret stored in the database, where the Worker reads them); for a second
 * Worker the same webhook is pointed at the new URL.
 */
export async function startBenchWorker(world: BenchWorld, mode: "parallel" | "sequential", overrides: { clickupRateLimitPerWindow?: number } = {}): Promise<BenchWorker> {
  const { sandbox } = world;
  // A Worker for another ClickUp plan (issue 16's burst with a limit that does not bind): the
  // emulator enforces the same limit the Worker is told.
  const settings = { ...world.settings, ...overrides };
  sandbox.servers.clickup.limiter.limit = settings.clickupRateLimitPerWindow;
  const scale = settings.latency === "realistic" ? settings.timeScale : 0;
  const worker = await startWorker({
    ...sandbox.env,
    DATABASE_URL: world.proxy.url,
    // Both come from the settings clickup:setup stores, as in production.
    CLICKUP_INTAKE_LIST_ID: "",
    AGENT_API_KEY: BENCH_API_KEY,
    LOG_LEVEL: settings.logLevel,
    PIPELINE_MODE: mode,
    // The app's own wait between Hunter verifier polls is a provider-paced wait: scaled like the latencies.
    HUNTER_VERIFY_POLL_MS: String(Math.round(1_500 * scale)),
    // The import runner's poll (10 s by default; a free slot wakes it sooner) is a wait on runs, paced like them.
    IMPORT_POLL_SECONDS: String(Math.max(0.05, Math.min(10, 10 * (scale || 0.005)))),
    // The app paces ClickUp by the plan's limit; it is told the limit the emulator enforces.
    CLICKUP_RATE_LIMIT_PER_MINUTE: String(settings.clickupRateLimitPerWindow),
    CLICKUP_RATE_WINDOW_MS: String(settings.clickupRateLimitWindowMs),
  });
  try {
    const clickup = sandbox.servers.clickup;
    if (!world.webhook) {
      const lines: string[] = [];
      const { exitCode } = await runClickUpSetup({
        env: { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: world.database.url },
        print: (line) => lines.push(line),
      });
      if (exitCode !== 0) throw new Error(`npm run clickup:setup against the emulator did not complete (exit ${exitCode}):\n${lines.join("\n")}`);
      const created = [...clickup.hub.webhooks.values()].find((w) => w.endpoint.startsWith(worker.url.origin));
      if (!created) throw new Error("clickup:setup created no webhook to the Worker");
      world.webhook = created;
      return { ...worker, mode };
    }
    const webhook = world.webhook;
    const response = await fetch(`${clickup.url}/api/v2/webhook/${webhook.id}`, {
      method: "PUT",
      headers: { authorization: sandbox.env.CLICKUP_API_TOKEN ?? "pk_test_token", "content-type": "application/json" },
      body: JSON.stringify({ endpoint: new URL("/webhooks/clickup", worker.url).toString(), events: webhook.events.join(","), status: "active" }),
    });
    if (response.status !== 200) throw new Error(`pointing the ClickUp webhook at the Worker failed: ${response.status} ${await response.text()}`);
  } catch (error) {
    await worker.close();
    throw error;
  }
  return { ...worker, mode };
}

export function webhookOf(world: BenchWorld): Webhook {
  if (!world.webhook) throw new Error("no ClickUp webhook yet: start a Worker first (startBenchWorker runs clickup:setup)");
  return world.webhook;
}

/** Sets the emulators' latency (the warm-up shortens it; measuring restores it). */
export function setWorldLatency(world: BenchWorld, timeScale: number): void {
  if (world.settings.latency === "realistic") world.sandbox.setLatency(benchProfile(world.settings.jitter), timeScale);
}

/** Clears every emulator's request log and the ClickUp rate-limit windows, and zeroes the database counters. */
export function clearCounters(world: BenchWorld): void {
  for (const server of Object.values(world.sandbox.servers)) server?.recorder.clear();
  world.sandbox.servers.clickup.resetRateLimits();
  world.proxy.reset();
}
