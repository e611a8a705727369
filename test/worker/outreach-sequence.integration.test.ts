// A rep moves a lead to "contacted": the real Worker runs the 3-email sequence against the ClickUp
// and Mailgun emulators. Send windows are real (the course's local time); a test moves a waiting
// sequence on with "send now" instead of waiting for the window, and checks the planned times.
import { afterEach, describe, expect, it } from "vitest";
import { addBusinessDays, nextSendTime, planStepTime, DEFAULT_SEND_WINDOW, startOfNextLocalDay } from "../../src/outreach/send-schedule.ts";
import { clearFaults, clickupComments, clickupTask, eventually, injectFault, withDb } from "./helpers.ts";
import {
  contacted,
  type Lead,
  mailgunEvent,
  mailgunReply,
  mailsTo,
  makeLead,
  moveLead,
  sendNow,
  sequenceOf,
  sequencesOf,
  waitForMails,
  waitForSequenceEnd,
} from "./outreach-helpers.ts";

const NC = "America/New_York";
const LONG = 180_000;

async function startedSequence(lead: Lead) {
  return eventually(async () => (await sequenceOf(lead)) ?? null, `a sequence for ${lead.name}`);
}

async function waitForComment(lead: Lead, pattern: RegExp): Promise<string> {
  return eventually(async () => (await clickupComments(lead.taskId)).map((c) => c.comment_text).find((t) => pattern.test(t)), `a comment matching ${pattern}`, 90_000);
}

/** Moves the lead to contacted and has email 1 sent now; returns the first email. */
async function firstEmail(lead: Lead) {
  const { response, json } = await contacted(lead);
  expect(response.status).toBe(200);
  expect(json.action).toBe("accepted");
  await startedSequence(lead);
  expect((await sendNow(lead)).status).toBe(202);
  const [mail] = await waitForMails(lead, 1);
  return mail!;
}

async function advance(lead: Lead, count: number) {
  // The sent-comment comes after the send: once it is there the sequence is waiting for the next email.
  await waitForComment(lead, new RegExp(`^Email ${count - 1} of 3 sent`));
  expect((await sendNow(lead)).status).toBe(202);
  return waitForMails(lead, count);
}

afterEach(async () => {
  await clearFaults("mailgun");
});

