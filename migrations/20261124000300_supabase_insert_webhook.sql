-- Up Migration
-- Supabase Database Webhook for new courses: an AFTER INSERT trigger on public.courses POSTs
--   {type: 'INSERT', table: 'courses', schema: 'public', record, old_record: null}
-- to <settings.app_url>/webhooks/supabase with `Authorization: Bearer <settings.supabase_webhook_secret>`
-- through pg_net (asynchronous: the HTTP request is sent after the transaction commits; pg_net
-- neither signs nor retries, the Worker's cron reconciles missed rows). Both settings hold JSON
-- strings; while either is missing or empty the trigger sends nothing.
--
-- Only where pg_net is available (Supabase). Elsewhere (a plain PostgreSQL server, PGlite) this
-- migration does nothing but say so. The function and trigger are created with EXECUTE so that
-- nothing referring to pg_net is compiled on servers without it.
--
-- Only rows a person or an import adds (source null, 'supabase', 'csv' or 'manual') are sent: the
-- app's own inserts (source 'api', 'clickup', 'cron') belong to a run already under way.
--
-- The trigger function is SECURITY DEFINER (owned by the migration role) so that any role allowed
-- to insert a course can fire it without being granted pg_net or the settings table; nobody but
-- its owner may call it directly.

do $webhook$
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_net') then
    raise notice 'pg_net is not available on this server: the courses INSERT webhook (POST /webhooks/supabase) is not installed';
    return;
  end if;

  execute 'create extension if not exists pg_net';

  execute $fn$
    create or replace function app_private.courses_insert_webhook()
    returns trigger
    language plpgsql
    security definer
    set search_path = public, pg_temp
    as $body$
    declare
      v_app_url text;
      v_secret text;
    begin
      select btrim(s.value #>> '{}') into v_app_url from public.settings s where s.key = 'app_url';
      select btrim(s.value #>> '{}') into v_secret from public.settings s where s.key = 'supabase_webhook_secret';
      if coalesce(v_app_url, '') = '' or coalesce(v_secret, '') = '' then
        raise log 'courses_insert_webhook: settings app_url or supabase_webhook_secret missing, course % not sent', new.id;
        return null;
      end if;
      perform net.http_post(
        url => rtrim(v_app_url, '/') || '/webhooks/supabase',
        body => jsonb_build_object(
          'type', 'INSERT',
          'table', tg_table_name,
          'schema', tg_table_schema,
          'record', to_jsonb(new),
          'old_record', null
        ),
        headers => jsonb_build_object(
          'Content-Type', 'application/json',
          'Authorization', 'Bearer ' || v_secret
        ),
        timeout_milliseconds => 5000
      );
      return null;
    end
    $body$
  $fn$;
  execute 'revoke all on function app_private.courses_insert_webhook() from public, anon, authenticated, service_role';

  execute 'drop trigger if exists courses_insert_webhook on public.courses';
  execute $trg$
    create trigger courses_insert_webhook
      after insert on public.courses
      for each row
      -- Rows the app itself creates (a run from the API, ClickUp or a cron) are already being enriched.
      when (new.source is null or new.source in ('supabase', 'csv', 'manual'))
      execute function app_private.courses_insert_webhook()
  $trg$;

  raise notice 'pg_net found: courses INSERT webhook installed (settings app_url and supabase_webhook_secret configure it)';
end
$webhook$;
