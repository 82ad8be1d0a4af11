import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { SuspiciousEventSchema } from '../../mastercard/pre-digitization/schemas.js';
import type { IssuerNotifier } from '../pre-digitization/notifier.js';
import type { TokenActivation } from './activation.js';

/** Where the drills reach the simulated MDES: beside `/_faults`, never on a shared deployment. */
export const SIMULATOR_OPS_PREFIX = '/_ops';

const Params = Type.Object({ tokenUniqueReference: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * What happens at MDES that no API of Mastercard's lets anyone ask for, for
 * tests, drills and demos: the cardholder typing an activation code into the
 * token requestor's app (MDES checks it, or asks the issuer with Validate
 * Activation Code), and MDES seeing suspicious ATCs while replenishing a
 * token (Notify Suspicious Events to the issuer, through the outbox).
 */
export function simulatorOpsRoutes(options: {
  activation: Pick<TokenActivation, 'enterCode'>;
  notifier: Pick<IssuerNotifier, 'suspiciousEvents'>;
  /** Told after a notification was written, to deliver it promptly. */
  onNotification: () => void;
}): FastifyPluginAsync {
  return async (app) => {
    const ops = app.withTypeProvider<TypeBoxTypeProvider>();
    ops.post(
      '/tokens/:tokenUniqueReference/activation-code',
      {
        schema: {
          params: Params,
          body: Type.Object(
            // As the spec bounds it (ValidateActivationCode `activationCode`).
            { activationCode: Type.String({ minLength: 1, maxLength: 32 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) =>
        options.activation.enterCode(request.params.tokenUniqueReference, request.body.activationCode),
    );
    ops.post(
      '/tokens/:tokenUniqueReference/suspicious-events',
      {
        schema: {
          params: Params,
          body: Type.Object(
            {
              events: SuspiciousEventSchema,
              paymentAppInstanceId: Type.Optional(Type.String({ minLength: 1, maxLength: 48 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { tokenUniqueReference } = request.params;
        const requestId = await options.notifier.suspiciousEvents(
          tokenUniqueReference,
          request.body.events,
          request.body.paymentAppInstanceId,
        );
        if (requestId === undefined)
          throw new NotFoundError('SIMULATED_TOKEN_NOT_FOUND', 'MDES holds no such token');
        options.onNotification();
        return reply.code(202).send({ requestId });
      },
    );
  };
}
