import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import { issuerReadiness } from '../store/store.js';
import { registerMetrics } from './metrics.js';
import { harden, type RateLimits } from './security/index.js';

export interface IssuerAppOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  publicUrl: string;
  /** The route plugins, registered after OpenAPI so they are all documented. */
  plugins?: readonly FastifyPluginAsync[];
  /** Per address and per cardholder; DEFAULT_RATE_LIMITS when not given. */
  rateLimits?: RateLimits;
  /** Behind a reverse proxy: its hop count or addresses; default false (the peer is the client). */
  trustProxy?: false | number | string[];
  /** Who may read `/metrics` (the ops guard); open when not given. */
  metricsGuard?: onRequestHookHandler;
  /** Readiness beyond the database's (the HSM's): a problem each, none when ready. */
  probes?: () => string[];
}

/** The issuer API: cardholder, MDES-facing and ops routes under /v1, OpenAPI at /docs, metrics. */
export async function createIssuerApp(options: IssuerAppOptions): Promise<FastifyInstance> {
  const app = createServer({
    name: 'issuer',
    logger: options.logger,
    readiness: () => issuerReadiness(options.db, options.probes),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
  });
  // First, so the headers cover every response and the limits wrap every route.
  harden(app, {
    publicUrl: options.publicUrl,
    clock: options.clock,
    ...(options.rateLimits && { rateLimits: options.rateLimits }),
  });
  registerMetrics(app, { ...(options.metricsGuard && { guard: options.metricsGuard }) });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pushprov issuer API',
        version: '1',
        description: 'Push provisioning to Click to Pay and Secure Card on File',
      },
      servers: [{ url: options.publicUrl }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}
