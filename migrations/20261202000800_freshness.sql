-- Up Migration
-- Agent 8, contact freshness (src/freshness/, src/durable/freshness-sweep.ts): a monthly sweep that
-- re-checks every active contact not verified in N days. The database decides, one call each:
--   freshness_sweeps              one row per sweep: its selection, spend cap, counts and cost;
--   freshness_checks              one row per (sweep, contact): the outcome and its evidence (unique:
--                                 no contact is checked twice in one sweep);
--   contacts.replaced_by_contact_id  set once (a contact is never replaced twice);
--   start_freshness_sweep         creates a sweep (a repeated cron tick finds its own);
--   next_freshness_courses        the next courses with contacts still to check in this sweep;
--   record_freshness_check        applies one contact's outcome atomically (verified, left, email
--                                 invalid, unknown), stops its sequences, counts it;
--   record_freshness_replacement  the successor of a contact who left (created once, linked once);
--   finish_freshness_followup     a check's ClickUp follow-up is done (get_freshness_sweep lists those not done: a resumed sweep ends them);
--   finish_freshness_sweep        the sweep's end (succeeded, stopped at the spend cap, failed);
--   get_freshness_sweep           the sweep, its counts and per-contact outcomes (the API and dashboard).

create table public.freshness_sweeps (
  id uuid primary key default gen_random_uuid(),
  trigger text not null constraint freshness_sweeps_trigger_check check (trigger in ('cron', 'api', 'cli')),
  -- cron-<scheduledTime>: the tick's sweep; a repeated tick finds it instead of starting another.
  trigger_key text constraint freshness_sweeps_trigger_key_key unique,
  status text not null default 'running'
    constraint freshness_sweeps_status_check check (status in ('running', 'succeeded', 'stopped', 'failed')),
  stop_reason text,
  older_than_days integer not null constraint freshness_sweeps_older_than_days_check check (older_than_days >= 0),
  course_id uuid references public.courses (id) on delete set null,
  contact_id uuid references public.contacts (id) on delete set null,
  spend_cap_usd numeric(12, 6) not null constraint freshness_sweeps_spend_cap_usd_check check (spend_cap_usd >= 0),
  cost_usd numeric(12, 6) not null default 0 constraint freshness_sweeps_cost_usd_check check (cost_usd >= 0),
  checked integer not null default 0,
  still_there integer not null default 0,
  left_club integer not null default 0,
  replaced integer not null default 0,
  emails_invalidated integer not null default 0,
  unknown integer not null default 0,
  clickup_requests integer not null default 0,
  workflow_instance_id text,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.freshness_sweeps is 'A contact-freshness sweep (Agent 8): what it selected, what it found, what it cost.';
create index freshness_sweeps_started_at_idx on public.freshness_sweeps (started_at desc);
select app_private.secure_table('public.freshness_sweeps'::regclass);

create table public.freshness_checks (
  id bigint generated always as identity primary key,
  sweep_id uuid not null references public.freshness_sweeps (id) on delete cascade,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  outcome text not null constraint freshness_checks_outcome_check check (outcome in ('still_there', 'left', 'unknown')),
  -- How the outcome was decided: the staff page, a research call, or neither (unknown).
  decided_by text constraint freshness_checks_decided_by_check check (decided_by in ('staff_page', 'research', 'none')),
  -- Hunter's verifier answer now (valid, invalid, accept_all, pending, ...; null: no address or no verifier).
  email_status text,
  email_invalidated boolean not null default false,
  evidence_url text,
  evidence text,
  now_at text,
  now_title text,
  -- The successor found (named by research, or the one person the page lists in the same role).
  replacement_name text,
  replacement_title text,
  replacement_contact_id uuid references public.contacts (id) on delete set null,
  -- Fields changed ({field: {before, after}}) and rep-owned values kept ({field: suggested}).
  changes jsonb not null default '{}'::jsonb,
  suggestions jsonb not null default '{}'::jsonb,
  cost_usd numeric(12, 6) not null default 0 constraint freshness_checks_cost_usd_check check (cost_usd >= 0),
  -- When the ClickUp follow-up (fields, comment, closing the task, the successor's task) finished;
  -- null: still to do (a resumed sweep does it), or nothing to do in ClickUp.
  followup_done_at timestamptz,
  checked_at timestamptz not null default now(),
  constraint freshness_checks_sweep_id_contact_id_key unique (sweep_id, contact_id)
);
comment on table public.freshness_checks is 'One contact checked by one sweep: outcome, evidence, cost. Unique per (sweep, contact).';
create index freshness_checks_contact_id_idx on public.freshness_checks (contact_id, checked_at desc);
create index freshness_checks_followup_idx on public.freshness_checks (sweep_id) where followup_done_at is null;
select app_private.secure_table('public.freshness_checks'::regclass);

alter table public.contacts
  add column replaced_by_contact_id uuid references public.contacts (id) on delete set null,
  -- 'unknown' (the last sweep could not tell: retried next sweep) or 'email_invalid' (a rep-owned address failed verification).
  add column freshness_flag text constraint contacts_freshness_flag_check check (freshness_flag in ('unknown', 'email_invalid'));
comment on column public.contacts.replaced_by_contact_id is 'The successor found when this contact left; set once, never replaced.';

create or replace function app_private.contacts_replaced_once()
returns trigger
language plpgsql
set search_path = public, pg_temp
as $$
begin
  if old.replaced_by_contact_id is not null and new.replaced_by_contact_id is distinct from old.replaced_by_contact_id then
    raise exception 'contact % was already replaced by %', old.id, old.replaced_by_contact_id using errcode = '23514';
  end if;
  return new;
end
$$;
revoke all on function app_private.contacts_replaced_once() from public;
create trigger contacts_replaced_once
  before update of replaced_by_contact_id on public.contacts
  for each row execute function app_private.contacts_replaced_once();

-- A sequence to an address that no longer exists stops with its own reason.
alter table public.outreach_events drop constraint outreach_events_kind_check;
alter table public.outreach_events add constraint outreach_events_kind_check check (kind in (
  'reply', 'auto_reply', 'bounce', 'temporary_failure', 'complaint', 'unsubscribe', 'delivered',
  'opened', 'clicked', 'status_change', 'task_deleted', 'contact_inactive', 'send_failed', 'email_invalid'));

-- ---------------------------------------------------------------------------------------------
create or replace function app_private.freshness_sweep_json(s public.freshness_sweeps)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'id', s.id, 'trigger', s.trigger, 'status', s.status, 'stop_reason', s.stop_reason,
    'older_than_days', s.older_than_days, 'course_id', s.course_id, 'contact_id', s.contact_id,
    'spend_cap_usd', s.spend_cap_usd, 'cost_usd', s.cost_usd,
    'counts', jsonb_build_object('checked', s.checked, 'still_there', s.still_there, 'left', s.left_club,
      'replaced', s.replaced, 'emails_invalidated', s.emails_invalidated, 'unknown', s.unknown),
    'clickup_requests', s.clickup_requests, 'workflow_instance_id', s.workflow_instance_id, 'error', s.error,
    'started_at', s.started_at, 'finished_at', s.finished_at,
    'duration_ms', case when s.finished_at is null then null
                        else (extract(epoch from (s.finished_at - s.started_at)) * 1000)::bigint end)
$$;
revoke all on function app_private.freshness_sweep_json(public.freshness_sweeps) from public;
grant execute on function app_private.freshness_sweep_json(public.freshness_sweeps) to service_role;

-- ---------------------------------------------------------------------------------------------
-- start_freshness_sweep
-- payload: {trigger: cron|api|cli, trigger_key?, older_than_days, course_id?, contact_id?, spend_cap_usd, workflow_instance_id?}
-- answer:  {created, sweep}
-- ---------------------------------------------------------------------------------------------
create or replace function public.start_freshness_sweep(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
  v_key text;
  v_course uuid;
  v_contact uuid;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_key := app_private.text_field(payload, 'trigger_key', 'trigger_key');
  if v_key is not null then
    select * into v_sweep from public.freshness_sweeps s where s.trigger_key = v_key;
    if found then
      return jsonb_build_object('created', false, 'sweep', app_private.freshness_sweep_json(v_sweep));
    end if;
  end if;
  v_course := app_private.uuid_field(payload, 'course_id', 'course_id');
  v_contact := app_private.uuid_field(payload, 'contact_id', 'contact_id');
  if v_course is not null and not exists (select 1 from public.courses c where c.id = v_course) then
    perform app_private.invalid_payload('course_id', 'no course has this id');
  end if;
  if v_contact is not null and not exists (select 1 from public.contacts c where c.id = v_contact) then
    perform app_private.invalid_payload('contact_id', 'no contact has this id');
  end if;
  insert into public.freshness_sweeps (trigger, trigger_key, older_than_days, course_id, contact_id, spend_cap_usd, workflow_instance_id)
  values (
    app_private.enum_field(payload, 'trigger', 'trigger', array['cron', 'api', 'cli'], true),
    v_key,
    app_private.int_field(payload, 'older_than_days', 'older_than_days', true, 0),
    v_course,
    v_contact,
    app_private.numeric_field(payload, 'spend_cap_usd', 'spend_cap_usd', true, 0),
    app_private.text_field(payload, 'workflow_instance_id', 'workflow_instance_id')
  )
  on conflict (trigger_key) do nothing
  returning * into v_sweep;
  if v_sweep.id is null then
    select * into v_sweep from public.freshness_sweeps s where s.trigger_key = v_key;
    return jsonb_build_object('created', false, 'sweep', app_private.freshness_sweep_json(v_sweep));
  end if;
  return jsonb_build_object('created', true, 'sweep', app_private.freshness_sweep_json(v_sweep));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- set_freshness_sweep_instance
-- payload: {sweep_id, workflow_instance_id}  → {sweep}
-- ---------------------------------------------------------------------------------------------
create or replace function public.set_freshness_sweep_instance(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
begin
  update public.freshness_sweeps s
     set workflow_instance_id = app_private.text_field(payload, 'workflow_instance_id', 'workflow_instance_id', true),
         status = 'running', finished_at = null, stop_reason = null, error = null
   where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true)
  returning * into v_sweep;
  if v_sweep.id is null then
    perform app_private.invalid_payload('sweep_id', 'no sweep has this id');
  end if;
  return jsonb_build_object('sweep', app_private.freshness_sweep_json(v_sweep));
end
$$;

-- The contacts a sweep still has to check: active, last verified before the sweep's threshold
-- (never verified counts as old), not checked by this sweep, and not created after it started
-- (a successor it found is fresh).
create or replace function app_private.freshness_candidates(v_sweep public.freshness_sweeps)
returns table (contact_id uuid, course_id uuid)
language sql
stable
set search_path = public, pg_temp
as $$
  select c.id, c.course_id
    from public.contacts c
   where c.is_active
     and c.duplicate_of is null
     and c.created_at < v_sweep.started_at
     and (c.last_verified_at is null or c.last_verified_at < v_sweep.started_at - make_interval(days => v_sweep.older_than_days)
          or (v_sweep.older_than_days = 0 and c.last_verified_at <= v_sweep.started_at))
     and (v_sweep.course_id is null or c.course_id = v_sweep.course_id)
     and (v_sweep.contact_id is null or c.id = v_sweep.contact_id)
     and not exists (select 1 from public.freshness_checks f where f.sweep_id = v_sweep.id and f.contact_id = c.id)
$$;
revoke all on function app_private.freshness_candidates(public.freshness_sweeps) from public;
grant execute on function app_private.freshness_candidates(public.freshness_sweeps) to service_role;

-- ---------------------------------------------------------------------------------------------
-- next_freshness_courses
-- payload: {sweep_id, limit}
-- answer:  {remaining_courses, courses: [{id, course_name, state, website, founded, segment,
--           contacts: [{id, full_name, title, email, email_status, phone, linkedin_url,
--                       clickup_task_id, rep_owned: [field]}]}]}
-- ---------------------------------------------------------------------------------------------
create or replace function public.next_freshness_courses(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
  v_limit integer;
begin
  select * into v_sweep from public.freshness_sweeps s where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true);
  if v_sweep.id is null then
    perform app_private.invalid_payload('sweep_id', 'no sweep has this id');
  end if;
  v_limit := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1), 10);
  return (
    with candidates as (select * from app_private.freshness_candidates(v_sweep)),
    picked as (
      select cand.course_id from candidates cand group by cand.course_id order by cand.course_id limit v_limit
    )
    select jsonb_build_object(
      'remaining_courses', (select count(distinct course_id) from candidates),
      'courses', coalesce(jsonb_agg(jsonb_build_object(
        'id', co.id, 'course_name', co.course_name, 'state', co.state, 'website', co.website,
        'founded', co.details ->> 'founded', 'segment', bi.segment,
        'contacts', (
          select jsonb_agg(jsonb_build_object(
            'id', c.id, 'full_name', c.full_name, 'title', c.title, 'email', e.email, 'email_status', e.email_status,
            'phone', e.phone, 'linkedin_url', e.linkedin_url, 'clickup_task_id', c.clickup_task_id,
            'rep_owned', coalesce((select jsonb_agg(o.field order by o.field) from public.field_ownership o
                                    where o.entity = 'contact' and o.entity_id = c.id), '[]'::jsonb)
          ) order by c.full_name)
            from public.contacts c
            left join public.contact_enrichment e on e.contact_id = c.id
           where c.id in (select cand.contact_id from candidates cand where cand.course_id = co.id)
        )
      ) order by co.id), '[]'::jsonb))
      from picked p
      join public.courses co on co.id = p.course_id
      left join public.business_intelligence bi on bi.course_id = co.id
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- record_freshness_check
-- payload: {sweep_id, contact_id, outcome: still_there|left|unknown, decided_by, email_status?,
--           email_invalid?, found_email?, found_phone?, evidence_url?, evidence?, now_at?, now_title?,
--           replacement_name?, replacement_title?, cost_usd, sweep_cost_usd}
-- answer:  {duplicate, check_id, contact: {id, full_name, title, course_id, clickup_task_id, email,
--           phone}, changes, suggestions, email_invalidated, stopped: [{sequence_id, workflow_instance_id}]}
-- A second call for the same (sweep, contact) changes nothing and answers duplicate.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_freshness_check(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
  v_contact public.contacts;
  v_enrichment public.contact_enrichment;
  v_outcome text;
  v_check_id bigint;
  v_owned text[];
  v_changes jsonb := '{}'::jsonb;
  v_suggestions jsonb := '{}'::jsonb;
  v_email_status text;
  v_invalid boolean;
  v_invalidated boolean := false;
  v_found_email text;
  v_found_phone text;
  v_stopped jsonb := '[]'::jsonb;
  v_now_at text;
  v_now_title text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  select * into v_sweep from public.freshness_sweeps s where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true) for update;
  if v_sweep.id is null then
    perform app_private.invalid_payload('sweep_id', 'no sweep has this id');
  end if;
  select * into v_contact from public.contacts c where c.id = app_private.uuid_field(payload, 'contact_id', 'contact_id', true) for update;
  if v_contact.id is null then
    perform app_private.invalid_payload('contact_id', 'no contact has this id');
  end if;
  select f.id into v_check_id from public.freshness_checks f where f.sweep_id = v_sweep.id and f.contact_id = v_contact.id;
  if v_check_id is not null then
    return jsonb_build_object('duplicate', true, 'check_id', v_check_id);
  end if;

  v_outcome := app_private.enum_field(payload, 'outcome', 'outcome', array['still_there', 'left', 'unknown'], true);
  v_email_status := app_private.text_field(payload, 'email_status', 'email_status');
  v_invalid := coalesce((payload ->> 'email_invalid')::boolean, false);  -- absent: false
  v_found_email := lower(btrim(app_private.text_field(payload, 'found_email', 'found_email')));
  v_found_phone := app_private.text_field(payload, 'found_phone', 'found_phone');
  v_now_at := left(app_private.text_field(payload, 'now_at', 'now_at'), 200);
  v_now_title := left(app_private.text_field(payload, 'now_title', 'now_title'), 200);
  select coalesce(array_agg(o.field), '{}') into v_owned from public.field_ownership o where o.entity = 'contact' and o.entity_id = v_contact.id;
  select * into v_enrichment from public.contact_enrichment e where e.contact_id = v_contact.id for update;

  -- The address no longer exists: cleared, unless a rep typed it (then kept, flagged, and suggested).
  if v_invalid and v_enrichment.email is not null then
    if 'email' = any (v_owned) then
      v_suggestions := v_suggestions || jsonb_build_object('email', null);
      update public.contact_enrichment e set email_status = 'invalid' where e.contact_id = v_contact.id;
      update public.contacts c set freshness_flag = 'email_invalid' where c.id = v_contact.id;
    else
      v_changes := v_changes || jsonb_build_object('email', jsonb_build_object('before', v_enrichment.email, 'after', null));
      update public.contact_enrichment e
         set email = null, email_status = 'invalid', email_score = null, email_source = null
       where e.contact_id = v_contact.id;
      v_enrichment.email := null;
    end if;
    v_invalidated := true;
    with stopped as (
      update public.outreach_sequences s
         set status = 'stopped', stop_reason = 'the email address is no longer deliverable (freshness check)', stopped_at = now()
       where s.contact_id = v_contact.id and s.status = 'active'
      returning s.id, s.workflow_instance_id
    ), events as (
      insert into public.outreach_events (sequence_id, kind, detail)
      select stopped.id, 'email_invalid', jsonb_build_object('sweep_id', v_sweep.id, 'email_status', v_email_status) from stopped
    )
    select coalesce(jsonb_agg(jsonb_build_object('sequence_id', stopped.id, 'workflow_instance_id', stopped.workflow_instance_id)), '[]'::jsonb)
      into v_stopped from stopped;
  elsif v_email_status is not null and v_enrichment.contact_id is not null and v_enrichment.email is not null then
    update public.contact_enrichment e set email_status = v_email_status where e.contact_id = v_contact.id and e.email_status is distinct from v_email_status;
  end if;

  -- A person still there: what the page now prints is saved, unless a rep owns the field.
  if v_outcome = 'still_there' then
    if v_found_email is not null and v_found_email <> '' and v_found_email is distinct from lower(v_enrichment.email) and not v_invalid then
      if 'email' = any (v_owned) then
        v_suggestions := v_suggestions || jsonb_build_object('email', v_found_email);
      else
        v_changes := v_changes || jsonb_build_object('email', jsonb_build_object('before', v_enrichment.email, 'after', v_found_email));
        insert into public.contact_enrichment as e (contact_id, email, email_status, email_source)
        values (v_contact.id, v_found_email, v_email_status, 'website')
        on conflict (contact_id) do update set email = excluded.email, email_status = excluded.email_status, email_source = 'website', email_score = null;
      end if;
    end if;
    if v_found_phone is not null and v_found_phone <> '' and v_found_phone is distinct from v_enrichment.phone then
      if 'phone' = any (v_owned) then
        v_suggestions := v_suggestions || jsonb_build_object('phone', v_found_phone);
      else
        v_changes := v_changes || jsonb_build_object('phone', jsonb_build_object('before', v_enrichment.phone, 'after', v_found_phone));
        insert into public.contact_enrichment as e (contact_id, phone, phone_type, phone_source)
        values (v_contact.id, v_found_phone, 'direct', 'website')
        on conflict (contact_id) do update set phone = excluded.phone, phone_type = 'direct', phone_source = 'website';
      end if;
    end if;
    update public.contacts c
       set last_verified_at = now(), freshness_flag = case when c.freshness_flag = 'unknown' then null else c.freshness_flag end
     where c.id = v_contact.id;
  elsif v_outcome = 'left' then
    -- The trigger contacts_stop_outreach_when_inactive stops its sequences.
    update public.contacts c
       set is_active = false, last_verified_at = now(), freshness_flag = null,
           inactive_reason = left('left the club' || coalesce(': now ' || coalesce(v_now_title || ' at ', 'at ') || v_now_at, ''), 300)
     where c.id = v_contact.id;
    select v_stopped || coalesce(jsonb_agg(jsonb_build_object('sequence_id', s.id, 'workflow_instance_id', s.workflow_instance_id)), '[]'::jsonb)
      into v_stopped
      from public.outreach_sequences s
     where s.contact_id = v_contact.id and s.status = 'stopped' and s.stopped_at >= now() - interval '1 second';
  else
    -- Never deactivated on no evidence: flagged, and the next sweep tries again.
    update public.contacts c set freshness_flag = 'unknown' where c.id = v_contact.id;
  end if;

  insert into public.freshness_checks (
    sweep_id, contact_id, course_id, outcome, decided_by, email_status, email_invalidated, evidence_url, evidence,
    now_at, now_title, replacement_name, replacement_title, changes, suggestions, cost_usd
  )
  values (
    v_sweep.id, v_contact.id, v_contact.course_id, v_outcome,
    app_private.enum_field(payload, 'decided_by', 'decided_by', array['staff_page', 'research', 'none']),
    v_email_status, v_invalidated,
    left(app_private.text_field(payload, 'evidence_url', 'evidence_url'), 2000),
    left(app_private.text_field(payload, 'evidence', 'evidence'), 2000),
    v_now_at, v_now_title,
    left(app_private.text_field(payload, 'replacement_name', 'replacement_name'), 200),
    left(app_private.text_field(payload, 'replacement_title', 'replacement_title'), 200),
    v_changes, v_suggestions,
    coalesce(app_private.numeric_field(payload, 'cost_usd', 'cost_usd', false, 0), 0)
  )
  returning id into v_check_id;

  update public.freshness_sweeps s
     set checked = s.checked + 1,
         still_there = s.still_there + (v_outcome = 'still_there')::int,
         left_club = s.left_club + (v_outcome = 'left')::int,
         unknown = s.unknown + (v_outcome = 'unknown')::int,
         emails_invalidated = s.emails_invalidated + v_invalidated::int,
         cost_usd = greatest(s.cost_usd, coalesce(app_private.numeric_field(payload, 'sweep_cost_usd', 'sweep_cost_usd', false, 0), 0))
   where s.id = v_sweep.id;

  select * into v_enrichment from public.contact_enrichment e where e.contact_id = v_contact.id;
  return jsonb_build_object(
    'duplicate', false, 'check_id', v_check_id,
    'contact', jsonb_build_object('id', v_contact.id, 'full_name', v_contact.full_name, 'title', v_contact.title,
      'course_id', v_contact.course_id, 'clickup_task_id', v_contact.clickup_task_id,
      'email', v_enrichment.email, 'phone', v_enrichment.phone),
    'changes', v_changes, 'suggestions', v_suggestions, 'email_invalidated', v_invalidated, 'stopped', v_stopped);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- record_freshness_replacement
-- payload: {sweep_id, left_contact_id, contact: {name, title, email?, email_score?, email_status?,
--           email_source?, linkedin_url?, phone?, phone_type?, phone_source?, tenure_years?,
--           previous_clubs?, background_summary?, sources?}}
-- answer:  {created, duplicate, contact_id, clickup_task_id}
-- The successor is created once: a contact already replaced answers its successor (duplicate); a
-- successor already on file at the course (same person key) is linked, not created again.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_freshness_replacement(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep_id uuid;
  v_left public.contacts;
  v_fields jsonb;
  v_name text;
  v_existing public.contacts;
  v_new_id uuid;
  v_created boolean := false;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_sweep_id := app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true);
  select * into v_left from public.contacts c where c.id = app_private.uuid_field(payload, 'left_contact_id', 'left_contact_id', true) for update;
  if v_left.id is null then
    perform app_private.invalid_payload('left_contact_id', 'no contact has this id');
  end if;
  if v_left.replaced_by_contact_id is not null then
    return jsonb_build_object('created', false, 'duplicate', true, 'contact_id', v_left.replaced_by_contact_id,
      'clickup_task_id', (select c.clickup_task_id from public.contacts c where c.id = v_left.replaced_by_contact_id));
  end if;
  v_fields := app_private.json_field(payload, 'contact', 'contact', 'object', true);
  v_name := btrim(app_private.text_field(v_fields, 'name', 'contact.name', true));
  if v_name = '' or length(v_name) > 120 then
    perform app_private.invalid_payload('contact.name', 'must be a person''s name (1 to 120 characters)');
  end if;

  select * into v_existing from public.contacts c
   where c.course_id = v_left.course_id and c.name_key = app_private.person_key(v_name) and c.duplicate_of is null;
  if v_existing.id is not null then
    if v_existing.id = v_left.id then
      perform app_private.invalid_payload('contact.name', 'the successor is the person who left');
    end if;
    v_new_id := v_existing.id;
  else
    insert into public.contacts (course_id, full_name, title, last_verified_at)
    values (v_left.course_id, v_name, left(v_fields ->> 'title', 200), now())
    returning id into v_new_id;
    insert into public.contact_enrichment (
      contact_id, email, email_score, email_status, email_source, linkedin_url, phone, phone_type,
      phone_source, tenure_years, previous_clubs, background_summary, sources
    )
    values (
      v_new_id, lower(v_fields ->> 'email'), (v_fields ->> 'email_score')::integer, v_fields ->> 'email_status', v_fields ->> 'email_source',
      v_fields ->> 'linkedin_url', v_fields ->> 'phone', v_fields ->> 'phone_type', v_fields ->> 'phone_source',
      (v_fields ->> 'tenure_years')::numeric, coalesce(v_fields -> 'previous_clubs', '[]'::jsonb),
      v_fields ->> 'background_summary', v_fields -> 'sources'
    );
    v_created := true;
  end if;
  update public.contacts c set replaced_by_contact_id = v_new_id where c.id = v_left.id;
  update public.freshness_checks f set replacement_contact_id = v_new_id where f.sweep_id = v_sweep_id and f.contact_id = v_left.id;
  update public.freshness_sweeps s set replaced = s.replaced + 1 where s.id = v_sweep_id;
  return jsonb_build_object('created', v_created, 'duplicate', false, 'contact_id', v_new_id,
    'clickup_task_id', (select c.clickup_task_id from public.contacts c where c.id = v_new_id));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- finish_freshness_followup
-- payload: {sweep_id, contact_id, clickup_requests}  → {done}
-- ---------------------------------------------------------------------------------------------
create or replace function public.finish_freshness_followup(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep uuid := app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true);
  v_done integer;
begin
  update public.freshness_checks f set followup_done_at = now()
   where f.sweep_id = v_sweep and f.contact_id = app_private.uuid_field(payload, 'contact_id', 'contact_id', true)
     and f.followup_done_at is null;
  get diagnostics v_done = row_count;
  if v_done > 0 then
    update public.freshness_sweeps s
       set clickup_requests = s.clickup_requests + coalesce(app_private.int_field(payload, 'clickup_requests', 'clickup_requests', false, 0), 0)
     where s.id = v_sweep;
  end if;
  return jsonb_build_object('done', v_done > 0);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- add_freshness_cost
-- payload: {sweep_id, sweep_cost_usd}  → {cost_usd}   (course-level calls: the page read)
-- ---------------------------------------------------------------------------------------------
create or replace function public.add_freshness_cost(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_cost numeric;
begin
  update public.freshness_sweeps s
     set cost_usd = greatest(s.cost_usd, coalesce(app_private.numeric_field(payload, 'sweep_cost_usd', 'sweep_cost_usd', false, 0), 0))
   where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true)
  returning s.cost_usd into v_cost;
  return jsonb_build_object('cost_usd', v_cost);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- finish_freshness_sweep
-- payload: {sweep_id, status: succeeded|stopped|failed, stop_reason?, error?, sweep_cost_usd?}  → {sweep}
-- ---------------------------------------------------------------------------------------------
create or replace function public.finish_freshness_sweep(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
begin
  update public.freshness_sweeps s
     set status = app_private.enum_field(payload, 'status', 'status', array['succeeded', 'stopped', 'failed'], true),
         stop_reason = left(app_private.text_field(payload, 'stop_reason', 'stop_reason'), 500),
         error = left(app_private.text_field(payload, 'error', 'error'), 1000),
         cost_usd = greatest(s.cost_usd, coalesce(app_private.numeric_field(payload, 'sweep_cost_usd', 'sweep_cost_usd', false, 0), 0)),
         finished_at = coalesce(s.finished_at, now())
   where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true)
  returning * into v_sweep;
  if v_sweep.id is null then
    perform app_private.invalid_payload('sweep_id', 'no sweep has this id');
  end if;
  return jsonb_build_object('sweep', app_private.freshness_sweep_json(v_sweep));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- get_freshness_sweep
-- payload: {sweep_id, course_id?, followup_pending?} (filters the checks: one course's, those whose ClickUp follow-up is not done)
-- answer:  {sweep, checks: [{contact_id, full_name, course_name, outcome, decided_by, email_status,
--           email_invalidated, evidence_url, now_at, now_title, replacement_contact_id,
--           replacement_name, changes, suggestions, cost_usd, checked_at}]} | null
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_freshness_sweep(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_sweep public.freshness_sweeps;
  v_course uuid := app_private.uuid_field(payload, 'course_id', 'course_id');
  v_pending boolean := coalesce((payload ->> 'followup_pending')::boolean, false);
begin
  select * into v_sweep from public.freshness_sweeps s where s.id = app_private.uuid_field(payload, 'sweep_id', 'sweep_id', true);
  if v_sweep.id is null then
    return 'null'::jsonb;
  end if;
  return jsonb_build_object('sweep', app_private.freshness_sweep_json(v_sweep), 'checks', coalesce((
    select jsonb_agg(jsonb_build_object(
      'contact_id', f.contact_id, 'full_name', c.full_name, 'course_id', f.course_id, 'course_name', co.course_name,
      'outcome', f.outcome, 'decided_by', f.decided_by, 'email_status', f.email_status, 'email_invalidated', f.email_invalidated,
      'evidence_url', f.evidence_url, 'evidence', f.evidence, 'now_at', f.now_at, 'now_title', f.now_title,
      'replacement_contact_id', f.replacement_contact_id, 'replacement_name', f.replacement_name, 'replacement_title', f.replacement_title,
      'changes', f.changes, 'suggestions', f.suggestions, 'cost_usd', f.cost_usd,
      'followup_done', f.followup_done_at is not null, 'checked_at', f.checked_at,
      'clickup_task_id', c.clickup_task_id, 'replacement_task_id', r.clickup_task_id) order by f.id)
      from public.freshness_checks f
      join public.contacts c on c.id = f.contact_id
      join public.courses co on co.id = f.course_id
      left join public.contacts r on r.id = f.replacement_contact_id
     where f.sweep_id = v_sweep.id
       and (v_course is null or f.course_id = v_course)
       and (not v_pending or f.followup_done_at is null)), '[]'::jsonb));
end
$$;

do $grants$
declare
  fn text;
begin
  foreach fn in array array[
    'start_freshness_sweep', 'set_freshness_sweep_instance', 'next_freshness_courses', 'record_freshness_check',
    'record_freshness_replacement', 'finish_freshness_followup', 'add_freshness_cost',
    'finish_freshness_sweep', 'get_freshness_sweep'
  ] loop
    perform app_private.service_role_only(format('public.%I(jsonb)', fn)::regprocedure);
  end loop;
end
$grants$;
