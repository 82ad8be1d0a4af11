import { type Clock, systemClock } from '../../core/clock.js';
import { PushprovError } from '../../core/errors.js';

export interface NonceStore {
  /**
   * Records that (consumerKey, nonce) was used. Resolves false when it was
   * already seen and not yet expired. The pair may be forgotten from
   * `expiresAt` on, when its timestamp can no longer pass the window check.
   */
  remember(consumerKey: string, nonce: string, expiresAt: Date): Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  clock?: Clock;
  /** Most pairs held at once; default 100 000. */
  maxEntries?: number;
}

/**
 * Nonces in process memory, for one process (tests, a single simulator).
 * Bounded: expired pairs are dropped as time passes, and when the store is
 * full of live pairs it refuses to remember more rather than forget a live
 * one, which would let that request be replayed.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #clock: Clock;
  readonly #maxEntries: number;
  // Insertion order is close to expiry order (expiry follows the request
  // timestamp), so expired pairs are mostly found at the front.
  readonly #expiries = new Map<string, number>();

  constructor(options: MemoryNonceStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.#expiries.size;
  }

  async remember(consumerKey: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const now = this.#clock.now().getTime();
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now) break;
      this.#expiries.delete(key);
    }
    // Length-prefixed so no (key, nonce) pair can collide with another.
    const key = `${consumerKey.length}:${consumerKey}${nonce}`;
    const seen = this.#expiries.get(key);
    if (seen !== undefined && seen > now) return false;
    this.#expiries.delete(key);
    if (this.#expiries.size >= this.#maxEntries) this.#sweep(now);
    if (this.#expiries.size >= this.#maxEntries) {
      throw new PushprovError('OAUTH_NONCE_STORE_FULL', 'too many recent requests to check for replays', {
        status: 503,
      });
    }
    this.#expiries.set(key, expiresAt.getTime());
    return true;
  }

  #sweep(now: number): void {
    for (const [key, expiry] of this.#expiries) if (expiry <= now) this.#expiries.delete(key);
  }
}
