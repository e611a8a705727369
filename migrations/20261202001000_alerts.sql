-- Up Migration
-- Admin alerts (src/store/alerts.ts, src/durable/alert-delivery.ts): failures that need someone who
-- can act, once per cause and subject, and closed when the cause clears.
--   alerts                  one row per occurrence period of (cause, subject); at most one open;
--   raise_alert             opens one, or bumps the open one (count, last seen); answers whether to
--                           notify now: when it opens, then at most once per notify interval (an hour);
--   clear_alert             closes the open one(s) and answers them (with how long they lasted);
--   list_alerts             open and recent alerts (GET /api/alerts), or one by id;
--   record_alert_delivery   the ClickUp task and email the delivery made (the first task id wins).
-- No secret and no page text is stored: the app passes a message, a link and small details.

create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  cause text not null constraint alerts_cause_check check (cause in (
    'run_failed', 'provider_unavailable', 'database_unavailable', 'clickup_webhook_failing',
    'spend_cap_reached', 'outreach_sending_blocked', 'import_failures', 'sweep_failed')),
  subject text not null constraint alerts_subject_check check (length(subject) between 1 and 200),
  severity text not null constraint alerts_severity_check check (severity in ('critical', 'error', 'warning')),
  status text not null default 'open' constraint alerts_status_check check (status in ('open', 'closed')),
  count integer not null default 1 constraint alerts_count_check check (count >= 1),
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  closed_at timestamptz,
  -- How it cleared ("perplexity answered again", "webhook active again").
  cleared_by text,
  message text not null constraint alerts_message_check check (length(message) <= 1000),
  -- Where to look (the job, the sweep): a path or URL, never a secret.
  link text constraint alerts_link_check check (link is null or length(link) <= 500),
  -- What the reconcile job (or the run's own retries) will do about it.
  retry text constraint alerts_retry_check check (retry is null or length(retry) <= 500),
  details jsonb not null default '{}'::jsonb,
  -- The last occurrence's key: the same occurrence raised twice (a retried step) counts once.
  last_occurrence text,
  -- Notifications sent (each names one delivery workflow instance), and when the last one was.
  notifications integer not null default 0,
  last_notified_at timestamptz,
  clickup_task_id text,
  emailed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint alerts_closed_check check ((status = 'closed') = (closed_at is not null))
);
comment on table public.alerts is 'Admin alerts: one open row per (cause, subject), bumped while it lasts, closed when it clears.';
create unique index alerts_one_open on public.alerts (cause, subject) where status = 'open';
create index alerts_recent on public.alerts (last_seen_at desc);
-- Admins read them through the service role (GET /api/alerts); reps do not.
select app_private.secure_table('public.alerts'::regclass, authenticated_can_read => false);

create or replace function app_private.alert_json(a public.alerts)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select jsonb_build_object(
    'id', a.id, 'cause', a.cause, 'subject', a.subject, 'severity', a.severity, 'status', a.status,
    'count', a.count, 'first_seen_at', a.first_seen_at, 'last_seen_at', a.last_seen_at,
    'closed_at', a.closed_at, 'cleared_by', a.cleared_by, 'message', a.message, 'link', a.link,
    'retry', a.retry, 'details', a.details, 'notifications', a.notifications,
    'last_notified_at', a.last_notified_at, 'clickup_task_id', a.clickup_task_id, 'emailed_at', a.emailed_at,
    'duration_seconds', round(extract(epoch from (coalesce(a.closed_at, now()) - a.first_seen_at)))::bigint)
$$;
revoke all on function app_private.alert_json(public.alerts) from public;
grant execute on function app_private.alert_json(public.alerts) to service_role;

