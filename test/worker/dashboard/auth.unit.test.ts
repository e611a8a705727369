// The dashboard's identities: a Cloudflare Access JWT verified against the team's keys (signature,
// issuer, audience, expiry), the signed session token, and the CSRF rule.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { accessIssuer, createSessionToken, csrfProblem, csrfTokenFor, identify, verifySessionToken } from "../../../src/dashboard/auth.ts";
import { parseConfig } from "../../../src/env.ts";

const TEAM = "golfteam.cloudflareaccess.com";
const AUD = "a1b2c3d4e5f6";

async function team() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const sign = (claims: Record<string, unknown>, opts: { issuer?: string; audience?: string; expires?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(opts.issuer ?? `https://${TEAM}`)
      .setAudience(opts.audience ?? AUD)
      .setIssuedAt()
      .setExpirationTime(opts.expires ?? "10m")
      .sign(privateKey);
  return { keys, sign };
}

const headers = (h: Record<string, string>) => new Headers(h);

describe("dashboard auth", () => {
  const env = parseConfig({ CF_ACCESS_TEAM_DOMAIN: "golfteam", CF_ACCESS_AUD: AUD }).env;

  it("accepts an Access JWT signed by the team for this application, and nothing else", async () => {
    expect(accessIssuer("golfteam")).toBe(`https://${TEAM}`);
    expect(accessIssuer(`https://${TEAM}/`)).toBe(`https://${TEAM}`);
    const { keys, sign } = await team();
    const good = await sign({ email: "ann@golf.example", sub: "u1" });
    expect(await identify(env, headers({ "cf-access-jwt-assertion": good }), { accessKeys: keys })).toMatchObject({ actor: "ann@golf.example", via: "access" });
    for (const bad of [
      await sign({ email: "ann@golf.example" }, { audience: "another-app" }),
      await sign({ email: "ann@golf.example" }, { issuer: "https://evil.cloudflareaccess.com" }),
      await sign({ email: "ann@golf.example" }, { expires: "-1m" }),
      (await team()).sign({ email: "ann@golf.example" }).then((t) => t),
    ]) {
      expect(await identify(env, headers({ "cf-access-jwt-assertion": await bad }), { accessKeys: keys })).toBeNull();
    }
  });

  it("signs sessions with the admin key and refuses a tampered, expired or foreign one", async () => {
    const token = await createSessionToken("key-1");
    expect(await verifySessionToken("key-1", token)).toBe(true);
    expect(await verifySessionToken("key-2", token)).toBe(false);
    expect(await verifySessionToken("key-1", token.replace(/.$/, (c) => (c === "0" ? "1" : "0")))).toBe(false);
    expect(await verifySessionToken("key-1", token, Date.now() + 13 * 3600_000)).toBe(false);
  });

  it("requires the CSRF token bound to the browser credential, and a same-origin request", async () => {
    const who = { actor: "a", via: "session" as const, credential: "cred" };
    const url = "https://golf.example/api/admin/routing-rules";
    const token = await csrfTokenFor("cred");
    expect(await csrfProblem(who, { url, headers: headers({ "x-csrf-token": token, origin: "https://golf.example" }) })).toBeNull();
    expect(await csrfProblem(who, { url, headers: headers({}) })).toMatch(/CSRF/);
    expect(await csrfProblem(who, { url, headers: headers({ "x-csrf-token": await csrfTokenFor("other") }) })).toMatch(/CSRF/);
    expect(await csrfProblem(who, { url, headers: headers({ "x-csrf-token": token, origin: "https://evil.example" }) })).toMatch(/cross-origin/);
    expect(await csrfProblem({ ...who, via: "bearer", credential: null }, { url, headers: headers({}) })).toBeNull();
  });
});
