import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/errors.js';
import { holdsNul } from '../../core/nul.js';
import {
  MdesNotification,
  NOTIFICATION_TYPES,
  NotificationAcknowledgement,
  REQUEST_TYPES,
  TokenizationAuthorizationRequest,
  TokenizationAuthorizationResponse,
} from '../../mastercard/mdes/messages.js';
import type { OAuthVerifier } from '../../mastercard/oauth/verifier.js';
import type { TokenizationDecisions } from '../../service/mdes/decisioning.js';
import type { MdesNotificationService } from '../../service/mdes/notifications.js';
import { errorResponses } from '../auth/schemas.js';

/**
 * MDES-facing routes: `POST /v1/mdes/notifications` takes MDES's messages
 * about the issuer's tokens; `POST /v1/mdes/tokenization-authorizations`
 * answers MDES's question before it creates a token for one of the
 * issuer's cards. The caller is Mastercard, not a cardholder: every request
 * must carry Mastercard's OAuth 1.0a signature (over the exact body bytes)
 * before its body is even parsed; then the body must be a known message
 * (MDES_NOTIFICATION_INVALID / MDES_NOTIFICATION_UNSUPPORTED, 400). A
 * message seen before (same id) changes nothing and is answered as it was.
 * Paths carry their `/v1`: register without a prefix.
 */
export interface MdesRoutesOptions {
  notifications: Pick<MdesNotificationService, 'receive'>;
  decisions: Pick<TokenizationDecisions, 'decide'>;
  /** Mastercard's keys and the issuer's nonce store: `mdesNotificationVerifier(…)`. */
  verifier: Pick<OAuthVerifier, 'verify'>;
  /**
   * The issuer's base URL as Mastercard addresses it, which the signature
   * covers (behind a proxy the request's own host and scheme may differ).
   * By default the URL is rebuilt from the request.
   */
  publicUrl?: string;
}

export const MDES_NOTIFICATIONS_PATH = '/v1/mdes/notifications';
export const MDES_AUTHORIZATIONS_PATH = '/v1/mdes/tokenization-authorizations';

const BODY_LIMIT = 16 * 1024;

export function mdesRoutes(options: MdesRoutesOptions): FastifyPluginAsync {
  const base = options.publicUrl?.replace(/\/+$/, '');
  const signedUrl = (request: FastifyRequest) =>
    `${base ?? `${request.protocol}://${request.host}`}${request.url}`;

  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    // The body stays bytes until the signature, whose body hash covers them, is checked.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );

    const signed = {
      bodyLimit: BODY_LIMIT,
      // Malformed bodies get this API's own code, not Fastify's generic one.
      attachValidation: true,
      preValidation: async (request: FastifyRequest) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        await options.verifier.verify({
          method: request.method,
          url: signedUrl(request),
          body: raw,
          authorization: request.headers.authorization,
        });
        request.body = parseJson(raw);
      },
    } as const;

    app.post(
      MDES_NOTIFICATIONS_PATH,
      {
        ...signed,
        schema: {
          tags: ['mdes'],
          summary: 'Notifications from MDES about the issuer’s tokens (signed by Mastercard, OAuth 1.0a)',
          body: MdesNotification,
          response: { 200: NotificationAcknowledgement, ...errorResponses(400, 401, 409) },
        },
      },
      async (request) => {
        if (request.validationError)
          throw malformed(request.body, request.validationError, NOTIFICATION_TYPES);
        const answer = await options.notifications.receive(request.body);
        request.log.info(
          {
            notificationId: answer.notificationId,
            messageType: request.body.messageType,
            outcome: answer.outcome,
            duplicate: answer.duplicate,
          },
          'MDES notification',
        );
        return { notificationId: answer.notificationId, status: answer.status, duplicate: answer.duplicate };
      },
    );

    app.post(
      MDES_AUTHORIZATIONS_PATH,
      {
        ...signed,
        schema: {
          tags: ['mdes'],
          summary:
            'Tokenization Authorization Request from MDES: approve, decline or ask for more authentication (signed by Mastercard, OAuth 1.0a)',
          body: TokenizationAuthorizationRequest,
          response: { 200: TokenizationAuthorizationResponse, ...errorResponses(400, 401, 409) },
        },
      },
      async (request) => {
        if (request.validationError) throw malformed(request.body, request.validationError, REQUEST_TYPES);
        const answer = await options.decisions.decide(request.body);
        request.log.info(
          {
            notificationId: answer.notificationId,
            tokenRequestorId: request.body.token.tokenRequestorId,
            decision: answer.decision,
            reasonCode: answer.reasonCode,
          },
          'MDES tokenization authorization',
        );
        return answer;
      },
    );
  };
}

function parseJson(raw: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ValidationError('MDES_NOTIFICATION_INVALID', 'the notification is not JSON', { cause: error });
  }
  if (holdsNul(value)) {
    throw new ValidationError(
      'MDES_NOTIFICATION_INVALID',
      'the notification holds the NUL character (U+0000)',
    );
  }
  return value;
}

// Names the place, never the value found there.
function malformed(
  body: unknown,
  error: Error & { validation?: { instancePath?: string }[] },
  known: readonly string[],
): ValidationError {
  const messageType = (body as { messageType?: unknown } | null)?.messageType;
  if (typeof messageType === 'string' && !known.includes(messageType)) {
    return new ValidationError(
      'MDES_NOTIFICATION_UNSUPPORTED',
      'this issuer does not take that MDES message type',
    );
  }
  const at = error.validation?.[0]?.instancePath;
  return new ValidationError(
    'MDES_NOTIFICATION_INVALID',
    `the notification does not match the message's schema${at ? ` at ${at}` : ''}`,
  );
}
