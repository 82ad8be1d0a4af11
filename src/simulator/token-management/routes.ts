import type { FastifyPluginAsync } from 'fastify';
import { CUSTOMER_SERVICE_PATHS } from '../../mastercard/customer-service/endpoints.js';
import type { Client } from '../gateway/clients.js';
import { type Gateway, JSON_TYPE } from '../gateway/gateway.js';
import { TokenConnectFailure } from '../token-connect/failure.js';
import type { TokenActivation } from './activation.js';
import { CustomerServiceFailure, errorsResponse } from './failure.js';
import type { CustomerService } from './service.js';

/**
 * MDES Customer Service's base path below `/mdes`, as on Mastercard's
 * sandbox (`https://sandbox.api.mastercard.com/mdes/csapi/v2`): point the
 * issuer's client at `<simulator>/mdes/csapi/v2`.
 */
export const CUSTOMER_SERVICE_PREFIX = '/csapi/v2';

/** Issuers only, behind the gateway; bodies stay bytes for the OAuth body hash. Register with the prefix `/mdes`. */
export function customerServiceRoutes(options: {
  gateway: Gateway;
  service: CustomerService;
  activation: TokenActivation;
}): FastifyPluginAsync {
  return async (mdes) => {
    mdes.removeAllContentTypeParsers();
    mdes.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    mdes.setErrorHandler(async (error, request, reply) => {
      if (error instanceof CustomerServiceFailure) {
        return reply.code(error.status).type(JSON_TYPE).send(error.envelope);
      }
      if (error instanceof TokenConnectFailure) {
        // The gateway's refusal of a client of another role (AUTHORIZATION_FAILED), in this API's envelope.
        const mdes = error.toMdesError();
        return reply
          .code(error.status)
          .type(JSON_TYPE)
          .send(errorsResponse(mdes.reasonCode, 'System', mdes.description ?? mdes.reasonCode, false));
      }
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status < 500) {
        // Fastify refused the body itself (too large, unreadable).
        return reply
          .code(status)
          .type(JSON_TYPE)
          .send(errorsResponse('INVALID_JSON', 'System', 'Invalid JSON', false));
      }
      request.log.error({ err: error }, 'simulated Customer Service failed');
      return reply
        .code(500)
        .type(JSON_TYPE)
        .send(errorsResponse('INTERNAL_SERVICE_FAILURE', 'System', 'Internal Service Failure', true));
    });

    // Customer Service is the issuer's: a token requestor's credentials are refused by the gateway.
    const route = (handle: (client: Client, body: Buffer) => Promise<object>) =>
      options.gateway.route('issuer', handle);
    const path = (operation: keyof typeof CUSTOMER_SERVICE_PATHS) =>
      `${CUSTOMER_SERVICE_PREFIX}${CUSTOMER_SERVICE_PATHS[operation]}`;
    const { service } = options;

    mdes.post(
      path('search'),
      route((client, body) => service.search(client, body)),
    );
    for (const change of ['suspend', 'unsuspend', 'delete', 'activate'] as const) {
      mdes.post(
        path(change),
        route((client, body) => service.change(client, change, body)),
      );
    }
    mdes.post(
      path('update'),
      route((client, body) => service.update(client, body)),
    );
    mdes.post(
      path('statusHistory'),
      route((client, body) => service.statusHistory(client, body)),
    );
    mdes.post(
      path('activationMethods'),
      route((client, body) => options.activation.methods(client, body)),
    );
    mdes.post(
      path('resendActivationCode'),
      route((client, body) => options.activation.resend(client, body)),
    );
  };
}
