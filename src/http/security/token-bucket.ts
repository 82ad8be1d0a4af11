import type { Clock } from '../../core/clock.js';

export interface BucketLimit {
  /** Requests allowed in a burst. */
  capacity: number;
  /** Requests regained per second. */
  refillPerSecond: number;
}

export type Take = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key, in this process. Only recently used keys are kept
 * (least recently used first out), so a flood of distinct keys costs bounded
 * memory; a forgotten key starts again with a full bucket, which is what a
 * key that has been idle long enough would have anyway.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  constructor(
    readonly limit: BucketLimit,
    private readonly clock: Clock,
    private readonly maxKeys = 10_000,
  ) {
    if (!(limit.capacity >= 1) || !(limit.refillPerSecond > 0))
      throw new RangeError('a bucket needs a capacity of at least 1 and a positive refill rate');
  }

  take(key: string): Take {
    const now = this.clock.now().getTime();
    const { capacity, refillPerSecond } = this.limit;
    const previous = this.#buckets.get(key);
    const tokens = previous
      ? Math.min(capacity, previous.tokens + ((now - previous.at) / 1000) * refillPerSecond)
      : capacity;
    this.#buckets.delete(key);
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.ceil((1 - tokens) / refillPerSecond) };
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > this.maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return { allowed: true };
  }
}
