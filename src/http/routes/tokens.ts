import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TokenFollowUps } from '../../service/tokens/follow-ups.js';
import type { ListedToken, TokenAction, TokenManagement } from '../../service/tokens/management.js';
import type { TokenFollowUp } from '../../store/tokens/follow-ups.js';
import type { Token } from '../../store/tokens/tokens.js';
import { type AuthGuards, cardholderOf, opsActor } from '../auth/guards.js';
import { errorResponses } from '../auth/schemas.js';

/**
 * Where a cardholder's card is saved, and their control over it:
 * `GET /v1/cards/:cardId/tokens`, `POST …/tokens/:tokenId/suspend|resume`
 * and `DELETE …/tokens/:tokenId`. A change answers 202: MDES is asked, and
 * the status moves when its notification comes back. Resuming a token lets
 * it pay again, so it asks for a fresh SCA grant; suspending and removing do
 * not. Ops: `GET /v1/ops/tokens/counts`, `GET /v1/ops/tokens/:tokenId/history`,
 * and the card changes still to reach MDES: `GET /v1/ops/token-follow-ups`,
 * `POST /v1/ops/token-follow-ups/:followUpId/retry`.
 * Paths carry their `/v1`: register without a prefix.
 */
export interface TokenRoutesOptions {
  tokenManagement: TokenManagement;
  followUps: Pick<TokenFollowUps, 'unfinished' | 'retry'>;
  guards: Pick<AuthGuards, 'requireCardholder' | 'requireGrant' | 'requireOps'>;
}

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[a-z0-9]{8,40}$`, maxLength: 48 });
const Status = Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED'), Type.Literal('DELETED')]);
const CardParams = Type.Object({ cardId: Id('crd') });
const TokenParams = Type.Object({ cardId: Id('crd'), tokenId: Id('tok') });
const errors = errorResponses(400, 401, 403, 404, 409, 502, 503);

const SavedCardSchema = Type.Object({
  id: Type.String(),
  destination: Type.Union([Type.Literal('click_to_pay'), Type.Literal('merchant')]),
  tokenRequestorId: Type.String(),
  tokenRequestorName: Type.String(),
  logoAssetId: Type.Optional(Type.String()),
  tokenPanSuffix: Type.String(),
  status: Status,
  lastEvent: Type.String(),
  savedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const ChangeAnswer = Type.Object({
  id: Type.String(),
  status: Status,
  requested: Type.Union([Type.Literal('suspend'), Type.Literal('resume'), Type.Literal('delete')]),
});

const view = (token: Token & Partial<Pick<ListedToken, 'logoAssetId'>>) => ({
  id: token.id,
  destination: token.destination,
  tokenRequestorId: token.tokenRequestorId,
  tokenRequestorName: token.tokenRequestorName,
  ...(token.logoAssetId && { logoAssetId: token.logoAssetId }),
  tokenPanSuffix: token.tokenPanSuffix,
  status: token.status,
  lastEvent: token.lastEvent,
  savedAt: token.createdAt.toISOString(),
  updatedAt: token.updatedAt.toISOString(),
});

const FollowUpSchema = Type.Object({
  id: Type.String(),
  cardId: Type.String(),
  kind: Type.Union([
    Type.Literal('replaced'),
    Type.Literal('closed'),
    Type.Literal('blocked'),
    Type.Literal('unblocked'),
  ]),
  state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  tokens: Type.Optional(
    Type.Object(
      { done: Type.Integer(), outstanding: Type.Integer() },
      {
        description:
          "The card's tokens MDES took the change for, and those still to ask again (one call each)",
      },
    ),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

// The new last four and expiry stay out: ops read what is stuck and why, not card data.
const followUpView = (f: TokenFollowUp) => ({
  id: f.id,
  cardId: f.cardId,
  kind: f.kind,
  state: f.state,
  attempts: f.attempts,
  lastError: f.lastError,
  nextAttemptAt: f.state === 'pending' ? f.nextAttemptAt.toISOString() : null,
  ...(f.tokens && { tokens: f.tokens }),
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
});

export function tokenRoutes({ tokenManagement, followUps, guards }: TokenRoutesOptions): FastifyPluginAsync {
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/v1/cards/:cardId/tokens',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['tokens'],
          summary: 'Where this card is saved: Click to Pay and each merchant, with status and date',
          params: CardParams,
          response: { 200: Type.Object({ tokens: Type.Array(SavedCardSchema) }), ...errors },
        },
      },
      async (request) => {
        const tokens = await tokenManagement.list(cardholderOf(request).cardholderId, request.params.cardId);
        return { tokens: tokens.map(view) };
      },
    );

    const changes = [
      ['POST', '/v1/cards/:cardId/tokens/:tokenId/suspend', 'suspend'],
      ['POST', '/v1/cards/:cardId/tokens/:tokenId/resume', 'resume'],
      ['DELETE', '/v1/cards/:cardId/tokens/:tokenId', 'delete'],
    ] as const satisfies readonly (readonly [string, string, TokenAction])[];
    for (const [method, url, action] of changes) {
      app.route({
        method,
        url,
        onRequest: action === 'resume' ? guards.requireGrant : guards.requireCardholder,
        schema: {
          tags: ['tokens'],
          summary: `Ask MDES to ${action} this saved card; the status follows MDES's notification`,
          params: TokenParams,
          response: { 202: ChangeAnswer, ...errors },
        },
        handler: async (request, reply) => {
          const token = await tokenManagement.change(
            cardholderOf(request).cardholderId,
            request.params.cardId,
            request.params.tokenId,
            action,
          );
          return reply.code(202).send({ id: token.id, status: token.status, requested: action });
        },
      });
    }

    app.get(
      '/v1/ops/tokens/counts',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary: 'Tokens by token requestor and status',
          response: {
            200: Type.Object({
              counts: Type.Array(
                Type.Object({
                  tokenRequestorId: Type.String(),
                  tokenRequestorName: Type.String(),
                  status: Status,
                  count: Type.Integer(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => ({ counts: await tokenManagement.counts() }),
    );

    app.get(
      '/v1/ops/tokens/:tokenId/history',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary: "One token's history, from the audit log",
          params: Type.Object({ tokenId: Id('tok') }),
          response: {
            200: Type.Object({
              history: Type.Array(
                Type.Object({
                  at: Type.String({ format: 'date-time' }),
                  actor: Type.String(),
                  action: Type.String(),
                  outcome: Type.String(),
                  details: Type.Record(Type.String(), Type.Unknown()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({
        history: (await tokenManagement.history(request.params.tokenId)).map((entry) => ({
          at: entry.at.toISOString(),
          actor: entry.actor,
          action: entry.action,
          outcome: entry.outcome,
          details: entry.details,
        })),
      }),
    );

    app.get(
      '/v1/ops/token-follow-ups',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary:
            'Card changes (replaced, blocked, unblocked, closed) not yet taken to their tokens at MDES: pending and failed, newest first',
          response: { 200: Type.Object({ followUps: Type.Array(FollowUpSchema) }), ...errors },
        },
      },
      async () => ({ followUps: (await followUps.unfinished()).map(followUpView) }),
    );

    app.post(
      '/v1/ops/token-follow-ups/:followUpId/retry',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary:
            'Queue a failed follow-up again from its first attempt (refused when a later change of the card was queued after it)',
          params: Type.Object({ followUpId: Id('tfu') }),
          response: { 202: FollowUpSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(followUpView(await followUps.retry(request.params.followUpId, opsActor(request)))),
    );
  };
}
