/**
 * `npm run freshness [-- --older-than-days N] [--course-id ID] [--contact-id ID] [--resume SWEEP_ID] [--no-wait] [--url URL]`
 * Starts a contact-freshness sweep (Agent 8) now on the running app, through its API
 * (`POST /api/freshness/sweeps`, `X-API-Key: AGENT_API_KEY` from the environment or .dev.vars),
 * then follows it until it ends and prints what it found. `--older-than-days 0` checks everyone;
 * `--resume` goes on with a sweep whose workflow was killed. The URL is --url, else APP_URL, else
 * http://127.0.0.1:8787 (npm start).
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs, parseEnv } from "node:util";

const { values: flags } = parseArgs({
  options: {
    "older-than-days": { type: "string" },
    "course-id": { type: "string" },
    "contact-id": { type: "string" },
    resume: { type: "string" },
    "no-wait": { type: "boolean", default: false },
    url: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log("usage: npm run freshness [-- --older-than-days N] [--course-id ID] [--contact-id ID] [--resume SWEEP_ID] [--no-wait] [--url URL]");
  process.exit(0);
}

const devVars: Record<string, string | undefined> = existsSync(".dev.vars") ? parseEnv(readFileSync(".dev.vars", "utf8")) : {};
const base = (flags.url ?? process.env.APP_URL ?? devVars.APP_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const loopback = /^https?:\/\/(127\.|localhost|\[::1\])/.test(base);
// `npm start -- --sandbox` serves the API with its demo key (scripts/start.ts): used locally when none is configured.
const apiKey = process.env.AGENT_API_KEY ?? devVars.AGENT_API_KEY ?? (loopback ? "sandbox-agent-key" : undefined);

interface Sweep {
  id: string;
  status: string;
  stop_reason: string | null;
  error: string | null;
  counts: { checked: number; still_there: number; left: number; replaced: number; emails_invalidated: number; unknown: number };
  cost_usd: number;
  clickup_requests: number;
  duration_ms: number | null;
  checks: { full_name: string; course_name: string; outcome: string; email_invalidated: boolean; evidence_url: string | null; now_at: string | null; replacement_name: string | null; followup_done: boolean }[];
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": apiKey ?? "", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

function explain(status: number, json: Record<string, unknown>): string {
  const error = json.error as { message?: string; details?: unknown } | undefined;
  return `HTTP ${status}: ${error?.message ?? JSON.stringify(json)}${error?.details ? ` ${JSON.stringify(error.details)}` : ""}`;
}

async function main(): Promise<number> {
  if (!apiKey) {
    console.error("AGENT_API_KEY is not set (in the environment or .dev.vars): the app's API needs it.");
    return 1;
  }
  let sweepId: string;
  try {
    if (flags.resume) {
      const { status, json } = await api("POST", `/api/freshness/sweeps/${encodeURIComponent(flags.resume)}/resume`, {});
      if (status !== 202) return fail(`resume refused: ${explain(status, json)}`);
      sweepId = flags.resume;
    } else {
      const body: Record<string, unknown> = {};
      if (flags["older-than-days"] !== undefined) body.older_than_days = Number(flags["older-than-days"]);
      if (flags["course-id"]) body.course_id = flags["course-id"];
      if (flags["contact-id"]) body.contact_id = flags["contact-id"];
      const { status, json } = await api("POST", "/api/freshness/sweeps", body);
      if (status !== 202) return fail(`sweep refused: ${explain(status, json)}`);
      sweepId = String(json.sweep_id);
      console.log(JSON.stringify({ action: "freshness_sweep_started", sweep_id: sweepId, older_than_days: json.older_than_days, spend_cap_usd: json.spend_cap_usd }));
    }
  } catch (error) {
    return fail(`no answer from ${base} (${error instanceof Error ? error.message : String(error)}); is the app running (npm start)?`);
  }
  if (flags["no-wait"]) {
    console.log(`follow it: curl -H "X-API-Key: …" ${base}/api/freshness/sweeps/${sweepId}`);
    return 0;
  }
  let last = "";
  for (;;) {
    const { status, json } = await api("GET", `/api/freshness/sweeps/${sweepId}`);
    if (status !== 200) return fail(`reading the sweep failed: ${explain(status, json)}`);
    const sweep = json as unknown as Sweep;
    const line = `checked ${sweep.counts.checked} · still there ${sweep.counts.still_there} · left ${sweep.counts.left} · replaced ${sweep.counts.replaced} · emails dead ${sweep.counts.emails_invalidated} · unknown ${sweep.counts.unknown} · $${sweep.cost_usd.toFixed(4)}`;
    if (line !== last) process.stderr.write(`\r${line}`);
    last = line;
    if (sweep.status !== "running" && sweep.checks.every((c) => c.followup_done)) {
      process.stderr.write("\n");
      report(sweep);
      return sweep.status === "failed" ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

function report(sweep: Sweep): void {
  console.log(`\nSweep ${sweep.id}: ${sweep.status}${sweep.stop_reason ? ` (${sweep.stop_reason})` : ""}${sweep.error ? `: ${sweep.error}` : ""}`);
  console.log(`  ${sweep.counts.checked} contacts checked in ${((sweep.duration_ms ?? 0) / 1000).toFixed(1)} s for $${sweep.cost_usd.toFixed(4)} (${sweep.clickup_requests} ClickUp requests)`);
  const shown = sweep.checks.filter((c) => c.outcome !== "still_there" || c.email_invalidated);
  if (shown.length) {
    console.log("\n  what changed:");
    for (const c of shown) {
      const what =
        c.outcome === "left"
          ? `left${c.now_at ? ` (now at ${c.now_at})` : ""}${c.replacement_name ? `; successor ${c.replacement_name}` : ""}${c.evidence_url ? ` — ${c.evidence_url}` : ""}`
          : c.outcome === "unknown"
            ? "could not tell (retried next sweep)"
            : "still there";
      console.log(`  - ${c.full_name}, ${c.course_name}: ${what}${c.email_invalidated ? "; email no longer deliverable" : ""}`);
    }
  }
}

function fail(message: string): number {
  console.error(message);
  return 1;
}

process.exitCode = await main();
