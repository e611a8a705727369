// Phone numbers through libphonenumber-js (Google's libphonenumber metadata): the enrichment and a
// rep's corrections normalize the same way.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";

/**
 * A phone number in E.164 ("(804) 592-5861" → "+18045925861"; "+44 20 7946 0958" kept), or null for
 * junk. US is assumed when there is no country code. "Possible" (the right length for its country),
 * not "valid": the fixture world's 555 numbers and new ranges must not be thrown away. Extensions are dropped.
 */
export function normalizePhone(value: string | null | undefined, defaultCountry: "US" | "CA" = "US"): string | null {
  if (!value) return null;
  const parsed = parsePhoneNumberFromString(value.trim(), defaultCountry);
  return parsed?.isPossible() ? parsed.number : null;
}

/**
 * E.164 as a rep reads it and ClickUp's phone field takes it, with the country code and the
 * country's grouping ("+18045925861" → "+1 804 592 5861", "+442071234567" → "+44 20 7123 4567");
 * kept as it is when it cannot be read.
 */
export function internationalPhone(e164: string | null | undefined): string | null {
  if (!e164) return null;
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
