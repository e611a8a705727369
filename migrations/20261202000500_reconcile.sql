-- Up Migration
-- The hourly reconcile job (src/durable/reconcile.ts, src/clickup/reconcile.ts): it repairs what
-- lost webhooks missed. What it keeps and what it asks the database, one call each:
--   reconcile_watermarks           per ClickUp list, the newest `date_updated` the job has handled;
--   get_reconcile_watermarks       reads them;
--   advance_reconcile_watermarks   moves them forward (never back);
--   replace_clickup_webhook        the webhook it created again (id and secret) into settings 'clickup';
--   unknown_intake_tasks           which intake task ids no course knows (the webhook never arrived);
--   lead_tasks_changed_since_sync  which lead tasks changed after the app's own last write to them;
--   courses_awaiting_first_run     pending courses that never got a run (a lost Supabase insert webhook).

create table public.reconcile_watermarks (
  list_id text primary key constraint reconcile_watermarks_list_id_not_blank check (btrim(list_id) <> ''),
  -- ClickUp's own clock: Get Tasks' date_updated (ms since the epoch) of the newest change handled.
  date_updated_ms bigint not null constraint reconcile_watermarks_date_updated_ms_check check (date_updated_ms >= 0),
  updated_at timestamptz not null default now()
);
comment on table public.reconcile_watermarks is 'Per ClickUp list: the reconcile job has handled every task change up to date_updated_ms.';
select app_private.secure_table('public.reconcile_watermarks'::regclass);

