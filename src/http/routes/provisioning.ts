import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, PushprovError } from '../../core/errors.js';
import { TokenConnectError } from '../../mastercard/token-connect/errors.js';
import type { ProvisioningService } from '../../service/provisioning/index.js';
import type { AuditLog } from '../../store/audit.js';
import { type AuthGuards, cardholderOf } from '../auth/guards.js';
import { errorResponses } from '../auth/schemas.js';

/**
 * The cardholder API of both use cases, and the ops view of one
 * cardholder's history. Every cardholder route answers only about the
 * signed-in cardholder's own cards and provisionings: anyone else's do not
 * exist (404), so ids cannot be probed.
 */
export interface ProvisioningRoutesOptions {
  provisioning: ProvisioningService;
  audit: AuditLog;
  guards: AuthGuards;
  /** Where a browser returning from a merchant lands (the bank's result page); JSON clients get the provisioning. */
  resultPage?: (provisioningId: string) => string;
}

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[a-z0-9]{8,40}$`, maxLength: 48 });
const Trid = Type.String({ pattern: '^[0-9]{11}$' });
const errors = errorResponses(400, 401, 403, 404, 409, 422);

const Refusal = Type.Union([Type.Null(), Type.Object({ code: Type.String(), message: Type.String() })]);
const CardSchema = Type.Object({
  id: Type.String(),
  lastFour: Type.String(),
  expiryMonth: Type.Integer(),
  expiryYear: Type.Integer(),
  country: Type.String(),
  status: Type.String(),
  productName: Type.String(),
});
const DestinationSchema = Type.Object({
  tokenRequestorId: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('click_to_pay'), Type.Literal('merchant')]),
  logoAssetId: Type.Union([Type.String(), Type.Null()]),
  supportsMultipleCards: Type.Boolean(),
  sharedData: Type.Array(Type.String()),
});
const ProvisioningSchema = Type.Object({
  id: Type.String(),
  state: Type.String({ description: 'pending, receipt_issued, completed, failed or expired' }),
  destination: Type.String(),
  tokenRequestor: Type.Object({ id: Type.String(), name: Type.String() }),
  cards: Type.Array(
    Type.Object({
      cardId: Type.String(),
      state: Type.String({ description: 'pending, receipt_issued, completed or failed' }),
      errorCode: Type.Union([Type.String(), Type.Null()]),
      reportedResult: Type.Union([Type.String(), Type.Null()], {
        description: "The token requestor's result in the callback (MDESRQ), before MDES confirms a token",
      }),
    }),
  ),
  redirectUrl: Type.Optional(
    Type.String({ description: "Send the browser here: the token requestor's WEB push link" }),
  ),
  pushLinks: Type.Optional(
    Type.Array(
      Type.Object({ type: Type.String({ description: 'WEB, ANDROID or IOS' }), url: Type.String() }),
      { description: 'One link per push method, for a bank app to open the token requestor by platform' },
    ),
  ),
  receiptsExpireAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.Null(), Type.Object({ code: Type.String(), message: Type.String() })]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const PushBody = Type.Object(
  {
    cardIds: Type.Array(Id('crd'), { minItems: 1, maxItems: 5 }),
    tokenRequestorId: Trid,
    consent: Type.Boolean({
      description: 'The cardholder agreed to share the card and the details shown by the consent route',
    }),
  },
  { additionalProperties: false },
);
// The token requestor appends `results[<receipt>]=<RESULT>[|<token ref>]` (MDESRQ p. 51); read from the raw query.
const CallbackQuery = Type.Object({ state: Type.String({ maxLength: 64 }) }, { additionalProperties: true });

export function provisioningRoutes(options: ProvisioningRoutesOptions): FastifyPluginAsync {
  const { provisioning, guards } = options;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/v1/cards',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['cards'],
          summary: "The signed-in cardholder's cards, with what they can be pushed to",
          response: {
            200: Type.Object({
              cards: Type.Array(
                Type.Composite([
                  CardSchema,
                  Type.Object({
                    eligible: Type.Boolean(),
                    refusal: Refusal,
                    clickToPay: Type.Boolean(),
                    inClickToPay: Type.Boolean({
                      description: 'The card is already in Click to Pay (a live token)',
                    }),
                  }),
                ]),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => ({ cards: await provisioning.cards(cardholderOf(request).cardholderId) }),
    );

    app.get(
      '/v1/cards/:cardId/destinations',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['cards'],
          summary: 'Where a card can be pushed: Click to Pay first, then eligible merchants',
          params: Type.Object({ cardId: Id('crd') }),
          response: {
            200: Type.Object({
              card: CardSchema,
              eligible: Type.Boolean(),
              refusal: Refusal,
              destinations: Type.Array(
                Type.Composite([
                  DestinationSchema,
                  Type.Object({
                    alreadyAdded: Type.Boolean({ description: 'The card is already saved there' }),
                  }),
                ]),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => provisioning.destinations(cardholderOf(request).cardholderId, request.params.cardId),
    );

    app.get(
      '/v1/cards/:cardId/destinations/:tokenRequestorId/consent',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['cards'],
          summary: 'The details that will be shared with a destination, masked, for review before consent',
          params: Type.Object({ cardId: Id('crd'), tokenRequestorId: Trid }),
          response: {
            200: Type.Object({
              card: CardSchema,
              destination: DestinationSchema,
              shared: Type.Array(
                Type.Object({ element: Type.String(), label: Type.String(), value: Type.String() }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) =>
        provisioning.consent(
          cardholderOf(request).cardholderId,
          request.params.cardId,
          request.params.tokenRequestorId,
        ),
    );

    app.post(
      '/v1/provisionings',
      {
        onRequest: guards.requireGrant,
        schema: {
          tags: ['provisionings'],
          summary: 'Push cards to Click to Pay or a merchant (needs an SCA grant and an Idempotency-Key)',
          headers: Type.Object({
            'idempotency-key': Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }),
            'pushprov-sca-grant': Type.String({ maxLength: 256 }),
          }),
          body: PushBody,
          response: { 200: ProvisioningSchema, 201: ProvisioningSchema, ...errors },
        },
      },
      async (request, reply) => {
        const body: Static<typeof PushBody> = request.body;
        const result = await provisioning.push({
          cardholderId: cardholderOf(request).cardholderId,
          cardIds: body.cardIds,
          tokenRequestorId: body.tokenRequestorId,
          consent: body.consent,
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.replayed ? 200 : 201).send(result.view);
      },
    );

    app.get(
      '/v1/provisionings',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['provisionings'],
          summary: "The signed-in cardholder's provisionings, newest first",
          response: { 200: Type.Object({ provisionings: Type.Array(ProvisioningSchema) }), ...errors },
        },
      },
      async (request) => ({ provisionings: await provisioning.list(cardholderOf(request).cardholderId) }),
    );

    app.get(
      '/v1/provisionings/:id',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['provisionings'],
          summary: 'One provisioning (poll it until its state is final)',
          params: Type.Object({ id: Id('prv') }),
          response: { 200: ProvisioningSchema, ...errors },
        },
      },
      async (request) => provisioning.view(cardholderOf(request).cardholderId, request.params.id),
    );

    app.get(
      '/v1/provisionings/:id/callback',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['provisionings'],
          summary:
            'The callback URL the token requestor sends the cardholder back to, with one result per receipt (MDESRQ)',
          params: Type.Object({ id: Id('prv') }),
          querystring: CallbackQuery,
          response: { 200: ProvisioningSchema, 303: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const page = options.resultPage && request.headers.accept?.includes('text/html');
        const query = new URL(request.url, 'http://issuer').searchParams;
        try {
          const view = await provisioning.callback(
            cardholderOf(request).cardholderId,
            request.params.id,
            request.query.state,
            query,
          );
          return page ? reply.redirect(options.resultPage!(view.id), 303) : view;
        } catch (error) {
          // The browser gets its own push's page saying the answer was unreadable; nothing changed.
          if (page && error instanceof PushprovError && error.code === 'CALLBACK_RESULTS_INVALID') {
            return reply.redirect(`${options.resultPage!(request.params.id)}?problem=${error.code}`, 303);
          }
          throw error;
        }
      },
    );

    app.get(
      '/v1/ops/cardholders/:cardholderId/history',
      {
        onRequest: guards.requireOps,
        schema: {
          tags: ['ops'],
          summary: "A cardholder's provisionings with their audit trail",
          params: Type.Object({ cardholderId: Id('chd') }),
          response: {
            200: Type.Object({
              provisionings: Type.Array(ProvisioningSchema),
              audit: Type.Array(
                Type.Object({
                  seq: Type.Integer(),
                  at: Type.String(),
                  actor: Type.String(),
                  action: Type.String(),
                  subject: Type.Union([Type.String(), Type.Null()]),
                  outcome: Type.String(),
                  details: Type.Record(Type.String(), Type.Unknown()),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { cardholderId } = request.params;
        const provisionings = await provisioning.list(cardholderId);
        // The cardholder's own actions too (pausing, resuming, removing a saved card are about the token).
        const audit = await options.audit.history([cardholderId, ...provisionings.map((p) => p.id)], 500, [
          `cardholder:${cardholderId}`,
        ]);
        return { provisionings, audit: audit.map((e) => ({ ...e, at: e.at.toISOString() })) };
      },
    );
  };
}

/** Token requestor logos from MDES's asset API, cached (an asset id's content never changes). */
export function assetRoutes(assets: {
  /** Only the logos of the issuer's token requestors are served, so callers cannot make us fetch arbitrary ids. */
  all(): Promise<{ imageAssetId?: string }[]>;
  asset(assetId: string): Promise<{ type: string; data: string }[]>;
}): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/v1/assets/:assetId',
      {
        schema: {
          tags: ['cards'],
          summary: 'A token requestor logo (SVG, or PNG with ?format=png)',
          params: Type.Object({ assetId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) }),
          querystring: Type.Object({
            format: Type.Optional(Type.Union([Type.Literal('svg'), Type.Literal('png')])),
          }),
        },
      },
      async (request, reply) => {
        const wanted = request.query.format === 'png' ? 'image/png' : 'image/svg+xml';
        const known = (await assets.all()).some((tr) => tr.imageAssetId === request.params.assetId);
        if (!known) throw new NotFoundError('ASSET_NOT_FOUND', 'no such asset');
        let contents: { type: string; data: string }[];
        try {
          contents = await assets.asset(request.params.assetId);
        } catch (error) {
          // MDES refusing the id (unknown, malformed) means there is no such asset.
          if (
            error instanceof TokenConnectError &&
            error.httpStatus !== undefined &&
            error.httpStatus < 500
          ) {
            throw new NotFoundError('ASSET_NOT_FOUND', 'no such asset');
          }
          throw error;
        }
        const media = contents.find((m) => m.type === wanted);
        if (!media) throw new NotFoundError('ASSET_NOT_FOUND', `this asset has no ${wanted} form`);
        return reply
          .type(wanted)
          .header('cache-control', 'public, max-age=86400, immutable')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(Buffer.from(media.data, 'base64'));
      },
    );
  };
}