describe("a lead moved to contacted", () => {
  it("gets three threaded emails in the course's send window, 3 and 4 business days apart, and the task shows each", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Threaded" });
    const before = Date.now();
    const mail1 = await firstEmail(lead);
    const after = Date.now();

    // Email 1 was planned for the next 08:00–11:00 weekday window in North Carolina's time.
    const seq = (await sequenceOf(lead))!;
    const planned1 = Date.parse(seq.messages[0]!.scheduled_for);
    expect(planned1).toBeGreaterThanOrEqual(nextSendTime(before, DEFAULT_SEND_WINDOW, NC));
    expect(planned1).toBeLessThanOrEqual(nextSendTime(after, DEFAULT_SEND_WINDOW, NC));
    const local = new Intl.DateTimeFormat("en-US", { timeZone: NC, hour: "2-digit", hour12: false, weekday: "short" }).formatToParts(new Date(planned1));
    expect(Number(local.find((p) => p.type === "hour")!.value)).toBeGreaterThanOrEqual(8);
    expect(Number(local.find((p) => p.type === "hour")!.value)).toBeLessThan(11);
    expect(["Sat", "Sun"]).not.toContain(local.find((p) => p.type === "weekday")!.value);

    // Compliance and threading headers on email 1.
    expect(mail1.from).toBe("Sam Rivers <sam@mg.golf-outreach.test>");
    expect(mail1.headers["Message-Id"]).toMatch(/^<outreach\.[0-9a-f-]+\.1@mg\.golf-outreach\.test>$/);
    expect(mail1.headers["Reply-To"]).toBe("reply@mg.golf-outreach.test");
    expect(mail1.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/golf-outreach\.test\/unsubscribe\/[^>]+>, <mailto:reply@mg\.golf-outreach\.test\?subject=unsubscribe>$/);
    expect(mail1.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(mail1.text).toContain("100 Fairway Drive");
    expect(mail1.text).toContain("Your new practice facility opened this spring");
    expect(mail1.html).toContain("100 Fairway Drive");

    // Email 2 is planned 3 business days after email 1 was sent, inside the window.
    await waitForComment(lead, /^Email 1 of 3 sent/);
    const afterOne = (await sequenceOf(lead))!;
    const sent1 = Date.parse(afterOne.messages[0]!.sent_at!);
    expect(Date.parse(afterOne.next_send_at!)).toBe(nextSendTime(addBusinessDays(sent1, 3, NC), DEFAULT_SEND_WINDOW, NC));
    expect(Date.parse(afterOne.next_send_at!)).toBe(planStepTime({ window: DEFAULT_SEND_WINDOW, timeZone: NC, demo: false }, { now: sent1, previousSentAt: sent1, delayBusinessDays: 3 }));

    const [, mail2] = await advance(lead, 2);
    expect(mail2!.subject).toBe(`Re: ${mail1.subject}`);
    expect(mail2!.headers["In-Reply-To"]).toBe(mail1.headers["Message-Id"]);
    expect(mail2!.headers.References).toContain(mail1.headers["Message-Id"]!);
    const afterTwo = (await eventually(async () => {
      const s = await sequenceOf(lead);
      return s && s.current_step === 2 && s.next_send_at ? s : null;
    }, "email 2 recorded"))!;
    const sent2 = Date.parse(afterTwo.messages[1]!.sent_at!);
    expect(Date.parse(afterTwo.next_send_at!)).toBe(nextSendTime(addBusinessDays(sent2, 4, NC), DEFAULT_SEND_WINDOW, NC));

    const [, , mail3] = await advance(lead, 3);
    expect(mail3!.subject).toBe(`Re: ${mail1.subject}`);
    expect(mail3!.headers["In-Reply-To"]).toBe(mail1.headers["Message-Id"]);
    const done = (await sequenceOf(lead))!;
    expect(await waitForSequenceEnd(done.workflow_instance_id)).toBe("complete");
    const final = (await sequenceOf(lead))!;
    expect(final.status).toBe("completed");
    expect(final.messages.map((m) => m.status)).toEqual(["sent", "sent", "sent"]);
    await waitForComment(lead, /^Email 3 of 3 sent.*last email/);
  });

  it("is sent from the assignee's own mailbox when outreach_senders maps their ClickUp user, and /health says outreach is ready", { timeout: LONG }, async () => {
    const { REP_USER_ID } = await import("./outreach-helpers.ts");
    await withDb((sql) => sql`insert into outreach_senders (clickup_user_id, email, display_name, signature)
                              values (${REP_USER_ID}, 'riley@mg.golf-outreach.test', 'Riley Rep', 'Riley Rep, Golf Outreach') on conflict (clickup_user_id) do nothing`);
    try {
      const lead = await makeLead({ label: "Assigned", assignee: REP_USER_ID });
      const mail = await firstEmail(lead);
      expect(mail.from).toBe("Riley Rep <riley@mg.golf-outreach.test>");
      expect(mail.text).toContain("Riley Rep, Golf Outreach");
    } finally {
      await withDb((sql) => sql`delete from outreach_senders where clickup_user_id = ${REP_USER_ID}`);
    }
    const { call } = await import("./helpers.ts");
    const health = (await (await call("/health")).json()) as { outreach: { status: string } };
    expect(health.outreach).toEqual({ status: "ok" });
  });

  it("a repeated contacted for the same task is a no-op; a contact with no email or an unsubscribed address is refused with a comment", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Repeat" });
    await firstEmail(lead);
    const again = await moveLead(lead, "new lead", "contacted", { update: false });
    expect(again.response.status).toBe(200);
    const first = (await sequenceOf(lead))!;
    await waitForSequenceEnd(String(again.json.sequence_instance_id));
    expect((await sequencesOf(lead)).sequences).toHaveLength(1);
    expect((await sequenceOf(lead))!.id).toBe(first.id);
    expect((await clickupComments(lead.taskId)).filter((c) => /Outreach not started/.test(c.comment_text))).toHaveLength(0);

    const noEmail = await makeLead({ label: "No Email", email: null });
    await contacted(noEmail);
    expect(await waitForComment(noEmail, /^Outreach not started: the contact has no email address/)).toBeTruthy();
    expect((await sequencesOf(noEmail)).sequences).toHaveLength(0);

    const gone = await makeLead({ label: "Opted Out" });
    await withDb((sql) => sql`insert into unsubscribes (email, reason, source) values (${gone.email!.toUpperCase()}, 'test', 'test')`);
    await contacted(gone);
    expect(await waitForComment(gone, /^Outreach not started: .* has unsubscribed/)).toBeTruthy();
    expect(await mailsTo(gone.email)).toHaveLength(0);
  });
});

