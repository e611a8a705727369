import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { CLICKUP_SEED } from "./sandbox/clickup/seed.ts";
import { hermeticWranglerConfig, NO_PROVIDERS } from "./scripts/local-worker.ts";
import { startWorkerTestServices } from "./test/support/worker-test-env.ts";

/** The projects named with --project, or all when none is named. */
function requestedProjects(argv: string[]): Set<string> | "all" {
  const named = argv.flatMap((arg, i) => (arg === "--project" ? [argv[i + 1] ?? ""] : arg.startsWith("--project=") ? [arg.slice(10)] : []));
  return named.length ? new Set(named) : "all";
}

// Two projects: `worker` runs inside workerd (the Worker, its Durable Objects and Workflow);
// `node` runs on Node 24 (SQL tests, the provider emulators, integration through wrangler's harness).
export default defineConfig(async () => {
  const projects = requestedProjects(process.argv);
  // The workerd bindings need the services' addresses now, so they start while the config loads
  // (only when the worker project runs); the root globalSetup stops them after the run.
  const services = projects === "all" || projects.has("worker") ? await startWorkerTestServices() : undefined;
  // Hermetic: the plugin reads wrangler.toml from a copy beside an empty .dev.vars (see hermeticWranglerConfig),
  // because wrangler's unstable_getMiniflareWorkerOptions, which the plugin calls, would otherwise add the
  // checkout's .dev.vars (or .env) to the bindings below; and vite reads no .env file (envDir: false).
  const wranglerConfig = hermeticWranglerConfig();
  process.once("exit", () => wranglerConfig.remove());
  return {
    envDir: false as const,
    test: {
      globalSetup: ["./test/support/global-services.ts"],
      projects: [
        {
          envDir: false as const,
          plugins: [
            cloudflareTest({
              wrangler: { configPath: wranglerConfig.configPath },
              miniflare: {
                bindings: {
                  ENVIRONMENT: "test",
                  LOG_LEVEL: "silent",
                  DATABASE_URL: services?.databaseUrl ?? "",
                  // Every provider is an emulator on loopback (or, without services, a closed port): no test reaches a real host.
                  ...(services?.providerEnv ?? NO_PROVIDERS),
                  CLICKUP_WEBHOOK_SECRET: "test-clickup-webhook-secret",
                  SUPABASE_WEBHOOK_SECRET: "test-supabase-webhook-secret",
                  AGENT_API_KEY: "test-agent-api-key",
                  CALLBACK_SIGNING_SECRET: "test-callback-signing-secret",
                  ADMIN_API_KEY: "test-admin-api-key",
                  CLICKUP_INTAKE_LIST_ID: CLICKUP_SEED.intake.listId,
                  CALLBACK_ALLOWED_HOSTS: "127.0.0.1",
                  HUNTER_VERIFY_POLL_MS: "5",
                  PROVIDER_TIMEOUT_MS: "1500",
                  CALLBACK_SINK_URL: services?.callbackSink.url ?? "http://127.0.0.1:9",
                  // Outreach: real send windows (tests move a sequence on with "send now"), a sender and the CAN-SPAM address.
                  APP_URL: "https://golf-outreach.test",
                  UNSUBSCRIBE_SIGNING_SECRET: "test-unsubscribe-signing-secret",
                  OUTREACH_POSTAL_ADDRESS: "Golf Outreach Inc., 100 Fairway Drive, Pinehurst, NC 28374",
                  OUTREACH_DEFAULT_SENDER: "Sam Rivers <sam@mg.golf-outreach.test>",
                  // No spacing and a high cap by default; the mailbox test sets its own in settings 'outreach'.
                  OUTREACH_SPACING_SECONDS: "0",
                  OUTREACH_DAILY_CAP: "100000",
                  // An import's runner looks often (the import tests wait on it).
                  IMPORT_POLL_SECONDS: "1",
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            // One file at a time: the files share the emulators, whose faults and request logs are global.
            fileParallelism: false,
            testTimeout: 30_000,
          },
        },
        {
          envDir: false as const,
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
            testTimeout: 30_000,
          },
        },
      ],
    },
  };
});
