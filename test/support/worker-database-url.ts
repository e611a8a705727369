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

/**
 * Decides, at config time, the database URL the workerd tests get as a binding: a fresh database
 * on the DATABASE_URL server, or the embedded PGlite server on a free port. `global-database.ts`
 * (globalSetup) then creates and migrates exactly that database, and removes it afterwards.
 */
export async function testDatabaseUrlForWorkers(): Promise<string> {
  if (process.env.GOLF_TEST_DATABASE_URL) return process.env.GOLF_TEST_DATABASE_URL;
  let url: string;
  if (process.env.DATABASE_URL) {
    const name = `golf_test_${process.pid}_${Date.now().toString(36)}`;
    const server = new URL(process.env.DATABASE_URL);
    server.pathname = `/${name}`;
    url = server.toString();
    process.env.GOLF_TEST_DATABASE_NAME = name;
  } else {
    const port = await freePort();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    process.env.GOLF_TEST_DATABASE_PORT = String(port);
  }
  process.env.GOLF_TEST_DATABASE_URL = url;
  return url;
}
