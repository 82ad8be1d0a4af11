import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TOKENIZE_PATH } from '../../mastercard/digital-enablement/tokenize.js';
import { TOKEN_CONNECT_PATHS } from '../../mastercard/token-connect/endpoints.js';
import type { PushSigner } from '../../mastercard/token-connect/push-signature.js';
import type { AssetLibrary } from '../assets/library.js';
import { type Gateway, type GatewayHandler, JSON_TYPE } from '../gateway/gateway.js';
import type { ClientRole } from '../gateway/tables.js';
import { assetResponse } from './assets.js';
import type { Catalogue } from './catalogue.js';
import { getEligibleTokenRequestors } from './eligible.js';
import { errorWrapper, mdesError, TokenConnectFailure } from './failure.js';
import type { PushService } from './push.js';
import type { TokenizeService } from './tokenize.js';

export interface MdesRoutesOptions {
  gateway: Gateway;
  catalogue: Catalogue;
  push: PushService;
  tokenize: TokenizeService;
  signer: PushSigner;
  tokenRequestorLogos: AssetLibrary;
  productAssets: AssetLibrary;
}

/** MDES Digital Enablement's getAsset, for token requestors: card art, logos, and MDES's signing keys (MDESRQ p. 43). */
const STATIC_ASSET_PATH = '/assets/static/1/0/asset/:assetId';

/**
 * Mastercard's APIs under `/mdes`, behind the gateway, with Mastercard's
 * paths. Bodies are read raw: the OAuth body hash covers the exact bytes,
 * and a body that is not JSON must be answered with MDES's INVALID_JSON,
 * not Fastify's error. Requests are checked against the TypeBox schemas of
 * src/mastercard/token-connect by the handlers, which turn a failure into
 * MDES's reason codes; Fastify's own validation would answer in another
 * format.
 */
export function mdesRoutes(options: MdesRoutesOptions): FastifyPluginAsync {
  return async (mdes) => {
    mdes.removeAllContentTypeParsers();
    mdes.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    mdes.setErrorHandler(mdesErrorHandler);

    const api = (role: ClientRole, handler: GatewayHandler) => options.gateway.route(role, handler);

    mdes.post(
      TOKEN_CONNECT_PATHS.getEligibleTokenRequestors,
      api('issuer', (_client, body) => getEligibleTokenRequestors(options.catalogue, body)),
    );
    mdes.get(
      TOKEN_CONNECT_PATHS.getAsset.replace('{AssetId}', ':AssetId'),
      api('issuer', (_client, _body, request) =>
        assetResponse(options.tokenRequestorLogos, (request.params as { AssetId: string }).AssetId),
      ),
    );
    mdes.post(
      TOKEN_CONNECT_PATHS.pushMultipleAccounts,
      api('issuer', (client, body) => options.push.pushMultipleAccounts(client, body)),
    );
    mdes.post(
      TOKEN_CONNECT_PATHS.pushAccount,
      api('issuer', (client, body) => options.push.pushAccount(client, body)),
    );
    mdes.post(
      TOKENIZE_PATH,
      api('token_requestor', (client, body) => options.tokenize.tokenize(client, body)),
    );
    mdes.get(
      STATIC_ASSET_PATH,
      api('token_requestor', async (_client, _body, request) => {
        const { assetId } = request.params as { assetId: string };
        const key = options.signer.asset(assetId);
        return key ? { mediaContents: await key } : assetResponse(options.productAssets, assetId);
      }),
    );
  };
}

/** Failures inside `/mdes` in MDES's ErrorWrapper, with the request's requestId as responseId when known. */
export function mdesErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const responseId = requestIdOf(request.body);
  if (error instanceof TokenConnectFailure) {
    return reply
      .code(error.status)
      .type(JSON_TYPE)
      .send(errorWrapper([error.toMdesError()], responseId));
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status < 500) {
    // Fastify refused the body itself (too large, unreadable).
    return reply
      .code(status)
      .type(JSON_TYPE)
      .send(errorWrapper([mdesError('INVALID_JSON')], responseId));
  }
  request.log.error({ err: error }, 'simulated MDES failed');
  return reply
    .code(500)
    .type(JSON_TYPE)
    .send(errorWrapper([mdesError('INTERNAL_SERVICE_FAILURE')], responseId));
}

function requestIdOf(body: unknown): string | undefined {
  if (!Buffer.isBuffer(body)) return undefined;
  try {
    const requestId = (JSON.parse(body.toString('utf8')) as { requestId?: unknown } | null)?.requestId;
    return typeof requestId === 'string' && requestId.length >= 1 && requestId.length <= 64
      ? requestId
      : undefined;
  } catch {
    return undefined;
  }
}
