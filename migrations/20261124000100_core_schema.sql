-- Up Migration
-- Core data model. Supabase is the source of truth; ClickUp ids are stored next to the rows they
-- mirror. Every table goes through app_private.secure_table (RLS, grants, policies) at the end.

-- Normalized identity keys: trimmed, whitespace collapsed, lower-cased.
create or replace function app_private.normalize_key(value text)
returns text
language sql
immutable
parallel safe
set search_path = public, pg_temp
as $$
  select lower(regexp_replace(btrim(value), '\s+', ' ', 'g'))
$$;
revoke all on function app_private.normalize_key(text) from public;

-- ---------------------------------------------------------------------------------------------
-- Courses and their enrichment
-- ---------------------------------------------------------------------------------------------

create table public.courses (
  id uuid primary key default gen_random_uuid(),
  course_name text not null constraint courses_course_name_not_blank check (btrim(course_name) <> ''),
  -- The app normalizes to a 2-letter code; rows typed into Supabase by hand may hold a full name.
  state text not null constraint courses_state_not_blank check (btrim(state) <> ''),
  -- Written out (not via normalize_key) so the generation expression depends on built-ins only.
  name_key text generated always as (
    lower(regexp_replace(btrim(course_name), '\s+', ' ', 'g')) || '|' || lower(btrim(state))
  ) stored,
  status text not null default 'pending_enrichment'
    constraint courses_status_check
    check (status in ('pending_enrichment', 'enriching', 'enriched', 'partial', 'failed')),
  website text,
  listing_url text,
  phone text,
  address text,
  city text,
  -- Other course facts from the extractor (holes, par, type, amenities, ...).
  details jsonb not null default '{}'::jsonb
    constraint courses_details_is_object check (jsonb_typeof(details) = 'object'),
  water_hazard_count integer constraint courses_water_hazard_count_check check (water_hazard_count >= 0),
  water_hazard_confidence text
    constraint courses_water_hazard_confidence_check check (water_hazard_confidence in ('low', 'medium', 'high')),
  clickup_intake_task_id text constraint courses_clickup_intake_task_id_key unique,
  -- Where the course came from: clickup | supabase | api | csv | cron | manual.
  source text
    constraint courses_source_check check (source in ('clickup', 'supabase', 'api', 'csv', 'cron', 'manual')),
  last_error text,
  last_run_id uuid,
  enriched_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint courses_name_key_key unique (name_key)
);
comment on table public.courses is 'Golf courses: one row per (name, state); the unit of enrichment.';
comment on column public.courses.name_key is 'lower(collapsed-whitespace course_name)|lower(state); unique.';
comment on column public.courses.last_run_id is 'The enrichment run that last started, finished or failed for this course.';

create table public.enrichment_runs (
  -- The API's job_id.
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  trigger_source text not null
    constraint enrichment_runs_trigger_source_check
    check (trigger_source in ('clickup', 'supabase', 'api', 'csv', 'cron', 'manual')),
  -- What triggered it, e.g. a ClickUp webhook_id:history_item_id, an intake task id, a CSV row.
  trigger_key text,
  status text not null default 'queued'
    constraint enrichment_runs_status_check
    check (status in ('queued', 'running', 'succeeded', 'partial', 'failed')),
  error text,
  cost_usd numeric(12, 6) constraint enrichment_runs_cost_usd_check check (cost_usd >= 0),
  duration_ms integer constraint enrichment_runs_duration_ms_check check (duration_ms >= 0),
  callback_url text,
  started_at timestamptz,
  finished_at timestamptz,
  -- Set once apply_enrichment has written the result; makes re-applying a no-op.
  applied_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.enrichment_runs is 'One enrichment attempt of a course; id is the API job_id.';
create index enrichment_runs_course_id_created_at_idx on public.enrichment_runs (course_id, created_at desc);
create index enrichment_runs_active_idx on public.enrichment_runs (course_id) where status in ('queued', 'running');

alter table public.courses
  add constraint courses_last_run_id_fkey
  foreign key (last_run_id) references public.enrichment_runs (id) on delete set null;

create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  full_name text not null constraint contacts_full_name_not_blank check (btrim(full_name) <> ''),
  name_key text generated always as (lower(regexp_replace(btrim(full_name), '\s+', ' ', 'g'))) stored,
  title text,
  is_active boolean not null default true,
  -- Why the contact went inactive (left the club, bounced, ...), for the freshness cron.
  inactive_reason text,
  last_verified_at timestamptz,
  -- The enrichment run that last reported this contact.
  last_seen_run_id uuid references public.enrichment_runs (id) on delete set null,
  clickup_task_id text constraint contacts_clickup_task_id_key unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint contacts_course_id_name_key_key unique (course_id, name_key)
);
comment on table public.contacts is 'Staff of a course; one ClickUp lead task each. Unique per course by name_key.';
create index contacts_last_verified_at_idx on public.contacts (last_verified_at) where is_active;

