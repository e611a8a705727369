// The Mailgun emulator: sending (form fields, h:/o:/v:), auth, validation, and the signed webhook
// event and inbound reply it POSTs to an app.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MailgunEmulator, startMailgunEmulator } from "../../../sandbox/mailgun/index.ts";

const KEY = "key-test";
const SIGNING_KEY = "whsec-test-signing-key";
const DOMAIN = "mg.golf-outreach.test";

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

/** What the app must do: hex HMAC-SHA256 of timestamp + token with the webhook signing key. */
function verify(timestamp: string, token: string, signature: string): boolean {
  const expected = createHmac("sha256", SIGNING_KEY).update(timestamp + token).digest();
  const given = Buffer.from(signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

beforeAll(async () => {
  mg = await startMailgunEmulator({ apiKeys: [KEY], signingKey: SIGNING_KEY });
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
  received.length = 0;
});

const auth = (key = KEY) => `Basic ${Buffer.from(`api:${key}`).toString("base64")}`;

const send = (fields: Record<string, string | string[]>, key = KEY, multipart = false) => {
  let body: URLSearchParams | FormData;
  if (multipart) {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) fd.append(k, x);
    body = fd;
  } else {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
    body = p;
  }
  return fetch(`${mg.url}/v3/${DOMAIN}/messages`, { method: "POST", headers: { authorization: auth(key) }, body });
};

const email = {
  from: "Riley Rep <riley@mg.golf-outreach.test>",
  to: "Stacy Foster <sfoster@richmondcountryclubva.com>",
  subject: "Range balls for Richmond Country Club",
  text: "Hi Stacy, ...",
  "h:Reply-To": "reply+lead-123@mg.golf-outreach.test",
  "o:tag": ["outreach", "email-1"],
  "v:lead_id": "lead-123",
};

describe("sending", () => {
  it("queues a message from form fields with h:, o: and v: parameters", async () => {
    const res = await send(email);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; message: string };
    expect(body.message).toBe("Queued. Thank you.");
    expect(body.id).toMatch(new RegExp(`^<\\d{14}\\.[0-9a-f]+@${DOMAIN.replace(/\./g, "\\.")}>$`));
    const sent = mg.messages[0]!;
    expect(sent).toMatchObject({
      id: body.id,
      domain: DOMAIN,
      to: ["Stacy Foster <sfoster@richmondcountryclubva.com>"],
      headers: { "Reply-To": "reply+lead-123@mg.golf-outreach.test" },
      tags: ["outreach", "email-1"],
      variables: { lead_id: "lead-123" },
    });
    const listed = (await (await fetch(`${mg.url}/__emulator/mailgun/messages`)).json()) as { count: number };
    expect(listed.count).toBe(1);
  });

  it("accepts multipart/form-data too", async () => {
    const res = await send({ ...email, html: "<p>Hi</p>" }, KEY, true);
    expect(res.status).toBe(200);
    expect(mg.messages[0]?.html).toBe("<p>Hi</p>");
  });

  it("401 Forbidden with a wrong key or no auth", async () => {
    const res = await send(email, "wrong");
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("Forbidden");
    const none = await fetch(`${mg.url}/v3/${DOMAIN}/messages`, { method: "POST", body: new URLSearchParams({ from: email.from, to: email.to, subject: email.subject, text: email.text }) });
    expect(none.status).toBe(401);
  });

  it("400 for missing fields", async () => {
    const { from: _f, ...noFrom } = email;
    expect(await (await send(noFrom)).json()).toEqual({ message: "'from' parameter is missing" });
    const { to: _t, ...noTo } = email;
    expect((await send(noTo)).status).toBe(400);
    const { text: _x, ...noBody } = email;
    const r = await send(noBody);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain("'text', 'html' or 'template'");
    expect(mg.messages).toHaveLength(0);
  });
});

describe("callbacks to the app", () => {
  it("POSTs a signed event webhook the app can verify", async () => {
    const sent = (await (await send(email)).json()) as { id: string };
    const r = await mg.deliverEvent({ url: `${appUrl}/webhooks/mailgun`, event: "delivered" });
    expect(r.status).toBe(200);
    const hit = received[0]!;
    expect(hit.contentType).toContain("application/json");
    const payload = JSON.parse(hit.body.toString()) as {
      signature: { timestamp: string; token: string; signature: string };
      "event-data": { event: string; recipient: string; message: { headers: { "message-id": string } }; "user-variables": Record<string, string> };
    };
    expect(verify(payload.signature.timestamp, payload.signature.token, payload.signature.signature)).toBe(true);
    expect(payload["event-data"]).toMatchObject({ event: "delivered", recipient: "sfoster@richmondcountryclubva.com", "user-variables": { lead_id: "lead-123" } });
    expect(payload["event-data"].message.headers["message-id"]).toBe(sent.id.slice(1, -1));
  });

  it("signs with a wrong signature on request, and takes events over HTTP", async () => {
    await send(email);
    await fetch(`${mg.url}/__emulator/mailgun/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `${appUrl}/wh`, event: "failed", severity: "permanent", bad_signature: true }),
    });
    const payload = JSON.parse(received[0]!.body.toString()) as { signature: { timestamp: string; token: string; signature: string }; "event-data": { event: string; severity: string } };
    expect(payload["event-data"]).toMatchObject({ event: "failed", severity: "permanent" });
    expect(verify(payload.signature.timestamp, payload.signature.token, payload.signature.signature)).toBe(false);
  });

  it("POSTs a signed inbound reply (multipart form) threaded to the sent message", async () => {
    const sent = (await (await send(email)).json()) as { id: string };
    const r = await mg.deliverReply({ url: `${appUrl}/webhooks/mailgun/inbound`, text: "Yes, let's talk." });
    expect(r.status).toBe(200);
    const hit = received[0]!;
    expect(hit.contentType).toContain("multipart/form-data");
    const form = await new Response(new Uint8Array(hit.body), { headers: { "content-type": hit.contentType } }).formData();
    expect(form.get("In-Reply-To")).toBe(sent.id);
    expect(form.get("recipient")).toBe("reply+lead-123@mg.golf-outreach.test");
    expect(form.get("sender")).toBe("sfoster@richmondcountryclubva.com");
    expect(form.get("stripped-text")).toBe("Yes, let's talk.");
    expect(form.get("subject")).toBe("Re: Range balls for Richmond Country Club");
    expect(verify(String(form.get("timestamp")), String(form.get("token")), String(form.get("signature")))).toBe(true);
  });
});
