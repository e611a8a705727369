-- Model output guards recorded on the run.
--
-- A guard that fired on a model's answer (a score clamped, a repair call, 59 water hazards on 18
-- holes left unknown, a duplicate conversation starter dropped...) is kept on its run with what the
-- model said, so the benchmark and the dashboard can count them:
--   enrichment_runs.guards: [{agent, guard, field, raw, value, contact?}]
-- They arrive in the payloads the pipeline already sends (`guards` in apply_enrichment and
-- fail_enrichment_run): no extra round trip. Both functions are wrapped, not copied: the landed
-- bodies are renamed into app_private and the public functions validate `guards`, call them and
-- store the guards, all in the one transaction. A later migration that redefines either public
-- function must keep storing `guards` (see app_private.run_guards).

alter table public.enrichment_runs
  add column guards jsonb not null default '[]'::jsonb
    constraint enrichment_runs_guards_is_array check (jsonb_typeof(guards) = 'array');
comment on column public.enrichment_runs.guards is
  'Guards that fired on the models'' answers: [{agent, guard, field, raw, value, contact?}] (see migrations/20261202000600_output_guards.sql).';

-- payload.guards validated: an array (at most 500) of objects with text agent, guard and field;
-- raw and value any JSON; contact optional text. Absent or null → [].
create or replace function app_private.run_guards(payload jsonb)
returns jsonb
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  v_guards jsonb;
  v_guard jsonb;
  v_idx bigint;
  v_path text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    return '[]'::jsonb;
  end if;
  v_guards := coalesce(app_private.json_field(payload, 'guards', 'guards', 'array'), '[]'::jsonb);
  if jsonb_array_length(v_guards) > 500 then
    perform app_private.invalid_payload('guards', 'must have at most 500 entries');
  end if;
  for v_guard, v_idx in select e.value, e.ordinality - 1 from jsonb_array_elements(v_guards) with ordinality as e loop
    v_path := format('guards[%s]', v_idx);
    if jsonb_typeof(v_guard) <> 'object' then
      perform app_private.invalid_payload(v_path, 'must be an object {agent, guard, field, raw, value}');
    end if;
    perform app_private.text_field(v_guard, 'agent', v_path || '.agent', true);
    perform app_private.text_field(v_guard, 'guard', v_path || '.guard', true);
    perform app_private.text_field(v_guard, 'field', v_path || '.field', true);
    perform app_private.text_field(v_guard, 'contact', v_path || '.contact');
  end loop;
  return v_guards;
end
$$;
revoke all on function app_private.run_guards(jsonb) from public, anon, authenticated, service_role;
grant execute on function app_private.run_guards(jsonb) to service_role;

alter function public.apply_enrichment(jsonb) rename to apply_enrichment_without_guards;
alter function public.apply_enrichment_without_guards(jsonb) set schema app_private;
revoke all on function app_private.apply_enrichment_without_guards(jsonb) from public, anon, authenticated, service_role;
grant execute on function app_private.apply_enrichment_without_guards(jsonb) to service_role;

alter function public.fail_enrichment_run(jsonb) rename to fail_enrichment_run_without_guards;
alter function public.fail_enrichment_run_without_guards(jsonb) set schema app_private;
revoke all on function app_private.fail_enrichment_run_without_guards(jsonb) from public, anon, authenticated, service_role;
grant execute on function app_private.fail_enrichment_run_without_guards(jsonb) to service_role;

-- ---------------------------------------------------------------------------------------------
-- apply_enrichment: as before (migrations/20261202000400_corrections.sql), plus payload.guards
-- stored on the run when the result is applied (a repeat is the same no-op as before).
-- ---------------------------------------------------------------------------------------------
create function public.apply_enrichment(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_guards jsonb := app_private.run_guards(payload);
  v_result jsonb;
begin
  v_result := app_private.apply_enrichment_without_guards(payload);
  if (v_result ->> 'applied')::boolean then
    update public.enrichment_runs r set guards = v_guards where r.id = (v_result ->> 'run_id')::uuid;
  end if;
  return v_result;
end
$$;
select app_private.service_role_only('public.apply_enrichment(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- fail_enrichment_run: as before (migrations/20261124000200_enrichment_functions.sql), plus
-- payload.guards stored on the run it failed (a run already finished is left as it was).
-- ---------------------------------------------------------------------------------------------
create function public.fail_enrichment_run(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_guards jsonb := app_private.run_guards(payload);
  v_result jsonb;
begin
  v_result := app_private.fail_enrichment_run_without_guards(payload);
  if (v_result ->> 'changed')::boolean then
    update public.enrichment_runs r set guards = v_guards where r.id = (v_result -> 'run' ->> 'id')::uuid
    returning jsonb_set(v_result, '{run}', to_jsonb(r)) into v_result;
  end if;
  return v_result;
end
$$;
select app_private.service_role_only('public.fail_enrichment_run(jsonb)'::regprocedure);
