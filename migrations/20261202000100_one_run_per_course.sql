-- Up Migration
-- One course, one run, one set of leads.
--   * At most one active (queued/running) run per course: a partial unique index backs the
--     coordinator's own guarantee, whatever door a trigger came through.
--   * Every ClickUp intake task that names a course is kept (reps create the same course twice):
--     course_intake_tasks maps each task to its course; courses.clickup_intake_task_id stays the first.
--   * note_run_problem: a run whose result is in the database but whose ClickUp write-back failed,
--     or could not happen (ClickUp not set up), is recorded `partial` with the reason.
--   * get_course_writeback: what a second intake task is written back with (no new run).

-- Duplicate active runs could exist before the index (one course, several coordinators): keep the
-- newest, fail the others with the reason, so the index can be built and nothing is silently lost.
update public.enrichment_runs r
   set status = 'failed',
       error = coalesce(r.error, 'superseded: another run of this course was in flight at the same time'),
       finished_at = coalesce(r.finished_at, now())
 where r.status in ('queued', 'running')
   and exists (
     select 1 from public.enrichment_runs n
      where n.course_id = r.course_id and n.status in ('queued', 'running')
        and (n.created_at, n.id) > (r.created_at, r.id));

drop index if exists public.enrichment_runs_active_idx;
create unique index enrichment_runs_one_active_per_course
  on public.enrichment_runs (course_id) where status in ('queued', 'running');

create table public.course_intake_tasks (
  task_id text primary key constraint course_intake_tasks_task_id_not_blank check (btrim(task_id) <> ''),
  course_id uuid not null references public.courses (id) on delete cascade,
  created_at timestamptz not null default now()
);
comment on table public.course_intake_tasks is 'Every ClickUp intake task that asked for a course (a course may be asked for twice).';
create index course_intake_tasks_course_id_idx on public.course_intake_tasks (course_id);
insert into public.course_intake_tasks (task_id, course_id)
select c.clickup_intake_task_id, c.id from public.courses c where c.clickup_intake_task_id is not null
on conflict do nothing;
select app_private.secure_table('public.course_intake_tasks'::regclass);

-- The intake tasks that asked for a course, oldest first (both functions below answer with them).
create or replace function app_private.course_intake_task_ids(course_id uuid)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(t.task_id order by t.created_at, t.task_id), '[]'::jsonb)
  from public.course_intake_tasks t
  where t.course_id = course_intake_task_ids.course_id
$$;
revoke all on function app_private.course_intake_task_ids(uuid) from public;
grant execute on function app_private.course_intake_task_ids(uuid) to service_role;

