-- Up Migration
-- ClickUp → Supabase corrections. A sales rep who edits a lead task in ClickUp is right: the edited
-- field is applied here, audited, and owned by the rep from then on, so a later enrichment run keeps
-- it (and reports the machine's differing value as a suggestion) instead of overwriting it.
--   * field_ownership: per contact (email, phone, linkedin, name, title) and per course (segment,
--     confidence, website), the field a rep set, who, which ClickUp event, and when ClickUp says the
--     change happened (an older change never overwrites a newer one).
--   * sync_audit_log gains clickup_user_id, status (applied | duplicate | stale | unchanged |
--     conflict | invalid), source (webhook | reconcile), received_at and applied_at, and is readable
--     only by service_role and admins (JWT claim app_role = admin), no longer by every rep.
--   * apply_correction(payload): one field of one lead task, in one transaction, idempotent by
--     (event_id, field).
--   * apply_enrichment (redefined from 20261202000000): never overwrites a rep-owned field; its
--     result gains `suggestions`.
--   * contacts.lead_status / lead_status_at, lead_status_changes and record_lead_status: the lead
--     task's status history (idempotent by event_id, order-safe).
--   * record_email_verification: Hunter's verdict on a rep's email, if the contact still has it.
--   * get_lead_for_correction: what the corrections workflow reads about a lead task.
-- Locking order as everywhere: the course row, then the contact row.

-- ---------------------------------------------------------------------------------------------
-- Field ownership
-- ---------------------------------------------------------------------------------------------

create table public.field_ownership (
  entity text not null constraint field_ownership_entity_check check (entity in ('contact', 'course')),
  -- contacts.id (entity contact) or courses.id (entity course).
  entity_id uuid not null,
  field text not null,
  -- Who changed it in ClickUp (null when the reconcile job cannot tell).
  clickup_user_id bigint,
  -- The ClickUp event that set it (webhook_id:history_item_id, or reconcile:<task>:<date_updated>).
  event_id text not null constraint field_ownership_event_id_not_blank check (btrim(event_id) <> ''),
  -- When ClickUp says the change happened.
  changed_at timestamptz not null,
  applied_at timestamptz not null default now(),
  constraint field_ownership_pkey primary key (entity, entity_id, field),
  constraint field_ownership_field_check check (
    (entity = 'contact' and field in ('email', 'phone', 'linkedin', 'name', 'title'))
    or (entity = 'course' and field in ('segment', 'confidence', 'website')))
);
comment on table public.field_ownership is
  'Fields a sales rep set in ClickUp (per contact or course): enrichment keeps them and only suggests its own value.';
select app_private.secure_table('public.field_ownership'::regclass);

-- ---------------------------------------------------------------------------------------------
-- Audit log: what a correction did; service_role and admins only
-- ---------------------------------------------------------------------------------------------

alter table public.sync_audit_log
  add column clickup_user_id bigint,
  add column status text constraint sync_audit_log_status_check
    check (status in ('applied', 'duplicate', 'stale', 'unchanged', 'conflict', 'invalid')),
  add column source text constraint sync_audit_log_source_check check (source in ('webhook', 'reconcile')),
  add column received_at timestamptz,
  add column applied_at timestamptz;
comment on column public.sync_audit_log.status is
  'A correction''s outcome: applied | unchanged (the value was already there) | stale (an older change than the field''s owner) | conflict | invalid | duplicate.';
-- One audit row per (event, field) of a correction: what makes apply_correction idempotent.
create unique index sync_audit_log_correction_event_field_key
  on public.sync_audit_log (source_event_id, field)
  where direction = 'clickup_to_supabase' and status is not null;

-- Supabase puts the request's JWT claims in request.jwt.claims; elsewhere the setting is absent.
drop policy if exists authenticated_read on public.sync_audit_log;
drop policy if exists admin_read on public.sync_audit_log;
create policy admin_read on public.sync_audit_log as permissive for select to authenticated
  using (coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'app_role', '') = 'admin');
-- The select grant to authenticated stays (secure_table gave it): the policy decides.
grant select on table public.sync_audit_log to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Lead status history
-- ---------------------------------------------------------------------------------------------

alter table public.contacts
  add column lead_status text,
  add column lead_status_at timestamptz;
comment on column public.contacts.lead_status is 'The lead task''s latest ClickUp status (by when ClickUp says it changed).';

