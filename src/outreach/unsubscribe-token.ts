/** Signed, URL-safe unsubscribe tokens: base64url(JSON claims) "." base64url(HMAC-SHA256), checked with WebCrypto. */

export interface UnsubscribeClaims {
  sequence_id: string;
  email: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
// Signed together with the payload, so a signature made with the same secret for another purpose is never a valid token.
const PURPOSE = "golf-outreach.unsubscribe.v1.";
// Far above any real token (uuid + an email address); stops a huge path from being decoded and hashed.
const MAX_TOKEN_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

// lib/crypto.ts signs to hex and compares hex strings; here the signature travels as bytes in a URL,
// so the key is imported for both sign and verify and crypto.subtle.verify does the constant-time check.
async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function validClaims(value: unknown): value is UnsubscribeClaims {
  if (typeof value !== "object" || value === null) return false;
  const { sequence_id, email } = value as Record<string, unknown>;
  return typeof sequence_id === "string" && sequence_id !== "" && typeof email === "string" && email.includes("@");
}

export async function createUnsubscribeToken(secret: string, claims: UnsubscribeClaims): Promise<string> {
  if (!secret) throw new Error("createUnsubscribeToken: the signing secret is empty");
  if (!validClaims(claims)) throw new Error("createUnsubscribeToken: sequence_id and an email address are required");
  // Only the two claims, in a fixed order: the token says nothing else about the lead.
  const payload = toBase64Url(encoder.encode(JSON.stringify({ sequence_id: claims.sequence_id, email: claims.email })));
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(PURPOSE + payload));
  return `${payload}.${toBase64Url(new Uint8Array(signature))}`;
}

/** The claims of a token this secret signed, or null for anything else (tampered, truncated, foreign, garbage). */
export async function verifyUnsubscribeToken(secret: string, token: string): Promise<UnsubscribeClaims | null> {
  if (!secret || typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split(".");
  if (parts.length !== 2) return null;
  const [payload = "", signatureText = ""] = parts;
  const signature = fromBase64Url(signatureText);
  if (!signature || !BASE64URL.test(payload)) return null;
  // Signature first: nothing of an unsigned payload is decoded or parsed.
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), signature, encoder.encode(PURPOSE + payload));
  if (!valid) return null;
  const bytes = fromBase64Url(payload);
  if (!bytes) return null;
  try {
    const claims: unknown = JSON.parse(decoder.decode(bytes));
    return validClaims(claims) ? { sequence_id: claims.sequence_id, email: claims.email } : null;
  } catch {
    return null;
  }
}
