-- Up Migration
-- One definition of the course segments in SQL (src/lib/segment.ts is the TypeScript one): the four
-- segment columns share the domain course_segment instead of four copies of the same check.
-- The columns stay text underneath (the domain is over text), so every reader and function is unchanged.

create domain public.course_segment as text
  constraint course_segment_check check (value in ('high-end', 'budget', 'both'));

alter table public.business_intelligence
  drop constraint business_intelligence_segment_check,
  alter column segment type public.course_segment;
alter table public.routing_rules
  drop constraint routing_rules_segment_check,
  alter column segment type public.course_segment;
alter table public.outreach_templates
  drop constraint outreach_templates_segment_check,
  alter column segment type public.course_segment;
alter table public.outreach_sequences
  drop constraint outreach_sequences_segment_check,
  alter column segment type public.course_segment;
