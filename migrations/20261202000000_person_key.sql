-- Up Migration
-- One key for a person. app_private.person_key(name) is the identity of a person's name, computed
-- exactly as personKey() in src/lib/person-key.ts (the rules are written out there; the test
-- test/node/db/person-key.test.ts runs every case and every folded character through both).
-- contacts.name_key is now generated from it, so "Anne-Marie Lee" and "Anne Marie Lee" are one
-- contact, and every RPC that matches a person by name (apply_enrichment, record_agent_calls,
-- contact_summaries) uses it. Course names keep app_private.normalize_key.
--
-- Existing contacts that become one person under the new key (same course, same person_key) are
-- not deleted. Per group, deterministically, the keeper is the oldest active row (else the oldest
-- row; ties by id). The keeper takes what it lacks from the others, oldest first: title, the email
-- (with its score, status and source), LinkedIn, the phone (with its type and source), tenure,
-- previous clubs, background, sources, and the ClickUp lead task (with what was synced to it) when
-- it has none; it keeps the latest last_verified_at. Their agent calls move to it. The others stay as
-- they are otherwise (their enrichment, outreach history, and a ClickUp task of their own if the
-- keeper had one) but become is_active = false, inactive_reason = 'duplicate of <keeper id>',
-- duplicate_of = <keeper id>. Uniqueness is now a unique index over (course_id, name_key) of the rows
-- that are no duplicate (duplicate_of is null), rather than of the active rows: a contact made
-- inactive for another reason (left the club, bounced) still owns its key, so a later run updates
-- that row instead of creating a second one, as before.

-- ---------------------------------------------------------------------------------------------
-- person_key
-- ---------------------------------------------------------------------------------------------

create or replace function app_private.person_key(value text)
returns text
language plpgsql
immutable
strict
parallel safe
set search_path = public, pg_temp
as $$
declare
  folded text;
  cleaned text;
  words text[];
  n integer;
  result text;
