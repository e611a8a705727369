-- Who a signed-in Supabase user is, and what they may read.
--
-- Before this migration every `authenticated` user read every table but settings: any account in
-- the project (a rep, a contractor, someone who signed up) read all contact PII, unsubscribes,
-- agent calls and the runs. Now reading needs a role, and reps read only what a rep works with.
--
-- The predicate: the `role` in the JWT's `app_metadata` (`auth.jwt() -> 'app_metadata' ->> 'role'`),
-- 'rep' or 'admin'. Why a claim and not a reps table: app_metadata is written only with the service
-- role key (Supabase's admin API, `raw_app_meta_data`; a user cannot change it, unlike
-- user_metadata), it travels in every request's JWT, so a policy reads it without a join or a
-- second table to keep in step with auth.users, and it works the same on Supabase, a server
-- Postgres and PGlite (PostgREST puts the claims in `request.jwt.claims`, which is what auth.jwt()
-- reads; the `auth` schema itself need not exist). Granting: set app_metadata {"role": "rep"} (or
-- "admin") on the user with the service role key; a role change applies from the user's next token.
--
-- Access after it:
--   anon                      nothing (unchanged)
--   authenticated, no role    nothing
--   rep                       courses, contacts, contact_enrichment, business_intelligence (read)
--   admin                     every table but the service-role-only ones (read)
--   service_role              everything (unchanged; the Worker and the dashboard go through it)
-- Service-role-only, as before: settings (webhook and signing secrets) and mailgun_webhook_tokens
-- (no person needs the raw secrets), and the admin audit, the alerts and the dashboard rollups,
-- which admins read through the dashboard (the service role), where each read is one function.
-- Nobody but service_role writes.

-- One predicate, inlined in each policy (app_private is closed to the API roles, so a helper
-- function there could not be called by them).
create or replace function app_private.secure_table(target regclass, authenticated_can_read boolean default true)
returns void
language plpgsql
set search_path = public, pg_temp
set client_min_messages = warning
as $$
declare
  seq record;
begin
  execute format('alter table %s enable row level security', target);
  execute format('revoke all on table %s from public, anon, authenticated, service_role', target);
  execute format('grant select, insert, update, delete on table %s to service_role', target);
  execute format('drop policy if exists service_role_all on %s', target);
  execute format('create policy service_role_all on %s as permissive for all to service_role using (true) with check (true)', target);
  execute format('drop policy if exists authenticated_read on %s', target);
  execute format('drop policy if exists admin_read on %s', target);
  execute format('drop policy if exists rep_read on %s', target);
  -- A new table is for admins (and the service role): a rep reads it only once app_private.rep_readable says so.
  if authenticated_can_read then
    execute format('grant select on table %s to authenticated', target);
    execute format(
      $p$create policy admin_read on %s as permissive for select to authenticated
         using (coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'role', '') = 'admin')$p$,
      target);
  end if;
  for seq in
    select s.oid::regclass as name
    from pg_catalog.pg_class s
    join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_class'::regclass and d.objid = s.oid
    where s.relkind = 'S' and d.refobjid = target and d.deptype in ('a', 'i')
  loop
    execute format('revoke all on sequence %s from public, anon, authenticated', seq.name);
    execute format('grant usage, select on sequence %s to service_role', seq.name);
  end loop;
end
$$;
revoke all on function app_private.secure_table(regclass, boolean) from public;

-- Reps (and admins) read this table.
create or replace function app_private.rep_readable(target regclass)
returns void
language plpgsql
set search_path = public, pg_temp
set client_min_messages = warning
as $$
begin
  execute format('grant select on table %s to authenticated', target);
  execute format('drop policy if exists rep_read on %s', target);
  execute format(
    $p$create policy rep_read on %s as permissive for select to authenticated
       using (coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'role', '') in ('rep', 'admin'))$p$,
    target);
end
$$;
revoke all on function app_private.rep_readable(regclass) from public;

do $access$
declare
  t text;
begin
  for t in select tablename from pg_tables where schemaname = 'public' order by tablename loop
    perform app_private.secure_table(
      format('public.%I', t)::regclass,
      authenticated_can_read => t not in (
        'settings', 'mailgun_webhook_tokens', 'admin_audit_log', 'alerts',
        'agent_call_rollup', 'agent_call_duration_rollup', 'agent_call_error_rollup', 'agent_call_rollup_state'
      )
    );
  end loop;
  foreach t in array array['courses', 'contacts', 'contact_enrichment', 'business_intelligence'] loop
    perform app_private.rep_readable(format('public.%I', t)::regclass);
  end loop;
end
$access$;
