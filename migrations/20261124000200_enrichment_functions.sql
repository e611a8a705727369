-- Up Migration
-- Enrichment RPCs. Every one is public.<name>(payload jsonb) returns jsonb, so supabase-js
-- `.rpc(name, { payload })` and postgres.js `select public.<name>(payload => $1::jsonb)` call them
-- the same way. Each call is one statement, hence one transaction: an error anywhere writes nothing.
-- Invalid payloads raise SQLSTATE 22023 (invalid_parameter_value) with a message naming the field
-- (e.g. `contacts[2].email_score must be an integer between 0 and 100`); an unknown course raises
-- P0002 (no_data_found).
-- Locking order everywhere: the course row, then the run row.
-- The payload helpers (app_private.text_field and the like) are in 20261124000150_payload_helpers.

-- ---------------------------------------------------------------------------------------------
-- 1. upsert_course_for_enrichment
-- payload: {course_id?, course_name, state, source?, clickup_intake_task_id?}
-- Finds the course by course_id (creating it with that id if absent), else by
-- clickup_intake_task_id, else by name_key, else inserts it. A course found by id or intake task
-- takes the payload's course_name/state when they changed and no other course has that name_key.
-- If course_id is given but absent and another course already has the name_key, that course is
-- returned (its id differs from the one asked for). Sets clickup_intake_task_id when given, and
-- source when the course has none. Returns the course row.
-- ---------------------------------------------------------------------------------------------
create or replace function public.upsert_course_for_enrichment(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_course_id uuid;
  v_name text;
  v_state text;
  v_key text;
  v_source text;
  v_task_id text;
  v_course public.courses;
  v_found_by_identity boolean := false;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id');
  -- Keep the caller's capitalization, only tidy whitespace.
  v_name := regexp_replace(app_private.text_field(payload, 'course_name', 'course_name', true), '\s+', ' ', 'g');
  v_state := app_private.text_field(payload, 'state', 'state', true);
  v_key := lower(v_name) || '|' || lower(v_state);
  v_source := app_private.enum_field(payload, 'source', 'source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual']);
  v_task_id := app_private.text_field(payload, 'clickup_intake_task_id', 'clickup_intake_task_id');

  if v_course_id is not null then
    select * into v_course from public.courses c where c.id = v_course_id for update;
    if found then
      v_found_by_identity := true;
    else
      insert into public.courses (id, course_name, state, source, clickup_intake_task_id)
      values (v_course_id, v_name, v_state, v_source, v_task_id)
      on conflict do nothing
      returning * into v_course;
      if not found then
        -- Inserted concurrently under that id, or the name_key belongs to another course.
        select * into v_course from public.courses c where c.id = v_course_id for update;
        if found then
          v_found_by_identity := true;
        else
          select * into v_course from public.courses c where c.name_key = v_key for update;
        end if;
      end if;
    end if;
  end if;

  if v_course.id is null and v_task_id is not null then
    select * into v_course from public.courses c where c.clickup_intake_task_id = v_task_id for update;
    v_found_by_identity := found;
  end if;

  if v_course.id is null then
    insert into public.courses (course_name, state, source, clickup_intake_task_id)
    values (v_name, v_state, v_source, v_task_id)
    on conflict on constraint courses_name_key_key do nothing
    returning * into v_course;
    if not found then
      select * into v_course from public.courses c where c.name_key = v_key for update;
    end if;
  end if;

  if v_course.id is null then
    -- Only reachable when the intake task id is taken by a course that vanished meanwhile.
    raise exception using errcode = 'serialization_failure',
      message = 'course changed concurrently, retry upsert_course_for_enrichment';
  end if;

  if v_found_by_identity
     and (v_course.course_name is distinct from v_name or v_course.state is distinct from v_state)
     and not exists (select 1 from public.courses c where c.name_key = v_key and c.id <> v_course.id) then
    update public.courses c set course_name = v_name, state = v_state
    where c.id = v_course.id
    returning * into v_course;
  end if;

  if v_task_id is not null and v_course.clickup_intake_task_id is distinct from v_task_id then
    if exists (select 1 from public.courses c where c.clickup_intake_task_id = v_task_id and c.id <> v_course.id) then
      perform app_private.invalid_payload('clickup_intake_task_id',
        format('already belongs to another course (%s)', v_task_id));
    end if;
    update public.courses c set clickup_intake_task_id = v_task_id
    where c.id = v_course.id
    returning * into v_course;
  end if;

  if v_source is not null and v_course.source is null then
    update public.courses c set source = v_source
    where c.id = v_course.id
    returning * into v_course;
  end if;

  return to_jsonb(v_course);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- 2. start_enrichment_run
