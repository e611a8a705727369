// Seeds the dashboard's scale figures: N courses enriched over the last D days, their runs,
// intel, contacts and agent calls, in a few set-based statements (generate_series), then brings
// the agent_calls rollup up to date. The benchmark (`bench/lib/dashboard.ts`) and the tests reuse
// `seedDashboard`. Rows are named "Seeded <n> Golf Club"; a course already there is skipped.
//
//   node scripts/seed-dashboard.ts [--courses 10000] [--contacts-per-course 3] [--calls 1000000] [--days 90]
//   (DATABASE_URL, or the embedded database in .data/pglite when none is set: stop `npm start` first)
import { parseArgs } from "node:util";
import postgres from "postgres";

export interface SeedSizes {
  courses: number;
  contactsPerCourse: number;
  calls: number;
  days: number;
}

export const SCALE: SeedSizes = { courses: 10_000, contactsPerCourse: 3, calls: 1_000_000, days: 90 };

const STATES = ["CA", "TX", "FL", "NC", "AZ", "NY", "MI", "OH", "GA", "VA", "SC", "PA", "IL", "CO", "WA", "NJ", "TN", "MN", "WI", "OR"];
const AGENTS = ["A1", "A2", "A3", "A5", "A6", "A6.5", "A7", "A8"];
const ERRORS = ["provider answered 503", "request timed out after 60000 ms", "HTTP 429 rate limited", "answer failed its schema: segment", "HTTP 529 overloaded"];

export interface SeedResult {
  courses: number;
  contacts: number;
  runs: number;
  agent_calls: number;
  ms: number;
}

