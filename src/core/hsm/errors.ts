import { PushprovError } from '../errors.js';

/**
 * What can go wrong with a key in an HSM. At start-up each of these stops
 * the process with its own message; later, HSM_UNAVAILABLE (503) is the one
 * a request meets while the HSM is gone. Messages name modules, tokens and
 * key labels, never a PIN.
 */
export type HsmErrorCode =
  | 'HSM_URI_INVALID'
  | 'HSM_DRIVER_MISSING'
  | 'HSM_MODULE_UNLOADABLE'
  | 'HSM_MODULE_REQUIRED'
  | 'HSM_TOKEN_NOT_FOUND'
  | 'HSM_PIN_MISSING'
  | 'HSM_PIN_INCORRECT'
  | 'HSM_PIN_LOCKED'
  | 'HSM_KEY_NOT_FOUND'
  | 'HSM_KEY_AMBIGUOUS'
  | 'HSM_KEY_UNSUITABLE'
  | 'HSM_UNAVAILABLE'
  | 'HSM_OPERATION_FAILED';

export class HsmError extends PushprovError {
  declare readonly code: HsmErrorCode;

  constructor(code: HsmErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: code === 'HSM_UNAVAILABLE' ? 503 : 500, ...options });
  }
}