-- payload: {run_id, course_id, trigger_source, trigger_key?, callback_url?}
-- Inserts the run (status running, started_at now) unless it exists; a queued run moves to
-- running; a finished run is never moved back. A run that starts (or a running one replayed while
-- still the course's latest) makes the course `enriching` with last_run_id = run_id. Idempotent.
-- Returns {run, course}.
-- ---------------------------------------------------------------------------------------------
create or replace function public.start_enrichment_run(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_course_id uuid;
  v_trigger_source text;
  v_trigger_key text;
  v_callback_url text;
  v_course public.courses;
  v_run public.enrichment_runs;
  v_started boolean;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  v_trigger_source := app_private.enum_field(payload, 'trigger_source', 'trigger_source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual'], true);
  v_trigger_key := app_private.text_field(payload, 'trigger_key', 'trigger_key');
  v_callback_url := app_private.text_field(payload, 'callback_url', 'callback_url');

  v_course := app_private.lock_course(v_course_id);

  insert into public.enrichment_runs (id, course_id, trigger_source, trigger_key, callback_url, status, started_at)
  values (v_run_id, v_course_id, v_trigger_source, v_trigger_key, v_callback_url, 'running', now())
  on conflict (id) do nothing
  returning * into v_run;
  -- A run that starts now is the course's latest.
  v_started := found;

  if not v_started then
    select * into v_run from public.enrichment_runs r where r.id = v_run_id for update;
    if v_run.course_id <> v_course_id then
      perform app_private.invalid_payload('run_id', format('belongs to another course (%s)', v_run.course_id));
    end if;
    if v_run.status = 'queued' then
      update public.enrichment_runs r
      set status = 'running', started_at = coalesce(r.started_at, now())
      where r.id = v_run_id
      returning * into v_run;
      v_started := true;
    end if;
  end if;

  if v_started or (v_run.status = 'running' and app_private.run_owns_course_status(v_course, v_run_id)) then
    update public.courses c set status = 'enriching', last_run_id = v_run_id
    where c.id = v_course_id
    returning * into v_course;
  end if;

  return jsonb_build_object('run', to_jsonb(v_run), 'course', to_jsonb(v_course));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- 3. apply_enrichment
-- payload: {run_id, course_id, status: succeeded|partial, duration_ms?, cost_usd?, trigger_source?,
--   course?: {website?, listing_url?, phone?, address?, city?, details?, water_hazard_count?,
--             water_hazard_confidence?},
--   business_intelligence?: {segment, segment_confidence, range_intel?, opportunities?,
--             conversation_starters?, summary?, model?, water_hazard_count?},
--   contacts?: [{name, title?, email?, email_score?, email_status?, email_source?, linkedin_url?,
--             phone?, phone_type?, phone_source?, tenure_years?, previous_clubs?,
--             background_summary?, sources?}],
--   agent_calls?: [{agent, call_key, contact_name?, provider, model?, status, attempts?,
--             duration_ms?, input_tokens?, output_tokens?, cost_usd?, error?}]}
-- One transaction: course fields (non-null values overwrite; details are merged), course status
-- enriched|partial with enriched_at and last_error cleared (unless a newer run of the course is in
-- flight), business_intelligence replaced, contacts upserted by (course_id, name_key) (contacts
-- missing from the result are kept, is_active untouched), contact_enrichment upserted (non-null
-- values overwrite), agent_calls inserted (existing call_keys skipped), the run finished.
-- A run that was already applied changes nothing and returns applied: false.
-- A run that does not exist yet is created (trigger_source from the payload, default manual).
-- Returns {applied, run_id, course_id, course_status, contacts: [{id, name, title, clickup_task_id}]}
-- with the payload's contacts in payload order.
-- ---------------------------------------------------------------------------------------------
create or replace function public.apply_enrichment(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_course_id uuid;
  v_status text;
  v_duration_ms integer;
  v_cost_usd numeric;
  v_trigger_source text;
  v_course_in jsonb;
  v_bi jsonb;
  v_contacts jsonb;
  v_course public.courses;
  v_run public.enrichment_runs;
  v_owns_status boolean;
  v_name_keys text[] := array[]::text[];
  v_contact jsonb;
  v_idx bigint;
  v_path text;
  v_contact_id uuid;
  v_starter jsonb;
  v_opportunity record;
  v_water_hazards integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  v_status := app_private.enum_field(payload, 'status', 'status', array['succeeded', 'partial'], true);
  v_duration_ms := app_private.int_field(payload, 'duration_ms', 'duration_ms', false, 0);
  v_cost_usd := app_private.numeric_field(payload, 'cost_usd', 'cost_usd', false, 0);
  v_trigger_source := coalesce(app_private.enum_field(payload, 'trigger_source', 'trigger_source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual']), 'manual');
  v_course_in := coalesce(app_private.json_field(payload, 'course', 'course', 'object'), '{}'::jsonb);
  v_bi := app_private.json_field(payload, 'business_intelligence', 'business_intelligence', 'object');
  v_contacts := coalesce(app_private.json_field(payload, 'contacts', 'contacts', 'array'), '[]'::jsonb);
  perform app_private.json_field(payload, 'agent_calls', 'agent_calls', 'array');

  -- Names first: they identify the contacts, also in the no-op answer.
  for v_contact, v_idx in select e.value, e.ordinality - 1 from jsonb_array_elements(v_contacts) with ordinality as e loop
    if jsonb_typeof(v_contact) <> 'object' then
      perform app_private.invalid_payload(format('contacts[%s]', v_idx), 'must be an object');
    end if;
    v_name_keys := v_name_keys || app_private.normalize_key(
      app_private.text_field(v_contact, 'name', format('contacts[%s].name', v_idx), true));
  end loop;

  v_course := app_private.lock_course(v_course_id);

  select * into v_run from public.enrichment_runs r where r.id = v_run_id for update;
  if found then
    if v_run.course_id <> v_course_id then
      perform app_private.invalid_payload('run_id', format('belongs to another course (%s)', v_run.course_id));
    end if;
    if v_run.applied_at is not null then
      return jsonb_build_object(
        'applied', false,
        'run_id', v_run_id,
        'course_id', v_course_id,
        'run_status', v_run.status,
        'course_status', v_course.status,
        'contacts', app_private.contact_summaries(v_course_id, v_name_keys)
      );
    end if;
  else
    insert into public.enrichment_runs (id, course_id, trigger_source, status, started_at)
    values (v_run_id, v_course_id, v_trigger_source, 'running', now())
    returning * into v_run;
  end if;

  v_owns_status := app_private.run_owns_course_status(v_course, v_run_id);

  -- Course
  v_water_hazards := app_private.int_field(v_course_in, 'water_hazard_count', 'course.water_hazard_count', false, 0);
  update public.courses c set
    website = coalesce(app_private.text_field(v_course_in, 'website', 'course.website'), c.website),
    listing_url = coalesce(app_private.text_field(v_course_in, 'listing_url', 'course.listing_url'), c.listing_url),
    phone = coalesce(app_private.text_field(v_course_in, 'phone', 'course.phone'), c.phone),
    address = coalesce(app_private.text_field(v_course_in, 'address', 'course.address'), c.address),
    city = coalesce(app_private.text_field(v_course_in, 'city', 'course.city'), c.city),
    details = c.details || coalesce(app_private.json_field(v_course_in, 'details', 'course.details', 'object'), '{}'::jsonb),
    water_hazard_count = coalesce(v_water_hazards, c.water_hazard_count),
    water_hazard_confidence = coalesce(
      app_private.enum_field(v_course_in, 'water_hazard_confidence', 'course.water_hazard_confidence',
        array['low', 'medium', 'high']),
      c.water_hazard_confidence),
    status = case when v_owns_status then (case v_status when 'succeeded' then 'enriched' else 'partial' end) else c.status end,
    enriched_at = now(),
    last_error = case when v_owns_status then null else c.last_error end,
    last_run_id = case when v_owns_status then v_run_id else c.last_run_id end
  where c.id = v_course_id
  returning * into v_course;

  -- Business intelligence
  if v_bi is not null then
    for v_opportunity in
      select o.key, o.value from jsonb_each(coalesce(app_private.json_field(v_bi, 'opportunities',
        'business_intelligence.opportunities', 'object'), '{}'::jsonb)) as o
    loop
      perform app_private.int_field(jsonb_build_object('score', v_opportunity.value), 'score',
        format('business_intelligence.opportunities.%s', v_opportunity.key), true, 1, 10);
    end loop;
    for v_starter, v_idx in
      select e.value, e.ordinality - 1
      from jsonb_array_elements(coalesce(app_private.json_field(v_bi, 'conversation_starters',
        'business_intelligence.conversation_starters', 'array'), '[]'::jsonb)) with ordinality as e
    loop
      v_path := format('business_intelligence.conversation_starters[%s]', v_idx);
      if jsonb_typeof(v_starter) <> 'object' then
        perform app_private.invalid_payload(v_path, 'must be an object {text, score}');
      end if;
      perform app_private.text_field(v_starter, 'text', v_path || '.text', true);
      perform app_private.int_field(v_starter, 'score', v_path || '.score', true, 1, 10);
    end loop;

    insert into public.business_intelligence as b (
      course_id, segment, segment_confidence, range_intel, opportunities, conversation_starters,
      summary, water_hazard_count, model, run_id
    )
    values (
      v_course_id,
      app_private.enum_field(v_bi, 'segment', 'business_intelligence.segment', array['high-end', 'budget', 'both'], true),
      app_private.int_field(v_bi, 'segment_confidence', 'business_intelligence.segment_confidence', true, 1, 10),
      coalesce(app_private.field(v_bi, 'range_intel'), '{}'::jsonb),
      coalesce(app_private.field(v_bi, 'opportunities'), '{}'::jsonb),
      coalesce(app_private.field(v_bi, 'conversation_starters'), '[]'::jsonb),
      app_private.text_field(v_bi, 'summary', 'business_intelligence.summary'),
      coalesce(
        app_private.int_field(v_bi, 'water_hazard_count', 'business_intelligence.water_hazard_count', false, 0),
        v_course.water_hazard_count),
      app_private.text_field(v_bi, 'model', 'business_intelligence.model'),
      v_run_id
    )
    on conflict (course_id) do update set
      segment = excluded.segment,
      segment_confidence = excluded.segment_confidence,
      range_intel = excluded.range_intel,
      opportunities = excluded.opportunities,
      conversation_starters = excluded.conversation_starters,
      summary = excluded.summary,
      water_hazard_count = excluded.water_hazard_count,
      model = excluded.model,
      run_id = excluded.run_id;
  end if;

  -- Contacts and their enrichment
  for v_contact, v_idx in select e.value, e.ordinality - 1 from jsonb_array_elements(v_contacts) with ordinality as e loop
    v_path := format('contacts[%s]', v_idx);
    insert into public.contacts as c (course_id, full_name, title, last_verified_at, last_seen_run_id)
    values (
      v_course_id,
      regexp_replace(btrim(v_contact ->> 'name'), '\s+', ' ', 'g'),
      app_private.text_field(v_contact, 'title', v_path || '.title'),
      now(),
      v_run_id
    )
    on conflict on constraint contacts_course_id_name_key_key do update set
      full_name = excluded.full_name,
      title = coalesce(excluded.title, c.title),
      last_verified_at = excluded.last_verified_at,
      last_seen_run_id = excluded.last_seen_run_id
    returning c.id into v_contact_id;

    insert into public.contact_enrichment as e (
      contact_id, email, email_score, email_status, email_source, linkedin_url, phone, phone_type,
      phone_source, tenure_years, previous_clubs, background_summary, sources
    )
    values (
      v_contact_id,
      lower(app_private.text_field(v_contact, 'email', v_path || '.email')),
      app_private.int_field(v_contact, 'email_score', v_path || '.email_score', false, 0, 100),
      app_private.text_field(v_contact, 'email_status', v_path || '.email_status'),
      app_private.text_field(v_contact, 'email_source', v_path || '.email_source'),
      app_private.text_field(v_contact, 'linkedin_url', v_path || '.linkedin_url'),
      app_private.text_field(v_contact, 'phone', v_path || '.phone'),
      app_private.enum_field(v_contact, 'phone_type', v_path || '.phone_type', array['direct', 'course']),
      app_private.text_field(v_contact, 'phone_source', v_path || '.phone_source'),
      app_private.numeric_field(v_contact, 'tenure_years', v_path || '.tenure_years', false, 0, 1000),
      coalesce(app_private.json_field(v_contact, 'previous_clubs', v_path || '.previous_clubs', 'array'), '[]'::jsonb),
      app_private.text_field(v_contact, 'background_summary', v_path || '.background_summary'),
      app_private.field(v_contact, 'sources')
    )
    on conflict (contact_id) do update set
      email = coalesce(excluded.email, e.email),
      email_score = coalesce(excluded.email_score, e.email_score),
      email_status = coalesce(excluded.email_status, e.email_status),
      email_source = coalesce(excluded.email_source, e.email_source),
      linkedin_url = coalesce(excluded.linkedin_url, e.linkedin_url),
      phone = coalesce(excluded.phone, e.phone),
      phone_type = coalesce(excluded.phone_type, e.phone_type),
      phone_source = coalesce(excluded.phone_source, e.phone_source),
      tenure_years = coalesce(excluded.tenure_years, e.tenure_years),
      previous_clubs = case when v_contact ? 'previous_clubs' and jsonb_typeof(v_contact -> 'previous_clubs') = 'array'
                            then excluded.previous_clubs else e.previous_clubs end,
      background_summary = coalesce(excluded.background_summary, e.background_summary),
      sources = coalesce(excluded.sources, e.sources);
  end loop;

  perform app_private.record_agent_calls(v_run_id, v_course_id, app_private.field(payload, 'agent_calls'));

  update public.enrichment_runs r set
    status = v_status,
    error = null,
    started_at = coalesce(r.started_at, now()),
    finished_at = now(),
    applied_at = now(),
    cost_usd = coalesce(v_cost_usd, r.cost_usd),
    duration_ms = coalesce(v_duration_ms, r.duration_ms)
  where r.id = v_run_id
  returning * into v_run;

  return jsonb_build_object(
    'applied', true,
    'run_id', v_run_id,
    'course_id', v_course_id,
    'run_status', v_run.status,
    'course_status', v_course.status,
    'contacts', app_private.contact_summaries(v_course_id, v_name_keys)
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- 4. fail_enrichment_run
-- payload: {run_id, course_id, error, duration_ms?, cost_usd?, agent_calls?, trigger_source?}
-- The run becomes failed with the error and finished_at (created if it does not exist; trigger_source
-- from the payload, default manual); the course becomes failed with last_error (unless a newer run
-- of the course is in flight). A run that already succeeded, partially succeeded or failed is left
-- as it is (and so is the course): idempotent. Returns {run, course, changed}.
-- ---------------------------------------------------------------------------------------------
create or replace function public.fail_enrichment_run(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_course_id uuid;
  v_error text;
  v_duration_ms integer;
  v_cost_usd numeric;
  v_trigger_source text;
  v_course public.courses;
  v_run public.enrichment_runs;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  v_course_id := app_private.uuid_field(payload, 'course_id', 'course_id', true);
  v_error := app_private.text_field(payload, 'error', 'error', true);
  v_duration_ms := app_private.int_field(payload, 'duration_ms', 'duration_ms', false, 0);
  v_cost_usd := app_private.numeric_field(payload, 'cost_usd', 'cost_usd', false, 0);
  v_trigger_source := coalesce(app_private.enum_field(payload, 'trigger_source', 'trigger_source',
    array['clickup', 'supabase', 'api', 'csv', 'cron', 'manual']), 'manual');
  perform app_private.json_field(payload, 'agent_calls', 'agent_calls', 'array');

  v_course := app_private.lock_course(v_course_id);

  select * into v_run from public.enrichment_runs r where r.id = v_run_id for update;
  if found then
    if v_run.course_id <> v_course_id then
      perform app_private.invalid_payload('run_id', format('belongs to another course (%s)', v_run.course_id));
    end if;
    if v_run.status in ('succeeded', 'partial', 'failed') then
      return jsonb_build_object('run', to_jsonb(v_run), 'course', to_jsonb(v_course), 'changed', false);
    end if;
    update public.enrichment_runs r set
      status = 'failed',
      error = v_error,
      finished_at = now(),
      cost_usd = coalesce(v_cost_usd, r.cost_usd),
      duration_ms = coalesce(v_duration_ms, r.duration_ms)
    where r.id = v_run_id
    returning * into v_run;
  else
    insert into public.enrichment_runs (id, course_id, trigger_source, status, error, finished_at, cost_usd, duration_ms)
    values (v_run_id, v_course_id, v_trigger_source, 'failed', v_error, now(), v_cost_usd, v_duration_ms)
    returning * into v_run;
  end if;

  perform app_private.record_agent_calls(v_run_id, v_course_id, app_private.field(payload, 'agent_calls'));

  if app_private.run_owns_course_status(v_course, v_run_id) then
    update public.courses c set status = 'failed', last_error = v_error, last_run_id = v_run_id
    where c.id = v_course_id
    returning * into v_course;
  end if;

  return jsonb_build_object('run', to_jsonb(v_run), 'course', to_jsonb(v_course), 'changed', true);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- 5. get_enrichment_run
-- payload: {run_id} → {run, agent_calls: [...] (in recording order)} or null when unknown.
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_enrichment_run(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_run_id uuid;
  v_run public.enrichment_runs;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_run_id := app_private.uuid_field(payload, 'run_id', 'run_id', true);
  select * into v_run from public.enrichment_runs r where r.id = v_run_id;
  if not found then
    return null;
  end if;
  return jsonb_build_object(
    'run', to_jsonb(v_run),
    'agent_calls', coalesce(
      (select jsonb_agg(to_jsonb(a) order by a.id) from public.agent_calls a where a.run_id = v_run_id),
      '[]'::jsonb)
  );
end
$$;

select app_private.service_role_only('public.upsert_course_for_enrichment(jsonb)'::regprocedure);
select app_private.service_role_only('public.start_enrichment_run(jsonb)'::regprocedure);
select app_private.service_role_only('public.apply_enrichment(jsonb)'::regprocedure);
select app_private.service_role_only('public.fail_enrichment_run(jsonb)'::regprocedure);
select app_private.service_role_only('public.get_enrichment_run(jsonb)'::regprocedure);
