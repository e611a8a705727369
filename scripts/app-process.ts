/**
 * The app as its own process, the way `npm start` runs it (embedded Postgres, wrangler dev with
 * persisted local state), for the scripts and tests that kill it and start it again: a free port, a
 * start that resolves when the Worker listens, a kill of its whole process group (wrangler, workerd
 * and the database together, as a crash would), and a patient wait for a condition.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits for `check` to return a value (errors count as "not yet"), up to `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | null | undefined | false>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `npm start` in its own process group (so the kill takes wrangler, workerd and the database with it). */
export function startApp(args: string[], opts: { embeddedDatabase?: boolean } = {}): { child: ChildProcess; ready: Promise<void>; log: () => string } {
  // `npm start` uses DATABASE_URL when it is set (CI's server Postgres run sets it); a caller that reads the embedded database on its port drops it.
  const env = { ...process.env };
  if (opts.embeddedDatabase) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [join(root, "scripts", "start.ts"), ...args], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 120 s:\n${log.slice(-2000)}`)), 120_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('"action":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${log.slice(-2000)}`)));
  });
  return { child, ready, log: () => log };
}

export function killGroup(child: ChildProcess): void {
  if (child.pid) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
