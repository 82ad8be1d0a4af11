import type { ErrorCode } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';

/** Refusal while a guessable secret (password, one-time code) is locked after too many failures. */
export function lockedError(
  code: Extract<ErrorCode, 'SIGN_IN_LOCKED' | 'TOTP_LOCKED'>,
  what: string,
  now: Date,
  until: Date,
): PushprovError {
  const retryAfterSeconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new PushprovError(code, `too many failed ${what}; try again later`, {
    status: 429,
    details: { retryAfterSeconds },
  });
}
