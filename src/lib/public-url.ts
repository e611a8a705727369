import { isPrivateAddress } from "./callback-url.ts";

/** Sites that list courses but are not a course's own website. */
const LISTING_HOSTS = [
  "facebook.com", "instagram.com", "twitter.com", "x.com", "linkedin.com", "yelp.com", "tripadvisor.com",
  "golfnow.com", "golfadvisor.com", "golflink.com", "teeoff.com", "google.com", "wikipedia.org", "mapquest.com",
];

/** An http(s) URL as written (trimmed), or null for anything else. */
export function httpUrl(value: string | null | undefined): URL | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}

/** An http(s) URL on a public host name (no IP literals, no private or loopback names), normalized; else null. */
export function publicHttpUrl(value: string | null | undefined): URL | null {
  const url = httpUrl(value);
  if (!url) return null;
  if (url.username || url.password) return null;
  const host = url.hostname.toLowerCase();
  if (isPrivateAddress(host) || /^[\d.]+$/.test(host) || host.includes(":") || !host.includes(".")) return null;
  url.hash = "";
  return url;
}

export function isListingSite(url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/^www\./, "");
  return LISTING_HOSTS.some((h) => host === h || host.endsWith(`.${h}`));
}
