import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../../core/errors.js';
import type { Client } from '../gateway/clients.js';
import { type Gateway, sendGatewayRefusal } from '../gateway/gateway.js';
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

const JSON_TYPE = 'application/json; charset=utf-8';

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

    const route =
      (handle: (tokens: TokenManagement, client: Client, body: Buffer) => Promise<object>) =>
      async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        let client: Client;
        try {
          client = await options.gateway.authenticate(request, body);
        } catch (error) {
          if (error instanceof AuthError) return sendGatewayRefusal(reply, error);
          throw error;
        }
        if (client.role !== 'issuer') throw new TokenConnectFailure('AUTHORIZATION_FAILED');
        const result = await handle(options.tokens, client, body);
        return reply.code(200).type(JSON_TYPE).send(JSON.stringify(result));
      };

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
