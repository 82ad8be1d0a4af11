// PostgreSQL text cannot hold U+0000 (PGlite quietly can), so input holding it
// is refused where it enters, never at whichever query first stores it.

/**
 * Whether any string in a parsed body, query or parameter set (keys included) holds U+0000.
 * Iterative: a body of nested arrays is as deep as its size allows. Bytes are not looked into.
 */
export function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0')) return true;
    } else if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\0')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
