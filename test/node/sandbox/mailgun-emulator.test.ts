// The Mailgun emulator's account side (own Message-Id, the events query, routes and domain webhooks,
// forwarding through them, lost answers) and the app's Mailgun client against it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MailgunEmulator, startMailgunEmulator } from "../../../sandbox/mailgun/index.ts";
import { createMailgunClient, type OutgoingEmail } from "../../../src/providers/mailgun.ts";
import { ProviderError } from "../../../src/providers/provider-error.ts";

const KEY = "key-test";
const DOMAIN = "mg.golf-outreach.test";
const REPLY_TO = `reply@${DOMAIN}`;

let mg: MailgunEmulator;
let app: Server;
let appUrl: string;
const received: Array<{ path: string; contentType: string; body: Buffer }> = [];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

beforeAll(async () => {
  mg = await startMailgunEmulator({ apiKeys: [KEY], domains: [DOMAIN] });
  app = createServer(async (req, res) => {
    received.push({ path: req.url ?? "", contentType: req.headers["content-type"] ?? "", body: await readBody(req) });
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
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
  received.length = 0;
});

const auth = { authorization: `Basic ${Buffer.from(`api:${KEY}`).toString("base64")}` };
const api = async (method: string, path: string, form?: Array<[string, string]>) => {
  const res = await fetch(`${mg.url}${path}`, { method, headers: auth, ...(form ? { body: new URLSearchParams(form) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : text) as Record<string, any> };
};
const sendForm = (extra: Array<[string, string]> = []) =>
  api("POST", `/v3/${DOMAIN}/messages`, [
    ["from", `Riley Rep <riley@${DOMAIN}>`],
    ["to", "Stacy Foster <sfoster@richmondcountryclubva.com>"],
    ["subject", "Range balls for Richmond Country Club"],
    ["text", "Hi Stacy, ..."],
    ["h:Reply-To", REPLY_TO],
    ...extra,
  ]);

describe("sending with the sender's own Message-Id", () => {
  it("uses a valid h:Message-Id as the message's id, brackets or not", async () => {
    const a = await sendForm([["h:Message-Id", "<seq-1.step-1@mg.golf-outreach.test>"]]);
    expect(a.body).toEqual({ id: "<seq-1.step-1@mg.golf-outreach.test>", message: "Queued. Thank you." });
    const b = await sendForm([["h:Message-ID", "seq-1.step-2@mg.golf-outreach.test"]]);
    expect(b.body.id).toBe("<seq-1.step-2@mg.golf-outreach.test>");
    expect(mg.messages.map((m) => m.id)).toEqual(["<seq-1.step-1@mg.golf-outreach.test>", "<seq-1.step-2@mg.golf-outreach.test>"]);
  });

  it("generates one when the given Message-Id is not of the form id@domain", async () => {
    const r = await sendForm([["h:Message-Id", "not-a-message-id"]]);
    expect(r.body.id).toMatch(/^<\d{14}\.[0-9a-f]+@mg\.golf-outreach\.test>$/);
  });
});

describe("the events API", () => {
  it("records an accepted event per recipient, found by message-id and event", async () => {
    await sendForm([["h:Message-Id", "<m1@mg.golf-outreach.test>"], ["cc", "gm@richmondcountryclubva.com"], ["o:tag", "outreach"], ["v:lead_id", "lead-1"]]);
    await sendForm([["h:Message-Id", "<m2@mg.golf-outreach.test>"]]);
    const r = await api("GET", `/v3/${DOMAIN}/events?event=accepted&message-id=m1@mg.golf-outreach.test`);
    expect(r.status).toBe(200);
    expect(r.body.items.map((e: { recipient: string }) => e.recipient).sort()).toEqual(["gm@richmondcountryclubva.com", "sfoster@richmondcountryclubva.com"]);
    expect(r.body.items[0]).toMatchObject({ event: "accepted", tags: ["outreach"], "user-variables": { lead_id: "lead-1" }, message: { headers: { "message-id": "m1@mg.golf-outreach.test" } } });
    expect(typeof r.body.items[0].timestamp).toBe("number");
    expect(Object.keys(r.body.paging).sort()).toEqual(["first", "last", "next", "previous"]);
    // Ids are filtered as the events show them, without angle brackets.
    expect((await api("GET", `/v3/${DOMAIN}/events?message-id=${encodeURIComponent("<m1@mg.golf-outreach.test>")}`)).body.items).toEqual([]);
    expect((await api("GET", `/v3/${DOMAIN}/events?event=delivered&message-id=m1@mg.golf-outreach.test`)).body.items).toEqual([]);
    expect((await api("GET", `/v3/${DOMAIN}/events?event=${encodeURIComponent("delivered OR accepted")}&message-id=m2@mg.golf-outreach.test`)).body.items).toHaveLength(1);
  });

  it("pages with next URLs until an empty page, newest first by default, oldest first when ascending", async () => {
    for (const n of [1, 2, 3]) await sendForm([["h:Message-Id", `<p${n}@mg.golf-outreach.test>`]]);
    const first = await api("GET", `/v3/${DOMAIN}/events?limit=2`);
    expect(first.body.items.map((e: { message: { headers: Record<string, string> } }) => e.message.headers["message-id"])).toEqual(["p3@mg.golf-outreach.test", "p2@mg.golf-outreach.test"]);
    const next = await fetch(first.body.paging.next, { headers: auth }).then((r) => r.json() as Promise<{ items: unknown[]; paging: { next: string } }>);
    expect(next.items).toHaveLength(1);
    const last = await fetch(next.paging.next, { headers: auth }).then((r) => r.json() as Promise<{ items: unknown[] }>);
    expect(last.items).toEqual([]);
    const asc = await api("GET", `/v3/${DOMAIN}/events?begin=${Math.floor(Date.now() / 1000) - 60}&ascending=yes&limit=1`);
    expect(asc.body.items[0].message.headers["message-id"]).toBe("p1@mg.golf-outreach.test");
  });

  it("refuses a begin without an end or a direction, and asks for auth", async () => {
    expect((await api("GET", `/v3/${DOMAIN}/events?begin=1700000000`)).status).toBe(400);
    expect((await fetch(`${mg.url}/v3/${DOMAIN}/events`)).status).toBe(401);
    expect((await api("GET", `/v3/other.example/events`)).status).toBe(404);
  });

  it("shows the events it delivers to webhooks too", async () => {
    await sendForm([["h:Message-Id", "<d1@mg.golf-outreach.test>"]]);
    await mg.deliverEvent({ url: `${appUrl}/wh`, event: "delivered" });
    const r = await api("GET", `/v3/${DOMAIN}/events?event=delivered&message-id=d1@mg.golf-outreach.test`);
    expect(r.body.items).toHaveLength(1);
  });
});

describe("routes and domain webhooks", () => {
  it("creates, lists, reads, updates and deletes routes", async () => {
    const created = await api("POST", "/v3/routes", [["priority", "1"], ["description", "replies"], ["expression", `match_recipient("${REPLY_TO}")`], ["action", `forward("${appUrl}/in")`], ["action", "stop()"]]);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ message: "Route has been created", route: { priority: 1, description: "replies", actions: [`forward("${appUrl}/in")`, "stop()"] } });
    const id = created.body.route.id as string;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect((await api("GET", "/v3/routes")).body).toMatchObject({ total_count: 1, items: [{ id }] });
    const updated = await api("PUT", `/v3/routes/${id}`, [["action", `forward("${appUrl}/in2")`]]);
    expect(updated.body).toMatchObject({ id, priority: 1, actions: [`forward("${appUrl}/in2")`] });
    expect((await api("GET", `/v3/routes/${id}`)).body.route.actions).toEqual([`forward("${appUrl}/in2")`]);
    expect((await api("DELETE", `/v3/routes/${id}`)).status).toBe(200);
    expect((await api("GET", `/v3/routes/${id}`)).status).toBe(404);
    expect((await api("POST", "/v3/routes", [["action", "stop()"]])).status).toBe(400);
  });

  it("creates, lists, updates and deletes domain webhooks by their documented ids", async () => {
    const created = await api("POST", `/v3/domains/${DOMAIN}/webhooks`, [["id", "permanent_fail"], ["url", `${appUrl}/events`]]);
    expect(created.body).toEqual({ message: "Webhook has been created", webhook: { urls: [`${appUrl}/events`] } });
    expect((await api("POST", `/v3/domains/${DOMAIN}/webhooks`, [["id", "permanent_fail"], ["url", `${appUrl}/events`]])).status).toBe(400);
    expect((await api("POST", `/v3/domains/${DOMAIN}/webhooks`, [["id", "bounced"], ["url", `${appUrl}/events`]])).status).toBe(400);
    expect((await api("GET", `/v3/domains/${DOMAIN}/webhooks`)).body).toEqual({ webhooks: { permanent_fail: { urls: [`${appUrl}/events`] } } });
    const put = await api("PUT", `/v3/domains/${DOMAIN}/webhooks/permanent_fail`, [["url", `${appUrl}/a`], ["url", `${appUrl}/b`]]);
    expect(put.body).toEqual({ message: "Webhook has been updated", webhook: { urls: [`${appUrl}/a`, `${appUrl}/b`] } });
    expect((await api("GET", `/v3/domains/${DOMAIN}/webhooks/permanent_fail`)).body).toEqual({ webhook: { urls: [`${appUrl}/a`, `${appUrl}/b`] } });
    expect((await api("DELETE", `/v3/domains/${DOMAIN}/webhooks/permanent_fail`)).status).toBe(200);
    expect((await api("GET", `/v3/domains/${DOMAIN}/webhooks/permanent_fail`)).status).toBe(404);
    expect((await api("GET", `/v3/domains/other.example/webhooks`)).status).toBe(404);
  });

  it("forwards a reply to the matching route's URL, stopping at stop()", async () => {
    await api("POST", "/v3/routes", [["priority", "0"], ["expression", `match_recipient("${REPLY_TO}")`], ["action", `forward("${appUrl}/webhooks/mailgun/inbound")`], ["action", "stop()"]]);
    await api("POST", "/v3/routes", [["priority", "5"], ["expression", "catch_all()"], ["action", `forward("${appUrl}/catch-all")`]]);
    const sent = await sendForm([["h:Message-Id", "<r1@mg.golf-outreach.test>"]]);
    const r = await mg.deliverReply({ text: "Sounds good." });
    expect(r).toMatchObject({ url: `${appUrl}/webhooks/mailgun/inbound`, status: 200 });
    expect(received.map((h) => h.path)).toEqual(["/webhooks/mailgun/inbound"]);
    const form = await new Response(new Uint8Array(received[0]!.body), { headers: { "content-type": received[0]!.contentType } }).formData();
    expect(form.get("In-Reply-To")).toBe(sent.body.id);
    expect(form.get("recipient")).toBe(REPLY_TO);

    // A recipient only the catch-all matches goes there; over the control API too.
    const other = await fetch(`${mg.url}/__emulator/mailgun/replies`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ recipient: `sales@${DOMAIN}` }) });
    expect(other.status).toBe(200);
    expect(received.map((h) => h.path)).toEqual(["/webhooks/mailgun/inbound", "/catch-all"]);
  });

  it("POSTs an event to the domain webhook for it (failed → permanent_fail / temporary_fail)", async () => {
    await api("POST", `/v3/domains/${DOMAIN}/webhooks`, [["id", "permanent_fail"], ["url", `${appUrl}/webhooks/mailgun/events`]]);
    await sendForm([["h:Message-Id", "<f1@mg.golf-outreach.test>"]]);
    const r = await mg.deliverEvent({ event: "failed", severity: "permanent" });
    expect(r).toMatchObject({ url: `${appUrl}/webhooks/mailgun/events`, status: 200 });
    const payload = JSON.parse(received[0]!.body.toString()) as { "event-data": { event: string; severity: string; message: { headers: Record<string, string> } } };
    expect(payload["event-data"]).toMatchObject({ event: "failed", severity: "permanent", message: { headers: { "message-id": "f1@mg.golf-outreach.test" } } });
    await expect(mg.deliverEvent({ event: "failed", severity: "temporary" })).rejects.toThrow(/temporary_fail/);
    const overHttp = await fetch(`${mg.url}/__emulator/mailgun/events`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ event: "complained" }) });
    expect(overHttp.status).toBe(400);
    expect(((await overHttp.json()) as { error: { message: string } }).error.message).toMatch(/complained/);
  });

  it("says clearly when there is neither a url nor a route or webhook", async () => {
    await sendForm();
    await expect(mg.deliverReply({})).rejects.toThrow(/no url given and no route/);
    await expect(mg.deliverEvent({ event: "delivered" })).rejects.toThrow(/no url given and no "delivered" webhook/);
  });

  it("keeps routes and webhooks across reset() (traffic goes, configuration stays)", async () => {
    await api("POST", "/v3/routes", [["expression", "catch_all()"], ["action", "stop()"]]);
    await api("POST", `/v3/domains/${DOMAIN}/webhooks`, [["id", "delivered"], ["url", `${appUrl}/e`]]);
    await sendForm();
    await fetch(`${mg.url}/__emulator/reset`, { method: "POST" });
    expect(mg.messages).toHaveLength(0);
    expect(mg.events).toHaveLength(0);
    expect(mg.routes).toHaveLength(1);
    expect(mg.webhooks.get(DOMAIN)?.get("delivered")).toEqual([`${appUrl}/e`]);
    await fetch(`${mg.url}/__emulator/mailgun/config`, { method: "DELETE" });
    expect(mg.routes).toHaveLength(0);
  });
});

