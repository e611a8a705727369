-- Up Migration
-- What npm run clickup:setup stores, written by one database function instead of the script's own
-- SQL: the ClickUp ids (clickup_entities) and the 'clickup' settings row (it holds the webhook
-- secret: service_role only). Each row is written only when it changed; the answer counts what did.
--   payload: {entities: [{kind, key, clickup_id, meta}], settings_key, settings: {...} | null}

create or replace function public.save_clickup_setup(payload jsonb)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = public, pg_temp
as $$
declare
  v_row jsonb;
  v_changed integer;
  v_entities integer := 0;
  v_settings boolean := false;
begin
  if jsonb_typeof(payload) is distinct from 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  for v_row in select value from jsonb_array_elements(coalesce(payload->'entities', '[]'::jsonb)) loop
    insert into public.clickup_entities (kind, key, clickup_id, meta)
    values (v_row->>'kind', v_row->>'key', v_row->>'clickup_id', coalesce(v_row->'meta', '{}'::jsonb))
    on conflict (kind, key) do update
      set clickup_id = excluded.clickup_id, meta = excluded.meta, updated_at = now()
      where clickup_entities.clickup_id is distinct from excluded.clickup_id
         or clickup_entities.meta is distinct from excluded.meta;
    get diagnostics v_changed = row_count;
    v_entities := v_entities + v_changed;
  end loop;
  if jsonb_typeof(payload->'settings') = 'object' then
    insert into public.settings (key, value, description)
    values (payload->>'settings_key', payload->'settings', 'ClickUp ids, statuses, plan and webhook (with its secret), written by npm run clickup:setup')
    on conflict (key) do update set value = excluded.value, updated_at = now()
      where settings.value is distinct from excluded.value;
    get diagnostics v_changed = row_count;
    v_settings := v_changed > 0;
  end if;
  return jsonb_build_object('entities', v_entities, 'settings', v_settings);
end
$$;
select app_private.service_role_only('public.save_clickup_setup(jsonb)'::regprocedure);
