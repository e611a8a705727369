/**
 * The identity of a person's name: one key for "Anne-Marie Lee", "anne marie LEE" and
 * "Mrs. Anne-Marie Lee, PGA". SQL computes the very same key (app_private.person_key, migration
 * 20261202000000_person_key.sql; contacts.name_key is generated from it), so the two must change
 * together: test/node/db/person-key.test.ts runs every case and every table entry through both.
 *
 * The rules, in order:
 *  1. Fold: every character in the table below becomes its plain lower-case ASCII spelling
 *     (A→a, é→e, ß→ss, ø→o, æ→ae, ł→l, curly quotes → straight ones); combining accents
 *     (U+0300–U+036F) vanish. Only this table is used, never Unicode case mapping or NFKD, so the
 *     result does not depend on the database's locale. Letters outside it (Cyrillic, Greek, CJK...)
 *     are not tokens (see 7). German spellings are not transliterated: "Müller" is "muller",
 *     "Mueller" stays "mueller" (two spellings, two keys; ü→ue would be wrong for Spanish names).
 *  2. Periods vanish: "J.R." is "jr", "Ph.D." is "phd" ("J.Smith", without a space, becomes "jsmith").
 *  3. Every character other than a-z, 0-9, ' " ( ) becomes a space: hyphens, dashes, commas, slashes,
 *     whitespace of any kind. So "Anne-Marie" = "Anne Marie" (but not "AnneMarie").
 *  4. Nicknames vanish: a "double-quoted" or (parenthesized) part anywhere, and a 'single-quoted'
 *     one that starts a word: `William "Bill" Jones` = `William 'Bill' Jones` = `William Jones`,
 *     `Robert (Bob) Smith` = `Robert Smith`.
 *  5. Apostrophes vanish, the word stays whole: "O'Brien" = "OBrien" = "obrien" (not "O Brien").
 *     Left-over quotes and parentheses are spaces.
 *  6. Words: leading honorifics (mr mrs ms miss mx dr prof rev) and trailing suffixes (jr sr ii iii
 *     iv 2nd 3rd, pga lpga phd md mba cpa esq cgcs cgm ccm cce) are dropped while more than one word
 *     is left; then single-letter middle initials are dropped ("John A. Smith" = "John Smith") but a
 *     first or last word is always kept ("J. Smith" is "j smith").
 *  7. The key is the words joined by single spaces. No nickname table: "Bob Smith" and "Robert
 *     Smith" stay two people until something else (an email, a ClickUp task) says they are one.
 *     "Smith, John" is not reordered.
 * A name with no word at all (only punctuation, or only letters outside the table) falls back to its
 * folded text with runs of control characters and spaces collapsed: never empty unless blank.
 */

/** Characters folded to one character: FOLD_FROM[i] becomes FOLD_TO[i]. Same strings in SQL translate(). */
const ONE_TO_ONE: readonly (readonly [string, string])[] = [
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"],
  ["ÀÁÂÃÄÅàáâãäåĀāĂăĄąǍǎ", "a"],
  ["ÇçĆćĈĉĊċČč", "c"],
  ["ÐðĎďĐđ", "d"],
  ["ÈÉÊËèéêëĒēĔĕĖėĘęĚě", "e"],
  ["ĜĝĞğĠġĢģ", "g"],
  ["ĤĥĦħ", "h"],
  ["ÌÍÎÏìíîïĨĩĪīĬĭĮįİıǏǐ", "i"],
  ["Ĵĵ", "j"],
  ["Ķķĸ", "k"],
  ["ĹĺĻļĽľĿŀŁł", "l"],
  ["ÑñŃńŅņŇňŉŊŋ", "n"],
  ["ÒÓÔÕÖØòóôõöøŌōŎŏŐőǑǒƠơ", "o"],
  ["ŔŕŖŗŘř", "r"],
  ["ŚśŜŝŞşŠšſȘș", "s"],
  ["ŢţŤťŦŧȚț", "t"],
  ["ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųǓǔƯư", "u"],
  ["Ŵŵ", "w"],
  ["ÝýÿŶŷŸ", "y"],
  ["ŹźŻżŽž", "z"],
  ["\u2018\u2019\u02bc\u0060\u00b4\u2032", "'"],
  ["\u201c\u201d\u201e\u00ab\u00bb\u2033", '"'],
  ["\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000", " "],
];

/** Characters folded to two. Same pairs in SQL replace(). */
const ONE_TO_MANY: Readonly<Record<string, string>> = {
  "ß": "ss", "ẞ": "ss", "Æ": "ae", "æ": "ae", "Œ": "oe", "œ": "oe", "Þ": "th", "þ": "th", "Ĳ": "ij", "ĳ": "ij",
};

/** Every folded character and what it becomes (the test runs each through SQL too). */
export const FOLDED_CHARACTERS: Readonly<Record<string, string>> = Object.freeze({
  ...Object.fromEntries(
    ONE_TO_ONE.flatMap(([from, to]) => [...from].map((ch, i) => [ch, to.length === 1 ? to : [...to][i]!] as const)),
  ),
  ...ONE_TO_MANY,
});

const HONORIFICS = new Set(["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev"]);
const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv", "2nd", "3rd", "pga", "lpga", "phd", "md", "mba", "cpa", "esq", "cgcs", "cgm", "ccm", "cce"]);

function fold(value: string): string {
  let out = "";
  for (const ch of value) out += FOLDED_CHARACTERS[ch] ?? ch;
  return out.replace(/[\u0300-\u036f]/g, "");
}

function words(folded: string): string[] {
  const text = folded
    .replaceAll(".", "")
    .replace(/[^a-z0-9'"()]/g, " ")
    .replace(/"[^"]*"/g, " ")
    .replace(/\([^)]*\)/g, " ")
    .replace(/(^| )'[^']*'(?= |$)/g, " ")
    .replaceAll("'", "")
    .replace(/["()]/g, " ");
  const tokens = text.split(" ").filter((t) => t !== "");
  while (tokens.length > 1 && HONORIFICS.has(tokens[0]!)) tokens.shift();
  while (tokens.length > 1 && SUFFIXES.has(tokens[tokens.length - 1]!)) tokens.pop();
  return tokens.filter((t, i) => i === 0 || i === tokens.length - 1 || !/^[a-z]$/.test(t));
}

/** The key of a person's name (see the rules above); "" only for a blank name. */
export function personKey(name: string): string {
  const folded = fold(name);
  const tokens = words(folded);
  if (tokens.length > 0) return tokens.join(" ");
  return folded.replace(/[\u0001-\u0020\u007f]+/g, " ").replace(/^ | $/g, "");
}

/**
 * personKey as a Workflow step name: the words joined by "-", only [a-z0-9-]. A key that is not
 * plain words (the fallback for names without any) gets a hash of the key, so two such names still
 * get two step names.
 */
export function personStepKey(name: string): string {
  const key = personKey(name);
  if (/^[a-z0-9]+( [a-z0-9]+)*$/.test(key)) return key.replaceAll(" ", "-");
  const slug = key.replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return `${slug || "person"}-${fnv1a(key)}`;
}

/** FNV-1a, 32 bits, as 8 hex digits: stable across runtimes and replays. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
