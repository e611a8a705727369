-- Up Migration
-- Payload helpers for the enrichment RPCs (20261124000200_enrichment_functions) and the RPCs of
-- later migrations: typed field readers that raise SQLSTATE 22023 (invalid_parameter_value) with a
-- message naming the field, the course lock, and the contact/agent-call helpers. app_private: not
-- exposed over the REST API.
--
-- Split out of 20261124000200_enrichment_functions, statements moved verbatim: a database that ran
-- that file before the split already has them, and scripts/migrate.ts records this file as run
-- there (SPLIT_MIGRATIONS). Every statement is `create or replace` or a grant, so running it again
-- (e.g. `supabase db push --include-all`) changes nothing.

create or replace function app_private.invalid_payload(path text, expectation text)
returns void
language plpgsql
set search_path = public, pg_temp
as $$
begin
  raise exception using
    errcode = 'invalid_parameter_value',
    message = format('%s %s', path, expectation),
    hint = 'payload field: ' || path;
end
$$;

-- The value at obj->key, or null when absent or JSON null.
create or replace function app_private.field(obj jsonb, key text)
returns jsonb
language sql
immutable
set search_path = public, pg_temp
as $$
  select case when obj -> key is null or jsonb_typeof(obj -> key) = 'null' then null else obj -> key end
$$;

create or replace function app_private.text_field(obj jsonb, key text, path text, required boolean default false)
returns text
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  value jsonb := app_private.field(obj, key);
  result text;
