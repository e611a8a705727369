-- Up Migration
-- CSV imports (src/imports/, src/durable/course-import.ts): a list of courses entered at once.
--   course_imports          one per import: where it came from, its counts and when it ran;
--   course_import_rows      one per data row of the file, with its line number, the row as read
--                           (unknown columns too), what the import decided (invalid, duplicate,
--                           skipped, admitted) and, once admitted, the run it got (enrichment_runs.id);
--                           a row's live status (queued, running, succeeded, partial, failed) is its
--                           run's, read from enrichment_runs: nothing is copied, nothing goes stale.
--   create_course_import        the import's header;
--   add_course_import_rows      one batch of rows: the valid ones' courses written in the same call
--                               (one statement for the batch, never one call per row);
--   claim_course_import_rows    the next admitted rows without a run, in line order (the import's
--                               runner hands them to the queue; a claim older than the lease is
--                               claimed again, so a lost queue message delays a row, never loses it);
--   unclaim_course_import_row   a claimed row handed back (no run slot was free);
--   set_course_import_row_job   the run a row got (the first answer wins: a message delivered twice
--                               never starts a second run);
--   get_course_import, list_course_imports, finish_course_import.

create table public.course_imports (
  id uuid primary key default gen_random_uuid(),
  filename text constraint course_imports_filename_check check (filename is null or length(filename) <= 255),
  -- api: POST /api/imports; cli: npm run import; clickup: a CSV attached to an intake task.
  source text not null default 'api' constraint course_imports_source_check check (source in ('api', 'cli', 'clickup')),
  -- The import's own ClickUp task (source clickup): the summary is a comment there, not a new task.
  clickup_task_id text constraint course_imports_clickup_task_id_check check (clickup_task_id is null or length(clickup_task_id) <= 64),
  force boolean not null default false,
  -- The file's header, in its order (a row's raw cells are keyed by these names).
  columns jsonb not null default '[]'::jsonb constraint course_imports_columns_check check (jsonb_typeof(columns) = 'array'),
  status text not null default 'receiving'
    constraint course_imports_status_check check (status in ('receiving', 'queued', 'running', 'succeeded', 'partial', 'failed')),
  rows integer not null default 0,
  valid integer not null default 0,
  invalid integer not null default 0,
  duplicates integer not null default 0,
  skipped integer not null default 0,
  summary_task_id text,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.course_imports is 'CSV imports of courses: one row per file, its counts and progress.';
create index course_imports_recent on public.course_imports (created_at desc);
-- Admins read imports (the raw rows are a team's file, not a rep's view); the service role writes.
select app_private.secure_table('public.course_imports'::regclass);

