/** Constant-time comparisons and HMAC helpers on Web Crypto (no secret ever leaves this module). */
const encoder = new TextEncoder();

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two secrets in constant time: both sides are hashed first so they have equal length,
 * then workerd's `crypto.subtle.timingSafeEqual` compares the digests.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}

export async function hmacSha256Hex(secret: string, data: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.sign("HMAC", key, bytes));
}

/** Checks a hex HMAC-SHA256 signature over the exact bytes received, in constant time. */
export async function verifyHmacSha256Hex(secret: string, data: Uint8Array, signatureHex: string): Promise<boolean> {
  const expected = await hmacSha256Hex(secret, data);
  return secretsEqual(expected, signatureHex.trim().toLowerCase());
}

export async function sha256Hex(data: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(data)));
}