begin
  if value is null then
    if required then
      perform app_private.invalid_payload(path, 'is required');
    end if;
    return null;
  end if;
  if jsonb_typeof(value) <> 'string' then
    perform app_private.invalid_payload(path, 'must be a string');
  end if;
  result := btrim(value #>> '{}');
  if result = '' then
    if required then
      perform app_private.invalid_payload(path, 'must not be empty');
    end if;
    return null;
  end if;
  return result;
end
$$;

create or replace function app_private.enum_field(obj jsonb, key text, path text, allowed text[], required boolean default false)
returns text
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  result text := app_private.text_field(obj, key, path, required);
begin
  if result is not null and not (result = any (allowed)) then
    perform app_private.invalid_payload(path, format('must be one of %s (got %s)', array_to_string(allowed, ', '), result));
  end if;
  return result;
end
$$;

create or replace function app_private.uuid_field(obj jsonb, key text, path text, required boolean default false)
returns uuid
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  value text := app_private.text_field(obj, key, path, required);
begin
  if value is null then
    return null;
  end if;
  begin
    return value::uuid;
  exception
    when invalid_text_representation then
      perform app_private.invalid_payload(path, 'must be a UUID');
  end;
  return null;
end
$$;

create or replace function app_private.numeric_field(
  obj jsonb, key text, path text, required boolean default false,
  min_value numeric default null, max_value numeric default null, integral boolean default false
)
returns numeric
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  value jsonb := app_private.field(obj, key);
  result numeric;
  expectation text;
begin
  expectation := case when integral then 'must be an integer' else 'must be a number' end
    || case
         when min_value is not null and max_value is not null then format(' between %s and %s', min_value, max_value)
         when min_value is not null then format(' >= %s', min_value)
         when max_value is not null then format(' <= %s', max_value)
         else ''
       end;
  if value is null then
    if required then
      perform app_private.invalid_payload(path, 'is required');
    end if;
    return null;
  end if;
  if jsonb_typeof(value) <> 'number' then
    perform app_private.invalid_payload(path, expectation);
  end if;
  result := (value #>> '{}')::numeric;
  if (integral and result <> trunc(result))
     or (min_value is not null and result < min_value)
     or (max_value is not null and result > max_value) then
    perform app_private.invalid_payload(path, expectation);
  end if;
  return result;
end
$$;

create or replace function app_private.int_field(
  obj jsonb, key text, path text, required boolean default false,
  min_value integer default null, max_value integer default null
)
returns integer
language sql
stable
set search_path = public, pg_temp
as $$
  select app_private.numeric_field(obj, key, path, required, min_value, max_value, true)::integer
$$;

-- A JSON object or array at obj->key (null when absent); kind is 'object' or 'array'.
create or replace function app_private.json_field(obj jsonb, key text, path text, kind text, required boolean default false)
returns jsonb
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  value jsonb := app_private.field(obj, key);
begin
  if value is null then
    if required then
      perform app_private.invalid_payload(path, 'is required');
    end if;
    return null;
  end if;
  if jsonb_typeof(value) <> kind then
    perform app_private.invalid_payload(path, 'must be an ' || kind);
  end if;
  return value;
end
$$;

-- Locks and returns the course, or raises P0002.
create or replace function app_private.lock_course(course_id uuid)
returns public.courses
language plpgsql
set search_path = public, pg_temp
as $$
declare
  course public.courses;
begin
  select * into course from public.courses c where c.id = lock_course.course_id for update;
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = format('course %s not found', course_id),
      hint = 'payload field: course_id';
  end if;
  return course;
end
$$;

-- Whether a run may set the course's status: it is the course's latest run, or no other run of
-- the course is in flight (an old run finishing late must not hide a newer one).
create or replace function app_private.run_owns_course_status(course public.courses, run_id uuid)
returns boolean
language sql
stable
set search_path = public, pg_temp
as $$
  select course.last_run_id is null
      or course.last_run_id = run_id
      or not exists (
        select 1 from public.enrichment_runs r
        where r.id = course.last_run_id and r.status in ('queued', 'running')
      )
$$;

-- Records agent calls (idempotent on (run_id, call_key)); contact_name is matched to the course's
-- contacts by name_key.
create or replace function app_private.record_agent_calls(run_id uuid, course_id uuid, calls jsonb)
returns void
language plpgsql
set search_path = public, pg_temp
as $$
declare
  call jsonb;
  idx bigint;
  path text;
  contact_name text;
begin
  if calls is null then
    return;
  end if;
  for call, idx in select e.value, e.ordinality - 1 from jsonb_array_elements(calls) with ordinality as e loop
    path := format('agent_calls[%s]', idx);
    if jsonb_typeof(call) <> 'object' then
      perform app_private.invalid_payload(path, 'must be an object');
    end if;
    contact_name := app_private.text_field(call, 'contact_name', path || '.contact_name');
    insert into public.agent_calls as a (
      run_id, course_id, contact_id, contact_name, agent, call_key, provider, model, status,
      attempts, duration_ms, input_tokens, output_tokens, cost_usd, error
    )
    values (
      record_agent_calls.run_id,
      record_agent_calls.course_id,
      (select c.id from public.contacts c
        where c.course_id = record_agent_calls.course_id
          and c.name_key = app_private.normalize_key(contact_name)),
      contact_name,
      app_private.text_field(call, 'agent', path || '.agent', true),
      app_private.text_field(call, 'call_key', path || '.call_key', true),
      app_private.text_field(call, 'provider', path || '.provider', true),
      app_private.text_field(call, 'model', path || '.model'),
      app_private.enum_field(call, 'status', path || '.status', array['succeeded', 'failed', 'skipped'], true),
      coalesce(app_private.int_field(call, 'attempts', path || '.attempts', false, 0), 1),
      app_private.int_field(call, 'duration_ms', path || '.duration_ms', false, 0),
      coalesce(app_private.int_field(call, 'input_tokens', path || '.input_tokens', false, 0), 0),
      coalesce(app_private.int_field(call, 'output_tokens', path || '.output_tokens', false, 0), 0),
      coalesce(app_private.numeric_field(call, 'cost_usd', path || '.cost_usd', false, 0), 0),
      app_private.text_field(call, 'error', path || '.error')
    )
    on conflict on constraint agent_calls_run_id_call_key_key do nothing;
  end loop;
end
$$;

-- Contacts of a course as the RPCs return them: [{id, name, title, clickup_task_id}], in the order
-- of the names given (null: all contacts of the course by name).
create or replace function app_private.contact_summaries(course_id uuid, name_keys text[])
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(
           jsonb_build_object('id', c.id, 'name', c.full_name, 'title', c.title, 'clickup_task_id', c.clickup_task_id)
           order by coalesce(k.ord, 0), c.name_key
         ), '[]'::jsonb)
  from public.contacts c
  left join lateral (
    select min(u.ord) as ord from unnest(name_keys) with ordinality as u(key, ord) where u.key = c.name_key
  ) k on true
  where c.course_id = contact_summaries.course_id
    and (name_keys is null or k.ord is not null)
$$;

-- Nobody but the owner may call app_private functions, except the helpers the RPCs use, which
-- service_role (the RPCs' invoker) may.
do $grants$
declare
  fn record;
begin
  for fn in
    select p.oid::regprocedure as signature, p.proname as name
    from pg_catalog.pg_proc p
    where p.pronamespace = 'app_private'::regnamespace
  loop
    execute format('revoke all on function %s from public, anon, authenticated, service_role', fn.signature);
    if fn.name in (
      'normalize_key', 'invalid_payload', 'field', 'text_field', 'enum_field', 'uuid_field',
      'numeric_field', 'int_field', 'json_field', 'lock_course', 'run_owns_course_status',
      'record_agent_calls', 'contact_summaries'
    ) then
      execute format('grant execute on function %s to service_role', fn.signature);
    end if;
  end loop;
end
$grants$;