create table public.course_import_rows (
  import_id uuid not null references public.course_imports (id) on delete cascade,
  -- The row's first line in the file (the header is line 1; a quoted field may span lines).
  line integer not null constraint course_import_rows_line_check check (line >= 2),
  primary key (import_id, line),
  -- The row as read, every column by its header (unknown columns kept, never evaluated).
  raw jsonb not null constraint course_import_rows_raw_check check (jsonb_typeof(raw) = 'object'),
  course_name text,
  state text,
  city text,
  website text,
  phone text,
  outcome text not null
    constraint course_import_rows_outcome_check check (outcome in ('invalid', 'duplicate', 'skipped', 'admitted', 'failed')),
  -- Why a row is invalid, a duplicate or skipped ("state \"Narnia\" is not a US state"), or failed
  -- before any run (its queue message was refused every time: the dead-letter queue's consumer says why).
  reason text constraint course_import_rows_reason_check check (reason is null or length(reason) <= 500),
  course_id uuid references public.courses (id) on delete set null,
  claimed_at timestamptz,
  job_id uuid,
  admitted_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.course_import_rows is 'One row of a CSV import: what was read, what the import decided, and the run it got.';
create index course_import_rows_waiting on public.course_import_rows (import_id, line) where outcome = 'admitted' and job_id is null;
create index course_import_rows_job on public.course_import_rows (job_id) where job_id is not null;
select app_private.secure_table('public.course_import_rows'::regclass);

-- A row's status as the API shows it: the import's decision, then its run's status.
create or replace function app_private.import_row_status(r public.course_import_rows)
returns text
language sql
stable
set search_path = public, pg_temp
as $$
  select case
    when r.outcome <> 'admitted' then r.outcome
    when r.job_id is null then 'queued'
    else coalesce((select case when e.status = 'queued' then 'running' else e.status end
                   from public.enrichment_runs e where e.id = r.job_id), 'running')
  end
$$;
revoke all on function app_private.import_row_status(public.course_import_rows) from public;
grant execute on function app_private.import_row_status(public.course_import_rows) to service_role;

create or replace function app_private.course_import_json(i public.course_imports)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  with statuses as (
    select app_private.import_row_status(r) as status from public.course_import_rows r where r.import_id = i.id
  ), counts as (
    select coalesce(jsonb_object_agg(status, n), '{}'::jsonb) as by_status
    from (select status, count(*) as n from statuses group by status) s
  )
  select jsonb_build_object(
    'import_id', i.id, 'filename', i.filename, 'source', i.source, 'clickup_task_id', i.clickup_task_id,
    'force', i.force, 'columns', i.columns, 'status', i.status, 'rows', i.rows, 'valid', i.valid, 'invalid', i.invalid,
    'duplicates', i.duplicates, 'skipped', i.skipped,
    'progress', (select jsonb_build_object(
        'queued', coalesce((by_status ->> 'queued')::int, 0),
        'running', coalesce((by_status ->> 'running')::int, 0),
        'succeeded', coalesce((by_status ->> 'succeeded')::int, 0),
        'partial', coalesce((by_status ->> 'partial')::int, 0),
        'failed', coalesce((by_status ->> 'failed')::int, 0),
        'invalid', coalesce((by_status ->> 'invalid')::int, 0),
        'duplicate', coalesce((by_status ->> 'duplicate')::int, 0),
        'skipped', coalesce((by_status ->> 'skipped')::int, 0)) from counts),
    'summary_task_id', i.summary_task_id,
    'created_at', i.created_at, 'started_at', i.started_at, 'finished_at', i.finished_at)
$$;
revoke all on function app_private.course_import_json(public.course_imports) from public;
grant execute on function app_private.course_import_json(public.course_imports) to service_role;

-- ---------------------------------------------------------------------------------------------
-- create_course_import
-- payload: {filename?, source?, clickup_task_id?, force?, columns?: [header names]}
-- answer:  {import: {...}}
-- ---------------------------------------------------------------------------------------------
create or replace function public.create_course_import(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_import public.course_imports;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  insert into public.course_imports (filename, source, clickup_task_id, force, columns)
  values (
    left(app_private.text_field(payload, 'filename', 'filename'), 255),
    coalesce(app_private.enum_field(payload, 'source', 'source', array['api', 'cli', 'clickup']), 'api'),
    app_private.text_field(payload, 'clickup_task_id', 'clickup_task_id'),
    coalesce((payload ->> 'force')::boolean, false),
    coalesce(app_private.json_field(payload, 'columns', 'columns', 'array', false), '[]'::jsonb))
  returning * into v_import;
  return jsonb_build_object('import', app_private.course_import_json(v_import));
end
$$;
select app_private.service_role_only('public.create_course_import(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- add_course_import_rows
-- payload: {import_id, rows: [{line, raw, course_name?, state?, city?, website?, phone?,
--           outcome: 'invalid' | 'duplicate' | 'valid', reason?}], last?: boolean}
--   The app parsed and validated the rows (and deduped them within the file). Here each valid row's
--   course is found by its name and state (courses.name_key) or created, all in one statement; a
--   course enriched in the last `recent_days` (default 30) is skipped unless the import is forced;
--   two rows of one batch naming one course are one course. City, website and phone fill a course's
--   empty fields only: what an enrichment or a rep wrote is never replaced by a file's guess.
--   `last` closes the import to rows: its counts are final and it is queued.
-- answer:  {rows: [{line, outcome, reason, course_id}], import: {...}}
-- ---------------------------------------------------------------------------------------------
create or replace function public.add_course_import_rows(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_import public.course_imports;
  v_rows jsonb;
  v_recent integer;
  v_answer jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  select * into v_import from public.course_imports i
  where i.id = app_private.uuid_field(payload, 'import_id', 'import_id', true) for update;
  if not found then
    perform app_private.invalid_payload('import_id', 'must name an existing import');
  end if;
  if v_import.status <> 'receiving' then
    perform app_private.invalid_payload('import_id', 'names an import that takes no more rows');
  end if;
  v_rows := coalesce(app_private.json_field(payload, 'rows', 'rows', 'array', false), '[]'::jsonb);
  if jsonb_array_length(v_rows) > 2000 then
    perform app_private.invalid_payload('rows', 'must hold at most 2000 rows per call');
  end if;
  v_recent := coalesce(app_private.int_field(payload, 'recent_days', 'recent_days', false, 0, 3650), 30);

  create temporary table if not exists pg_temp.import_batch (
    line integer primary key, raw jsonb, course_name text, state text, city text, website text, phone text,
    outcome text, reason text, name_key text, course_id uuid
  ) on commit drop;
  truncate pg_temp.import_batch;
  insert into pg_temp.import_batch (line, raw, course_name, state, city, website, phone, outcome, reason, name_key)
  select (r ->> 'line')::int, coalesce(r -> 'raw', '{}'::jsonb),
         nullif(regexp_replace(btrim(r ->> 'course_name'), '\s+', ' ', 'g'), ''), nullif(btrim(r ->> 'state'), ''),
         nullif(btrim(r ->> 'city'), ''), nullif(btrim(r ->> 'website'), ''), nullif(btrim(r ->> 'phone'), ''),
         coalesce(r ->> 'outcome', 'invalid'), left(r ->> 'reason', 500), null
  from jsonb_array_elements(v_rows) r;
  if exists (select 1 from pg_temp.import_batch b where b.line is null or b.line < 2 or b.outcome not in ('invalid', 'duplicate', 'valid')
             or (b.outcome = 'valid' and (b.course_name is null or b.state is null))) then
    perform app_private.invalid_payload('rows', 'must each have a line >= 2, an outcome (invalid, duplicate, valid), and a valid row a course_name and state');
  end if;
  update pg_temp.import_batch b set name_key = lower(b.course_name) || '|' || lower(b.state) where b.outcome = 'valid';

  -- Courses new to the database: one insert for the batch (the first row of a name wins its spelling).
  insert into public.courses (course_name, state, city, website, phone, source)
  select distinct on (b.name_key) b.course_name, b.state, b.city, b.website, b.phone, 'csv'
  from pg_temp.import_batch b where b.outcome = 'valid'
  order by b.name_key, b.line
  on conflict on constraint courses_name_key_key do nothing;
  update pg_temp.import_batch b set course_id = c.id from public.courses c where c.name_key = b.name_key and b.outcome = 'valid';
  -- Known courses: the file fills what is empty, never what an enrichment or a rep wrote.
  update public.courses c set
    city = coalesce(c.city, b.city), website = coalesce(c.website, b.website), phone = coalesce(c.phone, b.phone), updated_at = now()
  from (select distinct on (course_id) * from pg_temp.import_batch where outcome = 'valid' order by course_id, line) b
  where c.id = b.course_id and ((c.city is null and b.city is not null) or (c.website is null and b.website is not null) or (c.phone is null and b.phone is not null));

  -- Two rows of the batch naming one course (the app dedupes the file first; this is the backstop).
  update pg_temp.import_batch b set outcome = 'duplicate', reason = format('the same course as line %s', f.line)
  from (select x.course_id, min(x.line) as line from pg_temp.import_batch x where x.outcome = 'valid' group by x.course_id) f
  where b.course_id = f.course_id and b.line > f.line and b.outcome = 'valid';
  -- A row naming a course an earlier batch of this import already took is a duplicate too.
  update pg_temp.import_batch b set outcome = 'duplicate', reason = format('the same course as line %s', o.line)
  from public.course_import_rows o
  where o.import_id = v_import.id and o.course_id = b.course_id and o.outcome = 'admitted' and b.outcome = 'valid';
  if not v_import.force then
    update pg_temp.import_batch b set outcome = 'skipped',
      reason = format('enriched on %s (within %s days); import with force to enrich it again', to_char(c.enriched_at, 'YYYY-MM-DD'), v_recent)
    from public.courses c
    where c.id = b.course_id and b.outcome = 'valid' and c.enriched_at is not null and c.enriched_at > now() - make_interval(days => v_recent);
  end if;

  insert into public.course_import_rows (import_id, line, raw, course_name, state, city, website, phone, outcome, reason, course_id)
  select v_import.id, b.line, b.raw, b.course_name, b.state, b.city, b.website, b.phone,
         case when b.outcome = 'valid' then 'admitted' else b.outcome end, b.reason, b.course_id
  from pg_temp.import_batch b
  on conflict (import_id, line) do nothing;

  select coalesce(jsonb_agg(jsonb_build_object('line', b.line, 'outcome', case when b.outcome = 'valid' then 'admitted' else b.outcome end,
                                               'reason', b.reason, 'course_id', b.course_id) order by b.line), '[]'::jsonb)
  into v_answer from pg_temp.import_batch b;

  update public.course_imports i set
    rows = s.total, valid = s.admitted, invalid = s.invalid, duplicates = s.duplicates, skipped = s.skipped,
    status = case when coalesce((payload ->> 'last')::boolean, false) then 'queued' else i.status end,
    updated_at = now()
  from (select count(*) as total,
               count(*) filter (where r.outcome = 'admitted') as admitted,
               count(*) filter (where r.outcome = 'invalid') as invalid,
               count(*) filter (where r.outcome = 'duplicate') as duplicates,
               count(*) filter (where r.outcome = 'skipped') as skipped
        from public.course_import_rows r where r.import_id = v_import.id) s
  where i.id = v_import.id
  returning * into v_import;
  return jsonb_build_object('rows', v_answer, 'import', app_private.course_import_json(v_import));
end
$$;
select app_private.service_role_only('public.add_course_import_rows(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- claim_course_import_rows
-- payload: {import_id, limit (1..500), lease_seconds? (default 300)}
-- answer:  {rows: [{line, course_id, course_name, state, website}], waiting: rows admitted without a run
--           (claimed or not), claimable: those left to claim now, import: {...}} (limit 0: only counts)
--   The first rows in line order that are admitted, have no run, and are unclaimed or claimed longer
--   than the lease ago. The import turns running at its first claim.
-- ---------------------------------------------------------------------------------------------
create or replace function public.claim_course_import_rows(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_import public.course_imports;
  v_limit integer;
  v_lease integer;
  v_claimed jsonb;
  v_waiting integer;
  v_claimable integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  select * into v_import from public.course_imports i
  where i.id = app_private.uuid_field(payload, 'import_id', 'import_id', true) for update;
  if not found then
    perform app_private.invalid_payload('import_id', 'must name an existing import');
  end if;
  v_limit := app_private.int_field(payload, 'limit', 'limit', true, 0, 500);
  v_lease := coalesce(app_private.int_field(payload, 'lease_seconds', 'lease_seconds', false, 1, 86400), 300);
  with picked as (
    select r.line from public.course_import_rows r
    where r.import_id = v_import.id and r.outcome = 'admitted' and r.job_id is null
      and (r.claimed_at is null or r.claimed_at < now() - make_interval(secs => v_lease))
    order by r.line
    limit v_limit
    for update skip locked
  ), claimed as (
    update public.course_import_rows r set claimed_at = now()
    from picked p where r.import_id = v_import.id and r.line = p.line
    returning r.*
  )
  select coalesce(jsonb_agg(jsonb_build_object('line', c.line, 'course_id', c.course_id, 'course_name', c.course_name,
                                               'state', c.state, 'website', c.website) order by c.line), '[]'::jsonb)
  into v_claimed from claimed c;
  select count(*), count(*) filter (where r.claimed_at is null or r.claimed_at < now() - make_interval(secs => v_lease))
  into v_waiting, v_claimable from public.course_import_rows r
  where r.import_id = v_import.id and r.outcome = 'admitted' and r.job_id is null;
  if jsonb_array_length(v_claimed) > 0 and v_import.status = 'queued' then
    update public.course_imports i set status = 'running', started_at = coalesce(i.started_at, now()), updated_at = now()
    where i.id = v_import.id returning * into v_import;
  end if;
  return jsonb_build_object('rows', v_claimed, 'waiting', v_waiting, 'claimable', v_claimable, 'import', app_private.course_import_json(v_import));
end
$$;
select app_private.service_role_only('public.claim_course_import_rows(jsonb)'::regprocedure);

-- unclaim_course_import_row: {import_id, line} → {unclaimed: boolean}. No run slot was free: the row
-- goes back to the head of the line (its line number keeps its place).
create or replace function public.unclaim_course_import_row(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_count integer;
begin
  update public.course_import_rows r set claimed_at = null
  where r.import_id = app_private.uuid_field(payload, 'import_id', 'import_id', true)
    and r.line = app_private.int_field(payload, 'line', 'line', true, 2, null)
    and r.job_id is null;
  get diagnostics v_count = row_count;
  return jsonb_build_object('unclaimed', v_count > 0);
end
$$;
select app_private.service_role_only('public.unclaim_course_import_row(jsonb)'::regprocedure);

-- set_course_import_row_job: {import_id, line, job_id} → {job_id: the row's run (the first one set wins), set}
create or replace function public.set_course_import_row_job(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_row public.course_import_rows;
  v_set boolean := false;
begin
  select * into v_row from public.course_import_rows r
  where r.import_id = app_private.uuid_field(payload, 'import_id', 'import_id', true)
    and r.line = app_private.int_field(payload, 'line', 'line', true, 2, null)
  for update;
  if not found then
    perform app_private.invalid_payload('line', 'must name a row of the import');
  end if;
  if v_row.job_id is null then
    update public.course_import_rows r set job_id = app_private.uuid_field(payload, 'job_id', 'job_id', true), admitted_at = now()
    where r.import_id = v_row.import_id and r.line = v_row.line returning * into v_row;
    v_set := true;
  end if;
  return jsonb_build_object('job_id', v_row.job_id, 'set', v_set);
end
$$;
select app_private.service_role_only('public.set_course_import_row_job(jsonb)'::regprocedure);

-- fail_course_import_row: {import_id, line, reason} → {failed: boolean}. A row no run could be
-- started for (its message was refused every time): failed with why, never retried by itself.
create or replace function public.fail_course_import_row(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_count integer;
begin
  update public.course_import_rows r set outcome = 'failed', reason = left(app_private.text_field(payload, 'reason', 'reason', true), 500)
  where r.import_id = app_private.uuid_field(payload, 'import_id', 'import_id', true)
    and r.line = app_private.int_field(payload, 'line', 'line', true, 2, null)
    and r.outcome = 'admitted' and r.job_id is null;
  get diagnostics v_count = row_count;
  return jsonb_build_object('failed', v_count > 0);
end
$$;
select app_private.service_role_only('public.fail_course_import_row(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- get_course_import
-- payload: {import_id, rows?: 'problems' | 'all' (default 'problems'), limit? (default 1000)}
-- answer:  {import: {..., progress, done}, rows: [{line, status, reason, course_name, state, course_id,
--           job_id, raw?}]} or {import: null}
--   'problems': the rows that are invalid, duplicates, skipped or whose run failed (with its error);
--   'all': every row. done: no row is queued or running.
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_course_import(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_import public.course_imports;
  v_which text;
  v_limit integer;
  v_rows jsonb;
  v_json jsonb;
begin
  select * into v_import from public.course_imports i where i.id = app_private.uuid_field(payload, 'import_id', 'import_id', true);
  if not found then
    return jsonb_build_object('import', null);
  end if;
  v_which := coalesce(app_private.enum_field(payload, 'rows', 'rows', array['problems', 'all']), 'problems');
  v_limit := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1, 10000), 1000);
  select coalesce(jsonb_agg(x.j order by x.line), '[]'::jsonb) into v_rows from (
    select r.line, jsonb_build_object(
        'line', r.line, 'status', s.status,
        'reason', coalesce(r.reason, case when s.status in ('failed', 'partial') then e.error end),
        'course_name', r.course_name, 'state', r.state, 'course_id', r.course_id, 'job_id', r.job_id,
        'raw', r.raw) as j
    from public.course_import_rows r
    cross join lateral (select app_private.import_row_status(r) as status) s
    left join public.enrichment_runs e on e.id = r.job_id
    where r.import_id = v_import.id
      and (v_which = 'all' or s.status in ('invalid', 'duplicate', 'skipped', 'failed'))
    order by r.line
    limit v_limit
  ) x;
  v_json := app_private.course_import_json(v_import);
  return jsonb_build_object(
    'import', v_json || jsonb_build_object('done',
      v_import.status not in ('receiving') and (v_json -> 'progress' ->> 'queued')::int = 0 and (v_json -> 'progress' ->> 'running')::int = 0),
    'rows', v_rows);
end
$$;
select app_private.service_role_only('public.get_course_import(jsonb)'::regprocedure);

-- list_course_imports: {limit? (default 50)} → {imports: [...]} newest first.
create or replace function public.list_course_imports(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_limit integer := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1, 500), 50);
begin
  return jsonb_build_object('imports', (
    select coalesce(jsonb_agg(app_private.course_import_json(i) order by i.created_at desc), '[]'::jsonb)
    from (select * from public.course_imports order by created_at desc limit v_limit) i));
end
$$;
select app_private.service_role_only('public.list_course_imports(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- finish_course_import
-- payload: {import_id, summary_task_id?}
-- answer:  {import: {...}, finished: boolean (false when rows are still queued or running)}
--   succeeded: every row enriched (or a duplicate, or skipped as recently enriched);
--   failed: no row enriched at all; partial: the rest.
-- ---------------------------------------------------------------------------------------------
create or replace function public.finish_course_import(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_import public.course_imports;
  v_progress jsonb;
  v_status text;
begin
  select * into v_import from public.course_imports i
  where i.id = app_private.uuid_field(payload, 'import_id', 'import_id', true) for update;
  if not found then
    perform app_private.invalid_payload('import_id', 'must name an existing import');
  end if;
  v_progress := app_private.course_import_json(v_import) -> 'progress';
  if v_import.status = 'receiving' or (v_progress ->> 'queued')::int > 0 or (v_progress ->> 'running')::int > 0 then
    return jsonb_build_object('import', app_private.course_import_json(v_import), 'finished', false);
  end if;
  v_status := case
    when (v_progress ->> 'succeeded')::int + (v_progress ->> 'partial')::int = 0
         and ((v_progress ->> 'failed')::int + (v_progress ->> 'invalid')::int) > 0 then 'failed'
    when (v_progress ->> 'failed')::int + (v_progress ->> 'partial')::int + (v_progress ->> 'invalid')::int > 0 then 'partial'
    else 'succeeded' end;
  update public.course_imports i set
    status = v_status, finished_at = coalesce(i.finished_at, now()), started_at = coalesce(i.started_at, now()),
    summary_task_id = coalesce(i.summary_task_id, app_private.text_field(payload, 'summary_task_id', 'summary_task_id')),
    updated_at = now()
  where i.id = v_import.id returning * into v_import;
  return jsonb_build_object('import', app_private.course_import_json(v_import), 'finished', true);
end
$$;
select app_private.service_role_only('public.finish_course_import(jsonb)'::regprocedure);
