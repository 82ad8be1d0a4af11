import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { CardService } from '../../service/cards/cards.js';
import { ImportFormat } from '../../service/cards/import-format.js';
import { opsActor } from '../auth/guards.js';
import { errorResponses } from '../auth/schemas.js';
import { CardholderParams, CardList, ImportResult } from './schemas/cards.js';

/**
 * Ops routes for card data: the batch import and a cardholder's cards
 * (masked). Paths carry their `/v1`: register without a prefix. The guard is
 * passed in (the ops API key check), so these routes work with whichever
 * ops authentication the issuer's app wires.
 */
export interface CardRoutesOptions {
  requireOps: onRequestAsyncHookHandler;
  /** Who is importing, for the audit trail; by default the ops key id the guard recorded. */
  actorOf?: (request: FastifyRequest) => string;
}

const errors = errorResponses(400, 401, 403, 404, 409);

export function cardRoutes(cards: CardService, options: CardRoutesOptions): FastifyPluginAsync {
  const actorOf = options.actorOf ?? opsActor;
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/v1/ops/cards/import',
      {
        onRequest: options.requireOps,
        bodyLimit: 10 * 1024 * 1024,
        // The schema documents the format; the import reads the body against it
        // itself, so that a bad file gets every problem by path (IMPORT_INVALID),
        // as the CLI does, and a refused field (a CVC) is named rather than
        // silently stripped by the route's validator.
        validatorCompiler: () => () => true,
        schema: {
          tags: ['ops'],
          summary: 'Import cardholders and cards: all or nothing, idempotent by external references',
          body: ImportFormat,
          response: { 200: ImportResult, ...errors },
        },
      },
      async (request) => cards.importCards(request.body, { actor: actorOf(request) }),
    );

    app.get(
      '/v1/ops/cardholders/:id/cards',
      {
        onRequest: options.requireOps,
        schema: {
          tags: ['ops'],
          summary: "A cardholder's cards, masked",
          params: CardholderParams,
          response: { 200: CardList, ...errors },
        },
      },
      async (request) => ({
        cardholderId: request.params.id,
        cards: await cards.listCards(request.params.id),
      }),
    );
  };
}
