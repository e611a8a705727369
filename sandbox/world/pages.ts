// Renders a course's website pages as markdown (what Jina Reader returns) from the course data.

import type { Course, StaffMember, WorldPage } from "./types.ts";

export interface PageOptions {
  /** Print staff emails on the staff page (per member `email_on_website` still applies). */
  showEmails?: boolean;
  /** Extra markdown appended to the staff page (used by the prompt-injection case). */
  staffPageExtra?: string;
  /** Extra markdown appended to the about page. */
  aboutPageExtra?: string;
  /** Path of the staff page (default "/staff"). */
  staffPath?: string;
  updated?: string;
}

function staffLine(s: StaffMember, showEmails: boolean): string {
  const parts = [`**${s.full_name}** — ${s.title}`];
  if (showEmails && s.email && s.email_on_website) parts.push(`Email: ${s.email}`);
  if (s.phone && s.phone_type === "direct") parts.push(`Direct: ${s.phone}`);
  return `- ${parts.join("  \n  ")}`;
}

export function buildPages(c: Omit<Course, "pages">, opts: PageOptions = {}): WorldPage[] {
  if (!c.website) return [];
  const base = c.website.replace(/\/$/, "");
  const updated = opts.updated ?? "2026-08-14";
  const staffPath = opts.staffPath ?? "/staff";
  const showEmails = opts.showEmails ?? true;
  const kind =
    c.type === "private" ? "a private member club" : c.type === "resort" ? "a resort course open to guests" : c.type === "municipal" ? "a city-owned municipal course" : c.type === "semi-private" ? "a semi-private club welcoming public play" : "a public golf course";
  const rangeText = c.range.has_range
    ? `Our practice facility has ${c.range.stations} hitting stations (${c.range.surface})${c.range.ball_brand ? ` stocked with ${c.range.ball_brand} range balls` : ""}. ${c.range.notes}`
    : "We do not currently offer a driving range.";

  const home: WorldPage = {
    url: `${base}/`,
    title: `${c.name} | ${c.city}, ${c.state_name}`,
    description: `${c.name} is ${kind} in ${c.city}, ${c.state_name}.`,
    updated,
    markdown: [
      `# Welcome to ${c.name}`,
      "",
      `${c.name} is ${kind} in ${c.city}, ${c.state_name}, founded in ${c.founded}. Our ${c.holes}-hole layout was designed by ${c.designer}.`,
      "",
      `[About](${base}/about) | [Our Team](${base}${staffPath}) | [Practice Facility](${base}/practice) | [Contact](${base}/contact)`,
      "",
      "## The Course",
      "",
      `${c.holes} holes, ${c.water_notes}`,
      "",
      c.green_fee_usd !== null ? `Green fees from $${c.green_fee_usd}.` : "Play is reserved for members and their guests.",
      "",
      `Call the golf shop at ${c.phone}.`,
    ].join("\n"),
  };

  const about: WorldPage = {
    url: `${base}/about`,
    title: `About | ${c.name}`,
    description: `History of ${c.name}.`,
    updated,
    markdown: [
      `# About ${c.name}`,
      "",
      `Founded in ${c.founded}, ${c.name} is ${kind}${c.members ? ` with about ${c.members} members` : ""}. The club hosts roughly ${c.annual_rounds.toLocaleString("en-US")} rounds a year.`,
      "",
      `Address: ${c.address}`,
      "",
      opts.aboutPageExtra ?? "",
    ].join("\n"),
  };

  const staff: WorldPage = {
    url: `${base}${staffPath}`,
    title: `Our Team | ${c.name}`,
    description: `Staff directory of ${c.name}.`,
    updated,
    markdown: [
      "# Our Team",
      "",
      ...c.staff.filter((s) => s.listed_on_website !== false).map((s) => staffLine(s, showEmails)),
      "",
      `Main line: ${c.phone}`,
      "",
      opts.staffPageExtra ?? "",
    ].join("\n"),
  };

  const practice: WorldPage = {
    url: `${base}/practice`,
    title: `Practice Facility | ${c.name}`,
    description: `Driving range and short game area at ${c.name}.`,
    updated,
    markdown: ["# Practice Facility", "", rangeText].join("\n"),
  };

  const contact: WorldPage = {
    url: `${base}/contact`,
    title: `Contact | ${c.name}`,
    description: `Contact ${c.name}.`,
    updated,
    markdown: [
      "# Contact Us",
      "",
      `${c.name}`,
      `${c.address}`,
      "",
      `Golf shop: ${c.phone}`,
      c.domain ? `General inquiries: info@${c.domain}` : "",
    ].join("\n"),
  };

  return [home, about, staff, practice, contact];
}
