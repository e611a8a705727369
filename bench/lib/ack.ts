// The webhook door alone: how fast `POST /webhooks/clickup` acknowledges a burst of concurrent,
// correctly signed deliveries. The burst mixes
//  - events the Worker acknowledges and ignores (taskUpdated, taskStatusUpdated, taskCommentPosted
//    on existing tasks), sent by the benchmark with the webhook's own secret and ClickUp's envelope;
//  - real taskCreated events: a rep creates intake tasks while the burst is in flight, and the ClickUp
//    emulator delivers them (each starts a run: coordinator, job directory, workflow creation).
// Acknowledgement latency is the sender's view: request sent → answer fully read, in real ms. The
// emulator measures its own deliveries the same way (its delivery log).

import { randomInt } from "node:crypto";
import { CLICKUP_SEED, signWebhookBody } from "../../sandbox/clickup/index.ts";
import { type BenchWorld, type BenchWorker, webhookOf } from "./app.ts";
import type { BenchCourse } from "./phase.ts";
import { sampleCpu, type CpuSample } from "./cpu.ts";
import { percentile } from "./stats.ts";

export interface AckSample {
  kind: "ignored" | "taskCreated" | "taskStatusUpdated";
  ms: number;
  status: number | null;
}

export interface AckFigures {
  deliveries: number;
  ignored: number;
  task_created: number;
  non_2xx: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  by_kind: Record<string, { n: number; p50: number; p99: number; max: number }>;
  /** Intake tasks whose runs the burst started (the caller waits for them before moving on). */
  created: Array<{ course: BenchCourse; task_id: string; created_at_ms: number }>;
}

const IGNORED_EVENTS = ["taskUpdated", "taskStatusUpdated", "taskCommentPosted"] as const;

async function sendSigned(worker: BenchWorker, secret: string, body: string): Promise<{ ms: number; status: number | null }> {
  const started = performance.now();
  try {
    const response = await fetch(new URL("/webhooks/clickup", worker.url), {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": signWebhookBody(secret, body), "user-agent": "golf-outreach-bench" },
      body,
    });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  } catch {
    return { ms: performance.now() - started, status: null };
  }
}

function ignoredBody(world: BenchWorld, anchor: string, leadList: string, i: number): string {
  const event = IGNORED_EVENTS[i % IGNORED_EVENTS.length]!;
  return JSON.stringify({
    event,
    history_items: [{ id: String(8_000_000_000_000 + randomInt(1e9)), type: 1, date: String(Date.now()), field: event === "taskStatusUpdated" ? "status" : "name", parent_id: leadList }],
    task_id: anchor,
    webhook_id: webhookOf(world).id,
  });
}

export interface AckSweepPoint {
  /** Deliveries in flight at once (1: one after another). */
  concurrent: number;
  n: number;
  p50: number;
  p99: number;
  max: number;
  non_2xx: number;
  /** Worker CPU for this point's deliveries (Linux /proc; null elsewhere): see ackCpu. */
  cpu: AckCpu | null;
}

/**
 * CPU the local Worker spent on a set of deliveries: the workerd processes' user + system time
 * (/proc/<pid>/stat, 10 ms ticks) just before and just after the deliveries, less what the same
 * processes burn idle over as long (sampled over a quiet interval right before: alarms, timers),
 * divided by the deliveries. `worker_*` is the busiest workerd process (the one running the
 * Worker's isolate); `all_workerd_*` adds the harness's entry process every request also crosses
 * locally (in production only the Worker's own share is billed).
 */
export interface AckCpu {
  worker_ms_per_delivery: number;
  all_workerd_ms_per_delivery: number;
  worker_ms: number;
  all_workerd_ms: number;
  idle_ms_subtracted: number;
  elapsed_ms: number;
}

function workerdDeltas(a: CpuSample, b: CpuSample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(b.byProcess)) if (key.startsWith("workerd:")) out[key] = (b.byProcess[key] ?? 0) - (a.byProcess[key] ?? 0);
  return out;
}

/** Per-delivery CPU from samples around the deliveries and an idle interval before them (pure). */
export function ackCpu(idle: { before: CpuSample; after: CpuSample }, load: { before: CpuSample; after: CpuSample }, deliveries: number): AckCpu {
  const idleD = workerdDeltas(idle.before, idle.after);
  const loadD = workerdDeltas(load.before, load.after);
  const idleMs = Math.max(1, idle.after.at - idle.before.at);
  const elapsed = load.after.at - load.before.at;
  const net = (key: string) => Math.max(0, (loadD[key] ?? 0) - ((idleD[key] ?? 0) * elapsed) / idleMs);
  const keys = Object.keys(loadD);
  const busiest = keys.reduce<string | undefined>((best, k) => (best === undefined || (loadD[k] ?? 0) > (loadD[best] ?? 0) ? k : best), undefined);
  const worker = busiest ? net(busiest) : 0;
  const all = keys.reduce((s, k) => s + net(k), 0);
  const idleSubtracted = keys.reduce((s, k) => s + ((idleD[k] ?? 0) * elapsed) / idleMs, 0);
  const n = Math.max(1, deliveries);
  return { worker_ms_per_delivery: worker / n, all_workerd_ms_per_delivery: all / n, worker_ms: worker, all_workerd_ms: all, idle_ms_subtracted: idleSubtracted, elapsed_ms: elapsed };
}

