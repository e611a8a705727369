import { createServer } from "node:net";

/** A free loopback port, found by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WorkerTestEnv {
  databaseUrl: string;
  clickupBaseUrl: string;
}

/**
 * Decides, at config time, what the workerd tests get as bindings: the database (a fresh database
 * on the DATABASE_URL server, or the embedded PGlite on a free port) and the ClickUp emulator's
 * address. `global-services.ts` (globalSetup) then brings exactly those up, and down afterwards.
 * Values travel through process.env because config and globalSetup share the main process.
 */
export async function workerTestEnv(): Promise<WorkerTestEnv> {
  if (!process.env.GOLF_TEST_DATABASE_URL) {
    if (process.env.DATABASE_URL) {
      const name = `golf_test_${process.pid}_${Date.now().toString(36)}`;
      const server = new URL(process.env.DATABASE_URL);
      server.pathname = `/${name}`;
      process.env.GOLF_TEST_DATABASE_NAME = name;
      process.env.GOLF_TEST_DATABASE_URL = server.toString();
    } else {
      const port = await freePort();
      process.env.GOLF_TEST_DATABASE_PORT = String(port);
      process.env.GOLF_TEST_DATABASE_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
    }
  }
  if (!process.env.GOLF_TEST_CLICKUP_PORT) process.env.GOLF_TEST_CLICKUP_PORT = String(await freePort());
  return {
    databaseUrl: process.env.GOLF_TEST_DATABASE_URL,
    clickupBaseUrl: `http://127.0.0.1:${process.env.GOLF_TEST_CLICKUP_PORT}`,
  };
}
