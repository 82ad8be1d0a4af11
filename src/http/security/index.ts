import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { registerSecurityHeaders } from './headers.js';
import { DEFAULT_RATE_LIMITS, type RateLimits, registerRateLimits } from './rate-limit.js';

export { DEFAULT_RATE_LIMITS, type RateLimits } from './rate-limit.js';

export interface HardeningOptions {
  publicUrl: string;
  clock: Clock;
  rateLimits?: RateLimits;
}

/** Security headers and rate limits for the issuer; call before any route is added. */
export function harden(app: FastifyInstance, options: HardeningOptions): void {
  registerSecurityHeaders(app, { publicUrl: options.publicUrl });
  registerRateLimits(app, options.rateLimits ?? DEFAULT_RATE_LIMITS, options.clock);
}
