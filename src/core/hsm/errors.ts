import { ERROR_CODES, type ErrorCode } from '../error-codes.js';
import { PushprovError } from '../errors.js';

/**
 * What can go wrong with a key in an HSM. At start-up each of these stops
 * the process with its own message; later, HSM_UNAVAILABLE (503) is the one
 * a request meets while the HSM is gone. Messages name modules, tokens and
 * key labels, never a PIN.
 */
export type HsmErrorCode = Extract<ErrorCode, `HSM_${string}`>;

export class HsmError extends PushprovError {
  declare readonly code: HsmErrorCode;

  constructor(code: HsmErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: ERROR_CODES[code].status, ...options });
  }
}
