import type { FastifyPluginAsync } from 'fastify';
import { NETWORK_AUTHORIZATION_PATH } from '../../mastercard/digital-enablement/network-authorization.js';
import { DIGITAL_ENABLEMENT_PATHS as PATHS } from '../../mastercard/digital-enablement/schemas.js';
import type { Gateway, GatewayHandler } from '../gateway/gateway.js';
import { mdesErrorHandler } from '../token-connect/routes.js';
import type { Payments } from './payments.js';
import type { TokenRequestorService } from './service.js';

export interface DigitalEnablementRoutesOptions {
  gateway: Gateway;
  tokens: TokenRequestorService;
  payments: Payments;
}

/**
 * The token requestor's Digital Enablement operations beside tokenize and
 * getAsset (which src/simulator/token-connect/routes.ts serves), at
 * Mastercard's paths under `/mdes`, behind the gateway, answered with MDES's
 * ErrorWrapper on refusal; and the simulated network's authorisation of a
 * DSRP payment, signed by the token requestor (its acquirer's stand-in).
 */
export function digitalEnablementRoutes(options: DigitalEnablementRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    // Raw bodies: the OAuth body hash covers the exact bytes.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.setErrorHandler(mdesErrorHandler);
    const api = (handler: GatewayHandler) => options.gateway.route('token_requestor', handler);
    const { tokens, payments } = options;
    app.post(
      `/mdes${PATHS.getToken}`,
      api((client, body) => tokens.getToken(client, body)),
    );
    app.post(
      `/mdes${PATHS.searchTokens}`,
      api((client, body) => tokens.searchTokens(client, body)),
    );
    app.post(
      `/mdes${PATHS.getTaskStatus}`,
      api((client, body) => tokens.getTaskStatus(client, body)),
    );
    app.post(
      `/mdes${PATHS.suspend}`,
      api((client, body) => tokens.change(client, 'suspend', body)),
    );
    app.post(
      `/mdes${PATHS.unsuspend}`,
      api((client, body) => tokens.change(client, 'unsuspend', body)),
    );
    app.post(
      `/mdes${PATHS.delete}`,
      api((client, body) => tokens.change(client, 'delete', body)),
    );
    app.post(
      `/mdes${PATHS.transact}`,
      api((client, body) => payments.transact(client, body)),
    );
    app.post(
      NETWORK_AUTHORIZATION_PATH,
      api((client, body) => payments.authorize(client, body)),
    );
  };
}
