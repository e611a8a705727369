// `npm run mailgun:setup` against the Mailgun emulator: creates the inbound route and the event
// webhooks, changes nothing on a second run, follows a new APP_URL, and never prints the key.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MailgunEmulator, startMailgunEmulator } from "../../../sandbox/mailgun/index.ts";
import { runMailgunSetup } from "../../../scripts/mailgun-setup.ts";

const KEY = "key-setup-secret-4f1a";
const DOMAIN = "mg.golf-outreach.test";

let mg: MailgunEmulator;
let app: Server;
let appUrl: string;
const hits: string[] = [];

beforeAll(async () => {
  mg = await startMailgunEmulator({ apiKeys: [KEY], domains: [DOMAIN] });
  app = createServer((req, res) => {
    hits.push(req.url ?? "");
    req.resume();
    req.on("end", () => res.writeHead(200).end("{}"));
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await mg.close();
  await new Promise<void>((r) => app.close(() => r()));
});
beforeEach(() => {
  mg.reset();
  mg.clearConfig();
  hits.length = 0;
});

const setup = async (env: Record<string, string | undefined> = {}) => {
  const lines: string[] = [];
  const result = await runMailgunSetup({
    env: { MAILGUN_API_KEY: KEY, MAILGUN_DOMAIN: DOMAIN, MAILGUN_BASE_URL: mg.url, APP_URL: appUrl, MAILGUN_WEBHOOK_SIGNING_KEY: "whsec", ...env },
    print: (line) => lines.push(line),
  });
  return { ...result, output: lines.join("\n") };
};

describe("mailgun:setup", () => {
  it("creates the route and the four webhooks, then a second run writes nothing", async () => {
    const first = await setup();
    expect(first.exitCode).toBe(0);
    expect(first.report.route?.outcome).toBe("created");
    expect(first.report.webhooks).toEqual({ permanent_fail: "created", complained: "created", unsubscribed: "created", delivered: "created" });
    expect(mg.routes).toEqual([
      expect.objectContaining({ priority: 0, expression: `match_recipient("reply@${DOMAIN}")`, actions: [`forward("${appUrl}/webhooks/mailgun/inbound")`, "stop()"] }),
    ]);
    const hooks = mg.webhooks.get(DOMAIN)!;
    expect([...hooks.keys()].sort()).toEqual(["complained", "delivered", "permanent_fail", "unsubscribed"]);
    for (const urls of hooks.values()) expect(urls).toEqual([`${appUrl}/webhooks/mailgun/events`]);

    const second = await setup();
    expect(second.exitCode).toBe(0);
    expect(second.report.route).toEqual({ id: mg.routes[0]!.id, outcome: "unchanged" });
    expect(Object.values(second.report.webhooks)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"]);
    expect(second.report.requests).toEqual({ get: 2, post: 0, put: 0 });
    expect(mg.routes).toHaveLength(1);
    for (const out of [first.output, second.output]) expect(out).not.toContain(KEY);
  });

  it("what it sets up is what Mailgun uses: replies and events reach the app without a url", async () => {
    await setup();
    await mg.deliverReply({ recipient: `reply@${DOMAIN}`, text: "Call me" });
    await mg.deliverEvent({ event: "failed", severity: "permanent", domain: DOMAIN });
    await mg.deliverEvent({ event: "complained", domain: DOMAIN });
    expect(hits).toEqual(["/webhooks/mailgun/inbound", "/webhooks/mailgun/events", "/webhooks/mailgun/events"]);
  });

  it("follows a new APP_URL and OUTREACH_REPLY_TO, keeping another app's webhook URL", async () => {
    await setup();
    const foreign = "https://crm.example.com/mailgun/bounces";
    mg.webhooks.get(DOMAIN)!.set("permanent_fail", [`${appUrl}/webhooks/mailgun/events`, foreign]);
    const moved = await setup({ APP_URL: "https://golf-outreach.example.workers.dev/" });
    expect(moved.exitCode).toBe(0);
    expect(moved.report.route?.outcome).toBe("updated");
    expect(mg.routes[0]!.actions).toEqual(['forward("https://golf-outreach.example.workers.dev/webhooks/mailgun/inbound")', "stop()"]);
    expect(mg.webhooks.get(DOMAIN)!.get("permanent_fail")).toEqual([foreign, "https://golf-outreach.example.workers.dev/webhooks/mailgun/events"]);
    expect(mg.webhooks.get(DOMAIN)!.get("delivered")).toEqual(["https://golf-outreach.example.workers.dev/webhooks/mailgun/events"]);

    const newReplyTo = await setup({ OUTREACH_REPLY_TO: `replies@${DOMAIN}` });
    expect(newReplyTo.report.route?.outcome).toBe("created");
    expect(mg.routes.map((r) => r.expression)).toEqual([`match_recipient("reply@${DOMAIN}")`, `match_recipient("replies@${DOMAIN}")`]);
  });

  it("exit 2 without APP_URL (nothing written), exit 1 on a refused key (and the key is not printed)", async () => {
    const noApp = await setup({ APP_URL: "" });
    expect(noApp.exitCode).toBe(2);
    expect(noApp.report.requests).toEqual({ get: 0, post: 0, put: 0 });
    expect(noApp.output).toContain("APP_URL");

    const wrong = "key-wrong-9d2c";
    const denied = await setup({ MAILGUN_API_KEY: wrong });
    expect(denied.exitCode).toBe(1);
    expect(denied.report.error).toMatch(/HTTP 401/);
    expect(denied.output).toContain("check MAILGUN_API_KEY");
    expect(denied.output).not.toContain(wrong);

    const unsigned = await setup({ MAILGUN_WEBHOOK_SIGNING_KEY: "" });
    expect(unsigned.exitCode).toBe(0);
    expect(unsigned.report.warnings.join(" ")).toContain("MAILGUN_WEBHOOK_SIGNING_KEY");
  });
});