describe("a sequence stops", () => {
  it("when the contact replies to email 1: task → replied, one comment with the reply, no later email", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Reply One" });
    const mail1 = await firstEmail(lead);
    const reply = await mailgunReply({ inReplyTo: mail1.headers["Message-Id"]!, text: "Sounds good — call me Tuesday. <b>not bold</b>" });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ kind: "reply", matched: true });

    const seq = (await sequenceOf(lead))!;
    expect(seq.status).toBe("replied");
    expect(await waitForSequenceEnd(seq.workflow_instance_id)).toBe("complete");
    const comment = await waitForComment(lead, /replied to email 1/);
    expect(comment).toContain("Sounds good — call me Tuesday. <b>not bold</b>");
    await eventually(async () => (await clickupTask(lead.taskId)).status.status === "replied", "the task to move to replied");
    expect((await sendNow(lead)).status).toBe(409);
    expect(await mailsTo(lead.email)).toHaveLength(1);
    expect((await sequenceOf(lead))!.events.map((e) => e.kind)).toContain("reply");
  });

  it("when the contact replies to email 2", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Reply Two", segment: "budget" });
    await firstEmail(lead);
    const [, mail2] = await advance(lead, 2);
    // Matched by References when the client keeps only the thread's root in In-Reply-To.
    await mailgunReply({ inReplyTo: mail2!.headers["Message-Id"]!, text: "Send me pricing." });
    const seq = (await sequenceOf(lead))!;
    expect(seq.status).toBe("replied");
    await waitForSequenceEnd(seq.workflow_instance_id);
    await waitForComment(lead, /replied to email 2/);
    expect(await mailsTo(lead.email)).toHaveLength(2);
  });

  it("not when the reply is an out-of-office: recorded, and the next email still goes", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Away" });
    const mail1 = await firstEmail(lead);
    const ooo = await mailgunReply({ inReplyTo: mail1.headers["Message-Id"]!, subject: `Automatic reply: ${mail1.subject}`, text: "I am out of the office until Monday.", headers: [["Auto-Submitted", "auto-replied"]] });
    expect(await ooo.json()).toMatchObject({ kind: "auto_reply", matched: true });
    expect((await sequenceOf(lead))!.status).toBe("active");
    await advance(lead, 2);
    expect((await sequenceOf(lead))!.events.map((e) => e.kind)).toContain("auto_reply");
    expect((await clickupTask(lead.taskId)).status.status).toBe("contacted");
  });

  it("on a permanent bounce: the address is marked invalid, the task says so, nothing more is sent", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Bounce" });
    const mail1 = await firstEmail(lead);
    const event = await mailgunEvent({ event: "failed", severity: "permanent", messageId: mail1.headers["Message-Id"]! });
    expect(event.status).toBe(200);
    const seq = (await sequenceOf(lead))!;
    expect(seq.status).toBe("bounced");
    await waitForSequenceEnd(seq.workflow_instance_id);
    const [row] = await withDb((sql) => sql`select email_status from contact_enrichment where contact_id = ${lead.contactId}`);
    expect(row!.email_status).toBe("invalid");
    await waitForComment(lead, /bounced/);
    // A temporary failure changes nothing.
    const other = await makeLead({ label: "Soft Bounce" });
    const otherMail = await firstEmail(other);
    await mailgunEvent({ event: "failed", severity: "temporary", messageId: otherMail.headers["Message-Id"]! });
    expect((await sequenceOf(other))!.status).toBe("active");
  });

  it("on a complaint and on Mailgun's unsubscribed event: the address is never emailed again, the task → unsubscribed", { timeout: LONG }, async () => {
    for (const event of ["complained", "unsubscribed"] as const) {
      const lead = await makeLead({ label: `Event ${event}` });
      const mail1 = await firstEmail(lead);
      expect((await mailgunEvent({ event, messageId: mail1.headers["Message-Id"]! })).status).toBe(200);
      const seq = (await sequenceOf(lead))!;
      expect(seq.status).toBe("unsubscribed");
      await waitForSequenceEnd(seq.workflow_instance_id);
      expect((await sequencesOf(lead)).unsubscribed).toBe(true);
      await eventually(async () => (await clickupTask(lead.taskId)).status.status === "unsubscribed", "the task to move to unsubscribed");
      expect(await mailsTo(lead.email)).toHaveLength(1);
    }
  });

  it("on a one-click unsubscribe (POST, no cookie); the GET page only asks", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "One Click" });
    const mail1 = await firstEmail(lead);
    const link = mail1.headers["List-Unsubscribe"]!.match(/<https:\/\/golf-outreach\.test(\/unsubscribe\/[^>]+)>/)![1]!;
    const { call } = await import("./helpers.ts");
    const page = await call(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form[^>]+method="post"/i);
    expect((await sequenceOf(lead))!.status).toBe("active");

    const oneClick = await call(link, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(oneClick.status).toBe(200);
    const seq = (await sequenceOf(lead))!;
    expect(seq.status).toBe("unsubscribed");
    await waitForSequenceEnd(seq.workflow_instance_id);
    expect((await sequencesOf(lead)).unsubscribed).toBe(true);
    // A tampered token unsubscribes nobody.
    expect((await call(`${link}x`, { method: "POST" })).status).toBe(404);
  });

  it("when the rep moves the task to another status, or deletes it", { timeout: LONG }, async () => {
    const moved = await makeLead({ label: "Moved On" });
    await firstEmail(moved);
    const move = await moveLead(moved, "contacted", "closed");
    expect(move.json.action).toBe("sequence_stopped");
    const seq = (await sequenceOf(moved))!;
    expect(seq.status).toBe("stopped");
    expect(seq.stop_reason).toMatch(/moved to closed/);
    await waitForSequenceEnd(seq.workflow_instance_id);

    const deleted = await makeLead({ label: "Deleted" });
    await firstEmail(deleted);
    const { deliverClickUp } = await import("./helpers.ts");
    const response = await deliverClickUp({ webhook_id: "wh-outreach", event: "taskDeleted", task_id: deleted.taskId });
    expect(await response.json()).toMatchObject({ sequences_stopped: 1 });
    const stopped = (await sequenceOf(deleted))!;
    expect(stopped.stop_reason).toMatch(/deleted/);
    await waitForSequenceEnd(stopped.workflow_instance_id);
    expect(await mailsTo(deleted.email)).toHaveLength(1);
  });

  it("when the contact becomes inactive: the next claim refuses to send", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Left Club" });
    await firstEmail(lead);
    await waitForComment(lead, /^Email 1 of 3 sent/);
    await withDb((sql) => sql`update contacts set is_active = false, inactive_reason = 'left the club' where id = ${lead.contactId}`);
    const seq = (await sequenceOf(lead))!;
    expect(seq.status).toBe("stopped");
    expect(seq.stop_reason).toMatch(/no longer active/);
    // The workflow never heard of it: "send now" wakes it, and the claim says no.
    expect((await sendNow(lead)).status).toBe(409);
    const { env } = await import("cloudflare:workers");
    const instance = await env.OUTREACH_SEQUENCE.get(seq.workflow_instance_id);
    await instance.sendEvent({ type: "outreach-signal", payload: { kind: "send_now" } });
    expect(await waitForSequenceEnd(seq.workflow_instance_id)).toBe("complete");
    expect(await mailsTo(lead.email)).toHaveLength(1);
  });
});

