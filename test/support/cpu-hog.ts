// A CPU hog for tests that must hold on a loaded machine: busy-looping child processes, one per core
// by default, each ending by itself after `maxMs` (so a crashed test run leaves nothing behind).
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";

export interface CpuHog {
  readonly processes: number;
  /** Kills the hog's own children (by their pid) and waits until they are gone. */
  stop(): Promise<void>;
}

export function startCpuHog(opts: { processes?: number; maxMs?: number } = {}): CpuHog {
  const processes = opts.processes ?? availableParallelism();
  const maxMs = opts.maxMs ?? 120_000;
  const busy = `const end = Date.now() + ${maxMs}; let x = 0; while (Date.now() < end) { for (let i = 0; i < 1e6; i++) x += i ^ (x >>> 3); }`;
  const children: ChildProcess[] = Array.from({ length: processes }, () => spawn(process.execPath, ["-e", busy], { stdio: "ignore" }));
  const gone = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  return {
    processes,
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (gone(c)) return resolve();
              c.once("exit", () => resolve());
              c.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}

/** The 1-minute load average and the core count, for a test's log line. */
export function machineLoad(): { load1: number; cores: number } {
  return { load1: Math.round(loadavg()[0]! * 100) / 100, cores: availableParallelism() };
}
