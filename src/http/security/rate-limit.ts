import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { PushprovError } from '../../core/errors.js';
import { type BucketLimit, type Take, TokenBuckets } from './token-bucket.js';

export interface RateLimits {
  /** Every request from one client address (probes and metrics excepted). */
  perIp: BucketLimit;
  /** Every request of one signed-in cardholder, whatever address or session it comes from. */
  perCardholder: BucketLimit;
  /**
   * Sign-ins from one address, tighter than `perIp`: each costs a password
   * hash, so a burst from one address must not queue everyone else's behind it.
   */
  signInPerIp?: BucketLimit;
}

/**
 * Generous enough for a person and a bank's app behind one address; tight
 * enough that guessing identifiers or hammering Mastercard through us stops
 * within seconds. Sign-in and step-up have their own lockouts besides.
 */
export const DEFAULT_RATE_LIMITS = {
  perIp: { capacity: 600, refillPerSecond: 10 },
  perCardholder: { capacity: 300, refillPerSecond: 5 },
  signInPerIp: { capacity: 10, refillPerSecond: 0.2 },
} as const satisfies Required<RateLimits>;

/** The routes that check a password. */
const SIGN_IN_PATHS = new Set(['/v1/session', '/app/signin']);

const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

class RateLimitedError extends PushprovError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', 'too many requests; retry later', {
      status: 429,
      details: { retryAfterSeconds },
    });
  }
}

function enforce(result: Take, reply: FastifyReply): void {
  if (result.allowed) return;
  reply.header('retry-after', String(result.retryAfterSeconds));
  throw new RateLimitedError(result.retryAfterSeconds);
}

/**
 * Installs both limits. The address is known on arrival; the cardholder only
 * once the route's guard (its `onRequest`) has identified them, so the
 * per-cardholder check runs next, before the body is validated or handled.
 */
export function registerRateLimits(app: FastifyInstance, limits: RateLimits, clock: Clock): void {
  const byIp = new TokenBuckets(limits.perIp, clock);
  const byCardholder = new TokenBuckets(limits.perCardholder, clock);
  const signInsByIp = new TokenBuckets(limits.signInPerIp ?? DEFAULT_RATE_LIMITS.signInPerIp, clock);

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (UNLIMITED.has(path)) return;
    enforce(byIp.take(request.ip), reply);
    if (request.method === 'POST' && SIGN_IN_PATHS.has(path)) enforce(signInsByIp.take(request.ip), reply);
  });
  app.addHook('preValidation', async (request, reply) => {
    if (request.cardholder) enforce(byCardholder.take(request.cardholder.cardholderId), reply);
  });
}