create table public.contact_enrichment (
  contact_id uuid primary key references public.contacts (id) on delete cascade,
  email text,
  email_score integer constraint contact_enrichment_email_score_check check (email_score between 0 and 100),
  -- Hunter's verification status (valid, invalid, accept_all, webmail, disposable, unknown, ...).
  email_status text,
  email_source text,
  linkedin_url text,
  phone text,
  phone_type text constraint contact_enrichment_phone_type_check check (phone_type in ('direct', 'course')),
  phone_source text,
  tenure_years numeric(5, 1) constraint contact_enrichment_tenure_years_check check (tenure_years >= 0),
  previous_clubs jsonb not null default '[]'::jsonb
    constraint contact_enrichment_previous_clubs_is_array check (jsonb_typeof(previous_clubs) = 'array'),
  background_summary text,
  sources jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.contact_enrichment is 'What the agents found about a contact (A3 email/LinkedIn, A5 phone, A6.5 background).';
create index contact_enrichment_email_idx on public.contact_enrichment (lower(email)) where email is not null;

create table public.business_intelligence (
  course_id uuid primary key references public.courses (id) on delete cascade,
  segment text not null
    constraint business_intelligence_segment_check check (segment in ('high-end', 'budget', 'both')),
  segment_confidence integer not null
    constraint business_intelligence_segment_confidence_check check (segment_confidence between 1 and 10),
  range_intel jsonb not null default '{}'::jsonb,
  -- {opportunity_name: score 1..10}, e.g. {"range_ball_buy": 8, "range_ball_lease": 9}.
  opportunities jsonb not null default '{}'::jsonb
    constraint business_intelligence_opportunities_is_object check (jsonb_typeof(opportunities) = 'object'),
  -- [{text, score 1..10}]
  conversation_starters jsonb not null default '[]'::jsonb
    constraint business_intelligence_conversation_starters_is_array check (jsonb_typeof(conversation_starters) = 'array'),
  summary text,
  water_hazard_count integer constraint business_intelligence_water_hazard_count_check check (water_hazard_count >= 0),
  model text,
  run_id uuid references public.enrichment_runs (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.business_intelligence is 'Course-level intel (A6 + A7): segment, opportunities, conversation starters. One row per course.';

create table public.agent_calls (
  id bigint generated always as identity primary key,
  run_id uuid not null references public.enrichment_runs (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  contact_id uuid references public.contacts (id) on delete set null,
  contact_name text,
  -- A1, A2, A3, A5, A6, A6.5, A7, A8, ...
  agent text not null constraint agent_calls_agent_not_blank check (btrim(agent) <> ''),
  -- Unique within the run, e.g. "A3:stacy foster"; makes recording calls idempotent.
  call_key text not null,
  provider text not null,
  model text,
  status text not null constraint agent_calls_status_check check (status in ('succeeded', 'failed', 'skipped')),
  attempts integer not null default 1 constraint agent_calls_attempts_check check (attempts >= 0),
  duration_ms integer constraint agent_calls_duration_ms_check check (duration_ms >= 0),
  input_tokens integer not null default 0 constraint agent_calls_input_tokens_check check (input_tokens >= 0),
  output_tokens integer not null default 0 constraint agent_calls_output_tokens_check check (output_tokens >= 0),
  cost_usd numeric(12, 6) not null default 0 constraint agent_calls_cost_usd_check check (cost_usd >= 0),
  error text,
  created_at timestamptz not null default now(),
  constraint agent_calls_run_id_call_key_key unique (run_id, call_key)
);
comment on table public.agent_calls is 'One provider call (or skipped step) of an enrichment run: cost, tokens, timing.';
create index agent_calls_course_id_idx on public.agent_calls (course_id);
create index agent_calls_contact_id_idx on public.agent_calls (contact_id) where contact_id is not null;
create index agent_calls_agent_created_at_idx on public.agent_calls (agent, created_at);

-- ---------------------------------------------------------------------------------------------
-- ClickUp integration, routing and outreach (later stages)
-- ---------------------------------------------------------------------------------------------

create table public.settings (
  key text primary key,
  value jsonb not null,
  description text,
  updated_at timestamptz not null default now()
);
comment on table public.settings is 'App configuration (ClickUp ids, app_url, webhook secrets). service_role only: it holds secrets.';

create table public.clickup_entities (
  id bigint generated always as identity primary key,
  -- space | folder | list | custom_field | dropdown_option | status | webhook | user | ...
  kind text not null constraint clickup_entities_kind_not_blank check (btrim(kind) <> ''),
  -- The app's own name for it, e.g. folder "high-end", custom_field "email", dropdown_option "segment:budget".
  key text not null,
  clickup_id text not null,
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint clickup_entities_kind_key_key unique (kind, key)
);
comment on table public.clickup_entities is 'ClickUp objects the app provisioned or discovered, by (kind, key).';
create index clickup_entities_clickup_id_idx on public.clickup_entities (clickup_id);

create table public.routing_rules (
  id uuid primary key default gen_random_uuid(),
  -- Lower runs first; the first active matching rule wins.
  priority integer not null default 100,
  -- null matches any segment / any state.
  segment text constraint routing_rules_segment_check check (segment in ('high-end', 'budget', 'both')),
  state text,
  assignee_clickup_user_id bigint not null,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.routing_rules is 'Which sales rep gets a new lead, by segment and state.';
create index routing_rules_active_priority_idx on public.routing_rules (priority) where active;

create table public.outreach_templates (
  id uuid primary key default gen_random_uuid(),
  segment text not null constraint outreach_templates_segment_check check (segment in ('high-end', 'budget', 'both')),
  step integer not null constraint outreach_templates_step_check check (step between 1 and 3),
  subject text not null,
  body text not null,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint outreach_templates_segment_step_key unique (segment, step)
);
comment on table public.outreach_templates is 'The 3-email sequence per segment.';

create table public.outreach_sequences (
  id uuid primary key default gen_random_uuid(),
  contact_id uuid not null references public.contacts (id) on delete cascade,
  clickup_task_id text,
  status text not null default 'active'
    constraint outreach_sequences_status_check
    check (status in ('active', 'stopped', 'completed', 'replied', 'unsubscribed')),
  -- Last step sent (0 = none yet).
  current_step integer not null default 0 constraint outreach_sequences_current_step_check check (current_step between 0 and 3),
  workflow_instance_id text constraint outreach_sequences_workflow_instance_id_key unique,
  stop_reason text,
  started_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.outreach_sequences is 'An email sequence to one contact; at most one active per contact.';
create unique index outreach_sequences_one_active_per_contact on public.outreach_sequences (contact_id) where status = 'active';
create index outreach_sequences_clickup_task_id_idx on public.outreach_sequences (clickup_task_id);

create table public.outreach_messages (
  id uuid primary key default gen_random_uuid(),
  sequence_id uuid not null references public.outreach_sequences (id) on delete cascade,
  step integer not null constraint outreach_messages_step_check check (step between 1 and 3),
  mailgun_message_id text constraint outreach_messages_mailgun_message_id_key unique,
  subject text not null,
  body text not null,
  -- queued | sent | delivered | failed | bounced | complained | ...
  status text not null default 'queued',
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint outreach_messages_sequence_id_step_key unique (sequence_id, step)
);
comment on table public.outreach_messages is 'Emails sent (or to be sent) by a sequence; one per step.';

create table public.unsubscribes (
  -- Stored lower-cased and trimmed (a trigger normalizes it).
  email text primary key constraint unsubscribes_email_normalized check (email = lower(btrim(email)) and email <> ''),
  reason text,
  source text,
  created_at timestamptz not null default now()
);
comment on table public.unsubscribes is 'Addresses never to email again.';

create or replace function app_private.normalize_unsubscribe_email()
returns trigger
language plpgsql
set search_path = public, pg_temp
as $$
begin
  new.email := lower(btrim(new.email));
  return new;
end
$$;
revoke all on function app_private.normalize_unsubscribe_email() from public;
create trigger unsubscribes_normalize_email
  before insert or update of email on public.unsubscribes
  for each row execute function app_private.normalize_unsubscribe_email();

create table public.sync_audit_log (
  id bigint generated always as identity primary key,
  direction text not null
    constraint sync_audit_log_direction_check check (direction in ('clickup_to_supabase', 'supabase_to_clickup')),
  -- courses | contacts | contact_enrichment | business_intelligence | ...
  entity text not null,
  entity_id text,
  field text,
  before jsonb,
  after jsonb,
  actor text,
  -- e.g. ClickUp webhook_id:history_item_id.
  source_event_id text,
  created_at timestamptz not null default now()
);
comment on table public.sync_audit_log is 'Field-level changes synced between ClickUp and Supabase.';
create index sync_audit_log_entity_idx on public.sync_audit_log (entity, entity_id, created_at);
create index sync_audit_log_source_event_id_idx on public.sync_audit_log (source_event_id) where source_event_id is not null;

-- ---------------------------------------------------------------------------------------------
-- updated_at triggers and access rules
-- ---------------------------------------------------------------------------------------------

do $tables$
declare
  t text;
  generated_columns text;
begin
  foreach t in array array[
    'courses', 'enrichment_runs', 'contacts', 'contact_enrichment', 'business_intelligence',
    'settings', 'clickup_entities', 'routing_rules', 'outreach_templates', 'outreach_sequences',
    'outreach_messages'
  ] loop
    select coalesce(string_agg(quote_literal(a.attname), ', ' order by a.attnum), '')
    into generated_columns
    from pg_catalog.pg_attribute a
    where a.attrelid = format('public.%I', t)::regclass and a.attgenerated <> '' and not a.attisdropped;
    execute format(
      'create trigger %I before update on public.%I for each row execute function app_private.set_updated_at(%s)',
      t || '_set_updated_at', t, generated_columns
    );
  end loop;

  foreach t in array array[
    'courses', 'enrichment_runs', 'contacts', 'contact_enrichment', 'business_intelligence',
    'agent_calls', 'clickup_entities', 'routing_rules', 'outreach_templates', 'outreach_sequences',
    'outreach_messages', 'unsubscribes', 'sync_audit_log'
  ] loop
    perform app_private.secure_table(format('public.%I', t)::regclass);
  end loop;
  -- settings holds secrets (webhook secrets): service_role only.
  perform app_private.secure_table('public.settings'::regclass, authenticated_can_read => false);
end
$tables$;
