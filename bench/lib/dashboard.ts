// The dashboard's scale figure: every /api/admin/* answer's p50/p95 through the real Worker on the
// embedded database seeded with 10,000 courses, 30,000 contacts and 1,000,000 agent_calls
// (scripts/seed-dashboard.ts). `npm run bench -- --dashboard`; target: p95 under 300 ms.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../../scripts/embedded-db.ts";
import { startWorker } from "../../scripts/local-worker.ts";
import { migrate } from "../../scripts/migrate.ts";
import { SCALE, seedDashboard, type SeedSizes } from "../../scripts/seed-dashboard.ts";
import { percentile, round } from "./stats.ts";

export interface DashboardFigures {
  seed: SeedSizes & { seed_ms: number; rows: { courses: number; contacts: number; runs: number; agent_calls: number } };
  samples_per_endpoint: number;
  target_p95_ms: number;
  "dashboard.api_ms.p95": Record<string, number | null>;
  "dashboard.api_ms.p50": Record<string, number | null>;
  over_target: string[];
}

const KEY = "bench-admin-key";

export async function measureDashboard(opts: { sizes?: SeedSizes; samples?: number; log?: (line: string) => void } = {}): Promise<DashboardFigures> {
  const sizes = opts.sizes ?? SCALE;
  const samples = opts.samples ?? 20;
  const log = opts.log ?? ((line: string) => console.error(`[bench:dashboard] ${line}`));
  const db = await startEmbeddedPostgres();
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  try {
    await migrate(db.url);
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    log(`seeding ${sizes.courses} courses, ${sizes.courses * sizes.contactsPerCourse} contacts, ${sizes.calls} agent calls …`);
    const seeded = await seedDashboard(sql, sizes).finally(() => sql.end());
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
    const lookup = postgres(db.url, { max: 1, onnotice: () => {} });
    const [run] = await lookup<{ id: string }[]>`select id from enrichment_runs order by created_at desc limit 1`.finally(() => lookup.end());
    worker = await startWorker({ DATABASE_URL: db.url, ADMIN_API_KEY: KEY, LOG_LEVEL: "error" });
    const endpoints = [
      ...[7, 30, 90].flatMap((d) => ["overview", "agents", "quality", "outreach", "sync", "freshness"].map((e) => `/api/admin/${e}?days=${d}`)),
      "/api/admin/runs",
      "/api/admin/runs?status=failed&source=csv",
      `/api/admin/runs/${run?.id ?? "00000000-0000-4000-8000-000000000000"}`,
      "/api/admin/routing-rules",
      "/api/admin/templates",
    ];
    const p95: Record<string, number | null> = {};
    const p50: Record<string, number | null> = {};
    for (const path of endpoints) {
      const times: number[] = [];
      for (let i = 0; i < samples + 2; i++) {
        const t = performance.now();
        const response = await fetch(new URL(path, worker.url), { headers: { authorization: `Bearer ${KEY}` } });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${path} answered ${response.status}`);
        // The first two warm the isolate and the database's caches.
        if (i >= 2) times.push(performance.now() - t);
      }
      p95[path] = round(percentile(times, 95));
      p50[path] = round(percentile(times, 50));
      log(`${path}: p50 ${p50[path]} ms, p95 ${p95[path]} ms`);
    }
    return {
      seed: { ...sizes, seed_ms: seeded.ms, rows: { courses: seeded.courses, contacts: seeded.contacts, runs: seeded.runs, agent_calls: seeded.agent_calls } },
      samples_per_endpoint: samples,
      target_p95_ms: 300,
      "dashboard.api_ms.p95": p95,
      "dashboard.api_ms.p50": p50,
      over_target: Object.entries(p95).filter(([, v]) => v !== null && v > 300).map(([k]) => k),
    };
  } finally {
    await worker?.close();
    await db.stop();
  }
}

export async function runDashboardBench(out: string, opts: { sizes?: SeedSizes } = {}): Promise<DashboardFigures> {
  const figures = await measureDashboard(opts);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(JSON.stringify({ action: "dashboard_bench", out, over_target: figures.over_target, p95: figures["dashboard.api_ms.p95"] }, null, 2));
  return figures;
}
