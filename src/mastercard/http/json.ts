/**
 * JSON.parse that keeps integers beyond 2^53 exact by reading them as decimal
 * strings. MDES types `enabledAccountRanges` as int64 19-digit numbers
 * (5412346789000000000), which a JavaScript number would silently round.
 */
export function parseJsonLosslessly(text: string): unknown {
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && '0123456789.eE+-'.includes(text[j] ?? '')) j++;
      const token = text.slice(i, j);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copied, i)}"${token}"`;
        copied = j;
      }
      i = j - 1;
    }
  }
  return JSON.parse(out + text.slice(copied));
}

/** Index of the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}
