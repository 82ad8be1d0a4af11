import { expect } from 'vitest';
import { CryptoError } from '../../src/core/errors.js';

/** The CryptoError `fn` throws; fails the test when it throws anything else or nothing. */
export function cryptoErrorOf(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error('expected a CryptoError');
}

/** The stable code of the CryptoError `fn` throws. */
export const cryptoCodeOf = (fn: () => unknown): string => cryptoErrorOf(fn).code;
