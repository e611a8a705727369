import { CLICKUP_SEED } from "../../sandbox/clickup/index.ts";
import { createEmulatorServer, type EmulatorServer } from "../../sandbox/core/server.ts";
import { startSandbox, type Sandbox } from "../../sandbox/index.ts";
import { runClickUpSetup } from "../../scripts/clickup-setup.ts";
import { createTestDatabase } from "./database.ts";

export interface WorkerTestServices {
  databaseUrl: string;
  /** Every *_BASE_URL pointed at the emulators, with the sandbox's fake keys. */
  providerEnv: Record<string, string>;
  sandbox: Sandbox;
  /** Receives run callbacks (answers 200 and records them, readable at /__emulator/requests). */
  callbackSink: EmulatorServer;
  stop(): Promise<void>;
}

declare global {
  var __golfWorkerTestServices: WorkerTestServices | undefined;
}

/**
 * The services the workerd tests reach, started while vitest loads its config (the bindings need
 * their addresses) in plain Node: a migrated database (embedded PGlite, or a fresh database on the
 * DATABASE_URL server) and every provider emulator. `global-services.ts` stops them after the run.
 * (globalSetup itself cannot start them: it is loaded with the workerd resolve conditions, under
 * which postgres.js resolves to its Cloudflare build.)
 */
export async function startWorkerTestServices(): Promise<WorkerTestServices> {
  if (globalThis.__golfWorkerTestServices) return globalThis.__golfWorkerTestServices;
  const database = await createTestDatabase();
  const sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake", rateLimitPerMinute: 10_000 } });
  const callbackSink = await createEmulatorServer({ name: "callback-sink", handler: () => ({ status: 200, body: { received: true } }) });
  // ClickUp set up as an admin would (npm run clickup:setup), so runs write their leads to the emulated
  // workspace. Its webhook points at a closed port: workerd tests deliver webhooks themselves.
  const lines: string[] = [];
  const { exitCode } = await runClickUpSetup({
    env: { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: "http://127.0.0.1:9", DATABASE_URL: database.url },
    print: (line) => lines.push(line),
  });
  if (exitCode !== 0) throw new Error(`clickup:setup failed for the worker tests:\n${lines.join("\n")}`);
  const services: WorkerTestServices = {
    databaseUrl: database.url,
    providerEnv: sandbox.env,
    sandbox,
    callbackSink,
    async stop() {
      globalThis.__golfWorkerTestServices = undefined;
      await callbackSink.close();
      await sandbox.close();
      await database.stop();
    },
  };
  globalThis.__golfWorkerTestServices = services;
  return services;
}
