-- The default 3-email sequence for each segment (high-end, budget, both), and the business days each
-- follow-up waits after the email before it (delay_business_days, added by 20261202000200).
--
-- Templates are Mustache (src/outreach/compose.ts lists the variables); an unknown name renders empty,
-- and {{#name}}…{{/name}} leaves a sentence out when a lead has no intel for it. Steps 2 and 3 are sent
-- as replies in the thread of step 1, so their subject is "Re: " + step 1's; their stored subject only
-- names them in the admin. The postal address and unsubscribe link are not here: composeEmail appends
-- them to every email (CAN-SPAM). A template already in the table keeps its subject and body.

insert into public.outreach_templates (segment, step, subject, body, active)
values
  ('high-end', 1, $subject$The practice range at {{course_name}}$subject$, $body$Hi {{first_name}},

{{#top_starter}}
{{top_starter}}

{{/top_starter}}
I work with private and resort clubs on the practice experience: tour-quality range balls, premium mats and a range that looks as good as the course. Members notice when the ball on the range feels like the one they play.

Would a short call next week be worth it, to see whether there is a fit for {{course_name}}?

{{rep_signature}}$body$, true),

  ('high-end', 2, $subject$Re: The practice range at {{course_name}}$subject$, $body$Hi {{first_name}},

A quick follow-up on my note about the practice range at {{course_name}}.

{{#second_opportunity}}
One area where we could help is {{second_opportunity}}.

{{/second_opportunity}}
I am happy to show you what other clubs have done to keep fresh, tour-quality balls on the range without adding work for your staff. Would 15 minutes this month make sense?

{{rep_signature}}$body$, true),

  ('high-end', 3, $subject$Re: The practice range at {{course_name}}$subject$, $body$Hi {{first_name}},

I have not heard back, so I will assume the timing is not right and stop writing.

If the practice experience at {{course_name}} comes up later (new balls, mats or the range itself), just reply to this email and I will pick it up from there.

{{rep_signature}}$body$, true),

  ('budget', 1, $subject$Cost per bucket at {{course_name}}$subject$, $body$Hi {{first_name}},

{{#top_starter}}
{{top_starter}}

{{/top_starter}}
I help courses bring down what each bucket of range balls costs them. Leasing is usually the quickest way there: a fixed monthly fee, fresh balls on a schedule and no big purchase up front.

Would a short call be worth it to run the numbers for {{course_name}}?

{{rep_signature}}$body$, true),

  ('budget', 2, $subject$Re: Cost per bucket at {{course_name}}$subject$, $body$Hi {{first_name}},

Following up on my note about range costs at {{course_name}}.

{{#second_opportunity}}
Another place courses like yours often save is {{second_opportunity}}.

{{/second_opportunity}}
If you tell me roughly how many buckets you sell in a week, I will put together a cost-per-bucket comparison for you, no strings attached.

{{rep_signature}}$body$, true),

  ('budget', 3, $subject$Re: Cost per bucket at {{course_name}}$subject$, $body$Hi {{first_name}},

I will stop here so I am not cluttering your inbox.

If range ball costs at {{course_name}} come up later, reply to this email and I will send you the cost-per-bucket numbers.

{{rep_signature}}$body$, true),

  ('both', 1, $subject$Range balls for {{course_name}}$subject$, $body$Hi {{first_name}},

{{#top_starter}}
{{top_starter}}

{{/top_starter}}
We supply range balls and range services to all kinds of courses: tour-quality balls where the practice experience matters most, leasing where the cost per bucket does, and mats, pickers and dispensers for either.

Would a short call be useful to see what fits {{course_name}}?

{{rep_signature}}$body$, true),

  ('both', 2, $subject$Re: Range balls for {{course_name}}$subject$, $body$Hi {{first_name}},

A quick follow-up on my note about the range at {{course_name}}.

{{#second_opportunity}}
One area where we could help is {{second_opportunity}}.

{{/second_opportunity}}
Whether the goal is a better practice experience or a lower cost per bucket, I can show you what courses like yours have done. Would 15 minutes next week work?

{{rep_signature}}$body$, true),

  ('both', 3, $subject$Re: Range balls for {{course_name}}$subject$, $body$Hi {{first_name}},

I will close the loop here and stop writing.

If range balls or range equipment for {{course_name}} come up later, just reply and I will pick it up.

{{rep_signature}}$body$, true)
on conflict (segment, step) do nothing;

-- Step 1 goes out in the first send window; step 2 waits 3 business days after it, step 3 another 4.
update public.outreach_templates
set delay_business_days = case step when 2 then 3 when 3 then 4 end
where delay_business_days is distinct from (case step when 2 then 3 when 3 then 4 end);
