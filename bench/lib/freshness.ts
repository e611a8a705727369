// The freshness sweep (Agent 8) as the benchmark measures it: after the phase's courses are in the
// database, the fixture world advances a month (a leaver with a successor, a dead address, a site
// down: sandbox/world/time.ts), every contact is made 40 days stale, and one sweep runs through
// the Worker's API. Figures: cost and ClickUp requests per contact checked, requests per provider,
// outcomes and duration. Target (issue 14): at most $0.01 of paid calls per contact checked.
import { advanceWorld, resetWorld } from "../../sandbox/world/index.ts";
import { BENCH_API_KEY, type BenchWorker, type BenchWorld } from "./app.ts";
import { round as roundOrNull } from "./stats.ts";

const round = (value: number, digits: number): number => roundOrNull(value, digits) ?? 0;

export const FRESHNESS_COST_TARGET_USD = 0.01;

export interface FreshnessFigures {
  contacts_checked: number;
  outcomes: { still_there: number; left: number; replaced: number; emails_invalidated: number; unknown: number };
  status: string;
  stop_reason: string | null;
  cost_usd: number;
  cost_per_contact_usd: number | null;
  /** ClickUp requests the emulator received during the sweep (its follow-ups: closed leads, new leads, fields, comments). */
  clickup_requests: number;
  clickup_requests_per_contact: number | null;
  /** The same, as the app counted them on the sweep. */
  app_clickup_requests: number;
  requests_per_contact: { anthropic: number | null; perplexity: number | null; hunter: number | null; jina: number | null };
  /** How the outcomes were decided: the staff page alone, a research call, or neither (unknown). */
  decided_by: Record<string, number>;
  duration_ms: number;
}

interface SweepJson {
  status: string;
  stop_reason: string | null;
  counts: FreshnessFigures["outcomes"] & { checked: number };
  cost_usd: number;
  clickup_requests: number;
  checks: { followup_done: boolean; decided_by: string | null; full_name: string; course_name: string; outcome: string; email_status: string | null }[];
}

export async function measureFreshnessSweep(world: BenchWorld, worker: BenchWorker, timeoutMs: number): Promise<FreshnessFigures> {
  // The webhook burst's runs are not followed: let them end (no run in flight and the emulators quiet
  // for two seconds), so the emulators' logs hold the sweep's requests only.
  const quiet = Date.now() + timeoutMs;
  const total = () => Object.values(world.sandbox.servers).reduce((n, server) => n + (server?.recorder.count() ?? 0), 0);
  let seen = -1;
  while (Date.now() < quiet) {
    const [row] = await world.sql<{ n: number }[]>`select count(*)::int as n from enrichment_runs where status in ('queued', 'running')`;
    const now = total();
    if ((row?.n ?? 0) === 0 && now === seen) break;
    seen = now;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  await world.sql`update contacts set last_verified_at = now() - interval '40 days' where is_active`;
  advanceWorld(1);
  const since = Date.now();
  const started = performance.now();
  try {
    const response = await fetch(new URL("/api/freshness/sweeps", worker.url), { method: "POST", headers: { "x-api-key": BENCH_API_KEY, "content-type": "application/json" }, body: "{}" });
    const body = (await response.json()) as { sweep_id?: string };
    if (response.status !== 202 || !body.sweep_id) throw new Error(`the sweep was refused: ${response.status} ${JSON.stringify(body)}`);
    const deadline = Date.now() + timeoutMs;
    let sweep: SweepJson;
    for (;;) {
      const answer = await fetch(new URL(`/api/freshness/sweeps/${body.sweep_id}`, worker.url), { headers: { "x-api-key": BENCH_API_KEY } });
      sweep = (await answer.json()) as SweepJson;
      if (sweep.status !== "running" && sweep.checks.every((c) => c.followup_done)) break;
      if (Date.now() > deadline) throw new Error(`the freshness sweep did not finish in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const duration = performance.now() - started;
    const requests = (name: "anthropic" | "perplexity" | "hunter" | "jina" | "clickup") =>
      world.sandbox.servers[name]?.recorder.list().filter((r) => r.time >= since && !r.path.startsWith("/__emulator")).length ?? 0;
    const n = sweep.counts.checked;
    const per = (x: number) => (n > 0 ? round(x / n, 3) : null);
    return {
      contacts_checked: n,
      outcomes: { still_there: sweep.counts.still_there, left: sweep.counts.left, replaced: sweep.counts.replaced, emails_invalidated: sweep.counts.emails_invalidated, unknown: sweep.counts.unknown },
      status: sweep.status,
      stop_reason: sweep.stop_reason,
      cost_usd: round(sweep.cost_usd, 5),
      cost_per_contact_usd: n > 0 ? round(sweep.cost_usd / n, 5) : null,
      clickup_requests: requests("clickup"),
      clickup_requests_per_contact: per(requests("clickup")),
      app_clickup_requests: sweep.clickup_requests,
      requests_per_contact: { anthropic: per(requests("anthropic")), perplexity: per(requests("perplexity")), hunter: per(requests("hunter")), jina: per(requests("jina")) },
      duration_ms: round(duration, 0),
      decided_by: sweep.checks.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.decided_by ?? "none"]: (acc[c.decided_by ?? "none"] ?? 0) + 1 }), {}),
    };
  } finally {
    resetWorld();
  }
}
