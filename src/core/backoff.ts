/** Exponential backoff without jitter: `baseMs` after the first attempt, doubling, at most `capMs`. */
export const retryDelay = (attempts: number, baseMs: number, capMs: number): number =>
  Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