describe("render-only deliveries (for an app the emulator cannot reach)", () => {
  it("signs and returns a reply's fields, with extra MIME headers, and an event's payload, POSTing nothing", async () => {
    const sent = await sendForm([["h:Message-Id", "<ro@mg.golf-outreach.test>"]]);
    const reply = await fetch(`${mg.url}/__emulator/mailgun/replies`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ in_reply_to: sent.body.id, headers: [["Auto-Submitted", "auto-replied"]], render_only: true }),
    });
    const { url, payload } = (await reply.json()) as { url: string; payload: Record<string, string> };
    expect(url).toBe("");
    expect(payload).toMatchObject({ "In-Reply-To": "<ro@mg.golf-outreach.test>", "Auto-Submitted": "auto-replied", recipient: REPLY_TO });
    expect(JSON.parse(payload["message-headers"]!)).toContainEqual(["Auto-Submitted", "auto-replied"]);
    const event = await mg.deliverEvent({ event: "unsubscribed", renderOnly: true });
    expect(event.payload).toMatchObject({ "event-data": { event: "unsubscribed", message: { headers: { "message-id": "ro@mg.golf-outreach.test" } } } });
    expect(received).toEqual([]);
  });
});

describe("lost_answer on the send route", () => {
  it("keeps the message and its accepted event while the client sees a dropped connection", async () => {
    mg.faults.add({ route: "POST /v3/*/messages", kind: "lost_answer", times: 1 });
    await expect(sendForm([["h:Message-Id", "<lost@mg.golf-outreach.test>"]])).rejects.toThrow();
    expect(mg.messages.map((m) => m.id)).toEqual(["<lost@mg.golf-outreach.test>"]);
    const r = await api("GET", `/v3/${DOMAIN}/events?event=accepted&message-id=lost@mg.golf-outreach.test`);
    expect(r.body.items).toHaveLength(1);
    expect(mg.recorder.list().find((q) => q.path.endsWith("/messages"))).toMatchObject({ status: 200, fault: "lost_answer" });
  });
});