-- ---------------------------------------------------------------------------------------------
-- raise_alert
-- payload: {cause, subject, severity, message, link?, retry?, details?, occurrence?,
--           notify_every_seconds? (default 3600)}
-- answer:  {alert, created, notify, notification}
--          notify: true when the alert opens, then at most once per notify_every_seconds while it
--          stays open (an hour-long outage is one alert and at most one reminder); notification is
--          the number of this notification (it names the delivery), 0 when not notifying.
-- An occurrence already counted (same `occurrence` as the last) changes nothing and notifies nothing.
-- ---------------------------------------------------------------------------------------------
create or replace function public.raise_alert(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_cause text;
  v_subject text;
  v_severity text;
  v_message text;
  v_link text;
  v_retry text;
  v_details jsonb;
  v_occurrence text;
  v_every integer;
  v_alert public.alerts;
  v_id uuid;
  v_created boolean;
  v_repeat boolean := false;
  v_notify boolean := false;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_cause := app_private.text_field(payload, 'cause', 'cause', true);
  v_subject := app_private.text_field(payload, 'subject', 'subject', true);
  v_severity := app_private.text_field(payload, 'severity', 'severity', true);
  v_message := left(app_private.text_field(payload, 'message', 'message', true), 1000);
  v_link := app_private.text_field(payload, 'link', 'link', false);
  v_retry := left(app_private.text_field(payload, 'retry', 'retry', false), 500);
  v_details := coalesce(app_private.json_field(payload, 'details', 'details', 'object', false), '{}'::jsonb);
  v_occurrence := app_private.text_field(payload, 'occurrence', 'occurrence', false);
  v_every := coalesce(app_private.int_field(payload, 'notify_every_seconds', 'notify_every_seconds', false, 0, 604800), 3600);
  if v_cause not in ('run_failed', 'provider_unavailable', 'database_unavailable', 'clickup_webhook_failing',
      'spend_cap_reached', 'outreach_sending_blocked', 'import_failures', 'sweep_failed') then
    perform app_private.invalid_payload('cause', 'must be a known alert cause');
  end if;
  if v_severity not in ('critical', 'error', 'warning') then
    perform app_private.invalid_payload('severity', 'must be critical, error or warning');
  end if;
  if length(v_subject) = 0 or length(v_subject) > 200 then
    perform app_private.invalid_payload('subject', 'must be 1 to 200 characters');
  end if;

  select * into v_alert from public.alerts a where a.cause = v_cause and a.subject = v_subject and a.status = 'open' for update;
  if found and v_occurrence is not null and v_alert.last_occurrence = v_occurrence then
    v_repeat := true;
  end if;

  -- On conflict: a concurrent raise opened it since the select; the row lock serializes the rest.
  insert into public.alerts as a (cause, subject, severity, message, link, retry, details, last_occurrence)
  values (v_cause, v_subject, v_severity, v_message, v_link, v_retry, v_details, v_occurrence)
  on conflict (cause, subject) where status = 'open' do update set
    count = a.count + case when v_repeat then 0 else 1 end,
    last_seen_at = case when v_repeat then a.last_seen_at else now() end,
    severity = excluded.severity,
    message = excluded.message,
    link = coalesce(excluded.link, a.link),
    retry = coalesce(excluded.retry, a.retry),
    details = a.details || excluded.details,
    last_occurrence = coalesce(excluded.last_occurrence, a.last_occurrence),
    updated_at = now()
  returning a.id, (a.xmax = 0) into v_id, v_created;
  select * into v_alert from public.alerts a where a.id = v_id;

  if v_created then
    v_notify := true;
  elsif not v_repeat and (v_alert.last_notified_at is null or v_alert.last_notified_at <= now() - make_interval(secs => v_every)) then
    v_notify := true;
  end if;
  if v_notify then
    update public.alerts a set notifications = a.notifications + 1, last_notified_at = now(), updated_at = now()
    where a.id = v_alert.id returning * into v_alert;
  end if;

  return jsonb_build_object(
    'alert', app_private.alert_json(v_alert),
    'created', v_created,
    'notify', v_notify,
    'notification', case when v_notify then v_alert.notifications else 0 end);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- clear_alert
-- payload: {cause, subject? | subjects?: [..], cleared_by?}
-- answer:  {cleared: [alert...]} (each with closed_at and duration_seconds); empty when none was open
-- ---------------------------------------------------------------------------------------------
create or replace function public.clear_alert(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_cause text;
  v_subjects text[];
  v_by text;
  v_cleared jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_cause := app_private.text_field(payload, 'cause', 'cause', true);
  v_by := left(app_private.text_field(payload, 'cleared_by', 'cleared_by', false), 200);
  if payload ? 'subjects' then
    if jsonb_typeof(payload -> 'subjects') <> 'array' then
      perform app_private.invalid_payload('subjects', 'must be an array of strings');
    end if;
    select coalesce(array_agg(s), '{}') into v_subjects from jsonb_array_elements_text(payload -> 'subjects') s;
  else
    v_subjects := array[app_private.text_field(payload, 'subject', 'subject', true)];
  end if;
  with closed as (
    update public.alerts a set status = 'closed', closed_at = now(), cleared_by = v_by, updated_at = now()
    where a.cause = v_cause and a.subject = any(v_subjects) and a.status = 'open'
    returning a.*
  )
  select coalesce(jsonb_agg(app_private.alert_json(c) order by c.first_seen_at), '[]'::jsonb) into v_cleared from closed c;
  return jsonb_build_object('cleared', v_cleared);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- list_alerts
-- payload: {id?, status?: 'open' | 'closed' | 'all' (default all), cause?, limit? (default 50, max 500)}
-- answer:  {alerts: [alert...]}: open ones first (most severe, then latest), then the recently closed
-- ---------------------------------------------------------------------------------------------
create or replace function public.list_alerts(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_id uuid;
  v_status text;
  v_cause text;
  v_limit integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_id := app_private.uuid_field(payload, 'id', 'id', false);
  v_status := coalesce(app_private.text_field(payload, 'status', 'status', false), 'all');
  v_cause := app_private.text_field(payload, 'cause', 'cause', false);
  v_limit := coalesce(app_private.int_field(payload, 'limit', 'limit', false, 1, 500), 50);
  if v_status not in ('open', 'closed', 'all') then
    perform app_private.invalid_payload('status', 'must be open, closed or all');
  end if;
  return jsonb_build_object('alerts', coalesce((
    select jsonb_agg(app_private.alert_json(a) order by (a.status = 'open') desc,
                     case a.severity when 'critical' then 0 when 'error' then 1 else 2 end, a.last_seen_at desc)
    from (
      select * from public.alerts a
      where (v_id is null or a.id = v_id)
        and (v_status = 'all' or a.status = v_status)
        and (v_cause is null or a.cause = v_cause)
      order by (a.status = 'open') desc, a.last_seen_at desc
      limit v_limit
    ) a), '[]'::jsonb));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- record_alert_delivery
-- payload: {id, clickup_task_id?, emailed?: boolean}
-- answer:  {alert} (clickup_task_id: the first one recorded wins, so a racing delivery can see it lost)
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_alert_delivery(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_id uuid;
  v_task text;
  v_emailed boolean;
  v_alert public.alerts;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_id := app_private.uuid_field(payload, 'id', 'id', true);
  v_task := app_private.text_field(payload, 'clickup_task_id', 'clickup_task_id', false);
  v_emailed := coalesce((payload ->> 'emailed')::boolean, false);
  update public.alerts a set
    clickup_task_id = coalesce(a.clickup_task_id, v_task),
    emailed_at = case when v_emailed then now() else a.emailed_at end,
    updated_at = now()
  where a.id = v_id
  returning * into v_alert;
  if not found then
    raise exception using errcode = 'no_data_found', message = format('alert %s not found', v_id);
  end if;
  return jsonb_build_object('alert', app_private.alert_json(v_alert));
end
$$;

select app_private.service_role_only('public.raise_alert(jsonb)'::regprocedure);
select app_private.service_role_only('public.clear_alert(jsonb)'::regprocedure);
select app_private.service_role_only('public.list_alerts(jsonb)'::regprocedure);
select app_private.service_role_only('public.record_alert_delivery(jsonb)'::regprocedure);

-- get_alert_settings: {} → {settings: the 'alerts' settings value ({email_to, email_from}) or null}.
create or replace function public.get_alert_settings(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
begin
  return jsonb_build_object('settings', (select s.value from public.settings s where s.key = 'alerts'));
end
$$;
select app_private.service_role_only('public.get_alert_settings(jsonb)'::regprocedure);
