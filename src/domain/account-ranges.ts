/**
 * MDES identifies an account range by its start number zero-padded on the
 * right to 19 digits; an issuer names its ranges by prefixes of 9–19 digits.
 * A card belongs to the longest configured prefix its PAN starts with.
 */
export const padRange = (prefix: string): string => prefix.padEnd(19, '0');

export function accountRangeOf(pan: string, prefixes: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const prefix of prefixes) {
    if (pan.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best;
}
