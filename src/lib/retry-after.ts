/** Reads an HTTP `retry-after` header, for the providers' retries and the ClickUp rate gate. */

/** `retry-after` (seconds or an HTTP date) as milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? ms : null;
}
