/** US/Canada numbers to E.164 ("(804) 592-5861" → "+18045925861"); other shapes with a leading + kept as digits; junk → null. */
export function normalizePhone(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim().replace(/\s*(x|ext\.?)\s*\d+$/i, "");
  const digits = trimmed.replace(/\D/g, "");
  if (trimmed.startsWith("+")) return digits.length >= 8 && digits.length <= 15 ? `+${digits}` : null;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith("1")) return `+${digits}`;
  return null;
}
