/**
 * Who may open the admin dashboard: a Cloudflare Access identity (its `Cf-Access-Jwt-Assertion`
 * JWT checked against the team's keys and the application's audience), or a session cookie set by
 * signing in with ADMIN_API_KEY, or (for tools) `Authorization: Bearer <ADMIN_API_KEY>`.
 * JWTs are checked with `jose` (Web Crypto only, so it runs in workerd; it caches and rotates the
 * team's JWKS), not by hand.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { ConfigVars } from "../env.ts";
import { hmacSha256Hex, secretsEqual, sha256Hex } from "../lib/crypto.ts";

/** `__Host-`: Secure, Path=/ and no Domain, so no sibling host can set or shadow it. */
export const SESSION_COOKIE = "__Host-golf_admin";
export const SESSION_SECONDS = 12 * 60 * 60;

export interface AdminIdentity {
  /** The Access email, or "admin-key". */
  actor: string;
  via: "access" | "session" | "bearer";
  /** What the CSRF token is bound to (null for bearer requests: a browser never adds that header by itself). */
  credential: string | null;
}

export function accessConfigured(env: ConfigVars): boolean {
  return !!env.CF_ACCESS_TEAM_DOMAIN && !!env.CF_ACCESS_AUD;
}

/** "myteam", "myteam.cloudflareaccess.com" or "https://myteam.cloudflareaccess.com/" → the issuer URL. */
export function accessIssuer(teamDomain: string): string {
  const host = teamDomain.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  return `https://${host.includes(".") ? host : `${host}.cloudflareaccess.com`}`;
}

const jwksByIssuer = new Map<string, JWTVerifyGetKey>();

function teamKeys(issuer: string): JWTVerifyGetKey {
  let keys = jwksByIssuer.get(issuer);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(`${issuer}/cdn-cgi/access/certs`));
    jwksByIssuer.set(issuer, keys);
  }
  return keys;
}

/** The Access identity in a JWT, or null when it does not verify (signature, issuer, audience, expiry). */
export async function verifyAccessJwt(token: string, opts: { issuer: string; audience: string; keys?: JWTVerifyGetKey }): Promise<{ email: string } | null> {
  try {
    const { payload } = await jwtVerify(token, opts.keys ?? teamKeys(opts.issuer), { issuer: opts.issuer, audience: opts.audience, algorithms: ["RS256"] });
    const email = typeof payload.email === "string" && payload.email ? payload.email : typeof payload.sub === "string" ? payload.sub : null;
    return email ? { email } : null;
  } catch {
    return null;
  }
}

function sessionMac(key: string, body: string): Promise<string> {
  return hmacSha256Hex(key, `golf-admin-session|${body}`);
}

/** A signed session token: expiry and a nonce, MACed with ADMIN_API_KEY (changing the key signs everyone out). */
export async function createSessionToken(key: string, nowMs = Date.now()): Promise<string> {
  const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const body = `v1.${Math.floor(nowMs / 1000) + SESSION_SECONDS}.${nonce}`;
  return `${body}.${await sessionMac(key, body)}`;
}

export async function verifySessionToken(key: string, token: string, nowMs = Date.now()): Promise<boolean> {
  const match = /^(v1\.(\d{1,12})\.[0-9a-f]{32})\.([0-9a-f]{64})$/.exec(token);
  if (!match) return false;
  if (Number(match[2]) * 1000 < nowMs) return false;
  return secretsEqual(await sessionMac(key, match[1]!), match[3]!);
}

/** The CSRF token for a browser credential: unguessable without it, and the credential is HttpOnly. */
export async function csrfTokenFor(credential: string): Promise<string> {
  return (await sha256Hex(`golf-admin-csrf|${credential}`)).slice(0, 48);
}

export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${SESSION_SECONDS}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}

/** The cookie's value in a Cookie header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return null;
}

/**
 * The identity of a request, or null. Access is tried first where it is configured; a request that
 * carries an Access assertion that does not verify is refused outright (never falls back).
 */
export async function identify(
  env: ConfigVars,
  headers: { get(name: string): string | null | undefined },
  opts: { accessKeys?: JWTVerifyGetKey } = {},
): Promise<AdminIdentity | null> {
  const assertion = headers.get("cf-access-jwt-assertion");
  if (accessConfigured(env) && assertion) {
    const who = await verifyAccessJwt(assertion, { issuer: accessIssuer(env.CF_ACCESS_TEAM_DOMAIN!), audience: env.CF_ACCESS_AUD!, ...(opts.accessKeys ? { keys: opts.accessKeys } : {}) });
    return who ? { actor: who.email, via: "access", credential: assertion } : null;
  }
  const key = env.ADMIN_API_KEY;
  if (!key) return null;
  const session = readCookie(headers.get("cookie") ?? undefined, SESSION_COOKIE);
  if (session && (await verifySessionToken(key, session))) return { actor: "admin-key", via: "session", credential: session };
  const authorization = headers.get("authorization") ?? "";
  if (authorization.startsWith("Bearer ") && (await secretsEqual(authorization.slice(7).trim(), key))) {
    return { actor: "admin-key", via: "bearer", credential: null };
  }
  return null;
}

/**
 * Why a state-changing request is refused as a possible CSRF, or null when it passes: the origin
 * (when the browser says it) must be this one, and a browser credential needs its CSRF token.
 */
export async function csrfProblem(identity: AdminIdentity | null, request: { url: string; headers: { get(name: string): string | null | undefined } }): Promise<string | null> {
  const origin = request.headers.get("origin");
  if (origin && origin !== new URL(request.url).origin) return "cross-origin request refused";
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return "cross-site request refused";
  if (!identity?.credential) return null;
  const presented = request.headers.get("x-csrf-token") ?? "";
  if (!presented || !(await secretsEqual(presented, await csrfTokenFor(identity.credential)))) return "missing or invalid X-CSRF-Token header";
  return null;
}
