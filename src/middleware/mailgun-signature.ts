import { z } from "zod";
import { hmacSha256Hex, secretsEqual } from "../lib/crypto.ts";
import { AppError } from "../lib/errors.ts";
import type { Store } from "../store/index.ts";

/** How old a signed timestamp may be (and how far ahead of our clock). */
export const MAILGUN_SIGNATURE_MAX_AGE_SECONDS = 15 * 60;

export interface MailgunSignature {
  timestamp: string;
  token: string;
  signature: string;
}

/**
 * Mailgun signs webhooks and inbound forwards alike: `signature` = hex HMAC-SHA256 of
 * `timestamp + token` with the webhook signing key (documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks).
 * Checked in constant time; a stale timestamp or a token seen before is refused (Mailgun's advice,
 * same page), the token only once the signature is good, so a forger cannot burn real tokens.
 * Returns a release function: call it when the request then fails, so Mailgun's retry is let in.
 */
export async function checkMailgunSignature(
  signingKey: string | undefined,
  signature: MailgunSignature | undefined,
  store: Store,
  nowMs = Date.now(),
): Promise<{ release: () => Promise<void> }> {
  if (!signingKey) throw new AppError("NOT_CONFIGURED", "MAILGUN_WEBHOOK_SIGNING_KEY is not set, so Mailgun webhooks are refused");
  if (!signature?.timestamp || !signature.token || !signature.signature) throw new AppError("UNAUTHORIZED", "missing Mailgun signature (timestamp, token, signature)");
  const timestamp = Number(signature.timestamp);
  if (!Number.isFinite(timestamp) || Math.abs(nowMs / 1000 - timestamp) > MAILGUN_SIGNATURE_MAX_AGE_SECONDS) {
    throw new AppError("UNAUTHORIZED", "the Mailgun signature's timestamp is more than 15 minutes away from now");
  }
  const expected = await hmacSha256Hex(signingKey, signature.timestamp + signature.token);
  if (!(await secretsEqual(expected, signature.signature.toLowerCase()))) throw new AppError("UNAUTHORIZED", "the Mailgun signature does not match");
  const { fresh } = await store.call("claim_webhook_token", { token: signature.token }, z.object({ fresh: z.boolean() }));
  if (!fresh) throw new AppError("REPLAYED", "this Mailgun webhook token was already used");
  return {
    release: async () => {
      await store.call("claim_webhook_token", { token: signature.token, release: true }, z.object({ fresh: z.boolean() })).catch(() => undefined);
    },
  };
}
