// Unsubscribe tokens and the unsubscribe page in workerd: round trip, refusal of anything forged, page escaping.
import { describe, expect, it } from "vitest";
import { unsubscribePage } from "../../../src/outreach/unsubscribe-page.ts";
import { createUnsubscribeToken, verifyUnsubscribeToken } from "../../../src/outreach/unsubscribe-token.ts";

const SECRET = "test-unsubscribe-secret";
const CLAIMS = { sequence_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7", email: "jane.doe+golf@pinevalley.example" };

describe("unsubscribe tokens", () => {
  it("round-trips the claims and is URL-safe", async () => {
    const token = await createUnsubscribeToken(SECRET, CLAIMS);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(await verifyUnsubscribeToken(SECRET, token)).toEqual(CLAIMS);
  });

  it("round-trips a non-ASCII address", async () => {
    const claims = { sequence_id: "s1", email: "jösé@exämple.com" };
    expect(await verifyUnsubscribeToken(SECRET, await createUnsubscribeToken(SECRET, claims))).toEqual(claims);
  });

  it("refuses a token signed with another secret", async () => {
    const token = await createUnsubscribeToken("another-secret", CLAIMS);
    expect(await verifyUnsubscribeToken(SECRET, token)).toBeNull();
  });

  it("refuses a tampered payload or signature", async () => {
    const token = await createUnsubscribeToken(SECRET, CLAIMS);
    const [payload = "", signature = ""] = token.split(".");
    const otherPayload = btoa(JSON.stringify({ ...CLAIMS, email: "someone.else@example.com" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    expect(await verifyUnsubscribeToken(SECRET, `${otherPayload}.${signature}`)).toBeNull();
    expect(await verifyUnsubscribeToken(SECRET, `${payload}.${flipped}`)).toBeNull();
    expect(await verifyUnsubscribeToken(SECRET, `${payload}.${signature.slice(0, -2)}`)).toBeNull();
    expect(await verifyUnsubscribeToken(SECRET, `${payload}x.${signature}`)).toBeNull();
  });

  it.each(["", ".", "abc", "a.b.c", "!!!.???", "eyJ9.eyJ9", "%00.%00", "x".repeat(5000), `${"a".repeat(10)}.`])(
    "returns null for garbage %#",
    async (garbage) => {
      expect(await verifyUnsubscribeToken(SECRET, garbage)).toBeNull();
    },
  );

  it("returns null with an empty secret and refuses to sign with one", async () => {
    const token = await createUnsubscribeToken(SECRET, CLAIMS);
    expect(await verifyUnsubscribeToken("", token)).toBeNull();
    await expect(createUnsubscribeToken("", CLAIMS)).rejects.toThrow(/secret is empty/);
  });

  it("two sequences of the same address get different tokens", async () => {
    const a = await createUnsubscribeToken(SECRET, CLAIMS);
    const b = await createUnsubscribeToken(SECRET, { ...CLAIMS, sequence_id: "another-sequence" });
    expect(a).not.toBe(b);
  });
});

describe("unsubscribe page", () => {
  it("confirm: masks the address and offers one button that POSTs to the action path", () => {
    const html = unsubscribePage({ state: "confirm", email: "jane.doe@pinevalley.example", actionPath: "/unsubscribe/abc.def" });
    expect(html).toContain("j***@pinevalley.example");
    expect(html).not.toContain("jane.doe@");
    expect(html.match(/<form\b[^>]*>/g)).toEqual([`<form method="post" action="&#x2F;unsubscribe&#x2F;abc.def">`]);
    expect(html.match(/<button\b/g)).toHaveLength(1);
    expect(html).toContain(`name="List-Unsubscribe" value="One-Click"`);
    expect(html).toMatch(/<html lang="en">/);
    expect(html).not.toMatch(/<(script|link|img)\b|src=|https?:\/\//);
  });

  it("escapes everything it interpolates", () => {
    const html = unsubscribePage({ state: "confirm", email: `<script>@"><img src=x>`, actionPath: `/u/"><script>alert(1)</script>` });
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;***@&quot;&gt;&lt;img src&#x3D;x&gt;");
  });

  it("done: says the address will receive nothing more, without a form", () => {
    const html = unsubscribePage({ state: "done", email: "jane@pinevalley.example" });
    expect(html).toContain("j***@pinevalley.example is unsubscribed and will receive no more emails");
    expect(html).not.toContain("<form");
  });

  it("invalid: says the link is not valid, without a form", () => {
    const html = unsubscribePage({ state: "invalid" });
    expect(html).toContain("This link is not valid");
    expect(html).not.toContain("<form");
  });

  it("confirm without an action path is a programming error", () => {
    expect(() => unsubscribePage({ state: "confirm", email: "a@b.c" })).toThrow(/actionPath/);
  });
});
