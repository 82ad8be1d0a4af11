import type { JWTPayload } from 'jose';
import type { Clock } from '../../../core/clock.js';
import { AuthError } from '../../../core/errors.js';
import type { ScaPolicy } from './options.js';

/**
 * Whether the provider's token reports a strong customer authentication that
 * is recent enough: an accepted `acr`, or an accepted `amr` among the methods
 * used, and an `auth_time` within the policy's age. The provider vouches for
 * what happened; pushprov only reads what it signed.
 */
export function assertStrongAuthentication(
  claims: JWTPayload,
  policy: ScaPolicy,
  clock: Clock,
  toleranceSeconds: number,
): void {
  const acr = typeof claims.acr === 'string' && policy.acr.includes(claims.acr);
  const amr = Array.isArray(claims.amr) && claims.amr.some((m) => policy.amr.includes(String(m)));
  if (!acr && !amr) {
    throw new AuthError(
      'SCA_REQUIRED',
      "strong customer authentication is required: the bank's sign-in was not a strong one; step up there",
    );
  }
  const authTime = claims.auth_time;
  const ageSeconds =
    typeof authTime === 'number' ? clock.now().getTime() / 1000 - authTime : Number.POSITIVE_INFINITY;
  if (ageSeconds > policy.maxAgeSeconds + toleranceSeconds) {
    throw new AuthError(
      'SCA_REQUIRED',
      "strong customer authentication is required: the bank's strong sign-in is not recent enough; step up again",
    );
  }
}
