-- Up Migration
-- Outreach: a rep moves a lead task to "contacted" and the app sends a 3-email sequence that stops
-- on a reply, a bounce, a complaint, an unsubscribe, the rep moving the task on, or the contact
-- going inactive. The database is the arbiter: a (sequence, step) email is claimed here before the
-- Mailgun call, every stop is recorded here before the workflow hears of it, and the claim refuses
-- a sequence that is no longer active, so no email goes out after a stop even if a signal is lost.
--   * outreach_senders: which address a ClickUp user sends from (else the default sender setting).
--   * outreach_sequences / outreach_messages gain what a send and an audit need.
--   * outreach_events: replies, auto-replies, Mailgun events and stops, deduplicated by their id.
--   * mailgun_webhook_tokens: Mailgun webhook tokens already seen (replays are refused).
--   * functions: start_outreach_sequence, claim_outreach_message, record_outreach_sent,
--     record_outreach_event, get_contact_sequence, claim_webhook_token, get_outreach_sequence.

alter table public.outreach_templates
  add column delay_business_days integer
    constraint outreach_templates_delay_business_days_check check (delay_business_days between 0 and 30);
comment on column public.outreach_templates.delay_business_days is 'Business days after the previous email (steps 2 and 3); null for step 1.';

create table public.outreach_senders (
  clickup_user_id bigint primary key,
  email text not null constraint outreach_senders_email_check check (email ~ '^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$'),
  display_name text not null constraint outreach_senders_display_name_not_blank check (btrim(display_name) <> ''),
  -- Signed under each email; defaults to the display name.
  signature text,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.outreach_senders is 'The mailbox a ClickUp user (a lead''s assignee) sends outreach from.';
create trigger outreach_senders_set_updated_at before update on public.outreach_senders
  for each row execute function app_private.set_updated_at();
select app_private.secure_table('public.outreach_senders'::regclass);

alter table public.outreach_sequences drop constraint outreach_sequences_status_check;
alter table public.outreach_sequences
  add constraint outreach_sequences_status_check
    check (status in ('active', 'stopped', 'completed', 'replied', 'unsubscribed', 'bounced')),
  add column course_id uuid references public.courses (id) on delete cascade,
  add column recipient_email text,
  add column segment text constraint outreach_sequences_segment_check check (segment in ('high-end', 'budget', 'both')),
  add column sender_email text,
  add column sender_name text,
  add column time_zone text,
  -- The ClickUp user who moved the task to contacted, and that webhook delivery (idempotency).
  add column started_by bigint,
  add column source_event_id text constraint outreach_sequences_source_event_id_key unique,
  -- Email 1's Message-Id: emails 2 and 3 reply to it.
  add column thread_message_id text,
  add column next_send_at timestamptz,
  add column stopped_at timestamptz;
create index outreach_sequences_recipient_email_idx on public.outreach_sequences (lower(recipient_email));

alter table public.outreach_messages
  -- Our Message-Id header (deterministic per sequence and step); mailgun_message_id is Mailgun's answer.
  add column message_id text constraint outreach_messages_message_id_key unique,
  add column sender text,
  add column recipient text,
  add column html text,
  add column scheduled_for timestamptz,
  add column claimed_at timestamptz,
  -- Claims of this email; more than one means an earlier attempt's outcome was uncertain.
  add column attempts integer not null default 0 constraint outreach_messages_attempts_check check (attempts >= 0),
  add column error text;

create table public.outreach_events (
  id bigint generated always as identity primary key,
  sequence_id uuid references public.outreach_sequences (id) on delete cascade,
  message_id uuid references public.outreach_messages (id) on delete set null,
  kind text not null constraint outreach_events_kind_check check (kind in (
    'reply', 'auto_reply', 'bounce', 'temporary_failure', 'complaint', 'unsubscribe', 'delivered',
    'opened', 'clicked', 'status_change', 'task_deleted', 'contact_inactive', 'send_failed')),
  -- Mailgun's event id, an inbound Message-Id, a ClickUp delivery key: a repeat changes nothing.
  provider_event_id text constraint outreach_events_provider_event_id_key unique,
  from_email text,
  subject text,
  -- A reply's stripped text.
  body_text text,
  detail jsonb not null default '{}'::jsonb,
  occurred_at timestamptz,
  created_at timestamptz not null default now()
);
comment on table public.outreach_events is 'What happened to a sequence: replies (and auto-replies), Mailgun events, stops.';
create index outreach_events_sequence_id_idx on public.outreach_events (sequence_id, created_at);
select app_private.secure_table('public.outreach_events'::regclass);

create table public.mailgun_webhook_tokens (
  token text primary key,
  seen_at timestamptz not null default now()
);
comment on table public.mailgun_webhook_tokens is 'Mailgun webhook tokens already accepted: a replayed signed request is refused.';
create index mailgun_webhook_tokens_seen_at_idx on public.mailgun_webhook_tokens (seen_at);
select app_private.secure_table('public.mailgun_webhook_tokens'::regclass, authenticated_can_read => false);

-- A contact who goes inactive (left the club, found gone) gets no more email: its active sequences
-- stop here, so the next claim refuses to send whatever the workflow is doing.
create or replace function app_private.stop_sequences_of_inactive_contact()
returns trigger
language plpgsql
set search_path = public, pg_temp
as $$
begin
  if new.is_active is false and old.is_active is distinct from false then
    with stopped as (
      update public.outreach_sequences s
         set status = 'stopped', stop_reason = 'the contact is no longer active' || coalesce(' (' || new.inactive_reason || ')', ''),
             stopped_at = now()
       where s.contact_id = new.id and s.status = 'active'
      returning s.id
    )
    insert into public.outreach_events (sequence_id, kind, detail)
    select stopped.id, 'contact_inactive', jsonb_build_object('reason', new.inactive_reason) from stopped;
  end if;
  return new;
end
$$;
revoke all on function app_private.stop_sequences_of_inactive_contact() from public;
create trigger contacts_stop_outreach_when_inactive
  after update of is_active on public.contacts
  for each row execute function app_private.stop_sequences_of_inactive_contact();

-- A sequence as the workflow and the API read it.
create or replace function app_private.sequence_json(s public.outreach_sequences)
returns jsonb
language sql
stable
set search_path = public, pg_temp
as $$
  select to_jsonb(s) || jsonb_build_object(
    'messages', coalesce((
      select jsonb_agg(jsonb_build_object('step', m.step, 'status', m.status, 'message_id', m.message_id,
                                          'mailgun_message_id', m.mailgun_message_id, 'subject', m.subject,
                                          'sender', m.sender, 'recipient', m.recipient,
                                          'scheduled_for', m.scheduled_for, 'sent_at', m.sent_at,
                                          'attempts', m.attempts, 'error', m.error) order by m.step)
        from public.outreach_messages m where m.sequence_id = s.id), '[]'::jsonb),
    'events', coalesce((
      select jsonb_agg(jsonb_build_object('kind', e.kind, 'from_email', e.from_email, 'subject', e.subject,
                                          'body_text', e.body_text, 'detail', e.detail,
                                          'occurred_at', e.occurred_at, 'created_at', e.created_at) order by e.created_at, e.id)
        from public.outreach_events e where e.sequence_id = s.id), '[]'::jsonb)
  )
$$;
revoke all on function app_private.sequence_json(public.outreach_sequences) from public;
grant execute on function app_private.sequence_json(public.outreach_sequences) to service_role;

-- ---------------------------------------------------------------------------------------------
-- start_outreach_sequence
-- payload: {task_id, workflow_instance_id, source_event_id, started_by?, assignee_clickup_user_id?}
-- → {started: true, sequence, contact, course, intel, templates, sender, settings}
--   or {started: false, code, reason, sequence_id?}
-- Refuses (code): not_a_lead, inactive, no_email, invalid_email, unsubscribed, already_active
-- (same_task says whether it is this task's own sequence: a repeated "contacted" is a no-op),
-- already_replied, no_templates. Idempotent by source_event_id (a step retry gets the same sequence).
-- ---------------------------------------------------------------------------------------------
create or replace function public.start_outreach_sequence(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_task_id text;
  v_instance text;
  v_event text;
  v_started_by bigint;
  v_assignee bigint;
  v_contact public.contacts;
  v_enrichment public.contact_enrichment;
  v_course public.courses;
  v_bi public.business_intelligence;
  v_seq public.outreach_sequences;
  v_segment text;
  v_templates jsonb;
  v_sender jsonb;
  v_refuse jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_task_id := app_private.text_field(payload, 'task_id', 'task_id', true);
  v_instance := app_private.text_field(payload, 'workflow_instance_id', 'workflow_instance_id', true);
  v_event := app_private.text_field(payload, 'source_event_id', 'source_event_id', true);
  v_started_by := nullif(payload ->> 'started_by', '')::bigint;
  v_assignee := nullif(payload ->> 'assignee_clickup_user_id', '')::bigint;

  select * into v_contact from public.contacts c where c.clickup_task_id = v_task_id for update;
  if not found then
    -- A retry after the task was deleted still finds the sequence it started.
    select * into v_seq from public.outreach_sequences s where s.source_event_id = v_event;
    if not found then
      return jsonb_build_object('started', false, 'code', 'not_a_lead', 'reason', 'this task is not a lead the app knows (it has no contact in the database)');
    end if;
    select * into v_contact from public.contacts c where c.id = v_seq.contact_id for update;
  end if;

  select * into v_seq from public.outreach_sequences s where s.source_event_id = v_event;
  if not found then
    select * into v_enrichment from public.contact_enrichment e where e.contact_id = v_contact.id;
    select * into v_seq from public.outreach_sequences s where s.contact_id = v_contact.id and s.status = 'active';
    v_refuse := case
      when not v_contact.is_active then
        jsonb_build_object('code', 'inactive', 'reason', 'the contact is marked inactive' || coalesce(' (' || v_contact.inactive_reason || ')', ''))
      when v_seq.id is not null then
        jsonb_build_object('code', 'already_active', 'same_task', v_seq.clickup_task_id is not distinct from v_task_id, 'sequence_id', v_seq.id,
                           'reason', 'a sequence to this contact is already running (started ' || to_char(v_seq.started_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC)')
      when nullif(btrim(coalesce(v_enrichment.email, '')), '') is null then
        jsonb_build_object('code', 'no_email', 'reason', 'the contact has no email address: add one in the Email field, then move the task to contacted again')
      when v_enrichment.email_status = 'invalid' then
        jsonb_build_object('code', 'invalid_email', 'reason', v_enrichment.email || ' is known to be undeliverable (it bounced or failed verification): correct the Email field first')
      when exists (select 1 from public.unsubscribes u where u.email = lower(btrim(v_enrichment.email))) then
        jsonb_build_object('code', 'unsubscribed', 'reason', v_enrichment.email || ' has unsubscribed from our emails; it will not be emailed again')
      when exists (select 1 from public.outreach_sequences s where s.contact_id = v_contact.id and s.status = 'replied') then
        jsonb_build_object('code', 'already_replied', 'reason', 'this contact already replied to an earlier sequence: write to them yourself')
      else null
    end;
    if v_refuse is not null then
      return v_refuse || jsonb_build_object('started', false);
    end if;

    select * into v_course from public.courses c where c.id = v_contact.course_id;
    select * into v_bi from public.business_intelligence b where b.course_id = v_contact.course_id;
    v_segment := coalesce(v_bi.segment, 'both');
    insert into public.outreach_sequences (contact_id, clickup_task_id, status, current_step, workflow_instance_id, course_id,
                                           recipient_email, segment, started_by, source_event_id)
    values (v_contact.id, v_task_id, 'active', 0, v_instance, v_contact.course_id,
            lower(btrim(v_enrichment.email)), v_segment, v_started_by, v_event)
    returning * into v_seq;
  else
    select * into v_enrichment from public.contact_enrichment e where e.contact_id = v_contact.id;
    select * into v_course from public.courses c where c.id = v_contact.course_id;
    select * into v_bi from public.business_intelligence b where b.course_id = v_contact.course_id;
  end if;

  -- The segment's templates; a step missing there comes from "both".
  select coalesce(jsonb_agg(jsonb_build_object('segment', t.segment, 'step', t.step, 'subject', t.subject, 'body', t.body,
                                               'delay_business_days', t.delay_business_days) order by t.step), '[]'::jsonb)
    into v_templates
    from (
      select distinct on (t.step) t.*
        from public.outreach_templates t
       where t.active and t.segment in (v_seq.segment, 'both')
       order by t.step, (t.segment = v_seq.segment) desc
    ) t;
  if jsonb_array_length(v_templates) < 3 then
    update public.outreach_sequences s set status = 'stopped', stop_reason = 'no templates', stopped_at = now() where s.id = v_seq.id;
    return jsonb_build_object('started', false, 'code', 'no_templates',
      'reason', 'the email templates for segment ' || v_seq.segment || ' are missing (outreach_templates needs steps 1, 2 and 3)');
  end if;

  select jsonb_build_object('email', s.email, 'name', s.display_name, 'signature', coalesce(s.signature, s.display_name))
    into v_sender
    from public.outreach_senders s where s.clickup_user_id = v_assignee and s.active;

  return jsonb_build_object(
    'started', true,
    'sequence', app_private.sequence_json(v_seq),
    'contact', jsonb_build_object('id', v_contact.id, 'full_name', v_contact.full_name, 'title', v_contact.title),
    'course', jsonb_build_object('id', v_course.id, 'name', v_course.course_name, 'city', v_course.city, 'state', v_course.state),
    'intel', case when v_bi.course_id is null then null else jsonb_build_object(
      'conversation_starters', v_bi.conversation_starters, 'opportunities', v_bi.opportunities) end,
    'templates', v_templates,
    'sender', v_sender,
    'settings', (select s.value from public.settings s where s.key = 'outreach')
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- claim_outreach_message
-- payload: {sequence_id, step, message_id, subject, body, html, sender, recipient, scheduled_for?,
--           time_zone?, sender_name?}
-- → {action: "send" | "check" | "sent" | "stopped", attempts, message?, status?, stop_reason?}
-- "send": claimed now, nobody tried before. "check": an earlier claim did not record its outcome
-- (a crash, or a timeout after Mailgun may have accepted it): ask Mailgun before sending again.
-- "sent": already out. "stopped": the sequence is no longer active (or the address may not be
-- emailed any more: unsubscribed, invalid, contact inactive), and nothing must be sent.
-- ---------------------------------------------------------------------------------------------
create or replace function public.claim_outreach_message(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_seq_id uuid;
  v_step integer;
  v_seq public.outreach_sequences;
  v_msg public.outreach_messages;
  v_reason text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_seq_id := app_private.uuid_field(payload, 'sequence_id', 'sequence_id', true);
  v_step := app_private.int_field(payload, 'step', 'step', true, 1, 3);

  select * into v_seq from public.outreach_sequences s where s.id = v_seq_id for update;
  if not found then
    raise exception 'outreach sequence % does not exist', v_seq_id using errcode = 'P0002';
  end if;
  select * into v_msg from public.outreach_messages m where m.sequence_id = v_seq_id and m.step = v_step;
  if v_msg.id is not null and v_msg.status <> 'claimed' then
    return jsonb_build_object('action', 'sent', 'attempts', v_msg.attempts, 'mailgun_message_id', v_msg.mailgun_message_id,
                              'message_id', v_msg.message_id, 'sent_at', v_msg.sent_at);
  end if;

  if v_seq.status = 'active' then
    v_reason := case
      when exists (select 1 from public.contacts c where c.id = v_seq.contact_id and not c.is_active) then 'the contact is no longer active'
      when exists (select 1 from public.unsubscribes u where u.email = lower(btrim(v_seq.recipient_email))) then 'the address unsubscribed'
      when exists (select 1 from public.contact_enrichment e where e.contact_id = v_seq.contact_id and e.email_status = 'invalid'
                     and lower(btrim(e.email)) = v_seq.recipient_email) then 'the address is undeliverable'
      else null
    end;
    if v_reason is not null then
      update public.outreach_sequences s set status = 'stopped', stop_reason = v_reason, stopped_at = now()
       where s.id = v_seq_id returning * into v_seq;
    end if;
  end if;
  if v_seq.status <> 'active' then
    return jsonb_build_object('action', 'stopped', 'status', v_seq.status, 'stop_reason', v_seq.stop_reason,
                              'attempts', coalesce(v_msg.attempts, 0));
  end if;

  if v_msg.id is null then
    insert into public.outreach_messages (sequence_id, step, message_id, subject, body, html, sender, recipient,
                                          status, scheduled_for, claimed_at, attempts)
    values (v_seq_id, v_step, app_private.text_field(payload, 'message_id', 'message_id', true),
            app_private.text_field(payload, 'subject', 'subject', true), app_private.text_field(payload, 'body', 'body', true),
            payload ->> 'html', payload ->> 'sender', payload ->> 'recipient', 'claimed',
            nullif(payload ->> 'scheduled_for', '')::timestamptz, now(), 1)
    returning * into v_msg;
    update public.outreach_sequences s
       set sender_email = coalesce(payload ->> 'sender', s.sender_email),
           sender_name = coalesce(payload ->> 'sender_name', s.sender_name),
           time_zone = coalesce(payload ->> 'time_zone', s.time_zone)
     where s.id = v_seq_id;
    return jsonb_build_object('action', 'send', 'attempts', 1, 'message_id', v_msg.message_id);
  end if;
  update public.outreach_messages m set attempts = m.attempts + 1, claimed_at = now()
   where m.id = v_msg.id returning * into v_msg;
  return jsonb_build_object('action', 'check', 'attempts', v_msg.attempts, 'message_id', v_msg.message_id);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- record_outreach_sent
-- payload: {sequence_id, step, mailgun_message_id, sent_at?, next_send_at?} → {sequence_status}
-- The email is out: the message is `sent`, the sequence's step advances (the last completes it).
-- Also {sequence_id, step, error} → the email could not be sent (Mailgun refused it for good): the
-- message is `failed` and the sequence stops with the reason.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_outreach_sent(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_seq_id uuid;
  v_step integer;
  v_seq public.outreach_sequences;
  v_msg public.outreach_messages;
  v_error text;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_seq_id := app_private.uuid_field(payload, 'sequence_id', 'sequence_id', true);
  v_step := app_private.int_field(payload, 'step', 'step', true, 1, 3);
  v_error := app_private.text_field(payload, 'error', 'error');
  select * into v_seq from public.outreach_sequences s where s.id = v_seq_id for update;
  if not found then
    raise exception 'outreach sequence % does not exist', v_seq_id using errcode = 'P0002';
  end if;
  select * into v_msg from public.outreach_messages m where m.sequence_id = v_seq_id and m.step = v_step for update;
  if not found then
    raise exception 'email % of sequence % was never claimed', v_step, v_seq_id using errcode = 'P0002';
  end if;

  if v_error is not null then
    update public.outreach_messages m set status = 'failed', error = v_error where m.id = v_msg.id and m.status = 'claimed';
    if v_seq.status = 'active' then
      update public.outreach_sequences s set status = 'stopped', stop_reason = 'email ' || v_step || ' could not be sent: ' || v_error,
             stopped_at = now(), next_send_at = null
       where s.id = v_seq_id returning * into v_seq;
      insert into public.outreach_events (sequence_id, message_id, kind, detail)
      values (v_seq_id, v_msg.id, 'send_failed', jsonb_build_object('error', v_error));
    end if;
    return jsonb_build_object('sequence_status', v_seq.status);
  end if;

  if v_msg.status = 'claimed' then
    update public.outreach_messages m
       set status = 'sent', mailgun_message_id = app_private.text_field(payload, 'mailgun_message_id', 'mailgun_message_id', true),
           sent_at = coalesce(nullif(payload ->> 'sent_at', '')::timestamptz, now()), error = null
     where m.id = v_msg.id;
  end if;
  update public.outreach_sequences s
     set current_step = greatest(s.current_step, v_step),
         thread_message_id = case when v_step = 1 then coalesce(s.thread_message_id, v_msg.message_id) else s.thread_message_id end,
         status = case when v_step = 3 and s.status = 'active' then 'completed' else s.status end,
         stop_reason = case when v_step = 3 and s.status = 'active' then 'all three emails sent' else s.stop_reason end,
         next_send_at = case when v_step = 3 then null else nullif(payload ->> 'next_send_at', '')::timestamptz end
   where s.id = v_seq_id
  returning * into v_seq;
  return jsonb_build_object('sequence_status', v_seq.status);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- record_outreach_event
-- payload: {kind, provider_event_id?, message_ids?: [..], sequence_id?, task_id?, email?, from_email?,
--           subject?, body_text?, detail?, occurred_at?, new_status?}
-- Finds the sequence (by sequence_id, else a Message-Id we sent, else the task's active sequence,
-- else the latest sequence to that address), records the event once (a repeated provider_event_id
-- → {duplicate: true}, nothing changes) and applies what it means:
--   reply → the sequence is `replied`;  bounce → the address is marked invalid, sequences to it end
--   `bounced`;  complaint / unsubscribe → the address goes on `unsubscribes`, its sequences end
--   `unsubscribed`;  status_change / task_deleted → the task's active sequence is `stopped`;
--   delivered / opened / clicked / temporary_failure / auto_reply → recorded only.
-- → {duplicate, matched, sequence_id, kind, task_id, contact_id, contact_name, recipient_email,
--    stopped: [{sequence_id, workflow_instance_id}]} (the active sequences this event stopped).
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_outreach_event(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_kind text;
  v_event_id text;
  v_ids text[];
  v_email text;
  v_seq public.outreach_sequences;
  v_msg public.outreach_messages;
  v_inserted bigint;
  v_stopped jsonb := '[]'::jsonb;
  v_contact public.contacts;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_kind := app_private.enum_field(payload, 'kind', 'kind', array[
    'reply', 'auto_reply', 'bounce', 'temporary_failure', 'complaint', 'unsubscribe', 'delivered',
    'opened', 'clicked', 'status_change', 'task_deleted'], true);
  v_event_id := app_private.text_field(payload, 'provider_event_id', 'provider_event_id');
  v_email := lower(btrim(coalesce(payload ->> 'email', payload ->> 'from_email', '')));
  select coalesce(array_agg(value), '{}') into v_ids from jsonb_array_elements_text(coalesce(payload -> 'message_ids', '[]'::jsonb));

  if v_event_id is not null and exists (select 1 from public.outreach_events e where e.provider_event_id = v_event_id) then
    return jsonb_build_object('duplicate', true, 'matched', false, 'kind', v_kind, 'stopped', '[]'::jsonb);
  end if;

  if payload ? 'sequence_id' then
    select * into v_seq from public.outreach_sequences s where s.id = app_private.uuid_field(payload, 'sequence_id', 'sequence_id');
  end if;
  if v_seq.id is null and cardinality(v_ids) > 0 then
    -- The newest referenced message we sent (References lists the thread oldest first).
    select m.* into v_msg from public.outreach_messages m
     where m.message_id = any(v_ids) or m.mailgun_message_id = any(v_ids)
     order by m.step desc limit 1;
    if v_msg.id is not null then
      select * into v_seq from public.outreach_sequences s where s.id = v_msg.sequence_id;
    end if;
  end if;
  if v_seq.id is null and payload ? 'task_id' then
    select * into v_seq from public.outreach_sequences s
     where s.clickup_task_id = payload ->> 'task_id' order by (s.status = 'active') desc, s.started_at desc limit 1;
  end if;
  if v_seq.id is null and v_email <> '' and v_kind not in ('status_change', 'task_deleted') then
    select * into v_seq from public.outreach_sequences s
     where s.recipient_email = v_email order by (s.status = 'active') desc, s.started_at desc limit 1;
  end if;
  -- A rep's status change or deletion matters only to a sequence still running.
  if v_kind in ('status_change', 'task_deleted') and (v_seq.id is null or v_seq.status <> 'active') then
    return jsonb_build_object('duplicate', false, 'matched', false, 'kind', v_kind, 'stopped', '[]'::jsonb);
  end if;
  if v_email = '' and v_seq.id is not null then
    v_email := coalesce(v_seq.recipient_email, '');
  end if;
  if v_seq.id is not null then
    perform 1 from public.outreach_sequences s where s.id = v_seq.id for update;
    select * into v_seq from public.outreach_sequences s where s.id = v_seq.id;
    select * into v_contact from public.contacts c where c.id = v_seq.contact_id;
  end if;
  if v_msg.id is null and v_seq.id is not null and cardinality(v_ids) > 0 then
    select m.* into v_msg from public.outreach_messages m where m.sequence_id = v_seq.id and (m.message_id = any(v_ids) or m.mailgun_message_id = any(v_ids)) limit 1;
  end if;

  insert into public.outreach_events (sequence_id, message_id, kind, provider_event_id, from_email, subject, body_text, detail, occurred_at)
  values (v_seq.id, v_msg.id, v_kind, v_event_id, nullif(lower(btrim(coalesce(payload ->> 'from_email', ''))), ''),
          payload ->> 'subject', payload ->> 'body_text', coalesce(payload -> 'detail', '{}'::jsonb),
          coalesce(nullif(payload ->> 'occurred_at', '')::timestamptz, now()))
  on conflict (provider_event_id) do nothing
  returning id into v_inserted;
  if v_inserted is null then
    return jsonb_build_object('duplicate', true, 'matched', false, 'kind', v_kind, 'stopped', '[]'::jsonb);
  end if;

  if v_kind = 'reply' and v_seq.id is not null then
    with s as (
      update public.outreach_sequences s set status = 'replied', stop_reason = 'the contact replied', stopped_at = coalesce(s.stopped_at, now()), next_send_at = null
       where s.id = v_seq.id and s.status in ('active', 'completed')
      returning s.id, s.workflow_instance_id, (v_seq.status = 'active') as was_active)
    select coalesce(jsonb_agg(jsonb_build_object('sequence_id', s.id, 'workflow_instance_id', s.workflow_instance_id)) filter (where s.was_active), '[]'::jsonb)
      into v_stopped from s;
  elsif v_kind = 'bounce' and v_email <> '' then
    update public.contact_enrichment e set email_status = 'invalid' where lower(btrim(e.email)) = v_email;
    if v_msg.id is not null then
      update public.outreach_messages m set status = 'bounced' where m.id = v_msg.id;
    end if;
    with s as (
      update public.outreach_sequences s set status = 'bounced', stop_reason = 'the email bounced: ' || coalesce(payload -> 'detail' ->> 'reason', 'permanent failure'),
             stopped_at = now(), next_send_at = null
       where s.recipient_email = v_email and s.status = 'active'
      returning s.id, s.workflow_instance_id)
    select coalesce(jsonb_agg(jsonb_build_object('sequence_id', s.id, 'workflow_instance_id', s.workflow_instance_id)), '[]'::jsonb) into v_stopped from s;
  elsif v_kind in ('complaint', 'unsubscribe') and v_email <> '' then
    insert into public.unsubscribes (email, reason, source)
    values (v_email, case v_kind when 'complaint' then 'marked our email as spam' else 'unsubscribed' end, coalesce(payload -> 'detail' ->> 'source', 'mailgun'))
    on conflict (email) do nothing;
    if v_msg.id is not null and v_kind = 'complaint' then
      update public.outreach_messages m set status = 'complained' where m.id = v_msg.id;
    end if;
    with s as (
      update public.outreach_sequences s set status = 'unsubscribed',
             stop_reason = case v_kind when 'complaint' then 'the contact marked an email as spam' else 'the contact unsubscribed' end,
             stopped_at = now(), next_send_at = null
       where s.recipient_email = v_email and s.status = 'active'
      returning s.id, s.workflow_instance_id)
    select coalesce(jsonb_agg(jsonb_build_object('sequence_id', s.id, 'workflow_instance_id', s.workflow_instance_id)), '[]'::jsonb) into v_stopped from s;
  elsif v_kind in ('status_change', 'task_deleted') and v_seq.id is not null then
    with s as (
      update public.outreach_sequences s set status = 'stopped',
             stop_reason = case v_kind when 'task_deleted' then 'the lead task was deleted'
                                       else 'the task was moved to ' || coalesce(payload ->> 'new_status', 'another status') end,
             stopped_at = now(), next_send_at = null
       where s.id = v_seq.id and s.status = 'active'
      returning s.id, s.workflow_instance_id)
    select coalesce(jsonb_agg(jsonb_build_object('sequence_id', s.id, 'workflow_instance_id', s.workflow_instance_id)), '[]'::jsonb) into v_stopped from s;
  elsif v_kind = 'delivered' and v_msg.id is not null then
    update public.outreach_messages m set status = 'delivered' where m.id = v_msg.id and m.status = 'sent';
  end if;

  return jsonb_build_object(
    'duplicate', false,
    'matched', v_seq.id is not null,
    'kind', v_kind,
    'sequence_id', v_seq.id,
    'step', v_msg.step,
    'task_id', v_seq.clickup_task_id,
    'contact_id', v_seq.contact_id,
    'contact_name', v_contact.full_name,
    'recipient_email', nullif(v_email, ''),
    'stopped', v_stopped
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- get_outreach_sequence: {sequence_id} → the sequence with its messages and events, or null.
-- get_contact_sequence: {contact_id} → {contact_id, sequences: [newest first]} or null.
-- ---------------------------------------------------------------------------------------------
create or replace function public.get_outreach_sequence(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
begin
  return (select app_private.sequence_json(s) from public.outreach_sequences s
           where s.id = app_private.uuid_field(payload, 'sequence_id', 'sequence_id', true));
end
$$;

create or replace function public.get_contact_sequence(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
declare
  v_contact_id uuid;
  v_contact public.contacts;
begin
  v_contact_id := app_private.uuid_field(payload, 'contact_id', 'contact_id', true);
  select * into v_contact from public.contacts c where c.id = v_contact_id;
  if not found then
    return null;
  end if;
  return jsonb_build_object(
    'contact_id', v_contact.id,
    'full_name', v_contact.full_name,
    'clickup_task_id', v_contact.clickup_task_id,
    'unsubscribed', exists (select 1 from public.unsubscribes u join public.contact_enrichment e on lower(btrim(e.email)) = u.email
                             where e.contact_id = v_contact.id),
    'sequences', coalesce((select jsonb_agg(app_private.sequence_json(s) order by s.started_at desc)
                             from public.outreach_sequences s where s.contact_id = v_contact.id), '[]'::jsonb)
  );
end
$$;

-- ---------------------------------------------------------------------------------------------
-- claim_webhook_token: {token} → {fresh}. A Mailgun webhook token seen before is a replay. Tokens
-- older than a day are forgotten (the signature's timestamp window is 15 minutes). {token,
-- release: true} forgets one whose request failed, so Mailgun's retry of it is not taken for a replay.
-- ---------------------------------------------------------------------------------------------
create or replace function public.claim_webhook_token(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_token text;
  v_inserted text;
begin
  v_token := app_private.text_field(payload, 'token', 'token', true);
  if (payload ->> 'release')::boolean is true then
    delete from public.mailgun_webhook_tokens t where t.token = v_token;
    return jsonb_build_object('fresh', false);
  end if;
  delete from public.mailgun_webhook_tokens t where t.seen_at < now() - interval '1 day';
  insert into public.mailgun_webhook_tokens (token) values (v_token) on conflict (token) do nothing returning token into v_inserted;
  return jsonb_build_object('fresh', v_inserted is not null);
end
$$;

-- plan_outreach_email: {sequence_id, next_send_at} → {status}: when the next email is planned (shown
-- by the API and the dashboard; moved when the sender's mailbox is full for the day).
create or replace function public.plan_outreach_email(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_status text;
begin
  update public.outreach_sequences s
     set next_send_at = nullif(payload ->> 'next_send_at', '')::timestamptz
   where s.id = app_private.uuid_field(payload, 'sequence_id', 'sequence_id', true) and s.status = 'active'
  returning s.status into v_status;
  return jsonb_build_object('status', v_status);
end
$$;

-- get_outreach_settings: {} → {settings: the 'outreach' settings value or null}.
create or replace function public.get_outreach_settings(payload jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = public, pg_temp
as $$
begin
  return jsonb_build_object('settings', (select s.value from public.settings s where s.key = 'outreach'));
end
$$;

select app_private.service_role_only('public.get_outreach_settings(jsonb)'::regprocedure);
select app_private.service_role_only('public.plan_outreach_email(jsonb)'::regprocedure);
select app_private.service_role_only('public.start_outreach_sequence(jsonb)'::regprocedure);
select app_private.service_role_only('public.claim_outreach_message(jsonb)'::regprocedure);
select app_private.service_role_only('public.record_outreach_sent(jsonb)'::regprocedure);
select app_private.service_role_only('public.record_outreach_event(jsonb)'::regprocedure);
select app_private.service_role_only('public.get_outreach_sequence(jsonb)'::regprocedure);
select app_private.service_role_only('public.get_contact_sequence(jsonb)'::regprocedure);
select app_private.service_role_only('public.claim_webhook_token(jsonb)'::regprocedure);
