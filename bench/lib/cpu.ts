// CPU time of this process and every process it started (the workerd runtimes of wrangler's
// harness), from /proc: the benchmark runs the Worker, the emulators and the embedded database on
// one machine, so it reports how busy that machine was. Linux only; elsewhere the figures are null.

import { readdirSync, readFileSync } from "node:fs";

export interface CpuSample {
  /** CPU ms by process, keyed "<comm>:<pid>". */
  byProcess: Record<string, number>;
  at: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function readStat(pid: string): { comm: string; ppid: string; cpuMs: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    return { comm, ppid: fields[1] ?? "", cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

export function sampleCpu(): CpuSample | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const procs = new Map<string, { comm: string; ppid: string; cpuMs: number }>();
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) procs.set(pid, s);
  }
  const mine = new Set([String(process.pid)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of procs) {
      if (!mine.has(pid) && mine.has(p.ppid)) {
        mine.add(pid);
        grew = true;
      }
    }
  }
  const byProcess: Record<string, number> = {};
  for (const pid of mine) {
    const p = procs.get(pid);
    if (p) byProcess[`${p.comm}:${pid}`] = p.cpuMs;
  }
  return { byProcess, at: performance.now() };
}

export interface CpuUse {
  /** CPU ms of the workerd processes (the Worker, its Durable Objects and Workflows, the harness's proxy). */
  workerd_ms: number;
  /** The busiest workerd process's CPU ms: it serves the Worker's isolate on one thread. */
  workerd_busiest_ms: number;
  /** CPU ms of the benchmark's own process: the emulators, the embedded database, the bench itself. */
  bench_process_ms: number;
  elapsed_ms: number;
  /** Busiest workerd process's CPU / elapsed: 1.0 means its thread was never idle. */
  workerd_busiest_utilization: number;
  cores: number;
}

export function cpuBetween(a: CpuSample | null, b: CpuSample | null, cores: number): CpuUse | null {
  if (!a || !b) return null;
  const delta = (key: string) => (b.byProcess[key] ?? 0) - (a.byProcess[key] ?? 0);
  const keys = Object.keys(b.byProcess);
  const workerd = keys.filter((k) => k.startsWith("workerd:")).map(delta);
  const self = keys.filter((k) => k.endsWith(`:${process.pid}`)).map(delta);
  const elapsed = b.at - a.at;
  const busiest = Math.max(0, ...workerd);
  return {
    workerd_ms: workerd.reduce((s, v) => s + v, 0),
    workerd_busiest_ms: busiest,
    bench_process_ms: self.reduce((s, v) => s + v, 0),
    elapsed_ms: Math.round(elapsed),
    workerd_busiest_utilization: elapsed > 0 ? busiest / elapsed : 0,
    cores,
  };
}
