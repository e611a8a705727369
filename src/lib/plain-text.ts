// Text from outside (a reply, a page, a research answer, a name) inside a ClickUp comment. A
// comment's `comment_text` is plain text: formatting needs the rich `comment` array of blocks
// (https://developer.clickup.com/docs/commentformatting), which the app never sends. So nothing in
// it can become a link, markup or emphasis, and markdown escaping would only show its backslashes
// ("pat\_lee@…"). What is left to do: drop control characters and bound the length.
// Markdown fields (task descriptions) use lib/markdown.ts instead.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A block of untrusted text for a comment (line breaks kept), at most `max` characters. */
export function plainText(text: string | null | undefined, max = 1500): string {
  return bounded((text ?? "").replace(CONTROL, "").trim(), max);
}

/** One line of untrusted text inside a comment's sentence (line breaks become spaces). */
export function plainLine(text: string | null | undefined, max = 300): string {
  return bounded((text ?? "").replace(CONTROL, "").replace(/\s*[\r\n]+\s*/g, " ").trim(), max);
}