begin
  -- 1. Fold with the table of src/lib/person-key.ts (never lower(), whose result depends on the locale).
  folded := replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(value,
    'ß', 'ss'), 'ẞ', 'ss'), 'Æ', 'ae'), 'æ', 'ae'), 'Œ', 'oe'), 'œ', 'oe'), 'Þ', 'th'), 'þ', 'th'), 'Ĳ', 'ij'), 'ĳ', 'ij');
  folded := translate(folded,
       'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
    || 'ÀÁÂÃÄÅàáâãäåĀāĂăĄąǍǎ'
    || 'ÇçĆćĈĉĊċČč'
    || 'ÐðĎďĐđ'
    || 'ÈÉÊËèéêëĒēĔĕĖėĘęĚě'
    || 'ĜĝĞğĠġĢģ'
    || 'ĤĥĦħ'
    || 'ÌÍÎÏìíîïĨĩĪīĬĭĮįİıǏǐ'
    || 'Ĵĵ'
    || 'Ķķĸ'
    || 'ĹĺĻļĽľĿŀŁł'
    || 'ÑñŃńŅņŇňŉŊŋ'
    || 'ÒÓÔÕÖØòóôõöøŌōŎŏŐőǑǒƠơ'
    || 'ŔŕŖŗŘř'
    || 'ŚśŜŝŞşŠšſȘș'
    || 'ŢţŤťŦŧȚț'
    || 'ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųǓǔƯư'
    || 'Ŵŵ'
    || 'ÝýÿŶŷŸ'
    || 'ŹźŻżŽž'
    -- apostrophes, double quotes, spaces
    || E'\u2018\u2019\u02bc\u0060\u00b4\u2032'
    || E'\u201c\u201d\u201e\u00ab\u00bb\u2033'
    || E'\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000',
       'abcdefghijklmnopqrstuvwxyz'
    || repeat('a', 20) || repeat('c', 10) || repeat('d', 6) || repeat('e', 18) || repeat('g', 8)
    || repeat('h', 4) || repeat('i', 20) || repeat('j', 2) || repeat('k', 3) || repeat('l', 10)
    || repeat('n', 11) || repeat('o', 22) || repeat('r', 6) || repeat('s', 11) || repeat('t', 8)
    || repeat('u', 24) || repeat('w', 2) || repeat('y', 6) || repeat('z', 6)
    || repeat('''', 6) || repeat('"', 6) || repeat(' ', 18));
  folded := regexp_replace(folded, '[\u0300-\u036f]', '', 'g');

  -- 2.-5. Periods vanish; other punctuation is space; nicknames and apostrophes vanish.
  cleaned := replace(folded, '.', '');
  cleaned := regexp_replace(cleaned, '[^a-z0-9''"()]', ' ', 'g');
  cleaned := regexp_replace(cleaned, '"[^"]*"', ' ', 'g');
  cleaned := regexp_replace(cleaned, '\([^)]*\)', ' ', 'g');
  cleaned := regexp_replace(cleaned, '(^| )''[^'']*''(?= |$)', ' ', 'g');
  cleaned := replace(cleaned, '''', '');
  cleaned := translate(cleaned, '"()', '   ');
  words := array_remove(string_to_array(cleaned, ' '), '');
  n := cardinality(words);

  -- No word at all: the folded text, control characters and spaces collapsed.
  if n = 0 then
    return btrim(regexp_replace(folded, '[\u0001-\u0020\u007f]+', ' ', 'g'), ' ');
  end if;

  -- 6. Honorifics in front, suffixes behind (while more than one word is left), middle initials.
  while n > 1 and words[1] = any (array['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'rev']) loop
    words := words[2:n];
    n := n - 1;
  end loop;
  while n > 1 and words[n] = any (array['jr', 'sr', 'ii', 'iii', 'iv', '2nd', '3rd', 'pga', 'lpga', 'phd',
                                         'md', 'mba', 'cpa', 'esq', 'cgcs', 'cgm', 'ccm', 'cce']) loop
    words := words[1:n - 1];
    n := n - 1;
  end loop;
  result := words[1];
  for i in 2..n loop
    if i = n or words[i] !~ '^[a-z]$' then
      result := result || ' ' || words[i];
    end if;
  end loop;
  return result;
end
$$;

-- Like the other app_private helpers the RPCs use (20261124000200's grant loop): service_role only.
-- service_role also needs it to insert contacts, whose generated name_key calls it.
revoke all on function app_private.person_key(text) from public, anon, authenticated, service_role;
grant execute on function app_private.person_key(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- contacts.name_key from person_key; existing duplicates marked (see the header)
-- ---------------------------------------------------------------------------------------------

alter table public.contacts
  add column duplicate_of uuid references public.contacts (id),
  add constraint contacts_duplicate_is_inactive check (duplicate_of is null or (not is_active and duplicate_of <> id));
comment on column public.contacts.duplicate_of is
  'The contact this row turned out to be the same person as (same course and person_key); such rows are inactive and own no name_key.';

do $dedupe$
declare
  grp record;
  keeper uuid;
  dup uuid;
  moved record;
begin
  for grp in
    select array_agg(c.id order by c.is_active desc, c.created_at, c.id) as ids
    from public.contacts c
    group by c.course_id, app_private.person_key(c.full_name)
    having count(*) > 1
    order by min(c.created_at), min(c.id::text)
  loop
    keeper := grp.ids[1];

    -- The ClickUp lead task: the keeper's own, else the first duplicate's that has one.
    if (select c.clickup_task_id from public.contacts c where c.id = keeper) is null then
      select c.id, c.clickup_task_id, c.clickup_synced, c.clickup_synced_at into moved
      from unnest(grp.ids[2:]) with ordinality as u(id, ord)
      join public.contacts c on c.id = u.id
      where c.clickup_task_id is not null
      order by u.ord
      limit 1;
      if found then
        update public.contacts c set clickup_task_id = null, clickup_synced = '{}'::jsonb, clickup_synced_at = null
        where c.id = moved.id;
        update public.contacts c
        set clickup_task_id = moved.clickup_task_id, clickup_synced = moved.clickup_synced, clickup_synced_at = moved.clickup_synced_at
        where c.id = keeper;
      end if;
    end if;

    update public.contacts k set
      title = coalesce(k.title, (select d.title from unnest(grp.ids[2:]) with ordinality as u(id, ord)
                                 join public.contacts d on d.id = u.id where d.title is not null order by u.ord limit 1)),
      last_verified_at = latest.last_verified_at,
      last_seen_run_id = latest.last_seen_run_id
    from (select c.last_verified_at, c.last_seen_run_id from public.contacts c where c.id = any (grp.ids)
          order by c.last_verified_at desc nulls last, c.id limit 1) latest
    where k.id = keeper;

    if exists (select 1 from public.contact_enrichment e where e.contact_id = any (grp.ids[2:])) then
      insert into public.contact_enrichment (contact_id) values (keeper) on conflict (contact_id) do nothing;
    end if;
    foreach dup in array grp.ids[2:] loop
      -- Fields that belong together move together (an email with its score, status and source).
      update public.contact_enrichment k set
        email = case when k.email is null and d.email is not null then d.email else k.email end,
        email_score = case when k.email is null and d.email is not null then d.email_score else k.email_score end,
        email_status = case when k.email is null and d.email is not null then d.email_status else k.email_status end,
        email_source = case when k.email is null and d.email is not null then d.email_source else k.email_source end,
        linkedin_url = coalesce(k.linkedin_url, d.linkedin_url),
        phone = case when k.phone is null and d.phone is not null then d.phone else k.phone end,
        phone_type = case when k.phone is null and d.phone is not null then d.phone_type else k.phone_type end,
        phone_source = case when k.phone is null and d.phone is not null then d.phone_source else k.phone_source end,
        tenure_years = coalesce(k.tenure_years, d.tenure_years),
        previous_clubs = case when k.previous_clubs = '[]'::jsonb then d.previous_clubs else k.previous_clubs end,
        background_summary = coalesce(k.background_summary, d.background_summary),
        sources = coalesce(k.sources, d.sources)
      from public.contact_enrichment d
      where k.contact_id = keeper and d.contact_id = dup;

      update public.agent_calls a set contact_id = keeper where a.contact_id = dup;
      update public.contacts c set is_active = false, inactive_reason = 'duplicate of ' || keeper, duplicate_of = keeper
      where c.id = dup;
    end loop;
  end loop;
end
$dedupe$;

alter table public.contacts drop constraint contacts_course_id_name_key_key;
alter table public.contacts drop column name_key;
-- The updated_at trigger already ignores a generated column of this name (it was created with 'name_key').
alter table public.contacts add column name_key text generated always as (app_private.person_key(full_name)) stored;
create unique index contacts_course_id_name_key_key on public.contacts (course_id, name_key) where duplicate_of is null;
comment on column public.contacts.name_key is 'app_private.person_key(full_name), = personKey() in src/lib/person-key.ts; unique per course among rows that are no duplicate.';
comment on table public.contacts is 'Staff of a course; one ClickUp lead task each. Unique per course by name_key (app_private.person_key), duplicates aside.';

-- ---------------------------------------------------------------------------------------------
-- The functions that match a person by name (latest definitions, person_key instead of normalize_key)
-- ---------------------------------------------------------------------------------------------

-- Records agent calls (idempotent on (run_id, call_key)); contact_name is matched to the course's
-- contacts by name_key (person_key).
create or replace function app_private.record_agent_calls(run_id uuid, course_id uuid, calls jsonb)
returns void
language plpgsql
set search_path = public, pg_temp
as $$
declare
  call jsonb;
  idx bigint;
  path text;
  contact_name text;
begin
  if calls is null then
    return;
  end if;
  for call, idx in select e.value, e.ordinality - 1 from jsonb_array_elements(calls) with ordinality as e loop
    path := format('agent_calls[%s]', idx);
    if jsonb_typeof(call) <> 'object' then
      perform app_private.invalid_payload(path, 'must be an object');
    end if;
    contact_name := app_private.text_field(call, 'contact_name', path || '.contact_name');
    insert into public.agent_calls as a (
      run_id, course_id, contact_id, contact_name, agent, call_key, provider, model, status,
      attempts, duration_ms, input_tokens, output_tokens, cost_usd, error
    )
    values (
      record_agent_calls.run_id,
      record_agent_calls.course_id,
      (select c.id from public.contacts c
        where c.course_id = record_agent_calls.course_id
          and c.name_key = app_private.person_key(contact_name)
          and c.duplicate_of is null),
      contact_name,
      app_private.text_field(call, 'agent', path || '.agent', true),
      app_private.text_field(call, 'call_key', path || '.call_key', true),
      app_private.text_field(call, 'provider', path || '.provider', true),
      app_private.text_field(call, 'model', path || '.model'),
      app_private.enum_field(call, 'status', path || '.status', array['succeeded', 'failed', 'skipped'], true),
      coalesce(app_private.int_field(call, 'attempts', path || '.attempts', false, 0), 1),
      app_private.int_field(call, 'duration_ms', path || '.duration_ms', false, 0),
      coalesce(app_private.int_field(call, 'input_tokens', path || '.input_tokens', false, 0), 0),
      coalesce(app_private.int_field(call, 'output_tokens', path || '.output_tokens', false, 0), 0),
      coalesce(app_private.numeric_field(call, 'cost_usd', path || '.cost_usd', false, 0), 0),
      app_private.text_field(call, 'error', path || '.error')
    )
    on conflict on constraint agent_calls_run_id_call_key_key do nothing;
  end loop;
end
$$;

-- Contacts of a course as the RPCs return them: [{id, name, name_key, title, clickup_task_id,
-- clickup_synced}], one per contact, in the order of the first of their keys among name_keys (null:
-- all contacts of the course by name_key). Duplicates (duplicate_of set) are never returned.
create or replace function app_private.contact_summaries(course_id uuid, name_keys text[])
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(jsonb_agg(
           jsonb_build_object('id', c.id, 'name', c.full_name, 'name_key', c.name_key, 'title', c.title,
                              'clickup_task_id', c.clickup_task_id, 'clickup_synced', c.clickup_synced)
           order by coalesce(k.ord, 0), c.name_key
         ), '[]'::jsonb)
  from public.contacts c
  left join lateral (
    select min(u.ord) as ord from unnest(name_keys) with ordinality as u(key, ord) where u.key = c.name_key
  ) k on true
  where c.course_id = contact_summaries.course_id
    and c.duplicate_of is null
    and (name_keys is null or k.ord is not null)
$$;

-- ---------------------------------------------------------------------------------------------
-- apply_enrichment
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
-- A contact's name_key is app_private.person_key(name). Payload contacts whose names share a key
-- ("Anne-Marie Lee", "Anne Marie Lee") are one contact: each entry is validated where it stands
-- (errors name its own index), then they are merged field by field, the first non-null (non-blank)
-- value in payload order winning, the name included.
-- A run that was already applied changes nothing and returns applied: false.
-- A run that does not exist yet is created (trigger_source from the payload, default manual).
-- Returns {applied, run_id, course_id, course_status,
--          contacts: [{id, name, name_key, title, clickup_task_id, clickup_synced}]}: one entry per
-- distinct name_key, in the order the keys first appear in the payload (pair them by name_key).
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
  v_key text;
  v_fields jsonb;
  v_merged jsonb := '{}'::jsonb;
  v_keys text[] := array[]::text[];
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
    v_name_keys := v_name_keys || app_private.person_key(
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

  -- Contacts: every entry validated under its own index, then the entries of one name_key merged
  -- (an earlier entry's non-null value wins), in the order the keys first appear.
  for v_contact, v_idx in select e.value, e.ordinality - 1 from jsonb_array_elements(v_contacts) with ordinality as e loop
    v_path := format('contacts[%s]', v_idx);
    select coalesce(jsonb_object_agg(f.key, f.value), '{}'::jsonb) into v_fields
    from jsonb_each(jsonb_build_object(
      'name', regexp_replace(btrim(v_contact ->> 'name'), '\s+', ' ', 'g'),
      'title', app_private.text_field(v_contact, 'title', v_path || '.title'),
      'email', lower(app_private.text_field(v_contact, 'email', v_path || '.email')),
      'email_score', app_private.int_field(v_contact, 'email_score', v_path || '.email_score', false, 0, 100),
      'email_status', app_private.text_field(v_contact, 'email_status', v_path || '.email_status'),
      'email_source', app_private.text_field(v_contact, 'email_source', v_path || '.email_source'),
      'linkedin_url', app_private.text_field(v_contact, 'linkedin_url', v_path || '.linkedin_url'),
      'phone', app_private.text_field(v_contact, 'phone', v_path || '.phone'),
      'phone_type', app_private.enum_field(v_contact, 'phone_type', v_path || '.phone_type', array['direct', 'course']),
      'phone_source', app_private.text_field(v_contact, 'phone_source', v_path || '.phone_source'),
      'tenure_years', app_private.numeric_field(v_contact, 'tenure_years', v_path || '.tenure_years', false, 0, 1000),
      'previous_clubs', app_private.json_field(v_contact, 'previous_clubs', v_path || '.previous_clubs', 'array'),
      'background_summary', app_private.text_field(v_contact, 'background_summary', v_path || '.background_summary'),
      'sources', app_private.field(v_contact, 'sources')
    )) as f
    where jsonb_typeof(f.value) <> 'null';
    v_key := v_name_keys[v_idx + 1];
    if v_merged ? v_key then
      v_merged := jsonb_set(v_merged, array[v_key], v_fields || (v_merged -> v_key));
    else
      v_merged := v_merged || jsonb_build_object(v_key, v_fields);
      v_keys := v_keys || v_key;
    end if;
  end loop;

  foreach v_key in array v_keys loop
    v_fields := v_merged -> v_key;
    insert into public.contacts as c (course_id, full_name, title, last_verified_at, last_seen_run_id)
    values (v_course_id, v_fields ->> 'name', v_fields ->> 'title', now(), v_run_id)
    on conflict (course_id, name_key) where duplicate_of is null do update set
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
      v_fields ->> 'email',
      (v_fields ->> 'email_score')::integer,
      v_fields ->> 'email_status',
      v_fields ->> 'email_source',
      v_fields ->> 'linkedin_url',
      v_fields ->> 'phone',
      v_fields ->> 'phone_type',
      v_fields ->> 'phone_source',
      (v_fields ->> 'tenure_years')::numeric,
      coalesce(v_fields -> 'previous_clubs', '[]'::jsonb),
      v_fields ->> 'background_summary',
      v_fields -> 'sources'
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
      previous_clubs = case when v_fields ? 'previous_clubs' then excluded.previous_clubs else e.previous_clubs end,
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

select app_private.service_role_only('public.apply_enrichment(jsonb)'::regprocedure);
