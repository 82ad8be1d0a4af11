import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Activations } from '../../service/tokens/activations.js';
import { type AuthGuards, cardholderOf } from '../auth/guards.js';
import { errorResponses } from '../auth/schemas.js';

/**
 * The bank app's side of "was this you?" (src/service/tokens/activations.ts):
 * `GET /v1/cards/:cardId/activations` lists the requests to save the card
 * that Mastercard holds until the cardholder confirms them;
 * `POST …/activations/:tokenUniqueReference/confirm` confirms one with a
 * fresh SCA grant (the `pushprov-sca-grant` header), `…/confirm-with-code`
 * with the activation code the bank sent (`{ "activationCode": "…" }`);
 * `POST …/reject` has it removed. Both answer 202: Mastercard acts, and the
 * saved card appears (or not) when its notification comes back.
 * Paths carry their `/v1`: register without a prefix.
 */
export interface ActivationRoutesOptions {
  activations: Pick<Activations, 'pending' | 'confirm' | 'reject'>;
  guards: Pick<AuthGuards, 'requireCardholder' | 'requireGrant'>;
}

const Params = Type.Object({
  cardId: Type.String({ pattern: '^crd_[a-z0-9]{8,40}$', maxLength: 48 }),
  tokenUniqueReference: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
});
const errors = errorResponses(400, 401, 403, 404, 409, 502, 503);
const Accepted = Type.Object({ tokenUniqueReference: Type.String(), requested: Type.String() });

export function activationRoutes({ activations, guards }: ActivationRoutesOptions): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/v1/cards/:cardId/activations',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['tokens'],
          summary: 'Requests to save this card that wait for the cardholder to confirm it was them',
          params: Type.Pick(Params, ['cardId']),
          response: {
            200: Type.Object({
              activations: Type.Array(
                Type.Object({
                  tokenUniqueReference: Type.String(),
                  tokenRequestorId: Type.String(),
                  requestedAt: Type.String({ format: 'date-time' }),
                  codeSentTo: Type.Optional(Type.String()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({
        activations: (
          await activations.pending(cardholderOf(request).cardholderId, request.params.cardId)
        ).map((p) => ({
          tokenUniqueReference: p.tokenUniqueReference,
          tokenRequestorId: p.tokenRequestorId,
          requestedAt: p.requestedAt.toISOString(),
          ...(p.codeSentTo && { codeSentTo: p.codeSentTo }),
        })),
      }),
    );

    app.post(
      '/v1/cards/:cardId/activations/:tokenUniqueReference/confirm',
      {
        onRequest: guards.requireGrant,
        schema: {
          tags: ['tokens'],
          summary: 'It was me (with a fresh SCA grant): Mastercard activates the token',
          params: Params,
          response: { 202: Accepted, ...errors },
        },
      },
      async (request, reply) => {
        const { cardId, tokenUniqueReference } = request.params;
        await activations.confirm(cardholderOf(request).cardholderId, cardId, tokenUniqueReference, {
          kind: 'sca',
        });
        return reply.code(202).send({ tokenUniqueReference, requested: 'activate' });
      },
    );

    // The activation code the bank sent at Mastercard's request is the proof here.
    app.post(
      '/v1/cards/:cardId/activations/:tokenUniqueReference/confirm-with-code',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['tokens'],
          summary: 'It was me (with the activation code sent): Mastercard activates the token',
          params: Params,
          body: Type.Object(
            { activationCode: Type.String({ minLength: 1, maxLength: 32 }) },
            { additionalProperties: false },
          ),
          response: { 202: Accepted, ...errors },
        },
      },
      async (request, reply) => {
        const { cardId, tokenUniqueReference } = request.params;
        await activations.confirm(cardholderOf(request).cardholderId, cardId, tokenUniqueReference, {
          kind: 'code',
          code: request.body.activationCode,
        });
        return reply.code(202).send({ tokenUniqueReference, requested: 'activate' });
      },
    );

    app.post(
      '/v1/cards/:cardId/activations/:tokenUniqueReference/reject',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['tokens'],
          summary: 'It was not me: Mastercard removes the token',
          params: Params,
          response: { 202: Accepted, ...errors },
        },
      },
      async (request, reply) => {
        const { cardId, tokenUniqueReference } = request.params;
        await activations.reject(cardholderOf(request).cardholderId, cardId, tokenUniqueReference);
        return reply.code(202).send({ tokenUniqueReference, requested: 'delete' });
      },
    );
  };
}