-- ---------------------------------------------------------------------------------------------
-- upsert_course_for_enrichment (replaces the earlier definition)
-- payload: {course_id?, course_name, state, source?, clickup_intake_task_id?}
-- Finds the course by course_id (creating it with that id if absent), else by an intake task it
-- already knows, else by name_key, else inserts it. A course found by id or intake task takes the
-- payload's course_name/state when they changed and no other course has that name_key. An intake
-- task is recorded in course_intake_tasks (a second task for the same course is kept beside the
-- first); courses.clickup_intake_task_id is set only when the course has none. Sets source when
-- the course has none. Returns the course row plus `intake_task_ids` (oldest first).
-- ---------------------------------------------------------------------------------------------
create or replace function public.upsert_course_for_enrichment(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_course_id uuid;
  v_name text;
  v_state text;
  v_key text;
  v_source text;
  v_task_id text;
  v_course public.courses;
  v_found_by_identity boolean := false;
  v_task_course uuid;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id');
  -- Keep the caller's capitalization, only tidy whitespace.
  v_name := regexp_replace(app_private.text_field(payload, 'course_name', 'course_name', true), '\s+', ' ', 'g');
  v_state := app_private.text_field(payload, 'state', 'state', true);
  v_key := lower(v_name) || '|' || lower(v_state);
  v_source := app_private.enum_field(payload, 'source', 'source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual']);
  v_task_id := app_private.text_field(payload, 'clickup_intake_task_id', 'clickup_intake_task_id');

  if v_course_id is not null then
    select * into v_course from public.courses c where c.id = v_course_id for update;
    if found then
      v_found_by_identity := true;
    else
      insert into public.courses (id, course_name, state, source)
      values (v_course_id, v_name, v_state, v_source)
      on conflict do nothing
      returning * into v_course;
      if not found then
        -- Inserted concurrently under that id, or the name_key belongs to another course.
        select * into v_course from public.courses c where c.id = v_course_id for update;
        if found then
          v_found_by_identity := true;
        else
          select * into v_course from public.courses c where c.name_key = v_key for update;
        end if;
      end if;
    end if;
  end if;

  if v_course.id is null and v_task_id is not null then
    select c.* into v_course
      from public.course_intake_tasks t join public.courses c on c.id = t.course_id
     where t.task_id = v_task_id
     for update of c;
    v_found_by_identity := found;
  end if;

  if v_course.id is null then
    insert into public.courses (course_name, state, source)
    values (v_name, v_state, v_source)
    on conflict on constraint courses_name_key_key do nothing
    returning * into v_course;
    if not found then
      select * into v_course from public.courses c where c.name_key = v_key for update;
    end if;
  end if;

  if v_course.id is null then
    raise exception using errcode = 'serialization_failure',
      message = 'course changed concurrently, retry upsert_course_for_enrichment';
  end if;

  if v_found_by_identity
     and (v_course.course_name is distinct from v_name or v_course.state is distinct from v_state)
     and not exists (select 1 from public.courses c where c.name_key = v_key and c.id <> v_course.id) then
    update public.courses c set course_name = v_name, state = v_state
    where c.id = v_course.id
    returning * into v_course;
  end if;

  if v_task_id is not null then
    insert into public.course_intake_tasks (task_id, course_id) values (v_task_id, v_course.id)
    on conflict (task_id) do nothing;
    select t.course_id into v_task_course from public.course_intake_tasks t where t.task_id = v_task_id;
    if v_task_course <> v_course.id then
      perform app_private.invalid_payload('clickup_intake_task_id',
        format('already belongs to another course (%s)', v_task_id));
    end if;
    if v_course.clickup_intake_task_id is null then
      update public.courses c set clickup_intake_task_id = v_task_id
      where c.id = v_course.id
      returning * into v_course;
    end if;
  end if;

  if v_source is not null and v_course.source is null then
    update public.courses c set source = v_source
    where c.id = v_course.id
    returning * into v_course;
  end if;

  return to_jsonb(v_course) || jsonb_build_object('intake_task_ids', app_private.course_intake_task_ids(v_course.id));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- start_enrichment_run (replaces the earlier definition)
-- As before, and: a course with another run in flight refuses a new one with a clear error (the
-- partial unique index catches the concurrent case too).
-- ---------------------------------------------------------------------------------------------
create or replace function public.start_enrichment_run(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_course_id uuid;
  v_trigger_source text;
  v_trigger_key text;
  v_callback_url text;
  v_course public.courses;
  v_run public.enrichment_runs;
  v_started boolean;
  v_other uuid;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  v_trigger_source := app_private.enum_field(payload, 'trigger_source', 'trigger_source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual'], true);
  v_trigger_key := app_private.text_field(payload, 'trigger_key', 'trigger_key');
  v_callback_url := app_private.text_field(payload, 'callback_url', 'callback_url');

  v_course := app_private.lock_course(v_course_id);

  select r.id into v_other from public.enrichment_runs r
   where r.course_id = v_course_id and r.status in ('queued', 'running') and r.id <> v_run_id
   limit 1;
  if v_other is not null then
    raise exception using errcode = 'P0001',
      message = format('another run (%s) of this course is still in flight; one course has one run at a time', v_other);
  end if;

  insert into public.enrichment_runs (id, course_id, trigger_source, trigger_key, callback_url, status, started_at)
  values (v_run_id, v_course_id, v_trigger_source, v_trigger_key, v_callback_url, 'running', now())
  on conflict (id) do nothing
  returning * into v_run;
  v_started := found;

  if not v_started then
    select * into v_run from public.enrichment_runs r where r.id = v_run_id for update;
    if v_run.course_id <> v_course_id then
      perform app_private.invalid_payload('run_id', format('belongs to another course (%s)', v_run.course_id));
    end if;
    if v_run.status = 'queued' then
      update public.enrichment_runs r
      set status = 'running', started_at = coalesce(r.started_at, now())
      where r.id = v_run_id
      returning * into v_run;
      v_started := true;
    end if;
  end if;

  if v_started or (v_run.status = 'running' and app_private.run_owns_course_status(v_course, v_run_id)) then
    update public.courses c set status = 'enriching', last_run_id = v_run_id
    where c.id = v_course_id
    returning * into v_course;
  end if;

  return jsonb_build_object('run', to_jsonb(v_run), 'course', to_jsonb(v_course));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- note_run_problem