describe("the app's Mailgun client", () => {
  const email = (messageId: string, over: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
    from: `Riley Rep <riley@${DOMAIN}>`,
    to: "Stacy Foster <sfoster@richmondcountryclubva.com>",
    subject: "Range balls for Richmond Country Club",
    text: "Hi Stacy, ...",
    html: "<p>Hi Stacy, ...</p>",
    headers: { "Message-Id": messageId, "Reply-To": REPLY_TO, "List-Unsubscribe": "<https://app.example/unsubscribe/t>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
    tags: ["outreach", "email-1"],
    variables: { sequence_id: "seq-1" },
    ...over,
  });
  const client = (over: { apiKey?: string; timeoutMs?: number } = {}) => createMailgunClient({ apiKey: over.apiKey ?? KEY, domain: DOMAIN, baseUrl: `${mg.url}/`, timeoutMs: over.timeoutMs ?? 2_000 });
  const failure = async (p: Promise<unknown>): Promise<ProviderError> => {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  };

  it("sends form-encoded with basic auth, h:/o:/v: fields, and returns Mailgun's id", async () => {
    const { id } = await client().send(email("<c1@mg.golf-outreach.test>"));
    expect(id).toBe("<c1@mg.golf-outreach.test>");
    expect(mg.messages[0]).toMatchObject({
      headers: { "Message-Id": "<c1@mg.golf-outreach.test>", "Reply-To": REPLY_TO, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      tags: ["outreach", "email-1"],
      variables: { sequence_id: "seq-1" },
      html: "<p>Hi Stacy, ...</p>",
    });
    const request = mg.recorder.list()[0]!;
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request.headers.authorization).toBe(auth.authorization);
    expect(JSON.stringify(request.query) + request.path).not.toContain(KEY);
  });

  it("401 and 400 are permanent failures; 429 is retryable", async () => {
    const denied = await failure(client({ apiKey: "wrong" }).send(email("<c2@mg.golf-outreach.test>")));
    expect(denied).toMatchObject({ status: 401, retryable: false });
    expect(denied.message).not.toContain("wrong");
    const invalid = await failure(client().send(email("<c3@mg.golf-outreach.test>", { to: "not an address" })));
    expect(invalid).toMatchObject({ status: 400, retryable: false });
    mg.faults.add({ route: "POST /v3/*/messages", kind: "rate_limit", times: 1 });
    expect(await failure(client().send(email("<c4@mg.golf-outreach.test>")))).toMatchObject({ status: 429, retryable: true });
  });

  it("a timeout is retryable, and findAccepted then says Mailgun never got it", async () => {
    mg.faults.add({ route: "POST /v3/*/messages", kind: "timeout", times: 1 });
    const error = await failure(client({ timeoutMs: 300 }).send(email("<t1@mg.golf-outreach.test>")));
    expect(error.retryable).toBe(true);
    expect(await client().findAccepted("<t1@mg.golf-outreach.test>")).toBeNull();
  });

  it("a lost answer is retryable, and findAccepted then finds the message Mailgun accepted", async () => {
    const before = Date.now();
    mg.faults.add({ route: "POST /v3/*/messages", kind: "lost_answer", times: 1 });
    expect((await failure(client().send(email("<l1@mg.golf-outreach.test>")))).retryable).toBe(true);
    const found = await client().findAccepted("<l1@mg.golf-outreach.test>");
    expect(found).toEqual({ id: "<l1@mg.golf-outreach.test>", at: expect.any(Number) });
    expect(found!.at).toBeGreaterThanOrEqual(before - 1_000);
    expect(await client().findAccepted("l1@mg.golf-outreach.test", { since: before - 60_000 })).toMatchObject({ id: "<l1@mg.golf-outreach.test>" });
    expect(await client().findAccepted("<l1@mg.golf-outreach.test>", { since: Date.now() + 60_000 })).toBeNull();
    const query = mg.recorder.list().find((r) => r.path.endsWith("/events"))!.query;
    expect(query).toMatchObject({ event: "accepted", "message-id": "l1@mg.golf-outreach.test" });
  });

  it("findAccepted errors like any call: a 401 is permanent", async () => {
    expect(await failure(client({ apiKey: "wrong" }).findAccepted("<x@mg.golf-outreach.test>"))).toMatchObject({ status: 401, retryable: false });
  });
});
