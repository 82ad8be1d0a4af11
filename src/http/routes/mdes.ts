import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/errors.js';
import {
  MdesNotification,
  NOTIFICATION_TYPES,
  NotificationAcknowledgement,
} from '../../mastercard/mdes/messages.js';
import type { OAuthVerifier } from '../../mastercard/oauth/verifier.js';
import type { MdesNotificationService } from '../../service/mdes/notifications.js';
import { ErrorResponse } from '../auth/schemas.js';

/**
 * MDES-facing routes: `POST /v1/mdes/notifications` takes MDES's messages
 * about the issuer's tokens. The caller is Mastercard, not a cardholder:
 * every request must carry Mastercard's OAuth 1.0a signature (over the exact
 * body bytes) before its body is even parsed; then the body must be a known
 * message (MDES_NOTIFICATION_INVALID / MDES_NOTIFICATION_UNSUPPORTED, 400).
 * A redelivered notificationId is acknowledged again and changes nothing.
 * Paths carry their `/v1`: register without a prefix.
 */
export interface MdesRoutesOptions {
  notifications: Pick<MdesNotificationService, 'receive'>;
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

const BODY_LIMIT = 16 * 1024;
const KNOWN_TYPES: ReadonlySet<string> = new Set(NOTIFICATION_TYPES);

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

    app.post(
      MDES_NOTIFICATIONS_PATH,
      {
        bodyLimit: BODY_LIMIT,
        // Malformed bodies get this API's own code, not Fastify's generic one.
        attachValidation: true,
        preValidation: async (request) => {
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          await options.verifier.verify({
            method: request.method,
            url: signedUrl(request),
            body: raw,
            authorization: request.headers.authorization,
          });
          (request as FastifyRequest).body = parseJson(raw);
        },
        schema: {
          tags: ['mdes'],
          summary: 'Notifications from MDES about the issuer’s tokens (signed by Mastercard, OAuth 1.0a)',
          body: MdesNotification,
          response: { 200: NotificationAcknowledgement, 400: ErrorResponse, 401: ErrorResponse },
        },
      },
      async (request) => {
        if (request.validationError) throw malformed(request.body, request.validationError);
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
  };
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ValidationError('MDES_NOTIFICATION_INVALID', 'the notification is not JSON', { cause: error });
  }
}

// Names the place, never the value found there.
function malformed(
  body: unknown,
  error: Error & { validation?: { instancePath?: string }[] },
): ValidationError {
  const messageType = (body as { messageType?: unknown } | null)?.messageType;
  if (typeof messageType === 'string' && !KNOWN_TYPES.has(messageType)) {
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
