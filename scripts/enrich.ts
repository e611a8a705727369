/**
 * `npm run enrich -- "Richmond Country Club" VA [--real] [--json]`
 * Runs one course through the local app (the real Worker, its Durable Objects and Workflow, on an
 * in-memory embedded Postgres) and prints the result. By default every provider is the local
 * emulator (sandbox/); with --real the keys in .dev.vars (or the environment) call the real providers.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs, parseEnv } from "node:util";
import postgres from "postgres";
import { startEmbeddedPostgres } from "./embedded-db.ts";
import { startWorker } from "./local-worker.ts";
import { migrate } from "./migrate.ts";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { real: { type: "boolean", default: false }, json: { type: "boolean", default: false } },
});
const [courseName, state] = positionals;
if (!courseName || !state) {
  console.error('usage: npm run enrich -- "Course Name" ST [--real] [--json]');
  process.exit(64);
}

const API_KEY = "local-enrich-key";
const stops: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const database = await startEmbeddedPostgres({});
  stops.push(() => database.stop());
  await migrate(database.url);

  let providerEnv: Record<string, string>;
  if (flags.real) {
    const devVars = existsSync(".dev.vars") ? parseEnv(readFileSync(".dev.vars", "utf8")) : {};
    providerEnv = Object.fromEntries(Object.entries({ ...devVars, ...process.env }).filter(([k, v]) => typeof v === "string" && /^(ANTHROPIC|PERPLEXITY|HUNTER|JINA|CLICKUP)_/.test(k))) as Record<string, string>;
  } else {
    const { startSandbox } = await import("../sandbox/index.ts");
    const sandbox = await startSandbox({ latency: "none" });
    stops.push(() => sandbox.close());
    providerEnv = sandbox.env;
  }
  const worker = await startWorker({ ...providerEnv, DATABASE_URL: database.url, AGENT_API_KEY: API_KEY, LOG_LEVEL: "error" }, { providers: flags.real ? "as-given" : "closed" });
  stops.push(() => worker.close());

  const started = Date.now();
  const response = await fetch(new URL("/api/enrich-course", worker.url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": API_KEY },
    body: JSON.stringify({ course_name: courseName, state }),
  });
  const accepted = (await response.json()) as { job_id?: string; error?: { message: string } };
  if (!accepted.job_id) throw new Error(`refused: ${accepted.error?.message ?? response.status}`);

  type Job = { status: string; partial?: boolean; error?: string; cost_usd: number; duration_ms: number | null; course_id: string | null; steps: { agent: string; status: string; duration_ms: number | null; cost_usd: number }[] };
  let job: Job | undefined;
  for (;;) {
    job = (await (await fetch(new URL(`/api/jobs/${accepted.job_id}`, worker.url), { headers: { "x-api-key": API_KEY } })).json()) as Job;
    if (job.status === "succeeded" || job.status === "failed") break;
    if (Date.now() - started > 600_000) throw new Error("gave up after 10 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }

  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const [course] = job.course_id ? await sql`select course_name, state, status, website, phone, water_hazard_count, water_hazard_confidence, last_error from courses where id = ${job.course_id}` : [];
    const [intel] = job.course_id ? await sql`select segment, segment_confidence, opportunities, conversation_starters, summary from business_intelligence where course_id = ${job.course_id}` : [];
    const contacts = job.course_id
      ? await sql`select c.full_name as name, c.title, e.email, e.email_status, e.phone, e.linkedin_url, e.tenure_years::float as tenure_years, e.previous_clubs
                  from contacts c join contact_enrichment e on e.contact_id = c.id where c.course_id = ${job.course_id} order by c.full_name`
      : [];
    const result = { job_id: accepted.job_id, status: job.partial ? "partial" : job.status, error: job.error, cost_usd: job.cost_usd, duration_ms: job.duration_ms, course, business_intelligence: intel, contacts, steps: job.steps };
    if (flags.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    console.log(`\n${courseName}, ${state}: ${result.status}${job.error ? ` (${job.error})` : ""} in ${job.duration_ms} ms, $${job.cost_usd.toFixed(4)}`);
    if (course) console.log(`website ${course.website ?? "-"} · phone ${course.phone ?? "-"} · water hazards ${course.water_hazard_count ?? "?"} (${course.water_hazard_confidence ?? "-"})`);
    if (intel) console.log(`segment ${intel.segment} (${intel.segment_confidence}/10)`);
    console.table(contacts.map((c) => ({ name: c.name, title: c.title, email: c.email ?? "", status: c.email_status ?? "", phone: c.phone ?? "", linkedin: c.linkedin_url ?? "", tenure: c.tenure_years ?? "" })));
    console.table(job.steps.map((s) => ({ agent: s.agent, status: s.status, ms: s.duration_ms, usd: s.cost_usd })));
  } finally {
    await sql.end();
  }
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  });
