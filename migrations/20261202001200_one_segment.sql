-- Up Migration
-- One definition of the course segments in SQL (src/lib/segment.ts is the TypeScript one): the four
-- segment columns share the domain course_segment instead of four copies of the same check.
-- The columns stay text underneath (the domain is over text), so every reader and function is unchanged.

create domain public.course_segment as text
  constraint course_segment_check check (value in ('high-end', 'budget', 'both'));

-- Each table's old check goes and its column takes the domain (the values are already in it).
do $$
declare
  t text;
begin
  foreach t in array array['business_intelligence', 'routing_rules', 'outreach_templates', 'outreach_sequences'] loop
    execute format('alter table public.%I drop constraint %I, alter column segment type public.course_segment', t, t || '_segment_check');
  end loop;
end
$$;
