// Text from the web (page text, research answers, names) inside the markdown the app writes to
// ClickUp (task descriptions): escaped, so it renders as the words it is and can never become a
// link, an image, HTML, a heading or emphasis a rep did not expect. Comments are plain text and use
// lib/plain-text.ts (an escape there would show as a backslash).

import { httpUrl } from "./public-url.ts";

/** Markdown's inline syntax characters; a backslash before any ASCII punctuation shows it literally (CommonMark). */
const SYNTAX = /[\\`*_[\]<>#|~]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** One line of untrusted text for markdown: control characters and line breaks gone, syntax escaped. */
export function escapeMarkdown(text: string | null | undefined): string {
  return (text ?? "").replace(CONTROL, "").replace(/\s*[\r\n]+\s*/g, " ").replace(SYNTAX, (c) => `\\${c}`);
}

/**
 * A URL from the web for markdown: kept only when it is http(s), with the characters that could
 * close or open markdown around it percent-encoded (the URL still opens the same page).
 */
export function markdownUrl(value: string | null | undefined): string | null {
  const url = httpUrl(value);
  if (!url) return null;
  return url.href.replace(/[()[\]<>*_`|\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
