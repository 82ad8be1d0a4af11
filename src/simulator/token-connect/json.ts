/**
 * JSON.stringify that writes the decimal strings of chosen array fields as
 * JSON numbers. MDES types `enabledAccountRanges` as int64 and sends 19-digit
 * numbers (5412346789000000000), which a JavaScript number cannot hold; the
 * simulator keeps them as strings and writes their digits raw, as MDES does,
 * so clients are tested against the real wire shape.
 */
export function stringifyWithInt64(value: unknown, int64ArrayFields: ReadonlySet<string>): string {
  const json = JSON.stringify(value, (key, field: unknown) => {
    if (!int64ArrayFields.has(key) || !Array.isArray(field)) return field;
    return field.map((item) => {
      if (typeof item !== 'string' || !/^-?\d{1,19}$/.test(item)) {
        throw new TypeError(`${key} must hold decimal integer strings`);
      }
      return `${MARK}${item}`;
    });
  });
  // JSON.stringify escapes MARK's control character as \u0001; the documents
  // the simulator writes hold no other control characters.
  return json.replace(/"\\u0001int64:(-?\d{1,19})"/g, '$1');
}

const MARK = '\u0001int64:';