create table public.lead_status_changes (
  id bigint generated always as identity primary key,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null constraint lead_status_changes_status_not_blank check (btrim(status) <> ''),
  previous_status text,
  clickup_user_id bigint,
  event_id text not null constraint lead_status_changes_event_id_key unique,
  occurred_at timestamptz not null,
  created_at timestamptz not null default now()
);
comment on table public.lead_status_changes is 'Every status change of a lead task, once per ClickUp event, in any order of arrival.';
create index lead_status_changes_contact_id_idx on public.lead_status_changes (contact_id, occurred_at);
select app_private.secure_table('public.lead_status_changes'::regclass);

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- A timestamp at obj->key: an ISO 8601 string, or a number of milliseconds since the epoch.
create or replace function app_private.timestamptz_field(obj jsonb, key text, path text, required boolean default false)
returns timestamptz
language plpgsql
stable
set search_path = public, pg_temp
as $$
declare
  value jsonb := app_private.field(obj, key);
begin
  if value is null then
    if required then
      perform app_private.invalid_payload(path, 'is required');
    end if;
    return null;
  end if;
  if jsonb_typeof(value) = 'number' then
    return to_timestamp((value #>> '{}')::double precision / 1000);
  end if;
  if jsonb_typeof(value) <> 'string' or btrim(value #>> '{}') = '' then
    perform app_private.invalid_payload(path, 'must be an ISO 8601 timestamp (or milliseconds since the epoch)');
  end if;
  begin
    return (value #>> '{}')::timestamptz;
  exception
    when others then
      perform app_private.invalid_payload(path, 'must be an ISO 8601 timestamp (or milliseconds since the epoch)');
  end;
  return null;
end
$$;
revoke all on function app_private.timestamptz_field(jsonb, text, text, boolean) from public, anon, authenticated, service_role;
grant execute on function app_private.timestamptz_field(jsonb, text, text, boolean) to service_role;

-- The fields of a contact a rep owns (field_ownership, entity contact).
create or replace function app_private.owned_contact_fields(contact_id uuid)
returns text[]
language sql
stable
set search_path = public, pg_temp
as $$
  select coalesce(array_agg(o.field order by o.field), array[]::text[])
  from public.field_ownership o
  where o.entity = 'contact' and o.entity_id = owned_contact_fields.contact_id
$$;
revoke all on function app_private.owned_contact_fields(uuid) from public, anon, authenticated, service_role;
grant execute on function app_private.owned_contact_fields(uuid) to service_role;

-- ---------------------------------------------------------------------------------------------
-- apply_correction
-- payload: {task_id, field: email|phone|linkedin|name|title|segment|confidence|website,
--           value: string | number | null (null or blank: the rep emptied the field; the key is required),
--           event_id, occurred_at (ISO 8601, or ms epoch), source: webhook|reconcile,
--           clickup_user_id?, synced_key?, synced_value?, invalid_reason?}
-- One transaction. The contact is the one whose lead task is task_id (none: {status: not_a_lead},
-- nothing written). Outcomes (status):
--   duplicate  an audit row for (event_id, field) exists: nothing written (original_status says what it was);
--   invalid    invalid_reason given (the app refused the value), or the field cannot be emptied (name,
--              segment, confidence), or confidence on a course without a segment: audited only;
--   stale      occurred_at is older than the field's field_ownership.changed_at: audited only;
--   unchanged  the value is already there: ownership marked, clickup_synced updated, audited;
--   conflict   (name) another contact of the course that is no duplicate has that person_key: audited only;
--   applied    written: email → contact_enrichment.email (lower-cased; email_status 'unverified', or null
--              when emptied; email_score null; email_source 'rep'), phone → contact_enrichment.phone
--              (E.164 from the app; phone_type 'direct', phone_source 'rep'), linkedin →
--              contact_enrichment.linkedin_url, name → contacts.full_name (whitespace collapsed), title →
--              contacts.title, segment → business_intelligence.segment (the row is created with
--              segment_confidence 10 if missing), confidence (1..10) → segment_confidence, website →
--              courses.website; ownership marked, clickup_synced updated, audited.
-- field_ownership (entity contact: contact id; entity course: course id) takes clickup_user_id, event_id,
-- changed_at = occurred_at. With synced_key (applied and unchanged only), contacts.clickup_synced.fields
-- .<synced_key> = synced_value (merged, created if missing); a null or absent synced_value removes the
-- key, as the lead task writer leaves an empty field out.
-- Audit row: direction clickup_to_supabase, entity contacts|contact_enrichment|courses|business_intelligence,
-- entity_id, field, before, after (the proposed value, also when not applied), actor, source_event_id,
-- clickup_user_id, status, source, received_at, applied_at (status applied only).
-- Returns {status, applied, field, before, after, contact_id, course_id, reason?, original_status?,
--          conflicting_contact_id?}. Malformed payloads raise 22023 (unknown field, missing event_id,
-- confidence outside 1..10, segment not high-end|budget|both, a value of the wrong type).
-- ---------------------------------------------------------------------------------------------
create or replace function public.apply_correction(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_task_id text;
  v_field text;
  v_value jsonb;
  v_text text;
  v_number integer;
  v_event text;
  v_occurred timestamptz;
  v_source text;
  v_user bigint;
  v_synced_key text;
  v_synced_value jsonb;
  v_invalid_reason text;
  v_contact public.contacts;
  v_course public.courses;
  v_enrichment public.contact_enrichment;
  v_bi public.business_intelligence;
  v_owned public.field_ownership;
  v_prior public.sync_audit_log;
  v_other public.contacts;
  v_course_level boolean;
  v_audit_entity text;
  v_before jsonb;
  v_after jsonb;
  v_status text;
  v_reason text;
  v_extra jsonb := '{}'::jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_task_id := app_private.text_field(payload, 'task_id', 'task_id', true);
  v_field := app_private.enum_field(payload, 'field', 'field',
    array['email', 'phone', 'linkedin', 'name', 'title', 'segment', 'confidence', 'website'], true);
  v_event := app_private.text_field(payload, 'event_id', 'event_id', true);
  v_occurred := app_private.timestamptz_field(payload, 'occurred_at', 'occurred_at', true);
  v_source := app_private.enum_field(payload, 'source', 'source', array['webhook', 'reconcile'], true);
  v_user := app_private.numeric_field(payload, 'clickup_user_id', 'clickup_user_id', false, 0, null, true)::bigint;
  v_synced_key := app_private.text_field(payload, 'synced_key', 'synced_key');
  v_synced_value := coalesce(payload -> 'synced_value', 'null'::jsonb);
  v_invalid_reason := app_private.text_field(payload, 'invalid_reason', 'invalid_reason');
  if not payload ? 'value' then
    perform app_private.invalid_payload('value', 'is required (null when the rep emptied the field)');
  end if;
  v_value := payload -> 'value';

  -- The value, normalized (unless the app already refused it: then it is only audited, as given).
  if v_invalid_reason is not null then
    v_after := case when jsonb_typeof(v_value) = 'null' then null else v_value end;
  elsif v_field = 'confidence' then
    if jsonb_typeof(v_value) = 'string' and btrim(v_value #>> '{}') ~ '^[0-9]+$' then
      v_value := to_jsonb(btrim(v_value #>> '{}')::numeric);
    elsif jsonb_typeof(v_value) = 'string' and btrim(v_value #>> '{}') = '' then
      v_value := 'null'::jsonb;
    end if;
    v_number := app_private.int_field(jsonb_build_object('value', v_value), 'value', 'value', false, 1, 10);
    v_after := to_jsonb(v_number);
  else
    if jsonb_typeof(v_value) not in ('string', 'null') then
      perform app_private.invalid_payload('value', format('must be a string or null for %s', v_field));
    end if;
    v_text := app_private.text_field(payload, 'value', 'value');
    v_text := case v_field
      when 'email' then lower(v_text)
      when 'name' then regexp_replace(v_text, '\s+', ' ', 'g')
      when 'segment' then lower(v_text)
      else v_text
    end;
    if v_field = 'segment' and v_text is not null and not (v_text = any (array['high-end', 'budget', 'both'])) then
      perform app_private.invalid_payload('value', format('must be one of high-end, budget, both for segment (got %s)', v_text));
    end if;
    v_after := to_jsonb(v_text);
  end if;

  -- The lead; the course locked first, then the contact (the order apply_enrichment takes them in).
  select * into v_contact from public.contacts c where c.clickup_task_id = v_task_id;
  if found then
    select * into v_course from public.courses co where co.id = v_contact.course_id for update;
    select * into v_contact from public.contacts c where c.id = v_contact.id and c.clickup_task_id = v_task_id for update;
  end if;
  if v_contact.id is null then
    return jsonb_build_object('status', 'not_a_lead', 'applied', false, 'field', v_field, 'before', null,
      'after', v_after, 'contact_id', null, 'course_id', null,
      'reason', format('no contact has the lead task %s', v_task_id));
  end if;

  -- Idempotent: one audit row per (event, field).
  select * into v_prior from public.sync_audit_log a
   where a.direction = 'clickup_to_supabase' and a.status is not null
     and a.source_event_id = v_event and a.field = v_field
   order by a.id limit 1;
  if found then
    return jsonb_build_object('status', 'duplicate', 'applied', false, 'field', v_field, 'before', v_prior.before,
      'after', v_prior.after, 'contact_id', v_contact.id, 'course_id', v_contact.course_id,
      'reason', format('event %s was already processed for %s (%s)', v_event, v_field, v_prior.status),
      'original_status', v_prior.status);
  end if;

  v_course_level := v_field in ('segment', 'confidence', 'website');
  v_audit_entity := case
    when v_field in ('email', 'phone', 'linkedin') then 'contact_enrichment'
    when v_field in ('name', 'title') then 'contacts'
    when v_field in ('segment', 'confidence') then 'business_intelligence'
    else 'courses'
  end;
  -- No row: every field of the record is null.
  select * into v_enrichment from public.contact_enrichment e where e.contact_id = v_contact.id for update;
  select * into v_bi from public.business_intelligence b where b.course_id = v_contact.course_id for update;
  v_before := case v_field
    when 'email' then to_jsonb(v_enrichment.email)
    when 'phone' then to_jsonb(v_enrichment.phone)
    when 'linkedin' then to_jsonb(v_enrichment.linkedin_url)
    when 'name' then to_jsonb(v_contact.full_name)
    when 'title' then to_jsonb(v_contact.title)
    when 'segment' then to_jsonb(v_bi.segment)
    when 'confidence' then to_jsonb(v_bi.segment_confidence)
    when 'website' then to_jsonb(v_course.website)
  end;
  select * into v_owned from public.field_ownership o
   where o.entity = case when v_course_level then 'course' else 'contact' end
     and o.entity_id = case when v_course_level then v_contact.course_id else v_contact.id end
     and o.field = v_field
   for update;

  if v_invalid_reason is not null then
    v_status := 'invalid';
    v_reason := v_invalid_reason;
  elsif v_owned.entity is not null and v_occurred < v_owned.changed_at then
    v_status := 'stale';
    v_reason := format('a newer change (%s, event %s) already set %s', v_owned.changed_at, v_owned.event_id, v_field);
  elsif v_after is null and v_field in ('name', 'segment', 'confidence') then
    v_status := 'invalid';
    v_reason := format('%s cannot be emptied', v_field);
  elsif v_field = 'confidence' and v_bi.course_id is null then
    v_status := 'invalid';
    v_reason := 'the course has no segment yet: a confidence needs one';
  elsif v_before is not distinct from v_after then
    v_status := 'unchanged';
  else
    v_status := 'applied';
    if v_field = 'name' then
      select * into v_other from public.contacts o
       where o.course_id = v_contact.course_id and o.id <> v_contact.id and o.duplicate_of is null
         and o.name_key = app_private.person_key(v_text)
       order by o.is_active desc, o.created_at, o.id
       limit 1;
      if found then
        v_status := 'conflict';
        v_reason := format('another %scontact of the course (%s, %s) has the same name key (%s)',
          case when v_other.is_active then '' else 'inactive ' end, v_other.id, v_other.full_name, v_other.name_key);
        v_extra := jsonb_build_object('conflicting_contact_id', v_other.id);
      end if;
    end if;
  end if;

  if v_status = 'applied' then
    case v_field
      when 'email' then
        insert into public.contact_enrichment as e (contact_id, email, email_score, email_status, email_source)
        values (v_contact.id, v_text, null, case when v_text is null then null else 'unverified' end, 'rep')
        on conflict (contact_id) do update set
          email = excluded.email, email_score = null, email_status = excluded.email_status, email_source = 'rep';
      when 'phone' then
        insert into public.contact_enrichment as e (contact_id, phone, phone_type, phone_source)
        values (v_contact.id, v_text, case when v_text is null then null else 'direct' end, 'rep')
        on conflict (contact_id) do update set
          phone = excluded.phone, phone_type = excluded.phone_type, phone_source = 'rep';
      when 'linkedin' then
        insert into public.contact_enrichment as e (contact_id, linkedin_url)
        values (v_contact.id, v_text)
        on conflict (contact_id) do update set linkedin_url = excluded.linkedin_url;
      when 'name' then
        update public.contacts c set full_name = v_text where c.id = v_contact.id;
      when 'title' then
        update public.contacts c set title = v_text where c.id = v_contact.id;
      when 'segment' then
        insert into public.business_intelligence as b (course_id, segment, segment_confidence)
        values (v_contact.course_id, v_text, 10)
        on conflict (course_id) do update set segment = excluded.segment;
      when 'confidence' then
        update public.business_intelligence b set segment_confidence = v_number where b.course_id = v_contact.course_id;
      when 'website' then
        update public.courses co set website = v_text where co.id = v_contact.course_id;
    end case;
  end if;

  if v_status in ('applied', 'unchanged') then
    insert into public.field_ownership as o (entity, entity_id, field, clickup_user_id, event_id, changed_at, applied_at)
    values (case when v_course_level then 'course' else 'contact' end,
            case when v_course_level then v_contact.course_id else v_contact.id end,
            v_field, v_user, v_event, v_occurred, now())
    on conflict on constraint field_ownership_pkey do update set
      clickup_user_id = excluded.clickup_user_id,
      event_id = excluded.event_id,
      changed_at = excluded.changed_at,
      applied_at = excluded.applied_at;
    -- The lead task already shows the rep's value: the app's record of what ClickUp holds says so too
    -- (an empty field is no key, as the lead task writer records it).
    if v_synced_key is not null then
      update public.contacts c
         set clickup_synced = jsonb_set(
               case when jsonb_typeof(c.clickup_synced) = 'object' then c.clickup_synced else '{}'::jsonb end,
               '{fields}',
               case when jsonb_typeof(c.clickup_synced -> 'fields') = 'object' then c.clickup_synced -> 'fields' else '{}'::jsonb end
                 - v_synced_key
                 || case when jsonb_typeof(v_synced_value) = 'null' then '{}'::jsonb
                         else jsonb_build_object(v_synced_key, v_synced_value) end,
               true)
       where c.id = v_contact.id;
    end if;
  end if;

  insert into public.sync_audit_log (
    direction, entity, entity_id, field, before, after, actor, source_event_id,
    clickup_user_id, status, source, received_at, applied_at
  )
  values (
    'clickup_to_supabase', v_audit_entity,
    (case when v_course_level then v_contact.course_id else v_contact.id end)::text,
    v_field, v_before, v_after, v_user::text, v_event,
    v_user, v_status, v_source, now(), case when v_status = 'applied' then now() end
  );

  return jsonb_build_object('status', v_status, 'applied', v_status = 'applied', 'field', v_field,
      'before', v_before, 'after', v_after, 'contact_id', v_contact.id, 'course_id', v_contact.course_id)
    || case when v_reason is null then '{}'::jsonb else jsonb_build_object('reason', v_reason) end
    || v_extra;
end
$$;

select app_private.service_role_only('public.apply_correction(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- apply_enrichment (replaces 20261202000000's; the same but for fields a rep owns, see the end)
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
-- Returns {applied, run_id, course_id, run_status, course_status,
--          contacts: [{id, name, name_key, title, clickup_task_id, clickup_synced}], suggestions}:
-- one contacts entry per distinct name_key, in the order the keys first appear in the payload (pair
-- them by name_key).
-- Fields a rep owns (field_ownership, set by apply_correction) are kept: the course's website, the
-- business_intelligence segment and segment_confidence, and a contact's title, email (with its score,
-- status and source; score and status do follow the machine when it found that very address),
-- phone (with its type and source), linkedin_url, and the spelling of its name (the key is the
-- same by construction). Where the machine's value is non-null and differs from the kept one it is
-- reported: suggestions: [{entity: contact|course, contact_id (null for the course), field (the
-- field_ownership name: website, segment, confidence, name, title, email, phone, linkedin), kept,
-- suggested}], course fields first, then the contacts in the order of `contacts`; [] when none
-- (and in the no-op answer).
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
  v_suggestions jsonb := '[]'::jsonb;
  v_website text;
  v_website_owned boolean;
  v_segment text;
  v_confidence integer;
  v_segment_owned boolean;
  v_confidence_owned boolean;
  v_bi_before public.business_intelligence;
  v_existing public.contacts;
  v_existing_e public.contact_enrichment;
  v_owned text[];
  v_suggested jsonb;
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
        'contacts', app_private.contact_summaries(v_course_id, v_name_keys),
        'suggestions', '[]'::jsonb
      );
    end if;
  else
    insert into public.enrichment_runs (id, course_id, trigger_source, status, started_at)
    values (v_run_id, v_course_id, v_trigger_source, 'running', now())
    returning * into v_run;
  end if;

  v_owns_status := app_private.run_owns_course_status(v_course, v_run_id);

  -- Course (a website the rep set is kept)
  v_website := app_private.text_field(v_course_in, 'website', 'course.website');
  v_website_owned := exists (select 1 from public.field_ownership o
                              where o.entity = 'course' and o.entity_id = v_course_id and o.field = 'website');
  if v_website_owned and v_website is not null and v_website is distinct from v_course.website then
    v_suggestions := v_suggestions || jsonb_build_array(jsonb_build_object('entity', 'course', 'contact_id', null,
      'field', 'website', 'kept', v_course.website, 'suggested', v_website));
  end if;
  v_water_hazards := app_private.int_field(v_course_in, 'water_hazard_count', 'course.water_hazard_count', false, 0);
  update public.courses c set
    website = case when v_website_owned then c.website else coalesce(v_website, c.website) end,
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

    -- A segment or confidence the rep set is kept.
    v_segment := app_private.enum_field(v_bi, 'segment', 'business_intelligence.segment', array['high-end', 'budget', 'both'], true);
    v_confidence := app_private.int_field(v_bi, 'segment_confidence', 'business_intelligence.segment_confidence', true, 1, 10);
    select * into v_bi_before from public.business_intelligence b where b.course_id = v_course_id;
    v_segment_owned := v_bi_before.course_id is not null and exists (select 1 from public.field_ownership o
      where o.entity = 'course' and o.entity_id = v_course_id and o.field = 'segment');
    v_confidence_owned := v_bi_before.course_id is not null and exists (select 1 from public.field_ownership o
      where o.entity = 'course' and o.entity_id = v_course_id and o.field = 'confidence');
    if v_segment_owned and v_segment is distinct from v_bi_before.segment then
      v_suggestions := v_suggestions || jsonb_build_array(jsonb_build_object('entity', 'course', 'contact_id', null,
        'field', 'segment', 'kept', v_bi_before.segment, 'suggested', v_segment));
    end if;
    if v_confidence_owned and v_confidence is distinct from v_bi_before.segment_confidence then
      v_suggestions := v_suggestions || jsonb_build_array(jsonb_build_object('entity', 'course', 'contact_id', null,
        'field', 'confidence', 'kept', v_bi_before.segment_confidence, 'suggested', v_confidence));
    end if;

    insert into public.business_intelligence as b (
      course_id, segment, segment_confidence, range_intel, opportunities, conversation_starters,
      summary, water_hazard_count, model, run_id
    )
    values (
      v_course_id,
      v_segment,
      v_confidence,
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
      segment = case when v_segment_owned then b.segment else excluded.segment end,
      segment_confidence = case when v_confidence_owned then b.segment_confidence else excluded.segment_confidence end,
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
    -- The contact this key already is (the course is locked: nobody adds one meanwhile), and the
    -- fields its rep owns.
    select * into v_existing from public.contacts c
     where c.course_id = v_course_id and c.name_key = v_key and c.duplicate_of is null;
    v_owned := case when v_existing.id is null then array[]::text[] else app_private.owned_contact_fields(v_existing.id) end;
    insert into public.contacts as c (course_id, full_name, title, last_verified_at, last_seen_run_id)
    values (v_course_id, v_fields ->> 'name', v_fields ->> 'title', now(), v_run_id)
    on conflict (course_id, name_key) where duplicate_of is null do update set
      full_name = case when 'name' = any (v_owned) then c.full_name else excluded.full_name end,
      title = case when 'title' = any (v_owned) then c.title else coalesce(excluded.title, c.title) end,
      last_verified_at = excluded.last_verified_at,
      last_seen_run_id = excluded.last_seen_run_id
    returning c.id into v_contact_id;

    -- Owned enrichment fields are kept, also where the contact has no enrichment row yet (a rep who
    -- emptied a field owns it empty).
    select * into v_existing_e from public.contact_enrichment e where e.contact_id = v_contact_id;
    for v_suggested in
      select jsonb_build_object('entity', 'contact', 'contact_id', v_contact_id, 'field', f.field,
                                'kept', f.kept, 'suggested', f.suggested)
      from (values
        (1, 'name', to_jsonb(v_existing.full_name), v_fields -> 'name'),
        (2, 'title', to_jsonb(v_existing.title), v_fields -> 'title'),
        (3, 'email', to_jsonb(v_existing_e.email), v_fields -> 'email'),
        (4, 'phone', to_jsonb(v_existing_e.phone), v_fields -> 'phone'),
        (5, 'linkedin', to_jsonb(v_existing_e.linkedin_url), v_fields -> 'linkedin_url')
      ) as f(ord, field, kept, suggested)
      where f.field = any (v_owned) and f.suggested is not null and f.suggested is distinct from f.kept
      order by f.ord
    loop
      v_suggestions := v_suggestions || jsonb_build_array(v_suggested);
    end loop;

    insert into public.contact_enrichment as e (
      contact_id, email, email_score, email_status, email_source, linkedin_url, phone, phone_type,
      phone_source, tenure_years, previous_clubs, background_summary, sources
    )
    values (
      v_contact_id,
      case when 'email' = any (v_owned) then null else v_fields ->> 'email' end,
      case when 'email' = any (v_owned) then null else (v_fields ->> 'email_score')::integer end,
      case when 'email' = any (v_owned) then null else v_fields ->> 'email_status' end,
      case when 'email' = any (v_owned) then 'rep' else v_fields ->> 'email_source' end,
      case when 'linkedin' = any (v_owned) then null else v_fields ->> 'linkedin_url' end,
      case when 'phone' = any (v_owned) then null else v_fields ->> 'phone' end,
      case when 'phone' = any (v_owned) then null else v_fields ->> 'phone_type' end,
      case when 'phone' = any (v_owned) then 'rep' else v_fields ->> 'phone_source' end,
      (v_fields ->> 'tenure_years')::numeric,
      coalesce(v_fields -> 'previous_clubs', '[]'::jsonb),
      v_fields ->> 'background_summary',
      v_fields -> 'sources'
    )
    on conflict (contact_id) do update set
      email = case when 'email' = any (v_owned) then e.email else coalesce(excluded.email, e.email) end,
      -- A verdict on the rep's own address (the machine found that very email) is still news.
      email_score = case
        when not ('email' = any (v_owned)) then coalesce(excluded.email_score, e.email_score)
        when lower(v_fields ->> 'email') = lower(e.email) then coalesce((v_fields ->> 'email_score')::integer, e.email_score)
        else e.email_score end,
      email_status = case
        when not ('email' = any (v_owned)) then coalesce(excluded.email_status, e.email_status)
        when lower(v_fields ->> 'email') = lower(e.email) then coalesce(v_fields ->> 'email_status', e.email_status)
        else e.email_status end,
      email_source = case when 'email' = any (v_owned) then e.email_source else coalesce(excluded.email_source, e.email_source) end,
      linkedin_url = case when 'linkedin' = any (v_owned) then e.linkedin_url else coalesce(excluded.linkedin_url, e.linkedin_url) end,
      phone = case when 'phone' = any (v_owned) then e.phone else coalesce(excluded.phone, e.phone) end,
      phone_type = case when 'phone' = any (v_owned) then e.phone_type else coalesce(excluded.phone_type, e.phone_type) end,
      phone_source = case when 'phone' = any (v_owned) then e.phone_source else coalesce(excluded.phone_source, e.phone_source) end,
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
    'contacts', app_private.contact_summaries(v_course_id, v_name_keys),
    'suggestions', v_suggestions
  );
end
$$;

select app_private.service_role_only('public.apply_enrichment(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- record_lead_status
-- payload: {task_id, status, previous_status?, clickup_user_id?, event_id, occurred_at (ISO 8601, or ms epoch)}
-- Keeps the change in lead_status_changes once per event_id (statuses trimmed and lower-cased), and
-- sets contacts.lead_status / lead_status_at unless the contact already has a status from a later
-- moment (an older change that arrives late is history only).
-- Returns {recorded, contact_id, current (whether it is now the contact's status), lead_status,
--          reason?}: recorded false for a repeated event (reason duplicate) or a task that is no
-- lead (reason not_a_lead, contact_id null).
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_lead_status(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_task_id text;
  v_status text;
  v_previous text;
  v_user bigint;
  v_event text;
  v_occurred timestamptz;
  v_contact public.contacts;
  v_inserted integer;
  v_current boolean := false;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_task_id := app_private.text_field(payload, 'task_id', 'task_id', true);
  v_status := lower(app_private.text_field(payload, 'status', 'status', true));
  v_previous := lower(app_private.text_field(payload, 'previous_status', 'previous_status'));
  v_user := app_private.numeric_field(payload, 'clickup_user_id', 'clickup_user_id', false, 0, null, true)::bigint;
  v_event := app_private.text_field(payload, 'event_id', 'event_id', true);
  v_occurred := app_private.timestamptz_field(payload, 'occurred_at', 'occurred_at', true);

  select * into v_contact from public.contacts c where c.clickup_task_id = v_task_id for update;
  if not found then
    return jsonb_build_object('recorded', false, 'contact_id', null, 'current', false, 'lead_status', null,
      'reason', 'not_a_lead');
  end if;

  insert into public.lead_status_changes (contact_id, status, previous_status, clickup_user_id, event_id, occurred_at)
  values (v_contact.id, v_status, v_previous, v_user, v_event, v_occurred)
  on conflict on constraint lead_status_changes_event_id_key do nothing;
  get diagnostics v_inserted = row_count;
  if v_inserted = 0 then
    return jsonb_build_object('recorded', false, 'contact_id', v_contact.id, 'current', false,
      'lead_status', v_contact.lead_status, 'reason', 'duplicate');
  end if;

  if v_contact.lead_status_at is null or v_occurred >= v_contact.lead_status_at then
    update public.contacts c set lead_status = v_status, lead_status_at = v_occurred where c.id = v_contact.id;
    v_current := true;
  end if;
  return jsonb_build_object('recorded', true, 'contact_id', v_contact.id, 'current', v_current,
    'lead_status', case when v_current then v_status else v_contact.lead_status end);
end
$$;

select app_private.service_role_only('public.record_lead_status(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- record_email_verification
-- payload: {contact_id, email, status, score? (0..100)}
-- Hunter's verdict on an email (a rep's): email_status and email_score are set only if the contact's
-- email is still that address (compared lower-cased); a verdict on an email the rep has replaced
-- since is dropped. Returns {recorded}.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_email_verification(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_contact_id uuid;
  v_email text;
  v_status text;
  v_score integer;
  v_count integer;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_contact_id := app_private.uuid_field(payload, 'contact_id', 'contact_id', true);
  v_email := lower(app_private.text_field(payload, 'email', 'email', true));
  v_status := app_private.text_field(payload, 'status', 'status', true);
  v_score := app_private.int_field(payload, 'score', 'score', false, 0, 100);

  update public.contact_enrichment e
     set email_status = v_status, email_score = v_score
   where e.contact_id = v_contact_id and lower(e.email) = v_email;
  get diagnostics v_count = row_count;
  return jsonb_build_object('recorded', v_count > 0);
end
$$;

select app_private.service_role_only('public.record_email_verification(jsonb)'::regprocedure);

-- ---------------------------------------------------------------------------------------------
-- get_lead_for_correction
-- payload: {task_id} → null (no contact has that lead task) or
--   {contact_id, course_id, course_name, course_state, full_name, title, is_active, lead_status,
--    email, email_status, phone, linkedin_url, website, segment, segment_confidence, clickup_synced,
--    ownership: {<field>: {changed_at, clickup_user_id}}}
-- ownership holds the contact's owned fields and its course's (segment, confidence, website).
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_lead_for_correction(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_task_id text;
  v_result jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_task_id := app_private.text_field(payload, 'task_id', 'task_id', true);
  select jsonb_build_object(
           'contact_id', c.id,
           'course_id', c.course_id,
           'course_name', co.course_name,
           'course_state', co.state,
           'full_name', c.full_name,
           'title', c.title,
           'is_active', c.is_active,
           'lead_status', c.lead_status,
           'email', e.email,
           'email_status', e.email_status,
           'phone', e.phone,
           'linkedin_url', e.linkedin_url,
           'website', co.website,
           'segment', b.segment,
           'segment_confidence', b.segment_confidence,
           'clickup_synced', c.clickup_synced,
           'ownership', coalesce((
             select jsonb_object_agg(o.field, jsonb_build_object('changed_at', o.changed_at, 'clickup_user_id', o.clickup_user_id))
               from public.field_ownership o
              where (o.entity = 'contact' and o.entity_id = c.id) or (o.entity = 'course' and o.entity_id = c.course_id)),
             '{}'::jsonb))
    into v_result
    from public.contacts c
    join public.courses co on co.id = c.course_id
    left join public.contact_enrichment e on e.contact_id = c.id
    left join public.business_intelligence b on b.course_id = c.course_id
   where c.clickup_task_id = v_task_id;
  return v_result;
end
$$;

select app_private.service_role_only('public.get_lead_for_correction(jsonb)'::regprocedure);
