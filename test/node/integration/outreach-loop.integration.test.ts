// The sandbox demo as a test (what `npm start -- --sandbox` runs, over real HTTP): a rep creates an
// intake task, moves one of its lead tasks to "contacted" in the emulated ClickUp, email 1 lands in
// the Mailgun emulator, the contact replies through the emulator (forwarded by the inbound route
// `npm run mailgun:setup` made), and the lead task moves to "replied" with the reply in a comment.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLICKUP_SEED } from "../../../sandbox/clickup/index.ts";
import { sandboxOutreachEnv, startSandbox, type Sandbox } from "../../../sandbox/index.ts";
import { runClickUpSetup } from "../../../scripts/clickup-setup.ts";
import { runMailgunSetup } from "../../../scripts/mailgun-setup.ts";
import { createTestDatabase, type TestDatabase } from "../../support/database.ts";
import { startWorker, type RunningWorker } from "../../support/worker-harness.ts";

async function until<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string | (() => string), withinMs = 120_000): Promise<T> {
  for (const deadline = Date.now() + withinMs; ; ) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("outreach loop (integration, the sandbox demo)", () => {
  let database: TestDatabase;
  let sandbox: Sandbox;
  let worker: RunningWorker;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    sandbox = await startSandbox({ latency: "none", clickup: { seed: "intake", webhooks: { retryDelayMs: 5, timeoutMs: 5_000 } } });
    worker = await startWorker({
      ...sandbox.env,
      ...sandboxOutreachEnv("http://127.0.0.1:9"),
      CLICKUP_INTAKE_LIST_ID: "",
      DATABASE_URL: database.url,
      AGENT_API_KEY: "outreach-loop-key",
      HUNTER_VERIFY_POLL_MS: "5",
    });
    const env = { ...sandbox.env, CLICKUP_SPACE_ID: CLICKUP_SEED.intake.spaceId, APP_URL: worker.url.origin, DATABASE_URL: database.url };
    const lines: string[] = [];
    expect((await runClickUpSetup({ env, print: (line) => lines.push(line) })).exitCode, lines.join("\n")).toBe(0);
    expect((await runMailgunSetup({ env, print: (line) => lines.push(line) })).exitCode, lines.join("\n")).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await sql?.end();
    await worker?.close();
    await sandbox?.close();
    await database?.stop();
  });

  it("contacted → email 1 (demo mode: at once) → the contact replies → the task is replied, with the reply on it", async () => {
    const clickup = sandbox.servers.clickup;
    const mailgun = sandbox.servers.mailgun;
    const intake = clickup.createTaskAsUser(CLICKUP_SEED.intake.listId, { name: "Richmond Country Club, VA" });
    // A lead with an email address, once the course is enriched.
    const lead = await until(async () => {
      const rows = await sql`select c.clickup_task_id, e.email from contacts c join courses k on k.id = c.course_id
                             join contact_enrichment e on e.contact_id = c.id
                             where k.clickup_intake_task_id = ${String(intake.id)} and c.clickup_task_id is not null
                               and e.email is not null and coalesce(e.email_status, '') <> 'invalid' and k.status in ('enriched', 'partial')`;
      return rows[0] as { clickup_task_id: string; email: string } | undefined;
    }, "an enriched lead with an email");

    clickup.setTaskStatusAsUser(lead.clickup_task_id, "contacted");
    const email = await until(() => mailgun.messages.find((m) => m.to.some((t) => t.toLowerCase().includes(lead.email.toLowerCase()))), "email 1 at the Mailgun emulator");
    expect(email.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    expect(email.text).toContain("1 Sandbox Way");

    // The reply goes through the route mailgun:setup created, to the Worker's inbound webhook, signed.
    const delivered = await mailgun.deliverReply({ inReplyTo: email.id, text: "Yes — send me a quote for leased range balls." });
    expect(delivered.status).toBe(200);
    await until(() => String((clickup.task(lead.clickup_task_id) as { status: { status: string } }).status.status) === "replied", "the lead task to move to replied");
    const comments = () => clickup.workspace.commentsFor(lead.clickup_task_id).map((c) => c.text);
    // The status moves first, then the comment (one reservation at the gate, two requests).
    await until(() => comments().some((t) => t.includes("replied to email 1") && t.includes("send me a quote")), () => `the reply's comment on the lead task (comments: ${JSON.stringify(comments())})`, 60_000);
    expect(comments().some((t) => /^Email 1 of 3 sent/.test(t))).toBe(true);
    const [sequence] = await sql`select s.status from outreach_sequences s join contacts c on c.id = s.contact_id where c.clickup_task_id = ${lead.clickup_task_id}`;
    expect(sequence).toEqual({ status: "replied" });
  }, 180_000);
});
