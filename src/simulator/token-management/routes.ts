import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '../gateway/clients.js';
import { type Gateway, JSON_TYPE } from '../gateway/gateway.js';
import { errorWrapper, TokenConnectFailure } from '../token-connect/failure.js';
import type { LifecycleAction, TokenManagement } from './service.js';

/**
 * Token management paths, after the MDES Customer Service API (`csapi/v2`);
 * the exact paths of Mastercard's API are an assumption of the simulator.
 * Register with the prefix `/mdes`.
 */
export const TOKEN_MANAGEMENT_PATHS = {
  search: '/csapi/v2/token/search',
  suspend: '/csapi/v2/token/suspend',
  unsuspend: '/csapi/v2/token/unsuspend',
  delete: '/csapi/v2/token/delete',
  update: '/csapi/v2/token/update',
} as const;

/** Issuers only, behind the gateway; bodies stay bytes for the OAuth body hash. */
export function tokenManagementRoutes(options: {
  gateway: Gateway;
  tokens: TokenManagement;
}): FastifyPluginAsync {
  return async (mdes) => {
    mdes.removeAllContentTypeParsers();
    mdes.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    mdes.setErrorHandler(async (error, request, reply) => {
      if (error instanceof TokenConnectFailure) {
        return reply
          .code(error.status)
          .type(JSON_TYPE)
          .send(errorWrapper([error.toMdesError()], undefined));
      }
      request.log.error({ err: error }, 'simulated token management failed');
      const failure = new TokenConnectFailure('INTERNAL_SERVICE_FAILURE');
      return reply
        .code(500)
        .type(JSON_TYPE)
        .send(errorWrapper([failure.toMdesError()], undefined));
    });

    // Token management is the issuer's: a token requestor's credentials are refused.
    const route = (handle: (tokens: TokenManagement, client: Client, body: Buffer) => Promise<object>) =>
      options.gateway.route('issuer', (client, body) => handle(options.tokens, client, body));

    mdes.post(
      TOKEN_MANAGEMENT_PATHS.search,
      route((tokens, client, body) => tokens.search(client, body)),
    );
    for (const action of ['suspend', 'unsuspend', 'delete'] as const satisfies readonly LifecycleAction[]) {
      mdes.post(
        TOKEN_MANAGEMENT_PATHS[action],
        route((tokens, client, body) => tokens.lifecycle(client, action, body)),
      );
    }
    mdes.post(
      TOKEN_MANAGEMENT_PATHS.update,
      route((tokens, client, body) => tokens.update(client, body)),
    );
  };
}
