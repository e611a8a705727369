import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testDatabaseUrlForWorkers } from "./test/support/worker-database-url.ts";

// Two projects: `worker` runs inside workerd (the Worker, its Durable Object and Workflow);
// `node` runs on Node 24 (SQL tests, the provider emulators, scripts).
export default defineConfig(async () => {
  const databaseUrl = await testDatabaseUrlForWorkers();
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
                  DATABASE_URL: databaseUrl,
                  CLICKUP_WEBHOOK_SECRET: "test-clickup-webhook-secret",
                  SUPABASE_WEBHOOK_SECRET: "test-supabase-webhook-secret",
                  AGENT_API_KEY: "test-agent-api-key",
                  CLICKUP_INTAKE_LIST_ID: "intake-list-1",
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            globalSetup: ["./test/support/global-database.ts"],
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
