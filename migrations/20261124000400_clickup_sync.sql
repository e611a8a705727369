-- Up Migration
-- What the ClickUp writer needs from the database, in one call each way:
--   get_clickup_context: the `clickup` settings row (ids, webhook secret, the app's own user) and
--                        the active routing rules, for one run;
--   record_clickup_tasks: the lead task id of each contact and the field values last written to it,
--                        so a re-run updates only what changed and never creates a second task.

alter table public.contacts
  add column if not exists clickup_synced jsonb not null default '{}'::jsonb,
  add column if not exists clickup_synced_at timestamptz;
comment on column public.contacts.clickup_synced is 'Custom field values (by field key) last written to the contact''s ClickUp lead task.';

alter table public.courses
  add column if not exists clickup_summary_synced_at timestamptz;

create or replace function public.get_clickup_context(payload jsonb)
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
  return jsonb_build_object(
    'settings', (select s.value from public.settings s where s.key = 'clickup'),
    'routing_rules', coalesce(
      (select jsonb_agg(jsonb_build_object(
          'priority', r.priority, 'segment', r.segment, 'state', r.state,
          'assignee_clickup_user_id', r.assignee_clickup_user_id) order by r.priority, r.created_at)
       from public.routing_rules r where r.active),
      '[]'::jsonb)
  );
end
$$;

create or replace function public.record_clickup_tasks(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_item jsonb;
  v_count integer := 0;
  v_contact_id uuid;
  v_task_id text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' or jsonb_typeof(payload -> 'contacts') <> 'array' then
    perform app_private.invalid_payload('contacts', 'must be an array of {contact_id, clickup_task_id, synced}');
  end if;
  for v_item in select value from jsonb_array_elements(payload -> 'contacts') loop
    v_contact_id := app_private.uuid_field(v_item, 'contact_id', 'contacts[].contact_id', true);
    v_task_id := nullif(btrim(v_item ->> 'clickup_task_id'), '');
    if v_task_id is null then
      perform app_private.invalid_payload('contacts[].clickup_task_id', 'is required');
    end if;
    if jsonb_typeof(coalesce(v_item -> 'synced', '{}'::jsonb)) <> 'object' then
      perform app_private.invalid_payload('contacts[].synced', 'must be an object');
    end if;
    update public.contacts c
       set clickup_task_id = v_task_id,
           clickup_synced = coalesce(v_item -> 'synced', '{}'::jsonb),
           clickup_synced_at = now()
     where c.id = v_contact_id
       and (c.clickup_task_id is distinct from v_task_id or c.clickup_synced is distinct from coalesce(v_item -> 'synced', '{}'::jsonb));
    if not found and not exists (select 1 from public.contacts where id = v_contact_id) then
      raise exception 'contact % does not exist', v_contact_id using errcode = 'P0002';
    end if;
    v_count := v_count + 1;
  end loop;
  return jsonb_build_object('recorded', v_count);
end
$$;

select app_private.service_role_only('public.get_clickup_context(jsonb)'::regprocedure);
select app_private.service_role_only('public.record_clickup_tasks(jsonb)'::regprocedure);

-- The RPCs' contact summaries now carry what was last written to ClickUp, so the writer can diff.
create or replace function app_private.contact_summaries(course_id uuid, name_keys text[])
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(
           jsonb_build_object('id', c.id, 'name', c.full_name, 'title', c.title, 'clickup_task_id', c.clickup_task_id,
                              'clickup_synced', c.clickup_synced)
           order by coalesce(k.ord, 0), c.name_key
         ), '[]'::jsonb)
  from public.contacts c
  left join lateral (
    select min(u.ord) as ord from unnest(name_keys) with ordinality as u(key, ord) where u.key = c.name_key
  ) k on true
  where c.course_id = contact_summaries.course_id
    and (name_keys is null or k.ord is not null)
$$;

-- A lead task deleted in ClickUp: forget it, so the next run creates it again.
create or replace function public.forget_clickup_task(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_task_id text := nullif(btrim(payload ->> 'task_id'), '');
  v_count integer;
begin
  if v_task_id is null then
    perform app_private.invalid_payload('task_id', 'is required');
  end if;
  update public.contacts set clickup_task_id = null, clickup_synced = '{}'::jsonb, clickup_synced_at = now()
   where clickup_task_id = v_task_id;
  get diagnostics v_count = row_count;
  return jsonb_build_object('forgotten', v_count);
end
$$;

select app_private.service_role_only('public.forget_clickup_task(jsonb)'::regprocedure);