/** Ignored deliveries only, at several burst sizes: how acknowledgement latency grows with load. */
export async function webhookAckSweep(world: BenchWorld, worker: BenchWorker, sizes: number[]): Promise<AckSweepPoint[]> {
  const leadList = CLICKUP_SEED.leads.folders.highEnd.newLeadsListId;
  const anchor = String(world.sandbox.servers.clickup.createTaskAsUser(leadList, { name: "Ack Sweep Anchor Lead" }).id);
  await world.sandbox.servers.clickup.flushWebhooks();
  const points: AckSweepPoint[] = [];
  const secret = webhookOf(world).secret;
  for (const size of sizes) {
    // A quiet second first: the idle CPU rate the measurement subtracts.
    const idleBefore = sampleCpu();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleAfter = sampleCpu();
    // Bodies are built and signed before the clock starts: the sender's own CPU is not the Worker's.
    const count = size <= 1 ? 50 : size;
    const bodies = Array.from({ length: count }, (_, i) => ignoredBody(world, anchor, leadList, i));
    const before = sampleCpu();
    let results: Array<{ ms: number; status: number | null }>;
    if (size <= 1) {
      results = [];
      for (const body of bodies) results.push(await sendSigned(worker, secret, body));
    } else {
      results = await Promise.all(bodies.map((body) => sendSigned(worker, secret, body)));
    }
    const after = sampleCpu();
    const ms = results.map((x) => x.ms);
    points.push({
      concurrent: Math.max(1, size),
      n: ms.length,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      max: Math.max(...ms),
      non_2xx: results.filter((x) => x.status === null || x.status < 200 || x.status >= 300).length,
      cpu: idleBefore && idleAfter && before && after ? ackCpu({ before: idleBefore, after: idleAfter }, { before, after }, ms.length) : null,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return points;
}

export async function webhookAckBurst(world: BenchWorld, worker: BenchWorker, opts: { ignored: number; taskCreated: number; courses: BenchCourse[] }): Promise<AckFigures> {
  const clickup = world.sandbox.servers.clickup;
  const webhook = webhookOf(world);
  // An existing lead task the ignored events are about.
  const leadList = CLICKUP_SEED.leads.folders.highEnd.newLeadsListId;
  const anchor = String(clickup.createTaskAsUser(leadList, { name: "Ack Burst Anchor Lead" }).id);
  await clickup.flushWebhooks();
  const startedAt = Date.now();

  const ignored = Array.from({ length: opts.ignored }, (_, i) =>
    sendSigned(worker, webhook.secret, ignoredBody(world, anchor, leadList, i)).then((r): AckSample => ({ kind: "ignored", ...r })),
  );
  // The rep's tasks, created while the ignored burst is in flight; the emulator delivers them.
  const created: AckFigures["created"] = [];
  for (let i = 0; i < opts.taskCreated; i++) {
    const course = opts.courses[i % opts.courses.length]!;
    const created_at_ms = Date.now();
    created.push({ course, created_at_ms, task_id: String(clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: `${course.name}, ${course.state}` }).id) });
  }
  const taskIds = created.map((c) => c.task_id);
  const samples: AckSample[] = await Promise.all(ignored);
  await clickup.flushWebhooks();
  for (const d of clickup.webhookDeliveries({ webhook_id: webhook.id })) {
    if (d.created_at < startedAt || !taskIds.includes(d.task_id)) continue;
    const first = d.attempts[0];
    if (!first) continue;
    samples.push({ kind: d.event === "taskCreated" ? "taskCreated" : "taskStatusUpdated", ms: first.duration_ms, status: first.status ?? null });
  }

  const ms = samples.map((s) => s.ms);
  const kinds = [...new Set(samples.map((s) => s.kind))];
  return {
    deliveries: samples.length,
    ignored: samples.filter((s) => s.kind !== "taskCreated").length,
    task_created: samples.filter((s) => s.kind === "taskCreated").length,
    non_2xx: samples.filter((s) => s.status === null || s.status < 200 || s.status >= 300).length,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
    by_kind: Object.fromEntries(
      kinds.map((k) => {
        const v = samples.filter((s) => s.kind === k).map((s) => s.ms);
        return [k, { n: v.length, p50: percentile(v, 50), p99: percentile(v, 99), max: Math.max(...v) }];
      }),
    ),
    created,
  };
}
