import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { CLICKUP_SEED } from "./sandbox/clickup/seed.ts";
import { workerTestEnv } from "./test/support/worker-test-env.ts";

// Two projects: `worker` runs inside workerd (the Worker, its Durable Object and Workflow);
// `node` runs on Node 24 (SQL tests, the provider emulators, scripts).
export default defineConfig(async () => {
  const services = await workerTestEnv();
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ENVIRONMENT: "test",
                  LOG_LEVEL: "silent",
                  DATABASE_URL: services.databaseUrl,
                  CLICKUP_BASE_URL: services.clickupBaseUrl,
                  CLICKUP_API_TOKEN: "pk_test_token",
                  CLICKUP_WEBHOOK_SECRET: "test-clickup-webhook-secret",
                  SUPABASE_WEBHOOK_SECRET: "test-supabase-webhook-secret",
                  AGENT_API_KEY: "test-agent-api-key",
                  CLICKUP_INTAKE_LIST_ID: CLICKUP_SEED.intake.listId,
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            globalSetup: ["./test/support/global-services.ts"],
            testTimeout: 30_000,
          },
        },
        {
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