describe("Mailgun webhooks", () => {
  it("refuses forged, stale and replayed requests, and a repeated event changes nothing", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Forged" });
    const mail1 = await firstEmail(lead);
    const id = mail1.headers["Message-Id"]!;
    expect((await mailgunReply({ inReplyTo: id, badSignature: true })).status).toBe(401);
    expect((await mailgunEvent({ event: "complained", messageId: id, badSignature: true })).status).toBe(401);
    expect((await mailgunReply({ inReplyTo: id, timestamp: Math.floor(Date.now() / 1000) - 16 * 60 })).status).toBe(401);
    expect((await sequenceOf(lead))!.status).toBe("active");

    const token = crypto.randomUUID().replace(/-/g, "");
    const first = await mailgunEvent({ event: "delivered", messageId: id, token });
    expect(first.status).toBe(200);
    const replay = await mailgunEvent({ event: "complained", messageId: id, token });
    expect(replay.status).toBe(406);
    expect((await sequenceOf(lead))!.status).toBe("active");

    // Malformed bodies are 400s.
    const { call } = await import("./helpers.ts");
    expect((await call("/webhooks/mailgun/events", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" })).status).toBe(400);
    expect((await call("/webhooks/mailgun/inbound", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(400);
  });
});

describe("sending", () => {
  it("an uncertain send (Mailgun accepted, the answer was lost) yields exactly one email", { timeout: LONG }, async () => {
    const lead = await makeLead({ label: "Lost Answer" });
    await contacted(lead);
    await startedSequence(lead);
    await injectFault("mailgun", { route: "POST /v3/*/messages", kind: "lost_answer", times: 1 });
    expect((await sendNow(lead)).status).toBe(202);
    await waitForComment(lead, /^Email 1 of 3 sent/);
    const seq = (await sequenceOf(lead))!;
    expect(seq.messages[0]!.status).toBe("sent");
    expect(seq.messages[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(await mailsTo(lead.email)).toHaveLength(1);
  });

  it("holds a mailbox's daily cap and spacing with 60 contacts started at once", { timeout: 300_000 }, async () => {
    const sender = `cap-${crypto.randomUUID().slice(0, 8)}@mg.golf-outreach.test`;
    await withDb((sql) => sql`insert into settings (key, value) values ('outreach', ${sql.json({ daily_cap: 5, spacing_seconds: 2, default_sender: { email: sender, name: "Cap Test" } })})
                                on conflict (key) do update set value = excluded.value`);
    try {
      // Set up one by one (the embedded database takes 64 connections; 60 sequences starting at once use their share).
      const leads: Lead[] = [];
      for (let i = 0; i < 60; i++) leads.push(await makeLead({ label: `Cap ${i}` }));
      const ids = leads.map((l) => l.contactId);
      // All 60 "contacted" deliveries at once, as a rep's bulk status change sends them.
      const deliveries = await Promise.all(leads.map((lead) => contacted(lead)));
      expect(deliveries.map((d) => d.json.action)).toEqual(leads.map(() => "accepted"));
      await eventually(async () => {
        const [row] = await withDb((sql) => sql`select count(*)::int as n from outreach_sequences where contact_id::text = any(string_to_array(${ids.join(",")}, ',')) and status = 'active'`);
        return row!.n === 60 ? true : null;
      }, "60 sequences started", 240_000);
      for (const lead of leads) expect((await sendNow(lead)).status).toBe(202);
      const fromSender = async () => {
        const response = await fetch(`${String((await import("cloudflare:workers")).env.MAILGUN_BASE_URL)}/__emulator/mailgun/messages`);
        return ((await response.json()) as { messages: { from: string; time: number }[] }).messages.filter((m) => m.from.includes(sender));
      };
      const sent = await eventually(async () => ((await fromSender()).length >= 5 ? fromSender() : null), "5 emails from the capped mailbox", 240_000);
      // The other 55 asked the mailbox too, found the day full, and were moved to the next window.
      const tomorrow = startOfNextLocalDay(Date.now(), NC);
      await eventually(async () => {
        const [row] = await withDb((sql) => sql`select count(*)::int as n from outreach_sequences
                                               where status = 'active' and current_step = 0 and next_send_at >= ${new Date(tomorrow)}
                                                 and contact_id::text = any(string_to_array(${ids.join(",")}, ','))`);
        return row!.n === 55 ? true : null;
      }, "55 sequences moved to the next window", 240_000);
      const times = (await fromSender()).map((m) => m.time).sort((a, b) => a - b);
      expect(times).toHaveLength(5);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1900);
      expect(sent.length).toBe(5);
    } finally {
      await withDb((sql) => sql`delete from settings where key = 'outreach'`);
    }
  });
});
