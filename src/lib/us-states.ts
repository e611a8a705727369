/** US states (and DC) by name; the app stores the two-letter code. */
const STATES: Record<string, string> = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado",
  CT: "Connecticut", DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia",
  HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa", KS: "Kansas", KY: "Kentucky",
  LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts", MI: "Michigan", MN: "Minnesota",
  MS: "Mississippi", MO: "Missouri", MT: "Montana", NE: "Nebraska", NV: "Nevada", NH: "New Hampshire",
  NJ: "New Jersey", NM: "New Mexico", NY: "New York", NC: "North Carolina", ND: "North Dakota",
  OH: "Ohio", OK: "Oklahoma", OR: "Oregon", PA: "Pennsylvania", RI: "Rhode Island",
  SC: "South Carolina", SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah", VT: "Vermont",
  VA: "Virginia", WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
};
const BY_NAME = new Map(Object.entries(STATES).map(([code, name]) => [name.toLowerCase(), code]));

/** "Virginia", "virginia", "VA", " va " → "VA"; anything else → undefined. */
export function toStateCode(input: string): string | undefined {
  const cleaned = input.trim().replace(/\s+/g, " ");
  const upper = cleaned.toUpperCase();
  if (upper in STATES) return upper;
  return BY_NAME.get(cleaned.toLowerCase());
}

/** The coordinator key for a course that has no database id yet. */
export function courseNameKey(courseName: string, stateCode: string): string {
  return `${courseName.trim().replace(/\s+/g, " ").toLowerCase()}|${stateCode.toLowerCase()}`;
}

export function stateName(code: string): string {
  return STATES[code.toUpperCase()] ?? code;
}
