/**
 * How deeply a JSON body may nest. A body under the size limit can still
 * nest tens of thousands of levels, and whatever later walks the parsed
 * value recursively (a validator, a serializer, a logger) can overflow the
 * stack on it; none of Mastercard's messages or pushprov's own nests past a
 * dozen levels.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether the JSON text nests arrays and objects deeper than `max`, read in
 * one pass before it is parsed (brackets inside strings do not count). Text
 * that is not JSON is left to the parser to refuse.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
