-- Up Migration
-- The admin dashboard (src/dashboard/, /admin and /api/admin/*): read models over what the app
-- already records, and the settings an admin edits, each one call:
--   admin_overview        runs and leads per day, outcomes, cost per course and per qualified lead, segment mix;
--   admin_agents          per agent: calls, success rate, mean cost, p50/p95 duration, error types, per day;
--   admin_quality         email / phone / LinkedIn rates, segment confidence and opportunity scores, by segment and state;
--   admin_runs, admin_run recent runs (filtered) and one run's steps and provider calls;
--   admin_outreach, admin_sync, admin_freshness   the later stages' figures (empty until they have data);
--   admin_routing_rules, admin_save_routing_rule, admin_delete_routing_rule,
--   admin_templates, admin_save_template, admin_preview_contact   the settings, every edit audited
--                         in admin_audit_log (before and after, who).
-- Scale (10,000 courses, 1,000,000 agent_calls): agent_calls is read through a daily rollup
-- (agent_call_rollup*) that admin_agents brings up to date with what is older than five minutes
-- (set-based, incremental) and completes with the live tail. The rollup is not maintained by a
-- trigger on purpose: twenty runs saving at once would contend on the same (day, agent) rows inside
-- apply_enrichment's transaction, and could deadlock on them.

create index if not exists enrichment_runs_created_at_idx on public.enrichment_runs (created_at desc);
create index if not exists enrichment_runs_status_created_at_idx on public.enrichment_runs (status, created_at desc);
create index if not exists agent_calls_created_at_idx on public.agent_calls (created_at);
create index if not exists contacts_created_at_idx on public.contacts (created_at);
create index if not exists courses_enriched_at_idx on public.courses (enriched_at) where enriched_at is not null;
create index if not exists outreach_sequences_started_at_idx on public.outreach_sequences (started_at);
create index if not exists sync_audit_log_created_at_idx on public.sync_audit_log (created_at desc);

-- ---------------------------------------------------------------------------------------------
-- The audit of admin edits
-- ---------------------------------------------------------------------------------------------
create table public.admin_audit_log (
  id bigint generated always as identity primary key,
  -- Who: the Access identity's email, or "admin-key" for the ADMIN_API_KEY sign-in.
  actor text not null constraint admin_audit_log_actor_not_blank check (btrim(actor) <> ''),
  action text not null constraint admin_audit_log_action_check check (action in ('create', 'update', 'delete')),
  entity text not null constraint admin_audit_log_entity_check check (entity in ('routing_rule', 'outreach_template')),
  entity_id text not null,
  before jsonb,
  after jsonb,
  created_at timestamptz not null default now()
);
create index admin_audit_log_entity_idx on public.admin_audit_log (entity, created_at desc);
comment on table public.admin_audit_log is 'Every settings edit made in the admin dashboard: who, what, before and after.';
select app_private.secure_table('public.admin_audit_log'::regclass, false);

-- ---------------------------------------------------------------------------------------------
-- The agent_calls rollup
-- ---------------------------------------------------------------------------------------------
create table public.agent_call_rollup (
  day date not null,
  agent text not null,
  status text not null,
  calls bigint not null,
  cost_usd numeric not null,
  duration_sum bigint not null,
  duration_n bigint not null,
  primary key (day, agent, status)
);
-- Durations as a log histogram (8 buckets per doubling, ~9% wide): percentiles merge across days.
create table public.agent_call_duration_rollup (
  day date not null,
  agent text not null,
  bucket smallint not null,
  calls bigint not null,
  primary key (day, agent, bucket)
);
create table public.agent_call_error_rollup (
  day date not null,
  agent text not null,
  error_type text not null,
  calls bigint not null,
  primary key (day, agent, error_type)
);
-- The rollup holds every agent_calls row created before `through`.
create table public.agent_call_rollup_state (
  id boolean primary key default true constraint agent_call_rollup_state_one_row check (id),
  through timestamptz not null
);
insert into public.agent_call_rollup_state (id, through) values (true, '-infinity');
select app_private.secure_table('public.agent_call_rollup'::regclass, false);
select app_private.secure_table('public.agent_call_duration_rollup'::regclass, false);
select app_private.secure_table('public.agent_call_error_rollup'::regclass, false);
select app_private.secure_table('public.agent_call_rollup_state'::regclass, false);

create or replace function app_private.duration_bucket(ms integer)
returns smallint
language sql
immutable
as $$
  select case when ms is null then null else least(floor(ln(ms::float8 + 1) / ln(2) * 8), 32000)::smallint end
$$;

-- A bucket's typical value (its geometric middle), in ms.
create or replace function app_private.bucket_ms(bucket integer)
returns numeric
language sql
immutable
as $$
  select round((power(2::float8, (bucket + 0.5) / 8) - 1)::numeric, 0)
$$;

-- An error's kind, for counting: what an admin acts on, not the message's details.
create or replace function app_private.error_type(error text)
returns text
language sql
immutable
as $$
  select case
    when error is null or btrim(error) = '' then null
    when error ~* 'spend cap' then 'spend cap reached'
    when error ~* 'time(d)?[ _-]?out|aborted' then 'timeout'
    when error ~ '\m429\M' or error ~* 'rate[ _-]?limit' then 'rate limited (429)'
    when error ~ '\m529\M' or error ~* 'overloaded' then 'overloaded (529)'
    when error ~ '\m5[0-9][0-9]\M' then 'provider error (5xx)'
    when error ~ '\m4[0-9][0-9]\M' then 'refused (4xx)'
    when error ~* 'schema|invalid|parse|json|zod' then 'invalid answer'
    when error ~* 'not found|no website|no staff' then 'not found'
    else left(regexp_replace(btrim(error), '[0-9]+', 'N', 'g'), 60)
  end
$$;

-- Adds the calls created in [through, now - 5 min) to the rollup. Skipped when another call is at
-- it (the reader then reads the rollup as it stands plus the live tail, which is still correct).
-- The five minutes: created_at is its transaction's start, so a row can commit after a later
-- one; no enrichment transaction lasts that long.
create or replace function app_private.refresh_agent_call_rollup()
returns void
language plpgsql
set search_path = public, pg_temp
as $$
declare
  v_from timestamptz;
  v_to timestamptz := now() - interval '5 minutes';
begin
  select s.through into v_from from public.agent_call_rollup_state s where s.id for update skip locked;
  if not found or v_from >= v_to then
    return;
  end if;
  insert into public.agent_call_rollup as r (day, agent, status, calls, cost_usd, duration_sum, duration_n)
  select (a.created_at at time zone 'UTC')::date, a.agent, a.status, count(*), sum(a.cost_usd),
         coalesce(sum(a.duration_ms), 0), count(a.duration_ms)
  from public.agent_calls a
  where a.created_at >= v_from and a.created_at < v_to
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (day, agent, status) do update set
    calls = r.calls + excluded.calls, cost_usd = r.cost_usd + excluded.cost_usd,
    duration_sum = r.duration_sum + excluded.duration_sum, duration_n = r.duration_n + excluded.duration_n;
  insert into public.agent_call_duration_rollup as r (day, agent, bucket, calls)
  select (a.created_at at time zone 'UTC')::date, a.agent, app_private.duration_bucket(a.duration_ms), count(*)
  from public.agent_calls a
  where a.created_at >= v_from and a.created_at < v_to and a.duration_ms is not null
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (day, agent, bucket) do update set calls = r.calls + excluded.calls;
  insert into public.agent_call_error_rollup as r (day, agent, error_type, calls)
  select (a.created_at at time zone 'UTC')::date, a.agent, app_private.error_type(a.error), count(*)
  from public.agent_calls a
  where a.created_at >= v_from and a.created_at < v_to and a.status = 'failed' and a.error is not null
  group by 1, 2, 3
  order by 1, 2, 3
  on conflict (day, agent, error_type) do update set calls = r.calls + excluded.calls;
  update public.agent_call_rollup_state set through = v_to where id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Shared helpers
-- ---------------------------------------------------------------------------------------------

-- The first instant of the range: midnight UTC, (days - 1) days ago. payload.days: 1..365, default 30.
create or replace function app_private.admin_since(payload jsonb)
returns timestamptz
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  v_days integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_days := coalesce(app_private.int_field(payload, 'days', 'days', false, 1, 365), 30);
  return (date_trunc('day', now() at time zone 'UTC') - (v_days - 1) * interval '1 day') at time zone 'UTC';
end
$$;

create or replace function app_private.admin_actor(payload jsonb)
returns text
language sql
stable
set search_path = public, pg_temp
as $$
  select left(app_private.text_field(payload, 'actor', 'actor', true), 200)
$$;

-- A lead worth a rep's call: a verified email or a direct phone. Plain columns and no SET clause, so
-- the planner inlines it (as a call per row it cost ~120 ms over 30,000 contacts); it reads no table.
create or replace function app_private.is_qualified_lead(email text, email_status text, phone_type text)
returns boolean
language sql
immutable
as $$
  select coalesce(email is not null and email_status = 'valid', false) or coalesce(phone_type = 'direct', false)
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_overview
-- payload: {days?}
-- answer:  {since, days: [{day, runs, succeeded, partial, failed, courses_enriched, leads, qualified_leads, cost_usd}],
--           totals: {runs, succeeded, partial, failed, in_flight, courses, courses_enriched, leads,
--                    qualified_leads, lead_tasks, cost_usd, cost_per_course_usd, cost_per_qualified_lead_usd,
--                    mean_duration_ms, clickup_task_rate}, segments: [{segment, courses}]}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_overview(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
begin
  return (
    with day_list as (
      select (d at time zone 'UTC')::date as day
      from generate_series(v_since, now(), interval '1 day') d
    ),
    runs as (
      select (r.created_at at time zone 'UTC')::date as day, r.status, r.course_id, coalesce(r.cost_usd, 0) as cost_usd, r.duration_ms
      from public.enrichment_runs r where r.created_at >= v_since
    ),
    leads as (
      select (c.created_at at time zone 'UTC')::date as day, c.clickup_task_id is not null as has_task,
             coalesce(app_private.is_qualified_lead(e.email, e.email_status, e.phone_type), false) as qualified
      from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id
      where c.created_at >= v_since and c.duplicate_of is null
    ),
    run_days as (
      select day, count(*) as runs,
             count(*) filter (where status = 'succeeded') as succeeded,
             count(*) filter (where status = 'partial') as partial,
             count(*) filter (where status = 'failed') as failed,
             count(distinct course_id) filter (where status in ('succeeded', 'partial')) as courses_enriched,
             sum(cost_usd) as cost_usd
      from runs group by day
    ),
    lead_days as (
      select day, count(*) as leads, count(*) filter (where qualified) as qualified_leads from leads group by day
    ),
    totals as (
      select count(*) as runs,
             count(*) filter (where status = 'succeeded') as succeeded,
             count(*) filter (where status = 'partial') as partial,
             count(*) filter (where status = 'failed') as failed,
             count(*) filter (where status in ('queued', 'running')) as in_flight,
             count(distinct course_id) as courses,
             count(distinct course_id) filter (where status in ('succeeded', 'partial')) as courses_enriched,
             coalesce(sum(cost_usd), 0) as cost_usd,
             round(avg(duration_ms) filter (where status in ('succeeded', 'partial'))) as mean_duration_ms
      from runs
    ),
    lead_totals as (
      select count(*) as leads, count(*) filter (where qualified) as qualified_leads, count(*) filter (where has_task) as lead_tasks from leads
    ),
    segments as (
      select b.segment, count(*) as courses
      from public.business_intelligence b join public.courses k on k.id = b.course_id
      where k.enriched_at >= v_since
      group by b.segment
    )
    select jsonb_build_object(
      'since', v_since,
      'days', (select coalesce(jsonb_agg(jsonb_build_object(
                  'day', d.day, 'runs', coalesce(r.runs, 0), 'succeeded', coalesce(r.succeeded, 0),
                  'partial', coalesce(r.partial, 0), 'failed', coalesce(r.failed, 0),
                  'courses_enriched', coalesce(r.courses_enriched, 0), 'leads', coalesce(l.leads, 0),
                  'qualified_leads', coalesce(l.qualified_leads, 0), 'cost_usd', round(coalesce(r.cost_usd, 0), 6))
                order by d.day), '[]'::jsonb)
               from day_list d left join run_days r on r.day = d.day left join lead_days l on l.day = d.day),
      'totals', (select jsonb_build_object(
                  'runs', t.runs, 'succeeded', t.succeeded, 'partial', t.partial, 'failed', t.failed, 'in_flight', t.in_flight,
                  'courses', t.courses, 'courses_enriched', t.courses_enriched,
                  'leads', lt.leads, 'qualified_leads', lt.qualified_leads, 'lead_tasks', lt.lead_tasks,
                  'cost_usd', round(t.cost_usd, 6),
                  'cost_per_course_usd', case when t.courses > 0 then round(t.cost_usd / t.courses, 6) end,
                  'cost_per_qualified_lead_usd', case when lt.qualified_leads > 0 then round(t.cost_usd / lt.qualified_leads, 6) end,
                  'mean_duration_ms', t.mean_duration_ms,
                  'clickup_task_rate', case when lt.leads > 0 then round(lt.lead_tasks::numeric / lt.leads, 4) end)
                 from totals t, lead_totals lt),
      'segments', (select coalesce(jsonb_agg(jsonb_build_object('segment', s.segment, 'courses', s.courses) order by s.segment), '[]'::jsonb) from segments s)
    )
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_agents
-- payload: {days?}
-- answer:  {since, agents: [{agent, calls, succeeded, failed, skipped, success_rate, mean_cost_usd, cost_usd,
--           mean_duration_ms, p50_ms, p95_ms, errors: [{type, count}],
--           days: [{day, calls, success_rate, cost_usd, p95_ms}]}]}
-- Percentiles come from the duration histogram (±5%).
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_agents(payload jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
  v_since_day date := (v_since at time zone 'UTC')::date;
begin
  perform app_private.refresh_agent_call_rollup();
  -- One statement, one snapshot: the rollup and the tail after its `through` never overlap.
  return (
    with state as (select s.through from public.agent_call_rollup_state s where s.id),
    tail as (
      select (a.created_at at time zone 'UTC')::date as day, a.agent, a.status, a.cost_usd, a.duration_ms, a.error
      from public.agent_calls a, state
      where a.created_at >= greatest(state.through, v_since)
    ),
    counts as (
      select day, agent, status, sum(calls) as calls, sum(cost_usd) as cost_usd, sum(duration_sum) as duration_sum, sum(duration_n) as duration_n
      from (
        select r.day, r.agent, r.status, r.calls, r.cost_usd, r.duration_sum, r.duration_n
        from public.agent_call_rollup r where r.day >= v_since_day
        union all
        select t.day, t.agent, t.status, count(*), sum(t.cost_usd), coalesce(sum(t.duration_ms), 0), count(t.duration_ms)
        from tail t group by 1, 2, 3
      ) x group by 1, 2, 3
    ),
    buckets as (
      select day, agent, bucket, sum(calls) as calls
      from (
        select r.day, r.agent, r.bucket, r.calls from public.agent_call_duration_rollup r where r.day >= v_since_day
        union all
        select t.day, t.agent, app_private.duration_bucket(t.duration_ms), count(*) from tail t where t.duration_ms is not null group by 1, 2, 3
      ) x group by 1, 2, 3
    ),
    errors as (
      select agent, error_type, sum(calls) as calls
      from (
        select r.agent, r.error_type, r.calls from public.agent_call_error_rollup r where r.day >= v_since_day
        union all
        select t.agent, app_private.error_type(t.error), count(*) from tail t where t.status = 'failed' and t.error is not null group by 1, 2
      ) x group by 1, 2
    ),
    per_agent as (
      select agent, sum(calls) as calls,
             sum(calls) filter (where status = 'succeeded') as succeeded,
             sum(calls) filter (where status = 'failed') as failed,
             sum(calls) filter (where status = 'skipped') as skipped,
             sum(cost_usd) as cost_usd, sum(duration_sum) as duration_sum, sum(duration_n) as duration_n
      from counts group by agent
    ),
    agent_buckets as (
      select agent, bucket, sum(calls) as calls,
             sum(sum(calls)) over (partition by agent order by bucket) as running,
             sum(sum(calls)) over (partition by agent) as total
      from buckets group by agent, bucket
    ),
    pcts as (
      select agent,
             app_private.bucket_ms(min(bucket) filter (where running >= 0.5 * total)) as p50_ms,
             app_private.bucket_ms(min(bucket) filter (where running >= 0.95 * total)) as p95_ms
      from agent_buckets group by agent
    ),
    day_buckets as (
      select day, agent, bucket,
             sum(calls) over (partition by day, agent order by bucket) as running,
             sum(calls) over (partition by day, agent) as total
      from buckets
    ),
    day_pcts as (
      select day, agent, app_private.bucket_ms(min(bucket) filter (where running >= 0.95 * total)) as p95_ms
      from day_buckets group by day, agent
    ),
    per_day as (
      select c.agent, c.day, sum(c.calls) as calls, sum(c.calls) filter (where c.status = 'succeeded') as succeeded,
             sum(c.calls) filter (where c.status <> 'skipped') as attempted, sum(c.cost_usd) as cost_usd
      from counts c group by c.agent, c.day
    )
    select jsonb_build_object(
      'since', v_since,
      'agents', coalesce((
        select jsonb_agg(jsonb_build_object(
          'agent', p.agent, 'calls', p.calls, 'succeeded', coalesce(p.succeeded, 0), 'failed', coalesce(p.failed, 0),
          'skipped', coalesce(p.skipped, 0),
          'success_rate', case when p.calls - coalesce(p.skipped, 0) > 0
                            then round(coalesce(p.succeeded, 0)::numeric / (p.calls - coalesce(p.skipped, 0)), 4) end,
          'cost_usd', round(p.cost_usd, 6),
          'mean_cost_usd', case when p.calls > 0 then round(p.cost_usd / p.calls, 6) end,
          'mean_duration_ms', case when p.duration_n > 0 then round(p.duration_sum::numeric / p.duration_n) end,
          'p50_ms', q.p50_ms, 'p95_ms', q.p95_ms,
          'errors', coalesce((select jsonb_agg(jsonb_build_object('type', e.error_type, 'count', e.calls) order by e.calls desc, e.error_type)
                              from errors e where e.agent = p.agent), '[]'::jsonb),
          'days', coalesce((select jsonb_agg(jsonb_build_object(
                               'day', d.day, 'calls', d.calls,
                               'success_rate', case when d.attempted > 0 then round(coalesce(d.succeeded, 0)::numeric / d.attempted, 4) end,
                               'cost_usd', round(d.cost_usd, 6), 'p95_ms', dp.p95_ms) order by d.day)
                            from per_day d left join day_pcts dp on dp.day = d.day and dp.agent = d.agent
                            where d.agent = p.agent), '[]'::jsonb))
          order by p.agent)
        from per_agent p left join pcts q on q.agent = p.agent), '[]'::jsonb)
    )
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_quality
-- payload: {days?}   (contacts and intel of the courses enriched in the range)
-- answer:  {since, contacts, rates: {email_found, email_verified, phone_found, phone_direct, linkedin},
--           by_segment: [{segment, contacts, ...rates}], by_state: [{state, contacts, ...rates}] (top 20 by contacts),
--           confidence: [{confidence, high_end, budget, both}] (1..10),
--           opportunities: [{opportunity, scores: [count for 1..10], mean, mean_by_segment: {segment: mean}}]}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_quality(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
begin
  return (
    with courses_in as materialized (
      select k.id, upper(k.state) as state, b.segment, b.segment_confidence, b.opportunities
      from public.courses k left join public.business_intelligence b on b.course_id = k.id
      where k.enriched_at >= v_since
    ),
    people as (
      select ci.segment, ci.state,
             (e.email is not null) as email_found,
             coalesce(e.email is not null and e.email_status = 'valid', false) as email_verified,
             (e.phone is not null) as phone_found,
             coalesce(e.phone_type = 'direct', false) as phone_direct,
             (e.linkedin_url is not null) as linkedin
      from courses_in ci
      join public.contacts c on c.course_id = ci.id and c.duplicate_of is null and c.is_active
      left join public.contact_enrichment e on e.contact_id = c.id
    ),
    grouped as (
      select grouping(segment) as g_segment, grouping(state) as g_state, segment, state, count(*) as contacts,
             round(avg(email_found::int), 4) as email_found, round(avg(email_verified::int), 4) as email_verified,
             round(avg(phone_found::int), 4) as phone_found, round(avg(phone_direct::int), 4) as phone_direct,
             round(avg(linkedin::int), 4) as linkedin
      from people
      group by grouping sets ((), (segment), (state))
    ),
    scores as (
      select o.key as opportunity, ci.segment, (o.value #>> '{}')::numeric as score
      from courses_in ci, jsonb_each(coalesce(ci.opportunities, '{}'::jsonb)) o
      where jsonb_typeof(o.value) = 'number'
    ),
    -- Small aggregates first, so the JSON below never rescans the rows.
    confidence as (
      select ci.segment_confidence as confidence,
             count(*) filter (where ci.segment = 'high-end') as high_end,
             count(*) filter (where ci.segment = 'budget') as budget,
             count(*) filter (where ci.segment = 'both') as both_segments
      from courses_in ci where ci.segment_confidence is not null group by 1
    ),
    score_counts as (
      select s.opportunity, round(s.score)::int as score, count(*) as courses from scores s group by 1, 2
    ),
    score_means as (
      select s.opportunity, round(avg(s.score), 2) as mean from scores s group by 1
    ),
    segment_means as (
      select s.opportunity, jsonb_object_agg(s.segment, s.mean) as means
      from (select opportunity, segment, round(avg(score), 2) as mean from scores where segment is not null group by 1, 2) s
      group by 1
    )
    select jsonb_build_object(
      'since', v_since,
      'contacts', coalesce((select g.contacts from grouped g where g.g_segment = 1 and g.g_state = 1), 0),
      'rates', (select jsonb_build_object('email_found', g.email_found, 'email_verified', g.email_verified,
                  'phone_found', g.phone_found, 'phone_direct', g.phone_direct, 'linkedin', g.linkedin)
                from grouped g where g.g_segment = 1 and g.g_state = 1),
      'by_segment', coalesce((select jsonb_agg(jsonb_build_object('segment', coalesce(g.segment, 'unknown'), 'contacts', g.contacts,
                  'email_found', g.email_found, 'email_verified', g.email_verified, 'phone_found', g.phone_found,
                  'phone_direct', g.phone_direct, 'linkedin', g.linkedin) order by g.segment nulls last)
                from grouped g where g.g_segment = 0), '[]'::jsonb),
      'by_state', coalesce((select jsonb_agg(x.row order by x.contacts desc, x.state) from (
                  select g.state, g.contacts, jsonb_build_object('state', g.state, 'contacts', g.contacts,
                    'email_found', g.email_found, 'email_verified', g.email_verified, 'phone_found', g.phone_found,
                    'phone_direct', g.phone_direct, 'linkedin', g.linkedin) as row
                  from grouped g where g.g_state = 0 order by g.contacts desc, g.state limit 20) x), '[]'::jsonb),
      'confidence', (select jsonb_agg(jsonb_build_object('confidence', n.n, 'high_end', coalesce(c.high_end, 0),
                      'budget', coalesce(c.budget, 0), 'both', coalesce(c.both_segments, 0)) order by n.n)
                     from generate_series(1, 10) n(n) left join confidence c on c.confidence = n.n),
      'opportunities', coalesce((select jsonb_agg(jsonb_build_object(
                      'opportunity', m.opportunity,
                      'scores', (select jsonb_agg(coalesce(sc.courses, 0) order by n.n)
                                 from generate_series(1, 10) n(n)
                                 left join score_counts sc on sc.opportunity = m.opportunity and sc.score = n.n),
                      'mean', m.mean,
                      'mean_by_segment', coalesce(sm.means, '{}'::jsonb))
                      order by m.opportunity)
                    from score_means m left join segment_means sm on sm.opportunity = m.opportunity), '[]'::jsonb)
    )
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_runs
-- payload: {status?, source?, from?, to? (YYYY-MM-DD, UTC, inclusive), limit? (1..200, default 50)}
-- answer:  {runs: [{id, course_id, course_name, state, status, trigger_source, cost_usd, duration_ms,
--           error, calls, failed_calls, created_at, finished_at}]}   newest first
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_runs(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_status text;
  v_source text;
  v_from date;
  v_to date;
  v_limit integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_status := app_private.enum_field(payload, 'status', 'status', array['queued', 'running', 'succeeded', 'partial', 'failed']);
  v_source := app_private.enum_field(payload, 'source', 'source', array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual']);
  begin
    v_from := app_private.text_field(payload, 'from', 'from')::date;
    v_to := app_private.text_field(payload, 'to', 'to')::date;
  exception when invalid_datetime_format or datetime_field_overflow then
    perform app_private.invalid_payload('from/to', 'must be dates (YYYY-MM-DD)');
  end;
  v_limit := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1, 200), 50);
  return jsonb_build_object('runs', coalesce((
    select jsonb_agg(jsonb_build_object(
      'id', r.id, 'course_id', r.course_id, 'course_name', k.course_name, 'state', k.state, 'status', r.status,
      'trigger_source', r.trigger_source, 'cost_usd', r.cost_usd, 'duration_ms', r.duration_ms, 'error', r.error,
      'calls', coalesce(n.calls, 0), 'failed_calls', coalesce(n.failed, 0),
      'created_at', r.created_at, 'finished_at', r.finished_at) order by r.created_at desc, r.id)
    from (
      select r.* from public.enrichment_runs r
      where (v_status is null or r.status = v_status)
        and (v_source is null or r.trigger_source = v_source)
        and (v_from is null or r.created_at >= (v_from::timestamp at time zone 'UTC'))
        and (v_to is null or r.created_at < ((v_to + 1)::timestamp at time zone 'UTC'))
      order by r.created_at desc, r.id
      limit v_limit
    ) r
    join public.courses k on k.id = r.course_id
    left join lateral (
      select count(*) as calls, count(*) filter (where a.status = 'failed') as failed
      from public.agent_calls a where a.run_id = r.id
    ) n on true), '[]'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_run
-- payload: {run_id}
-- answer:  {run: {id, course_id, course_name, state, status, trigger_source, cost_usd, duration_ms, error,
--           guards, created_at, started_at, finished_at,
--           steps: [{step, agent, contact_name, status, calls, duration_ms, cost_usd}],
--           calls: [{agent, call_key, contact_name, provider, model, status, attempts, duration_ms,
--                    input_tokens, output_tokens, cost_usd, error, created_at}]} | null}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_run(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  return jsonb_build_object('run', (
    select jsonb_build_object(
      'id', r.id, 'course_id', r.course_id, 'course_name', k.course_name, 'state', k.state, 'status', r.status,
      'trigger_source', r.trigger_source, 'cost_usd', r.cost_usd, 'duration_ms', r.duration_ms, 'error', r.error,
      'guards', coalesce(to_jsonb(r) -> 'guards', '[]'::jsonb),
      'created_at', r.created_at, 'started_at', r.started_at, 'finished_at', r.finished_at,
      'steps', coalesce((
        select jsonb_agg(jsonb_build_object(
          'step', s.agent || coalesce(':' || s.contact_name, ''), 'agent', s.agent, 'contact_name', s.contact_name,
          'status', s.status, 'calls', s.calls, 'duration_ms', s.duration_ms, 'cost_usd', s.cost_usd) order by s.first_id)
        from (
          select a.agent, a.contact_name, min(a.id) as first_id, count(*) as calls,
                 case when bool_or(a.status = 'failed') then 'failed' when bool_and(a.status = 'skipped') then 'skipped' else 'succeeded' end as status,
                 sum(a.duration_ms) as duration_ms, sum(a.cost_usd) as cost_usd
          from public.agent_calls a where a.run_id = r.id
          group by a.agent, a.contact_name
        ) s), '[]'::jsonb),
      'calls', coalesce((
        select jsonb_agg(jsonb_build_object(
          'agent', a.agent, 'call_key', a.call_key, 'contact_name', a.contact_name, 'provider', a.provider, 'model', a.model,
          'status', a.status, 'attempts', a.attempts, 'duration_ms', a.duration_ms, 'input_tokens', a.input_tokens,
          'output_tokens', a.output_tokens, 'cost_usd', a.cost_usd, 'error', a.error, 'created_at', a.created_at) order by a.id)
        from public.agent_calls a where a.run_id = r.id), '[]'::jsonb))
    from public.enrichment_runs r join public.courses k on k.id = r.course_id
    where r.id = v_run_id));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_outreach
-- payload: {days?}
-- answer:  {since, funnel: {contacted, sent, replied, bounced, unsubscribed},
--           by_segment: [{segment, contacted, sent, replied, bounced, unsubscribed, reply_rate}],
--           by_template: [{segment, step, sent, replied, reply_rate}]}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_outreach(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
begin
  return (
    with seqs as (
      select s.id, coalesce(s.segment, 'both') as segment,
             exists (select 1 from public.outreach_messages m where m.sequence_id = s.id and m.sent_at is not null) as sent,
             exists (select 1 from public.outreach_events e where e.sequence_id = s.id and e.kind = 'reply') or s.status = 'replied' as replied,
             exists (select 1 from public.outreach_events e where e.sequence_id = s.id and e.kind = 'bounce') or s.status = 'bounced' as bounced,
             exists (select 1 from public.outreach_events e where e.sequence_id = s.id and e.kind in ('unsubscribe', 'complaint')) or s.status = 'unsubscribed' as unsubscribed
      from public.outreach_sequences s where s.started_at >= v_since
    ),
    by_segment as (
      select segment, count(*) as contacted, count(*) filter (where sent) as sent, count(*) filter (where replied) as replied,
             count(*) filter (where bounced) as bounced, count(*) filter (where unsubscribed) as unsubscribed
      from seqs group by segment
    ),
    by_template as (
      select coalesce(s.segment, 'both') as segment, m.step, count(*) as sent,
             count(*) filter (where exists (select 1 from public.outreach_events e where e.message_id = m.id and e.kind = 'reply')) as replied
      from public.outreach_messages m join public.outreach_sequences s on s.id = m.sequence_id
      where s.started_at >= v_since and m.sent_at is not null
      group by 1, 2
    )
    select jsonb_build_object(
      'since', v_since,
      'funnel', (select jsonb_build_object('contacted', count(*), 'sent', count(*) filter (where sent), 'replied', count(*) filter (where replied),
                   'bounced', count(*) filter (where bounced), 'unsubscribed', count(*) filter (where unsubscribed)) from seqs),
      'by_segment', coalesce((select jsonb_agg(jsonb_build_object('segment', b.segment, 'contacted', b.contacted, 'sent', b.sent,
                   'replied', b.replied, 'bounced', b.bounced, 'unsubscribed', b.unsubscribed,
                   'reply_rate', case when b.sent > 0 then round(b.replied::numeric / b.sent, 4) end) order by b.segment) from by_segment b), '[]'::jsonb),
      'by_template', coalesce((select jsonb_agg(jsonb_build_object('segment', t.segment, 'step', t.step, 'sent', t.sent, 'replied', t.replied,
                   'reply_rate', case when t.sent > 0 then round(t.replied::numeric / t.sent, 4) end) order by t.segment, t.step) from by_template t), '[]'::jsonb)
    )
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_sync
-- payload: {days?}
-- answer:  {since, corrections: {total, by_status: [{status, count}], by_field: [{field, count}],
--           recent: [{entity, entity_id, field, before, after, status, clickup_user_id, source, created_at}] (20)},
--           webhooks: [{route, last_accepted_at, accepted_count, last_refused_at, last_refused_status,
--           last_refused_code, last_refused_message, refused_count}]}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_sync(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
begin
  return (
    with audit as (
      select * from public.sync_audit_log l where l.created_at >= v_since and l.direction = 'clickup_to_supabase'
    )
    select jsonb_build_object(
      'since', v_since,
      'corrections', jsonb_build_object(
        'total', (select count(*) from audit),
        'by_status', coalesce((select jsonb_agg(jsonb_build_object('status', x.status, 'count', x.n) order by x.n desc)
                     from (select coalesce(a.status, 'recorded') as status, count(*) as n from audit a group by 1) x), '[]'::jsonb),
        'by_field', coalesce((select jsonb_agg(jsonb_build_object('field', x.field, 'count', x.n) order by x.n desc)
                     from (select coalesce(a.field, '(none)') as field, count(*) as n from audit a group by 1 order by 2 desc limit 20) x), '[]'::jsonb),
        'recent', coalesce((select jsonb_agg(jsonb_build_object('entity', a.entity, 'entity_id', a.entity_id, 'field', a.field,
                     'before', a.before, 'after', a.after, 'status', a.status, 'clickup_user_id', a.clickup_user_id,
                     'source', a.source, 'created_at', a.created_at) order by a.created_at desc, a.id desc)
                   from (select * from audit order by created_at desc, id desc limit 20) a), '[]'::jsonb)),
      'webhooks', coalesce((select jsonb_agg(jsonb_build_object('route', h.route, 'last_accepted_at', h.last_accepted_at,
                     'accepted_count', h.accepted_count, 'last_refused_at', h.last_refused_at, 'last_refused_status', h.last_refused_status,
                     'last_refused_code', h.last_refused_code, 'last_refused_message', h.last_refused_message,
                     'refused_count', h.refused_count) order by h.route) from public.webhook_health h), '[]'::jsonb)
    )
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- admin_freshness
-- payload: {days?}
-- answer:  {since, sweeps: [{id, trigger, status, stop_reason, checked, still_there, left_club, replaced,
--           emails_invalidated, unknown, cost_usd, clickup_requests, started_at, finished_at}] (20 newest),
--           job_changes: [{contact_id, full_name, course_name, now_at, now_title, replacement_name, evidence_url, checked_at}] (20 newest)}
-- ---------------------------------------------------------------------------------------------
create or replace function public.admin_freshness(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_since timestamptz := app_private.admin_since(payload);
begin
  return jsonb_build_object(
    'since', v_since,
    'sweeps', coalesce((select jsonb_agg(jsonb_build_object('id', s.id, 'trigger', s.trigger, 'status', s.status,
                'stop_reason', s.stop_reason, 'checked', s.checked, 'still_there', s.still_there, 'left_club', s.left_club,
                'replaced', s.replaced, 'emails_invalidated', s.emails_invalidated, 'unknown', s.unknown,
                'cost_usd', s.cost_usd, 'clickup_requests', s.clickup_requests, 'started_at', s.started_at,
                'finished_at', s.finished_at) order by s.started_at desc)
              from (select * from public.freshness_sweeps f where f.started_at >= v_since order by f.started_at desc limit 20) s), '[]'::jsonb),
    'job_changes', coalesce((select jsonb_agg(jsonb_build_object('contact_id', x.contact_id, 'full_name', x.full_name,
                'course_name', x.course_name, 'now_at', x.now_at, 'now_title', x.now_title,
                'replacement_name', x.replacement_name, 'evidence_url', x.evidence_url, 'checked_at', x.checked_at) order by x.checked_at desc)
              from (select fc.contact_id, c.full_name, k.course_name, fc.now_at, fc.now_title, fc.replacement_name, fc.evidence_url, fc.checked_at
                    from public.freshness_checks fc join public.contacts c on c.id = fc.contact_id join public.courses k on k.id = fc.course_id
                    where fc.outcome = 'left' and fc.checked_at >= v_since order by fc.checked_at desc limit 20) x), '[]'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Routing rules
-- admin_routing_rules        payload {}  answer {rules: [{id, priority, segment, state, assignee_clickup_user_id, active, updated_at}],
--                                                 audit: [{actor, action, entity_id, before, after, created_at}] (20 newest)}
-- admin_save_routing_rule    payload {actor, id?, priority, segment?, state?, assignee_clickup_user_id, active}
--                            answer  {rule, action: created|updated|unchanged}  (an unknown id: P0002)
-- admin_delete_routing_rule  payload {actor, id}  answer {deleted: boolean}
-- ---------------------------------------------------------------------------------------------
create or replace function app_private.routing_rule_json(r public.routing_rules)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object('id', r.id, 'priority', r.priority, 'segment', r.segment, 'state', r.state,
    'assignee_clickup_user_id', r.assignee_clickup_user_id, 'active', r.active, 'updated_at', r.updated_at)
$$;

create or replace function public.admin_routing_rules(payload jsonb)
returns jsonb
language sql
stable
security invoker
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'rules', coalesce((select jsonb_agg(app_private.routing_rule_json(r) order by r.priority, r.created_at, r.id) from public.routing_rules r), '[]'::jsonb),
    'audit', coalesce((select jsonb_agg(jsonb_build_object('actor', a.actor, 'action', a.action, 'entity_id', a.entity_id,
               'before', a.before, 'after', a.after, 'created_at', a.created_at) order by a.created_at desc, a.id desc)
             from (select * from public.admin_audit_log l where l.entity = 'routing_rule' order by l.created_at desc, l.id desc limit 20) a), '[]'::jsonb))
$$;

create or replace function public.admin_save_routing_rule(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_actor text;
  v_id uuid;
  v_priority integer;
  v_segment text;
  v_state text;
  v_assignee numeric;
  v_active boolean;
  v_before public.routing_rules;
  v_after public.routing_rules;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_actor := app_private.admin_actor(payload);
  v_id := app_private.uuid_field(payload, 'id', 'id');
  v_priority := app_private.int_field(payload, 'priority', 'priority', true, 0, 100000);
  v_segment := app_private.enum_field(payload, 'segment', 'segment', array['high-end', 'budget', 'both']);
  v_state := upper(app_private.text_field(payload, 'state', 'state'));
  if v_state is not null and v_state !~ '^[A-Z]{2}$' then
    perform app_private.invalid_payload('state', 'must be a two-letter state code');
  end if;
  v_assignee := app_private.numeric_field(payload, 'assignee_clickup_user_id', 'assignee_clickup_user_id', true, 1, null, true);
  if jsonb_typeof(payload -> 'active') is distinct from 'boolean' then
    perform app_private.invalid_payload('active', 'must be a boolean');
  end if;
  v_active := (payload ->> 'active')::boolean;

  if v_id is null then
    insert into public.routing_rules (priority, segment, state, assignee_clickup_user_id, active)
    values (v_priority, v_segment, v_state, v_assignee::bigint, v_active)
    returning * into v_after;
    insert into public.admin_audit_log (actor, action, entity, entity_id, before, after)
    values (v_actor, 'create', 'routing_rule', v_after.id::text, null, app_private.routing_rule_json(v_after) - 'updated_at');
    return jsonb_build_object('rule', app_private.routing_rule_json(v_after), 'action', 'created');
  end if;

  select * into v_before from public.routing_rules r where r.id = v_id for update;
  if not found then
    raise exception using errcode = 'no_data_found', message = format('no routing rule %s', v_id);
  end if;
  update public.routing_rules r
  set priority = v_priority, segment = v_segment, state = v_state, assignee_clickup_user_id = v_assignee::bigint, active = v_active,
      updated_at = case when (r.priority, r.segment, r.state, r.assignee_clickup_user_id, r.active)
                             is distinct from (v_priority, v_segment, v_state, v_assignee::bigint, v_active) then now() else r.updated_at end
  where r.id = v_id
  returning * into v_after;
  if (app_private.routing_rule_json(v_before) - 'updated_at') = (app_private.routing_rule_json(v_after) - 'updated_at') then
    return jsonb_build_object('rule', app_private.routing_rule_json(v_after), 'action', 'unchanged');
  end if;
  insert into public.admin_audit_log (actor, action, entity, entity_id, before, after)
  values (v_actor, 'update', 'routing_rule', v_id::text,
          app_private.routing_rule_json(v_before) - 'updated_at', app_private.routing_rule_json(v_after) - 'updated_at');
  return jsonb_build_object('rule', app_private.routing_rule_json(v_after), 'action', 'updated');
end
$$;

create or replace function public.admin_delete_routing_rule(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_actor text;
  v_id uuid;
  v_before public.routing_rules;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_actor := app_private.admin_actor(payload);
  v_id := app_private.uuid_field(payload, 'id', 'id', true);
  delete from public.routing_rules r where r.id = v_id returning * into v_before;
  if not found then
    return jsonb_build_object('deleted', false);
  end if;
  insert into public.admin_audit_log (actor, action, entity, entity_id, before, after)
  values (v_actor, 'delete', 'routing_rule', v_id::text, app_private.routing_rule_json(v_before) - 'updated_at', null);
  return jsonb_build_object('deleted', true);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Outreach templates
-- admin_templates        payload {}  answer {templates: [{segment, step, subject, body, active, delay_business_days, updated_at}],
--                                            audit: [...] (20 newest)}
-- admin_save_template    payload {actor, segment, step, subject, body, active, delay_business_days?}
--                        answer  {template, action: created|updated|unchanged}
-- admin_preview_contact  payload {contact_id?, segment?}
--                        answer  {contact: {id, full_name, title, course_name, course_city, course_state, segment,
--                                 intel: {conversation_starters, opportunities} | null} | null,
--                                 candidates: [{id, full_name, course_name, segment}] (20 newest with intel)}
-- ---------------------------------------------------------------------------------------------
create or replace function app_private.template_json(t public.outreach_templates)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object('segment', t.segment, 'step', t.step, 'subject', t.subject, 'body', t.body, 'active', t.active,
    'delay_business_days', t.delay_business_days, 'updated_at', t.updated_at)
$$;

create or replace function public.admin_templates(payload jsonb)
returns jsonb
language sql
stable
security invoker
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'templates', coalesce((select jsonb_agg(app_private.template_json(t) order by t.segment, t.step) from public.outreach_templates t), '[]'::jsonb),
    'audit', coalesce((select jsonb_agg(jsonb_build_object('actor', a.actor, 'action', a.action, 'entity_id', a.entity_id,
               'before', a.before, 'after', a.after, 'created_at', a.created_at) order by a.created_at desc, a.id desc)
             from (select * from public.admin_audit_log l where l.entity = 'outreach_template' order by l.created_at desc, l.id desc limit 20) a), '[]'::jsonb))
$$;

create or replace function public.admin_save_template(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_actor text;
  v_segment text;
  v_step integer;
  v_subject text;
  v_body text;
  v_active boolean;
  v_delay integer;
  v_before public.outreach_templates;
  v_after public.outreach_templates;
  v_found boolean;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_actor := app_private.admin_actor(payload);
  v_segment := app_private.enum_field(payload, 'segment', 'segment', array['high-end', 'budget', 'both'], true);
  v_step := app_private.int_field(payload, 'step', 'step', true, 1, 3);
  v_subject := app_private.text_field(payload, 'subject', 'subject', true);
  -- The body keeps its own whitespace (text_field trims).
  if jsonb_typeof(payload -> 'body') is distinct from 'string' or btrim(payload ->> 'body') = '' then
    perform app_private.invalid_payload('body', 'must be a non-empty string');
  end if;
  v_body := payload ->> 'body';
  if length(v_subject) > 300 or length(v_body) > 20000 then
    perform app_private.invalid_payload('subject/body', 'is too long (subject 300, body 20,000 characters)');
  end if;
  if jsonb_typeof(payload -> 'active') is distinct from 'boolean' then
    perform app_private.invalid_payload('active', 'must be a boolean');
  end if;
  v_active := (payload ->> 'active')::boolean;
  v_delay := app_private.int_field(payload, 'delay_business_days', 'delay_business_days', false, 0, 30);
  if v_step = 1 then
    v_delay := null;
  end if;

  select * into v_before from public.outreach_templates t where t.segment = v_segment and t.step = v_step for update;
  v_found := found;
  if not v_found then
    insert into public.outreach_templates (segment, step, subject, body, active, delay_business_days)
    values (v_segment, v_step, v_subject, v_body, v_active, v_delay)
    returning * into v_after;
    insert into public.admin_audit_log (actor, action, entity, entity_id, before, after)
    values (v_actor, 'create', 'outreach_template', v_segment || '/' || v_step, null, app_private.template_json(v_after) - 'updated_at');
    return jsonb_build_object('template', app_private.template_json(v_after), 'action', 'created');
  end if;
  if (v_before.subject, v_before.body, v_before.active, v_before.delay_business_days)
     is not distinct from (v_subject, v_body, v_active, coalesce(v_delay, case when v_step = 1 then null else v_before.delay_business_days end)) then
    return jsonb_build_object('template', app_private.template_json(v_before), 'action', 'unchanged');
  end if;
  update public.outreach_templates t
  set subject = v_subject, body = v_body, active = v_active,
      delay_business_days = case when v_step = 1 then null else coalesce(v_delay, t.delay_business_days) end,
      updated_at = now()
  where t.segment = v_segment and t.step = v_step
  returning * into v_after;
  insert into public.admin_audit_log (actor, action, entity, entity_id, before, after)
  values (v_actor, 'update', 'outreach_template', v_segment || '/' || v_step,
          app_private.template_json(v_before) - 'updated_at', app_private.template_json(v_after) - 'updated_at');
  return jsonb_build_object('template', app_private.template_json(v_after), 'action', 'updated');
end
$$;

create or replace function public.admin_preview_contact(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_contact_id uuid;
  v_segment text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_contact_id := app_private.uuid_field(payload, 'contact_id', 'contact_id');
  v_segment := app_private.enum_field(payload, 'segment', 'segment', array['high-end', 'budget', 'both']);
  return (
    with candidates as (
      select c.id, c.full_name, c.title, k.course_name, k.city, k.state, b.segment, b.conversation_starters, b.opportunities, c.created_at
      from public.contacts c
      join public.courses k on k.id = c.course_id
      join public.business_intelligence b on b.course_id = k.id
      where c.is_active and c.duplicate_of is null and (v_segment is null or b.segment = v_segment)
      order by c.created_at desc, c.id
      limit 20
    ),
    chosen as (
      select c.id, c.full_name, c.title, k.course_name, k.city, k.state, b.segment, b.conversation_starters, b.opportunities, b.course_id as has_intel
      from public.contacts c
      join public.courses k on k.id = c.course_id
      left join public.business_intelligence b on b.course_id = k.id
      where c.id = coalesce(v_contact_id, (select x.id from candidates x order by x.created_at desc, x.id limit 1))
    )
    select jsonb_build_object(
      'contact', (select jsonb_build_object('id', h.id, 'full_name', h.full_name, 'title', h.title, 'course_name', h.course_name,
                    'course_city', h.city, 'course_state', h.state, 'segment', h.segment,
                    'intel', case when h.has_intel is null then null
                                  else jsonb_build_object('conversation_starters', h.conversation_starters, 'opportunities', h.opportunities) end)
                  from chosen h),
      'candidates', coalesce((select jsonb_agg(jsonb_build_object('id', x.id, 'full_name', x.full_name, 'course_name', x.course_name,
                    'segment', x.segment) order by x.created_at desc, x.id) from candidates x), '[]'::jsonb))
  );
end
$$;

select app_private.service_role_only('public.admin_overview(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_agents(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_quality(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_runs(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_run(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_outreach(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_sync(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_freshness(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_routing_rules(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_save_routing_rule(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_delete_routing_rule(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_templates(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_save_template(jsonb)'::regprocedure);
select app_private.service_role_only('public.admin_preview_contact(jsonb)'::regprocedure);
revoke all on function app_private.refresh_agent_call_rollup() from public;
grant execute on function app_private.refresh_agent_call_rollup() to service_role;
