import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, PushprovError } from '../../core/errors.js';
import { PreDigitizationError } from '../../mastercard/pre-digitization/errors.js';
import { PRE_DIGITIZATION_PATHS } from '../../mastercard/pre-digitization/paths.js';
import type { PreDigitizationPayloads } from '../../mastercard/pre-digitization/payload.js';
import {
  type OpenedRequests,
  parseRequestBody,
  readRequest,
} from '../../mastercard/pre-digitization/requests.js';
import type { ErrorsResponse, ImplementedOperation } from '../../mastercard/pre-digitization/schemas.js';
import type { TokenizationQuestions } from '../../service/mdes/authorize.js';
import type { MdesNotifications } from '../../service/mdes/notifications.js';
import type { SuspiciousEvents } from '../../service/mdes/suspicious-events.js';
import type { Activations } from '../../service/tokens/activations.js';

/**
 * The MDES Pre-Digitization web services the issuer hosts (MDES Issuer
 * Outbound API 2.0.21; docs/mastercard/pre-digitization.md): each a POST of
 * JSON below the context root, on the MDES listener only (mutual TLS is its
 * authentication). A request is read whole — its fields against the spec,
 * then its encrypted payloads, decrypted with the issuer's key — before any
 * service sees it; a refusal is the spec's ErrorsResponse with the request's
 * own requestId as responseId, and changes nothing.
 */
export interface PreDigitizationRoutesOptions {
  payloads: PreDigitizationPayloads;
  questions: Pick<TokenizationQuestions, 'authorizeService' | 'requestActivationMethods'>;
  notifications: Pick<MdesNotifications, 'notifyServiceActivated' | 'notifyTokenUpdated'>;
  activations: Pick<Activations, 'deliverActivationCode' | 'validateActivationCode'>;
  suspiciousEvents: Pick<SuspiciousEvents, 'notifySuspiciousEvents'>;
}

type Handlers = {
  [O in ImplementedOperation]: (opened: OpenedRequests[O]) => Promise<{ responseId: string }>;
};

export function preDigitizationRoutes(options: PreDigitizationRoutesOptions): FastifyPluginAsync {
  const { questions, notifications, activations, suspiciousEvents } = options;
  const handlers: Handlers = {
    authorizeService: (opened) => questions.authorizeService(opened),
    requestActivationMethods: (opened) => questions.requestActivationMethods(opened),
    deliverActivationCode: (opened) => activations.deliverActivationCode(opened),
    notifyServiceActivated: async (opened) => {
      const { responseId } = await notifications.notifyServiceActivated(opened);
      return { responseId };
    },
    notifyTokenUpdated: async (opened) => {
      const { responseId } = await notifications.notifyTokenUpdated(opened);
      return { responseId };
    },
    validateActivationCode: (opened) => activations.validateActivationCode(opened),
    notifySuspiciousEvents: async (opened) => {
      const { responseId } = await suspiciousEvents.notifySuspiciousEvents(opened);
      return { responseId };
    },
  };

  return async (instance) => {
    // The body stays text until it is read as the spec says (INVALID_JSON, then field by field).
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    instance.setErrorHandler(refusal);

    for (const operation of Object.keys(handlers) as ImplementedOperation[]) {
      instance.post(PRE_DIGITIZATION_PATHS[operation], async (request, reply) => {
        const body = parseRequestBody(typeof request.body === 'string' ? request.body : '');
        const opened = readRequest(operation, body, options.payloads);
        let answer: { responseId: string };
        try {
          answer = await (handlers[operation] as (o: typeof opened) => Promise<{ responseId: string }>)(
            opened,
          );
        } catch (error) {
          // The same requestId for another operation: the spec has no code of its own for it.
          if (error instanceof ConflictError && error.code === 'MDES_MESSAGE_ID_REUSED') {
            throw new PreDigitizationError('INVALID_FIELD_VALUE', { field: 'requestId', path: '/requestId' });
          }
          throw error;
        }
        request.log.info(
          { mdes: { operation, requestId: answer.responseId } },
          'MDES pre-digitization request',
        );
        return reply.code(200).send(answer);
      });
    }
  };
}

/** Every refusal as the spec's ErrorsResponse; pushprov's own failures without their text. */
function refusal(error: FastifyError | PushprovError, request: FastifyRequest, reply: FastifyReply) {
  const responseId = requestIdOf(request.body) ?? randomUUID();
  let status: number;
  let body: ErrorsResponse;
  if (error instanceof PreDigitizationError) {
    request.log.warn(
      { mdes: { errorCode: error.errorCode, field: error.field }, err: error.cause ? error : undefined },
      'MDES pre-digitization request refused',
    );
    status = error.status;
    body = error.toErrorsResponse(responseId);
  } else if ((error instanceof PushprovError ? error.status : (error.statusCode ?? 500)) < 500) {
    // Refused before it was read: a body over the limit, a content type that is not JSON, a NUL character.
    status = error instanceof PushprovError ? error.status : (error.statusCode ?? 400);
    body = { responseId, errorCode: 'INVALID_JSON', errorDescription: 'Invalid JSON' };
  } else {
    request.log.error({ err: error }, 'MDES pre-digitization request failed');
    // MDES stands in for an issuer that cannot answer; the code is pushprov's (the spec lists none for it).
    status = 500;
    body = {
      responseId,
      errorCode: 'INTERNAL_SERVICE_FAILURE',
      errorDescription: 'Internal Service Failure',
    };
  }
  return reply.code(status).type('application/json').send(body);
}

/** The request's requestId when the body was read far enough to hold one that fits a responseId. */
function requestIdOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const requestId = (JSON.parse(body) as { requestId?: unknown } | null)?.requestId;
    return typeof requestId === 'string' && /^[\x21-\x7e]{1,64}$/.test(requestId) ? requestId : undefined;
  } catch {
    return undefined;
  }
}