/** Inserts the rows (idempotent per course name); `sql` connects as a role that may write every table. */
export async function seedDashboard(sql: postgres.Sql, sizes: SeedSizes): Promise<SeedResult> {
  const started = Date.now();
  const callsPerRun = Math.max(1, Math.round(sizes.calls / Math.max(1, sizes.courses)));
  return sql.begin(async (tx) => {
    await tx`create temporary table seeded_courses (id uuid primary key, n integer, at timestamptz, outcome text) on commit drop`;
    // Courses: spread over the days, a few more recently (the curve an admin expects to see).
    await tx`
      with made as (
        insert into public.courses (course_name, state, status, website, phone, city, source, enriched_at, created_at)
        select format('Seeded %s Golf Club', g), (${STATES}::text[])[1 + (g % ${STATES.length})],
               case when g % 20 = 0 then 'failed' when g % 10 = 0 then 'partial' else 'enriched' end,
               format('https://www.seeded%s.example', g), format('+1555%s', lpad((g % 10000000)::text, 7, '0')),
               'Springfield', (array['clickup', 'api', 'supabase', 'csv'])[1 + (g % 4)],
               case when g % 20 = 0 then null
                    else now() - (power(random(), 1.3) * (${sizes.days} - 1) * interval '1 day') end,
               now() - (${sizes.days} * interval '1 day')
        from generate_series(1, ${sizes.courses}) g
        on conflict (name_key) do nothing
        returning id, course_name, status, enriched_at
      )
      insert into seeded_courses (id, n, at, outcome)
      select id, substring(course_name from 'Seeded ([0-9]+)')::int,
             coalesce(enriched_at, now() - (random() * (${sizes.days} - 1) * interval '1 day')),
             case status when 'enriched' then 'succeeded' else status end
      from made`;
    const [made] = await tx<{ courses: number }[]>`select count(*)::int as courses from seeded_courses`;
    const courses = made?.courses ?? 0;
    if (courses === 0) return { courses: 0, contacts: 0, runs: 0, agent_calls: 0, ms: Date.now() - started };

    await tx`
      insert into public.enrichment_runs (course_id, trigger_source, status, error, cost_usd, duration_ms, started_at, finished_at, applied_at, created_at)
      select s.id, (array['clickup', 'api', 'supabase', 'csv'])[1 + (s.n % 4)], s.outcome,
             case s.outcome when 'failed' then 'no website found' when 'partial' then 'A5: provider answered 503' end,
             round((0.015 + random() * 0.03)::numeric, 6), (18000 + random() * 12000)::int,
             s.at - interval '30 seconds', s.at, case when s.outcome <> 'failed' then s.at end, s.at - interval '30 seconds'
      from seeded_courses s`;
    await tx`update public.courses k set last_run_id = r.id from public.enrichment_runs r, seeded_courses s where s.id = k.id and r.course_id = k.id`;

    await tx`
      insert into public.business_intelligence (course_id, segment, segment_confidence, opportunities, conversation_starters, summary, run_id)
      select s.id, (array['high-end', 'budget', 'both', 'high-end', 'budget'])[1 + (s.n % 5)], 3 + (s.n * 7 % 8),
             jsonb_build_object('range_ball_buy', 1 + (s.n % 10), 'range_ball_lease', 1 + (s.n * 3 % 10), 'range_ball_recycle', 1 + (s.n * 7 % 10),
                                'lake_ball_retrieval', 1 + (s.n * 11 % 10), 'range_equipment', 1 + (s.n * 13 % 10), 'proshop_ecommerce', 1 + (s.n * 17 % 10)),
             jsonb_build_array(jsonb_build_object('text', format('Congratulations on the new range at Seeded %s.', s.n), 'score', 8),
                               jsonb_build_object('text', 'Your members practise a lot in the evening.', 'score', 6)),
             'A seeded course.', r.id
      from seeded_courses s join public.enrichment_runs r on r.course_id = s.id
      where s.outcome <> 'failed'`;

    await tx`
      insert into public.contacts (course_id, full_name, title, last_verified_at, last_seen_run_id, clickup_task_id, created_at)
      select s.id, format('Person %s-%s', s.n, i), (array['General Manager', 'Head Golf Professional', 'Director of Golf', 'Superintendent'])[1 + (i % 4)],
             s.at, r.id, case when (s.n + i) % 20 <> 0 then format('seed-%s-%s', s.n, i) end, s.at
      from seeded_courses s join public.enrichment_runs r on r.course_id = s.id, generate_series(1, ${sizes.contactsPerCourse}) i
      where s.outcome <> 'failed'`;
    await tx`
      insert into public.contact_enrichment (contact_id, email, email_score, email_status, linkedin_url, phone, phone_type)
      select c.id,
             case when h < 70 then format('p%s@seeded.example', substr(md5(c.id::text), 1, 10)) end,
             case when h < 70 then 60 + h % 40 end,
             case when h < 56 then 'valid' when h < 70 then 'accept_all' end,
             case when h % 5 < 2 then format('https://www.linkedin.com/in/seeded-%s', substr(md5(c.id::text), 1, 10)) end,
             case when h % 10 < 6 then '+15551234567' end,
             case when h % 10 < 3 then 'direct' when h % 10 < 6 then 'course' end
      from (select c.id, abs(hashtext(c.id::text)) % 100 as h from public.contacts c join seeded_courses s on s.id = c.course_id) c`;

    // Agent calls: ~calls/courses per run, each agent with its own typical duration and cost.
    await tx`
      insert into public.agent_calls (run_id, course_id, agent, call_key, provider, model, status, attempts, duration_ms, input_tokens, output_tokens, cost_usd, error, created_at)
      select x.run_id, x.course_id, x.agent, format('%s:%s', x.agent, x.k), a.provider, a.model,
             case when x.u < 0.04 then 'failed' when x.u < 0.07 then 'skipped' else 'succeeded' end,
             case when x.u < 0.04 then 3 else 1 end,
             (a.base_ms * exp(random() * 1.2 - 0.3))::int, 800 + (x.k % 900), 120 + (x.k % 300),
             round((a.cost * (0.5 + random()))::numeric, 6),
             case when x.u < 0.04 then (${ERRORS}::text[])[1 + (x.k % ${ERRORS.length})] end,
             x.created_at + (x.k * interval '200 milliseconds')
      from (
        select r.id as run_id, r.course_id, r.created_at, k, (${AGENTS}::text[])[1 + (k % ${AGENTS.length})] as agent, random() as u
        from public.enrichment_runs r
        join seeded_courses s on s.id = r.course_id
        cross join generate_series(1, ${callsPerRun}) k
      ) x
      cross join lateral (
        select case when x.agent in ('A2', 'A6') then 'anthropic' when x.agent = 'A3' then 'hunter' else 'perplexity' end as provider,
               case when x.agent in ('A2', 'A6') then 'claude-haiku-4-5' when x.agent = 'A3' then null else 'perplexity/sonar' end as model,
               case x.agent when 'A1' then 4000 when 'A2' then 3000 when 'A6' then 9000 when 'A7' then 5000 when 'A3' then 800 else 2500 end as base_ms,
               case x.agent when 'A6' then 0.006 when 'A2' then 0.001 when 'A3' then 0 else 0.005 end as cost
      ) a`;
    const [counts] = await tx<{ contacts: number; runs: number; calls: number }[]>`
      select (select count(*)::int from public.contacts c join seeded_courses s on s.id = c.course_id) as contacts,
             (select count(*)::int from public.enrichment_runs r join seeded_courses s on s.id = r.course_id) as runs,
             (select count(*)::int from public.agent_calls a join seeded_courses s on s.id = a.course_id) as calls`;
    return { courses, contacts: counts!.contacts, runs: counts!.runs, agent_calls: counts!.calls, ms: Date.now() - started };
  }).then(async (result) => {
    // Outside the seeding transaction: the rollup reads what is committed.
    await sql`select app_private.refresh_agent_call_rollup()`;
    await sql`analyze`;
    return { ...result, ms: Date.now() - started };
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      courses: { type: "string" },
      "contacts-per-course": { type: "string" },
      calls: { type: "string" },
      days: { type: "string" },
      "data-dir": { type: "string" },
    },
  });
  const sizes: SeedSizes = {
    courses: Number(values.courses ?? SCALE.courses),
    contactsPerCourse: Number(values["contacts-per-course"] ?? SCALE.contactsPerCourse),
    calls: Number(values.calls ?? SCALE.calls),
    days: Number(values.days ?? SCALE.days),
  };
  let url = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!url) {
    const { startEmbeddedPostgres } = await import("./embedded-db.ts");
    const { migrate } = await import("./migrate.ts");
    const db = await startEmbeddedPostgres({ dataDir: values["data-dir"] ?? ".data/pglite" });
    await migrate(db.url);
    url = db.url;
    stop = () => db.stop();
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const result = await seedDashboard(sql, sizes);
    console.log(JSON.stringify({ action: "seeded", ...sizes, ...result }));
  } finally {
    await sql.end();
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(JSON.stringify({ action: "seed_failed", error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  });
}