-- ---------------------------------------------------------------------------------------------
-- get_reconcile_watermarks
-- payload: {}
-- answer:  {watermarks: {<list_id>: <ms>}} (lists never reconciled are absent)
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_reconcile_watermarks(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  return jsonb_build_object('watermarks', coalesce(
    (select jsonb_object_agg(w.list_id, w.date_updated_ms) from public.reconcile_watermarks w), '{}'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- advance_reconcile_watermarks
-- payload: {watermarks: {<list_id>: <ms>}}
-- answer:  {watermarks: {<list_id>: <ms>}} (every stored one, after the change)
-- A watermark only moves forward: a late or repeated call with an older value changes nothing.
-- ---------------------------------------------------------------------------------------------
create or replace function public.advance_reconcile_watermarks(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_marks jsonb;
  v_entry record;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_marks := app_private.json_field(payload, 'watermarks', 'watermarks', 'object', true);
  for v_entry in select key, value from jsonb_each(v_marks) loop
    if btrim(v_entry.key) = '' then
      perform app_private.invalid_payload('watermarks', 'keys must be ClickUp list ids');
    end if;
    if jsonb_typeof(v_entry.value) <> 'number' or (v_entry.value #>> '{}')::numeric < 0
       or (v_entry.value #>> '{}')::numeric <> trunc((v_entry.value #>> '{}')::numeric) then
      perform app_private.invalid_payload(format('watermarks.%s', v_entry.key), 'must be a non-negative integer (ms since the epoch)');
    end if;
    insert into public.reconcile_watermarks as w (list_id, date_updated_ms)
    values (v_entry.key, (v_entry.value #>> '{}')::bigint)
    on conflict (list_id) do update
      set date_updated_ms = excluded.date_updated_ms, updated_at = now()
      where w.date_updated_ms < excluded.date_updated_ms;
  end loop;
  return public.get_reconcile_watermarks('{}'::jsonb);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- replace_clickup_webhook
-- payload: {expected_id, webhook: {id, secret, endpoint, events: [text]}}
-- answer:  {replaced: true, webhook_id} | {replaced: false, webhook_id, reason}
-- The reconcile job created (or found) our webhook again: settings 'clickup' takes its id and
-- secret (the webhook route verifies deliveries with it), clickup_entities ('webhook', 'main') its
-- id. Compare-and-swap: only while the stored webhook is still `expected_id` (the one found
-- missing) or already this one (a repeated call); if `npm run clickup:setup` stored another one
-- meanwhile, nothing changes and the answer says so. No settings row → P0002.
-- ---------------------------------------------------------------------------------------------
create or replace function public.replace_clickup_webhook(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_expected text;
  v_hook jsonb;
  v_id text;
  v_secret text;
  v_endpoint text;
  v_events jsonb;
  v_current text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_expected := app_private.text_field(payload, 'expected_id', 'expected_id', true);
  v_hook := app_private.json_field(payload, 'webhook', 'webhook', 'object', true);
  v_id := app_private.text_field(v_hook, 'id', 'webhook.id', true);
  v_secret := app_private.text_field(v_hook, 'secret', 'webhook.secret', true);
  v_endpoint := app_private.text_field(v_hook, 'endpoint', 'webhook.endpoint', true);
  v_events := app_private.json_field(v_hook, 'events', 'webhook.events', 'array', true);
  if exists (select 1 from jsonb_array_elements(v_events) e where jsonb_typeof(e) <> 'string') then
    perform app_private.invalid_payload('webhook.events', 'must be an array of event names');
  end if;

  select s.value #>> '{webhook,id}' into v_current from public.settings s where s.key = 'clickup' for update;
  if not found then
    raise exception 'settings ''clickup'' does not exist: run npm run clickup:setup' using errcode = 'P0002';
  end if;
  if v_current is distinct from v_expected and v_current is distinct from v_id then
    return jsonb_build_object('replaced', false, 'webhook_id', v_current,
      'reason', format('settings hold webhook %s, not %s: clickup:setup changed it meanwhile', v_current, v_expected));
  end if;

  update public.settings s
     set value = jsonb_set(s.value, '{webhook}', jsonb_build_object('id', v_id, 'endpoint', v_endpoint, 'secret', v_secret, 'events', v_events)),
         updated_at = now()
   where s.key = 'clickup'
     and s.value -> 'webhook' is distinct from jsonb_build_object('id', v_id, 'endpoint', v_endpoint, 'secret', v_secret, 'events', v_events);
  -- The secret lives only in settings (service_role only), never in clickup_entities.
  insert into public.clickup_entities as e (kind, key, clickup_id, meta)
  values ('webhook', 'main', v_id, jsonb_build_object('endpoint', v_endpoint, 'events', v_events))
  on conflict (kind, key) do update
    set clickup_id = excluded.clickup_id, meta = excluded.meta, updated_at = now()
    where e.clickup_id is distinct from excluded.clickup_id or e.meta is distinct from excluded.meta;
  return jsonb_build_object('replaced', true, 'webhook_id', v_id);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- unknown_intake_tasks
-- payload: {task_ids: [text]}
-- answer:  {task_ids: [text]}: those no course knows (not in course_intake_tasks, not a course's
--          clickup_intake_task_id), in the order given, without repeats.
-- ---------------------------------------------------------------------------------------------
create or replace function public.unknown_intake_tasks(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_ids jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_ids := app_private.json_field(payload, 'task_ids', 'task_ids', 'array', true);
  if exists (select 1 from jsonb_array_elements(v_ids) e where jsonb_typeof(e) <> 'string' or btrim(e #>> '{}') = '') then
    perform app_private.invalid_payload('task_ids', 'must be an array of ClickUp task ids');
  end if;
  return jsonb_build_object('task_ids', coalesce((
    select jsonb_agg(u.id order by u.ord)
    from (
      select distinct on (btrim(e.value #>> '{}')) btrim(e.value #>> '{}') as id, e.ord
      from jsonb_array_elements(v_ids) with ordinality as e(value, ord)
      order by btrim(e.value #>> '{}'), e.ord
    ) u
    where not exists (select 1 from public.course_intake_tasks t where t.task_id = u.id)
      and not exists (select 1 from public.courses c where c.clickup_intake_task_id = u.id)
  ), '[]'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- lead_tasks_changed_since_sync
-- payload: {tasks: [{task_id, date_updated}]} (date_updated: ClickUp's ms epoch, number or string)
-- answer:  {task_ids: [text]}: the tasks that are a contact's lead task and were updated in
--          ClickUp after the app last wrote to them (contacts.clickup_synced_at; never written: any
--          change counts). Only these can hold a rep's change the app has not seen.
-- ---------------------------------------------------------------------------------------------
create or replace function public.lead_tasks_changed_since_sync(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_tasks jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_tasks := app_private.json_field(payload, 'tasks', 'tasks', 'array', true);
  if exists (
    select 1 from jsonb_array_elements(v_tasks) e
     where jsonb_typeof(e) <> 'object'
        or jsonb_typeof(e -> 'task_id') is distinct from 'string' or btrim(e ->> 'task_id') = ''
        or coalesce(jsonb_typeof(e -> 'date_updated'), 'null') not in ('number', 'string')
        or (e ->> 'date_updated') !~ '^[0-9]{1,15}$'
  ) then
    perform app_private.invalid_payload('tasks', 'must be an array of {task_id, date_updated (ms epoch)}');
  end if;
  return jsonb_build_object('task_ids', coalesce((
    select jsonb_agg(distinct c.clickup_task_id)
    from jsonb_array_elements(v_tasks) e
    join public.contacts c on c.clickup_task_id = btrim(e ->> 'task_id')
    where c.clickup_synced_at is null
       or to_timestamp((e ->> 'date_updated')::bigint / 1000.0) > c.clickup_synced_at
  ), '[]'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- courses_awaiting_first_run
-- payload: {older_than_minutes?: int (default 10), limit?: int (default 50, at most 500)}
-- answer:  {courses: [{id, course_name, state, source, created_at}]}, oldest first: courses still
--          `pending_enrichment`, with no enrichment run at all, created more than the minutes ago
--          (younger ones may still have their webhook or run on the way).
-- ---------------------------------------------------------------------------------------------
create or replace function public.courses_awaiting_first_run(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_minutes integer;
  v_limit integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_minutes := coalesce(app_private.int_field(payload, 'older_than_minutes', 'older_than_minutes', false, 0, 10080), 10);
  v_limit := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1, 500), 50);
  return jsonb_build_object('courses', coalesce((
    select jsonb_agg(jsonb_build_object('id', p.id, 'course_name', p.course_name, 'state', p.state, 'source', p.source, 'created_at', p.created_at)
                     order by p.created_at, p.id)
    from (
      select c.id, c.course_name, c.state, c.source, c.created_at
      from public.courses c
      where c.status = 'pending_enrichment'
        and c.created_at < now() - make_interval(mins => v_minutes)
        and not exists (select 1 from public.enrichment_runs r where r.course_id = c.id)
      order by c.created_at, c.id
      limit v_limit
    ) p
  ), '[]'::jsonb));
end
$$;

select app_private.service_role_only('public.get_reconcile_watermarks(jsonb)'::regprocedure);
select app_private.service_role_only('public.advance_reconcile_watermarks(jsonb)'::regprocedure);
select app_private.service_role_only('public.replace_clickup_webhook(jsonb)'::regprocedure);
select app_private.service_role_only('public.unknown_intake_tasks(jsonb)'::regprocedure);
select app_private.service_role_only('public.lead_tasks_changed_since_sync(jsonb)'::regprocedure);
select app_private.service_role_only('public.courses_awaiting_first_run(jsonb)'::regprocedure);
