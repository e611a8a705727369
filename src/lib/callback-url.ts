import type { ConfigVars } from "../env.ts";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True for IP literals that point inside a network: loopback, private, link-local, CGNAT, unspecified. */
export function isPrivateAddress(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (LOOPBACK.has(host) || host.endsWith(".localhost")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.includes(":")) {
    return host === "::" || host.startsWith("fc") || host.startsWith("fd") || host.startsWith("fe80") || host.startsWith("::ffff:");
  }
  return false;
}

function hostAllowed(hostname: string, allowed: string[]): boolean {
  const host = hostname.toLowerCase();
  return allowed.some((entry) => (entry.startsWith("*.") ? host.endsWith(entry.slice(1)) : host === entry));
}

/**
 * A callback target must be https and on a host listed in CALLBACK_ALLOWED_HOSTS (`*.example.com`
 * allowed). Private and loopback addresses are refused in production; outside production a listed
 * loopback host may use http, so the local emulators can receive callbacks. Returns the reason for a refusal.
 */
export function callbackUrlProblem(value: string, env: ConfigVars): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "callback_url is not a valid URL";
  }
  const allowed = (env.CALLBACK_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const production = env.ENVIRONMENT === "production";
  const privateHost = isPrivateAddress(url.hostname);
  const loopback = LOOPBACK.has(url.hostname.toLowerCase()) || url.hostname.startsWith("127.");
  if (url.username || url.password) return "callback_url must not carry credentials";
  if (production && privateHost) return "callback_url points at a private or loopback address";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !production && loopback)) {
    return "callback_url must use https";
  }
  if (!hostAllowed(url.hostname, allowed)) {
    return allowed.length
      ? `callback_url host ${url.hostname} is not in CALLBACK_ALLOWED_HOSTS`
      : "callbacks are disabled: CALLBACK_ALLOWED_HOSTS is empty";
  }
  return null;
}
