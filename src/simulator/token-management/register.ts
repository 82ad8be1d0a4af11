import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { simulatorWorkers } from '../app.js';
import { Gateway } from '../gateway/gateway.js';
import { TokenActivation } from './activation.js';
import { SIMULATOR_OPS_PREFIX, simulatorOpsRoutes } from './ops.js';
import { customerServiceRoutes } from './routes.js';
import { CustomerService } from './service.js';

/**
 * Adds MDES Customer Service to a simulator app built with keys (before it
 * is ready); its notifications go through the app's outbox, delivered as
 * soon as a change commits. Resolves the service, or undefined without keys.
 */
export async function registerTokenManagement(
  app: FastifyInstance,
  options: {
    db: Kysely<unknown>;
    clock: Clock;
    /** Who makes and checks activation codes (TokenActivation's `codesBy`); default MDES. */
    activationCodesBy?: 'mdes' | 'issuer';
    /** Serve `/_ops` (a code typed in the wallet, suspicious events): tests and drills only. */
    ops?: boolean;
  },
): Promise<CustomerService | undefined> {
  const workers = simulatorWorkers(app);
  if (!workers) return undefined;
  const outbox = workers.notifications;
  const service = new CustomerService({
    db: options.db,
    clock: options.clock,
    sealer: workers.sealer,
    outbox,
    issuer: workers.issuerNotifier,
    onChange: () => {
      outbox.drain().catch((error: unknown) => app.log.error({ err: error }, 'notification delivery failed'));
    },
  });
  const activation = new TokenActivation({
    db: options.db,
    clock: options.clock,
    issuers: workers.issuers,
    nameOf: workers.tokenRequestorName,
    ...(options.activationCodesBy && { codesBy: options.activationCodesBy }),
    activate: (issuerConsumerKey, reference) => service.activateWithCode(issuerConsumerKey, reference),
  });
  await app.register(customerServiceRoutes({ gateway: new Gateway(options), service, activation }), {
    prefix: '/mdes',
  });
  if (options.ops) {
    await app.register(
      simulatorOpsRoutes({
        activation,
        notifier: workers.issuerNotifier,
        onNotification: () => {
          outbox
            .drain()
            .catch((error: unknown) => app.log.error({ err: error }, 'notification delivery failed'));
        },
      }),
      { prefix: SIMULATOR_OPS_PREFIX },
    );
  }
  return service;
}
