import { randomFillSync } from 'node:crypto';

/**
 * One-time keys and IVs from the CSPRNG, drawn in bulk. Each call into
 * node:crypto's generator costs several microseconds whatever the size (as
 * much as the AES work the bytes feed), so one call fills a pool that serves
 * about a hundred messages; Node pools randomUUID's randomness for the same
 * reason. Bytes are copied out once and zeroed in the pool, so none is ever
 * handed out twice or left behind after use.
 */

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `length` fresh random bytes, at most 4096. */
export function randomKeyMaterial(length: number): Buffer {
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + length));
  pool.fill(0, offset, offset + length);
  offset += length;
  return bytes;
}
