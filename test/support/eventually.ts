import { vi } from 'vitest';

/**
 * Reads again until `done` holds of what `read` gives, and answers that:
 * for what the parts deliver to each other asynchronously (MDES's
 * notifications, background jobs), normally within milliseconds. Fails
 * after `timeout` with the last value read.
 */
export function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeout = 10_000, interval = 50 }: { timeout?: number; interval?: number } = {},
): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await read();
      if (!done(value)) throw new Error(`not there yet: ${JSON.stringify(value)?.slice(0, 1_000)}`);
      return value;
    },
    { timeout, interval },
  );
}
