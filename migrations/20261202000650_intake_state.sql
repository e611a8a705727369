-- Up Migration
-- A state the app found rather than one a rep typed (src/durable/resolve-intake-task.ts): an intake
-- task that names a course but no state is looked up by A1 (the name alone), and when exactly one
-- course has that name its state is used. How it was found, and how sure A1 was, stays on the course
-- row, so a state the app found can be told apart from one a rep typed, and checked.
--   courses.state_found          null: the state came with the trigger; else {by, confidence, city,
--                                task_id, sources, cost_usd, found_at} of the latest such lookup.
--   record_course_state_found    writes it.

alter table public.courses add column state_found jsonb
  constraint courses_state_found_is_object check (state_found is null or jsonb_typeof(state_found) = 'object');
comment on column public.courses.state_found is
  'How the state was found when the intake task did not say it: {by, confidence 1-10, city, task_id, sources, cost_usd, found_at}; null when the trigger gave it.';

-- ---------------------------------------------------------------------------------------------
-- record_course_state_found
-- payload: {course_id, by: 'A1', confidence: 1-10, city?, task_id?, sources?: [url], cost_usd?}
-- answer:  {course_id, state, state_found}
-- The latest lookup wins (a second intake task without a state, for the same course, replaces it).
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_course_state_found(payload jsonb)
returns jsonb
language plpgsql
security invoker
set search_path = public, pg_temp
as $$
declare
  v_course public.courses;
  v_found jsonb;
  v_sources jsonb;
begin
  if payload is null or jsonb_typeof(payload) <> 'object' then
    perform app_private.invalid_payload('payload', 'must be a JSON object');
  end if;
  v_course := app_private.lock_course(app_private.uuid_field(payload, 'course_id', 'course_id', true));
  v_sources := coalesce(app_private.json_field(payload, 'sources', 'sources', 'array'), '[]'::jsonb);
  v_found := jsonb_build_object(
    'by', app_private.enum_field(payload, 'by', 'by', array['A1'], true),
    'confidence', app_private.int_field(payload, 'confidence', 'confidence', true, 1, 10),
    'city', app_private.text_field(payload, 'city', 'city'),
    'task_id', app_private.text_field(payload, 'task_id', 'task_id'),
    'sources', v_sources,
    'cost_usd', app_private.numeric_field(payload, 'cost_usd', 'cost_usd', false, 0),
    'found_at', now()
  );
  update public.courses c set state_found = v_found where c.id = v_course.id;
  return jsonb_build_object('course_id', v_course.id, 'state', v_course.state, 'state_found', v_found);
end
$$;

select app_private.service_role_only('public.record_course_state_found(jsonb)'::regprocedure);
