// Names and titles of staff come from page text (A2, the freshness sweep) and from research answers,
// and they go into Perplexity queries, whose calls carry web_search: a "name" is untrusted text that
// must look like a person before it reaches a tool. One rule for every place that builds a query.

export const MAX_NAME_LENGTH = 80;
export const MAX_TITLE_LENGTH = 120;
const MAX_NAME_WORDS = 6;

/** Markup and addresses: a person's name never holds a link, a URL, an email address, HTML or markdown. */
const MARKUP = /[[\]<>`*_#|{}@\\]|:\/\/|\bwww\.|\bhttps?\b|\.(?:com|net|org|io|example|info)\b/i;
/** What drops a title: a link, a URL or an address (other stray symbols are only blanked). */
const LINK_OR_ADDRESS = /\]\(|:\/\/|\bwww\.|\bhttps?\b|@|\.(?:com|net|org|io|example|info)\b/i;
/** Words of an instruction, never of a name (a page can print "Ignore previous instructions" in the name column). */
const INSTRUCTION_WORDS = /\b(?:ignore|disregard|instructions?|prompt|system|assistant|previous|override|pretend|respond|fetch|click|json|llm|e-?mail)\b/i;
/** The same for titles, without the words real titles use ("Assistant Golf Professional", "Irrigation Systems Manager"). */
const TITLE_INSTRUCTION_WORDS = /\b(?:ignore|disregard|instructions?|prompt|override|pretend|json|llm)\b/i;
/** Credentials and suffixes printed after a comma ("Pat Lee, PGA"): kept as words, without the comma. */
const SUFFIX_AFTER_COMMA = /,\s*(jr\.?|sr\.?|ii|iii|iv|pga|cgcs|cgm|ccm)\s*$/i;
/** A nickname in quotes or brackets ("Robert \"Bob\" Smith"): dropped, as personKey drops it. */
const NICKNAME = /\s*(?:"[\p{L} .'-]{1,20}"|“[\p{L} .'-]{1,20}”|\([\p{L} .'-]{1,20}\))\s*/gu;
const NAME_CHARS = /^[\p{L}\p{M}][\p{L}\p{M} .'-]*$/u;

const spaced = (text: string) => text.replace(/[\s\u200b-\u200d\ufeff]+/g, " ").trim();

/** A person's name as page text gives it, or why it is not one (then it is dropped, and the run's guards say so). */
export function personName(raw: string): { name: string } | { rejected: string } {
  const text = spaced(raw.normalize("NFC").replace(/[’‘]/g, "'"));
  if (!text) return { rejected: "empty" };
  if (text.length > MAX_NAME_LENGTH) return { rejected: `longer than ${MAX_NAME_LENGTH} characters` };
  if (MARKUP.test(text)) return { rejected: "carries a link, an address or markup" };
  const name = spaced(text.replace(SUFFIX_AFTER_COMMA, " $1").replace(NICKNAME, " "));
  if (!NAME_CHARS.test(name)) return { rejected: "characters a name does not have (letters, spaces and .'- only)" };
  const words = name.split(" ");
  if (words.length < 2) return { rejected: "a single word" };
  if (words.length > MAX_NAME_WORDS) return { rejected: `more than ${MAX_NAME_WORDS} words` };
  if (INSTRUCTION_WORDS.test(name)) return { rejected: "reads as an instruction" };
  return { name };
}

export function isPersonName(raw: string): boolean {
  return "name" in personName(raw);
}

/**
 * A job title from page text: letters, digits, spaces and .,'&/- only, at most 120 characters (cut at
 * a word). A title that carries a link, an address or an instruction is dropped (""), not cleaned:
 * what is left of an instruction is still an instruction.
 */
export function jobTitle(raw: string | null | undefined): { title: string; dropped: boolean } {
  const text = spaced((raw ?? "").normalize("NFC").replace(/[’‘]/g, "'"));
  if (!text) return { title: "", dropped: false };
  if (LINK_OR_ADDRESS.test(text) || TITLE_INSTRUCTION_WORDS.test(text)) return { title: "", dropped: true };
  return { title: clip(spaced(text.replace(/[^\p{L}\p{M}\p{N} .,'&/-]/gu, " ")), MAX_TITLE_LENGTH), dropped: false };
}

/**
 * What a research query may say about a person: the name and title as checked above, checked again
 * where the query is built (a name can also come from the database, a rep's edit or an old run).
 * A name that is not one yields null: no query is made about it.
 */
export function personForQuery(name: string, title: string | null | undefined): { name: string; title: string } | null {
  const checked = personName(name);
  if (!("name" in checked)) return null;
  return { name: checked.name, title: jobTitle(title).title || "staff member" };
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return (space > max / 2 ? cut.slice(0, space) : cut).trim();
}
