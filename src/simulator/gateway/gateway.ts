import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { AuthError } from '../../core/errors.js';
import { DatabaseNonceStore } from '../../mastercard/oauth/database-nonce-store.js';
import { OAuthVerifier } from '../../mastercard/oauth/verifier.js';
import type { GatewayError } from '../../mastercard/token-connect/types.js';
import { TokenConnectFailure } from '../token-connect/failure.js';
import { type Client, ClientRegistry } from './clients.js';
import type { ClientRole, GatewaySchema } from './tables.js';

/** What an MDES API answers for an authenticated client: a JSON value, or JSON text as it is. */
export type GatewayHandler = (
  client: Client,
  body: Buffer,
  request: FastifyRequest,
) => Promise<string | object> | string | object;

/** How MDES's APIs label their answers. */
export const JSON_TYPE = 'application/json; charset=utf-8';

export interface GatewayOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** How far an oauth_timestamp may be from the simulator's time; default 300 s. */
  windowSeconds?: number;
}

/**
 * Mastercard's API gateway in front of the simulated APIs: every request
 * must carry a valid OAuth 1.0a signature (RSA-SHA256, body hash) by a
 * registered client, within the timestamp window, with a nonce not seen
 * before. A refusal never reaches the API behind it.
 */
export class Gateway {
  readonly #registry: ClientRegistry;
  readonly #verifier: OAuthVerifier;

  constructor(options: GatewayOptions) {
    const db = options.db as Kysely<GatewaySchema>;
    this.#registry = new ClientRegistry(db);
    this.#verifier = new OAuthVerifier({
      resolveKey: async (consumerKey) => (await this.#registry.find(consumerKey))?.publicKey,
      nonces: new DatabaseNonceStore(db, 'mc_oauth_nonces', options.clock),
      clock: options.clock,
      ...(options.windowSeconds === undefined ? {} : { windowSeconds: options.windowSeconds }),
    });
  }

  /**
   * The client that signed the request, or an AuthError (401) naming the
   * failure. `body` is the raw body exactly as received.
   */
  async authenticate(request: FastifyRequest, body: Uint8Array | undefined): Promise<Client> {
    const { consumerKey } = await this.#verifier.verify({
      method: request.method,
      url: `${request.protocol}://${request.host}${request.url}`,
      ...(body === undefined ? {} : { body }),
      authorization: request.headers.authorization,
    });
    const client = await this.#registry.find(consumerKey);
    // Only possible if the client was removed between the two reads.
    if (!client) throw new AuthError('OAUTH_UNKNOWN_CONSUMER_KEY', 'the consumer key is not known');
    return client;
  }

  /**
   * A Fastify handler for an MDES API open to clients of `role`: a request
   * that is not signed by a known client gets the gateway's refusal, a
   * client of another role AUTHORIZATION_FAILED, and the handler's answer is
   * sent as JSON.
   */
  route(role: ClientRole, handle: GatewayHandler) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      let client: Client;
      try {
        client = await this.authenticate(request, body);
      } catch (error) {
        if (error instanceof AuthError) return sendGatewayRefusal(reply, error);
        throw error;
      }
      if (client.role !== role) throw new TokenConnectFailure('AUTHORIZATION_FAILED');
      const result = await handle(client, body ?? Buffer.alloc(0), request);
      return reply
        .code(200)
        .type(JSON_TYPE)
        .send(typeof result === 'string' ? result : JSON.stringify(result));
    };
  }
}

/**
 * The gateway's own error format (not MDES's): `Source` is always
 * "Gateway" and a signature problem is never recoverable. The reason code is
 * the verifier's (OAUTH_BAD_SIGNATURE, OAUTH_NONCE_REPLAYED, …): the names
 * Mastercard's live gateway uses could not be confirmed, see docs/simulator.md.
 */
function gatewayRefusal(error: AuthError): GatewayError {
  return {
    Errors: {
      Error: [
        {
          Source: 'Gateway',
          ReasonCode: error.code,
          Description: error.message,
          Recoverable: false,
          Details: null,
        },
      ],
    },
  };
}

const sendGatewayRefusal = (reply: FastifyReply, error: AuthError): FastifyReply =>
  reply.code(401).header('content-type', 'application/json').send(gatewayRefusal(error));
