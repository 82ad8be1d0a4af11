import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { simulatorWorkers } from '../app.js';
import { Gateway } from '../gateway/gateway.js';
import { TokenActivation } from './activation.js';
import { customerServiceRoutes } from './routes.js';
import { CustomerService } from './service.js';

/**
 * Adds MDES Customer Service to a simulator app built with keys (before it
 * is ready); its notifications go through the app's outbox, delivered as
 * soon as a change commits. Resolves the service, or undefined without keys.
 */
export async function registerTokenManagement(
  app: FastifyInstance,
  options: { db: Kysely<unknown>; clock: Clock },
): Promise<CustomerService | undefined> {
  const workers = simulatorWorkers(app);
  if (!workers) return undefined;
  const outbox = workers.notifications;
  const service = new CustomerService({
    ...options,
    sealer: workers.sealer,
    outbox,
    issuer: workers.issuerNotifier,
    onChange: () => {
      outbox.drain().catch((error: unknown) => app.log.error({ err: error }, 'notification delivery failed'));
    },
  });
  const activation = new TokenActivation({
    ...options,
    issuers: workers.issuers,
    nameOf: workers.tokenRequestorName,
  });
  await app.register(customerServiceRoutes({ gateway: new Gateway(options), service, activation }), {
    prefix: '/mdes',
  });
  return service;
}
