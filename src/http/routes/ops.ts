import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { CardholderSearch } from '../../service/ops/cardholder-search.js';
import type { OpsStats } from '../../service/ops/stats.js';
import { type AuthGuards, opsActor } from '../auth/guards.js';
import { errorResponses } from '../auth/schemas.js';

const Counts = Type.Record(Type.String(), Type.Integer());

/** Read-only provisioning figures and the cardholder lookup for the ops dashboard (ops API key only). */
export function opsRoutes(
  stats: OpsStats,
  guards: Pick<AuthGuards, 'requireOps'>,
  search?: Pick<CardholderSearch, 'search'>,
): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/v1/ops/provisioning-stats',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary:
            'Provisioning funnel by day, destination and state; recent failures; settle-time percentiles',
          // Query values are text and are not coerced (src/core/server.ts): 1–90 as digits.
          querystring: Type.Object({
            days: Type.Optional(
              Type.String({ pattern: '^([1-9]|[1-8][0-9]|90)$', description: 'Days back, 1–90 (default 7)' }),
            ),
          }),
          response: {
            200: Type.Object({
              since: Type.String(),
              funnel: Type.Array(
                Type.Object({ day: Type.String(), destination: Type.String(), states: Counts }),
              ),
              totals: Type.Array(Type.Object({ destination: Type.String(), states: Counts })),
              failures: Type.Array(
                Type.Object({
                  id: Type.String(),
                  destination: Type.String(),
                  tokenRequestor: Type.String(),
                  state: Type.String(),
                  errorCode: Type.Union([Type.String(), Type.Null()]),
                  declinedBy: Type.Optional(
                    Type.Union([Type.Literal('issuer'), Type.Literal('mastercard')], {
                      description:
                        'A declined tokenization: decided by the bank (Authorize Service), or by Mastercard without asking it (stand-in, rules)',
                    }),
                  ),
                  at: Type.String(),
                }),
              ),
              latency: Type.Array(
                Type.Object({
                  destination: Type.String(),
                  count: Type.Integer(),
                  p50: Type.Number(),
                  p90: Type.Number(),
                  p99: Type.Number(),
                }),
              ),
            }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => stats.provisioning(Number(request.query.days ?? 7)),
    );

    if (!search) return;
    // A POST: the words are PII (a name, an email) and stay out of every URL and request log.
    app.post(
      '/v1/ops/cardholders/search',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary:
            'Find cardholders by name, username, email, the last four digits of a card or chd_ id (words combine)',
          body: Type.Object(
            { query: Type.String({ minLength: 1, maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              cardholders: Type.Array(
                Type.Object({
                  cardholderId: Type.String(),
                  name: Type.String(),
                  email: Type.String({ description: 'Masked' }),
                  usernames: Type.Array(Type.String()),
                  cards: Type.Array(
                    Type.Object({ id: Type.String(), lastFour: Type.String(), status: Type.String() }),
                  ),
                }),
              ),
              truncated: Type.Boolean(),
            }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => search.search(request.body.query, opsActor(request)),
    );
  };
}
