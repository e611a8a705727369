-- Up Migration
-- What the app's webhook routes answered, for GET /health (src/clickup/webhook-deliveries.ts): per
-- route, when a delivery was last accepted (answered 2xx) and last refused (anything else, with the
-- status and the error's code and message), and how many of each. Written off the hot path (the
-- route's waitUntil, coalesced per isolate), so one call may carry several deliveries.
--   webhook_health               one row per route ('clickup');
--   record_webhook_deliveries    adds what an isolate saw since its last call (never moves a time back);
--   get_webhook_health           reads a route's row.
-- No secret is ever stored here: only which kind of secret matched ('stored' or 'configured').

create table public.webhook_health (
  route text primary key constraint webhook_health_route_check check (route ~ '^[a-z_]+$'),
  last_accepted_at timestamptz,
  -- Which secret the last accepted delivery was signed with: the one `npm run clickup:setup` stored, or CLICKUP_WEBHOOK_SECRET.
  last_accepted_secret text constraint webhook_health_last_accepted_secret_check check (last_accepted_secret in ('stored', 'configured')),
  accepted_count bigint not null default 0 constraint webhook_health_accepted_count_check check (accepted_count >= 0),
  last_refused_at timestamptz,
  last_refused_status integer,
  last_refused_code text,
  last_refused_message text,
  refused_count bigint not null default 0 constraint webhook_health_refused_count_check check (refused_count >= 0),
  updated_at timestamptz not null default now()
);
comment on table public.webhook_health is 'Per webhook route: the last delivery accepted and refused (and counts), for GET /health.';
select app_private.secure_table('public.webhook_health'::regclass);

-- ---------------------------------------------------------------------------------------------
-- record_webhook_deliveries
-- payload: {route, accepted?: {at, count, secret}, refused?: {at, count, status, code, message}}
--          (`at`: ISO 8601 or ms since the epoch; the latest delivery of its kind in this call)
-- answer:  {recorded: true}
-- Calls from several isolates may arrive out of order: a time only moves forward, and the details
-- of the last accepted/refused delivery follow the time they belong to. Counts always add up.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_webhook_deliveries(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_route text;
  v_accepted jsonb;
  v_refused jsonb;
  v_accepted_at timestamptz;
  v_accepted_count integer := 0;
  v_accepted_secret text;
  v_refused_at timestamptz;
  v_refused_count integer := 0;
  v_refused_status integer;
  v_refused_code text;
  v_refused_message text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_route := app_private.text_field(payload, 'route', 'route', true);
  if v_route !~ '^[a-z_]+$' then
    perform app_private.invalid_payload('route', 'must be a route name ([a-z_]+)');
  end if;
  v_accepted := app_private.json_field(payload, 'accepted', 'accepted', 'object', false);
  v_refused := app_private.json_field(payload, 'refused', 'refused', 'object', false);
  if v_accepted is not null then
    v_accepted_at := app_private.timestamptz_field(v_accepted, 'at', 'accepted.at', true);
    v_accepted_count := coalesce(app_private.int_field(v_accepted, 'count', 'accepted.count', false, 1, 1000000), 1);
    v_accepted_secret := app_private.text_field(v_accepted, 'secret', 'accepted.secret', true);
    if v_accepted_secret not in ('stored', 'configured') then
      perform app_private.invalid_payload('accepted.secret', 'must be "stored" or "configured"');
    end if;
  end if;
  if v_refused is not null then
    v_refused_at := app_private.timestamptz_field(v_refused, 'at', 'refused.at', true);
    v_refused_count := coalesce(app_private.int_field(v_refused, 'count', 'refused.count', false, 1, 1000000), 1);
    v_refused_status := app_private.int_field(v_refused, 'status', 'refused.status', true, 100, 599);
    v_refused_code := app_private.text_field(v_refused, 'code', 'refused.code', false);
    v_refused_message := left(app_private.text_field(v_refused, 'message', 'refused.message', false), 500);
  end if;

  insert into public.webhook_health as h (
    route, last_accepted_at, last_accepted_secret, accepted_count,
    last_refused_at, last_refused_status, last_refused_code, last_refused_message, refused_count
  )
  values (
    v_route, v_accepted_at, v_accepted_secret, v_accepted_count,
    v_refused_at, v_refused_status, v_refused_code, v_refused_message, v_refused_count
  )
  on conflict (route) do update set
    last_accepted_secret = case
      when excluded.last_accepted_at is not null and (h.last_accepted_at is null or excluded.last_accepted_at >= h.last_accepted_at)
        then excluded.last_accepted_secret else h.last_accepted_secret end,
    -- greatest() skips nulls: a call without accepted deliveries keeps the stored time.
    last_accepted_at = greatest(h.last_accepted_at, excluded.last_accepted_at),
    accepted_count = h.accepted_count + excluded.accepted_count,
    last_refused_status = case
      when excluded.last_refused_at is not null and (h.last_refused_at is null or excluded.last_refused_at >= h.last_refused_at)
        then excluded.last_refused_status else h.last_refused_status end,
    last_refused_code = case
      when excluded.last_refused_at is not null and (h.last_refused_at is null or excluded.last_refused_at >= h.last_refused_at)
        then excluded.last_refused_code else h.last_refused_code end,
    last_refused_message = case
      when excluded.last_refused_at is not null and (h.last_refused_at is null or excluded.last_refused_at >= h.last_refused_at)
        then excluded.last_refused_message else h.last_refused_message end,
    last_refused_at = greatest(h.last_refused_at, excluded.last_refused_at),
    refused_count = h.refused_count + excluded.refused_count,
    updated_at = now();
  return jsonb_build_object('recorded', true);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- get_webhook_health
-- payload: {route}
-- answer:  {health: {last_accepted_at, last_accepted_secret, accepted_count, last_refused_at,
--           last_refused_status, last_refused_code, last_refused_message, refused_count} | null}
--          (null: the route has answered no delivery yet; times as ISO 8601 strings)
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_webhook_health(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_route text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_route := app_private.text_field(payload, 'route', 'route', true);
  return jsonb_build_object('health', (
    select jsonb_build_object(
      'last_accepted_at', h.last_accepted_at,
      'last_accepted_secret', h.last_accepted_secret,
      'accepted_count', h.accepted_count,
      'last_refused_at', h.last_refused_at,
      'last_refused_status', h.last_refused_status,
      'last_refused_code', h.last_refused_code,
      'last_refused_message', h.last_refused_message,
      'refused_count', h.refused_count)
    from public.webhook_health h where h.route = v_route));
end
$$;

select app_private.service_role_only('public.record_webhook_deliveries(jsonb)'::regprocedure);
select app_private.service_role_only('public.get_webhook_health(jsonb)'::regprocedure);