-- payload: {run_id, course_id, error}
-- A run that wrote its result but could not finish in ClickUp (write-back failed, ClickUp not set
-- up): the run becomes `partial` with the reason, and so does the course while the run owns its
-- status. A failed run is left failed. Idempotent. Returns {run_status, course_status}.
-- ---------------------------------------------------------------------------------------------
create or replace function public.note_run_problem(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_course_id uuid;
  v_error text;
  v_course public.courses;
  v_run public.enrichment_runs;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  v_error := app_private.text_field(payload, 'error', 'error', true);

  v_course := app_private.lock_course(v_course_id);
  select * into v_run from public.enrichment_runs r where r.id = v_run_id and r.course_id = v_course_id for update;
  if not found then
    raise exception 'run % of course % does not exist', v_run_id, v_course_id using errcode = 'P0002';
  end if;
  if v_run.status <> 'failed' then
    update public.enrichment_runs r set status = 'partial', error = v_error, finished_at = coalesce(r.finished_at, now())
     where r.id = v_run_id
     returning * into v_run;
    if app_private.run_owns_course_status(v_course, v_run_id) then
      update public.courses c set status = 'partial', last_error = v_error
       where c.id = v_course_id
       returning * into v_course;
    end if;
  end if;
  return jsonb_build_object('run_status', v_run.status, 'course_status', v_course.status);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- get_course_writeback
-- payload: {course_id} → {course, business_intelligence, contacts: [{id, name, title, email,
-- clickup_task_id}], intake_task_ids} or null: what an intake task is written back with when it asks
-- for a course that is already enriched.
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_course_writeback(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_course_id uuid;
  v_course public.courses;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  select * into v_course from public.courses c where c.id = v_course_id;
  if not found then
    return null;
  end if;
  return jsonb_build_object(
    'course', to_jsonb(v_course),
    'business_intelligence', (select to_jsonb(b) from public.business_intelligence b where b.course_id = v_course_id),
    'contacts', coalesce((
      select jsonb_agg(jsonb_build_object('id', c.id, 'name', c.full_name, 'title', c.title, 'email', e.email,
                                          'clickup_task_id', c.clickup_task_id) order by c.created_at, c.id)
        from public.contacts c left join public.contact_enrichment e on e.contact_id = c.id
       where c.course_id = v_course_id and c.is_active), '[]'::jsonb),
    'intake_task_ids', app_private.course_intake_task_ids(v_course_id)
  );
end
$$;

select app_private.service_role_only('public.upsert_course_for_enrichment(jsonb)'::regprocedure);
select app_private.service_role_only('public.start_enrichment_run(jsonb)'::regprocedure);
select app_private.service_role_only('public.note_run_problem(jsonb)'::regprocedure);
select app_private.service_role_only('public.get_course_writeback(jsonb)'::regprocedure);
