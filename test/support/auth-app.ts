import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { createIssuerApp } from '../../src/http/app.js';
import { authGuards, cardholderOf } from '../../src/http/auth/guards.js';
import { authRoutes } from '../../src/http/routes/auth.js';
import type { Auth } from '../../src/service/auth/index.js';

/**
 * An issuer app with the auth routes, a stand-in push route (behind the SCA
 * grant) and a stand-in ops route, logging JSON to `logs`.
 */
export async function authProbeApp(options: {
  database: Database<unknown>;
  auth: Auth;
  clock: Clock;
  publicUrl: string;
  logs: Writable;
}): Promise<FastifyInstance> {
  const { auth, clock } = options;
  const guards = authGuards(auth);
  const app = await createIssuerApp({
    db: options.database.db,
    clock,
    publicUrl: options.publicUrl,
    logger: createLogger({ level: 'info', format: 'json', destination: options.logs }),
  });
  await app.register(authRoutes(auth, guards));
  app.post('/v1/push-probe', { onRequest: guards.requireGrant }, async (request) => ({
    cardholderId: cardholderOf(request).cardholderId,
    grantId: request.scaGrant?.id,
  }));
  app.get('/v1/ops/probe', { onRequest: guards.requireOps }, async (request) => ({
    keyId: request.ops?.keyId,
  }));
  await app.ready();
  return app;
}
