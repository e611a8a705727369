-- Up Migration
-- Roles, schemas and shared helpers.
--
-- These migrations run unchanged on Supabase, on a plain PostgreSQL server and on PGlite. Supabase
-- ships the API roles `anon`, `authenticated` and `service_role`; elsewhere they are created here
-- (NOLOGIN: nothing logs in as them, a privileged connection switches to them with SET ROLE).
-- No extension is needed: gen_random_uuid() is built in since PostgreSQL 13. pg_net, used by the
-- courses INSERT webhook, is optional and handled by its own migration.
-- Only "Up" sections: the Supabase CLI runs a whole file, so a down section would run too.

do $roles$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin noinherit', role_name);
      exception
        -- Roles are cluster-wide: another database on the same server may create it concurrently.
        when duplicate_object or unique_violation then
          null;
      end;
    end if;
  end loop;
end
$roles$;

grant usage on schema public to anon, authenticated, service_role;

-- Internal helpers live outside `public`, which Supabase exposes through its REST API.
create schema if not exists app_private;
revoke all on schema app_private from public;
-- service_role calls the RPC functions as itself (security invoker); they use the payload helpers.
grant usage on schema app_private to service_role;

-- updated_at bookkeeping: bumped only when a row really changes, so a no-op update leaves it alone.
-- Trigger arguments: the table's generated columns, which BEFORE triggers see as NULL in NEW.
create or replace function app_private.set_updated_at()
returns trigger
language plpgsql
set search_path = public, pg_temp
as $$
declare
  -- TG_ARGV is NULL, not empty, for a trigger without arguments.
  ignored text[] := array['updated_at'] || coalesce(tg_argv, array[]::text[]);
begin
  if (to_jsonb(new) - ignored) is distinct from (to_jsonb(old) - ignored) then
    new.updated_at := now();
  end if;
  return new;
end
$$;
revoke all on function app_private.set_updated_at() from public;

-- Applies the project's standard access rules to a table in `public`:
--   RLS on; service_role may do everything (an explicit policy, so it also holds where the role has
--   no BYPASSRLS); authenticated may read (unless authenticated_can_read is false); anon gets
--   nothing: no grant and no policy. Supabase's default privileges grant everything to the API
--   roles on new tables, hence the explicit revokes. Every new table must go through this.
create or replace function app_private.secure_table(target regclass, authenticated_can_read boolean default true)
returns void
language plpgsql
set search_path = public, pg_temp
-- Quiet the "policy ... does not exist, skipping" notices of the drops below.
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
  if authenticated_can_read then
    execute format('grant select on table %s to authenticated', target);
    execute format('create policy authenticated_read on %s as permissive for select to authenticated using (true)', target);
  end if;
  -- Sequences owned by the table's columns (identity / serial).
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

-- Restricts a function in `public` to service_role. Supabase grants EXECUTE on new functions to
-- the API roles by default, and PostgreSQL grants it to PUBLIC, hence the explicit revokes.
create or replace function app_private.service_role_only(target regprocedure)
returns void
language plpgsql
set search_path = public, pg_temp
as $$
begin
  execute format('revoke all on function %s from public, anon, authenticated', target);
  execute format('grant execute on function %s to service_role', target);
end
$$;
revoke all on function app_private.service_role_only(regprocedure) from public;
