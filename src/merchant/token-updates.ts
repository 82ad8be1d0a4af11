import { Value } from '@sinclair/typebox/value';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { AuthError } from '../core/errors.js';
import {
  DIGITAL_ENABLEMENT_PATHS,
  type NotifyTokenUpdatedData,
  NotifyTokenUpdatedDataSchema,
  NotifyTokenUpdatedRequestSchema,
  type NotifyTokenUpdatedResponse,
} from '../mastercard/digital-enablement/schemas.js';
import type { EnvelopeDecrypter } from '../mastercard/encryption/envelope-decrypter.js';
import type { OAuthVerifier } from '../mastercard/oauth/verifier.js';
import type { MerchantSchema } from './app.js';

/**
 * Where the demo merchant takes MDES's Notify Token Updated: the Digital
 * Enablement API's path under the shop's `/mdes` root (registered with MDES
 * as its notification URL).
 */
export const MERCHANT_NTU_PATH = `/mdes${DIGITAL_ENABLEMENT_PATHS.notifyTokenUpdated}`;

/** The shop's name for itself in its answers (`responseHost`, 11–64 characters). */
const MERCHANT_RESPONSE_HOST = 'demo-shop.pushprov';

export interface TokenUpdatesOptions {
  db: Kysely<MerchantSchema>;
  /** Checks MDES's OAuth 1.0a signature (Mastercard's key). */
  verifier: Pick<OAuthVerifier, 'verify'>;
  /** Opens the encrypted payload with the shop's own key. */
  decrypter: Pick<EnvelopeDecrypter, 'decrypt'>;
  /** The merchant's base URL as MDES calls it: the signature covers the full URL. */
  publicUrl: string;
  now: () => Date;
}

/**
 * The merchant's side of Notify Token Updated: a signed request from MDES
 * whose `encryptedPayload`, once opened with the shop's key, holds the
 * changed tokens. The saved card takes each token's status (DEACTIVATED:
 * removed) and the funding account's last four digits. Each request is
 * applied once, by its requestId, in one transaction with its changes: a
 * redelivery is answered the same and changes nothing. A notification older
 * than what the card shows changes nothing either. Unknown tokens are
 * acknowledged and ignored. Refusals use MDES's ErrorWrapper.
 */
export function tokenUpdateRoutes(options: TokenUpdatesOptions): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.post(MERCHANT_NTU_PATH, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        await options.verifier.verify({
          method: 'POST',
          url: `${options.publicUrl}${MERCHANT_NTU_PATH}`,
          body,
          authorization: request.headers.authorization,
        });
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        request.log.warn({ code: error.code }, 'token update refused: bad signature');
        return refuse(reply, 401, error.code);
      }
      let update: unknown;
      try {
        update = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(reply, 400, 'INVALID_JSON');
      }
      if (!Value.Check(NotifyTokenUpdatedRequestSchema, update)) {
        return refuse(reply, 400, 'INVALID_FIELD_VALUE');
      }
      let data: NotifyTokenUpdatedData;
      try {
        const opened: unknown = JSON.parse(options.decrypter.decrypt(update.encryptedPayload));
        if (!Value.Check(NotifyTokenUpdatedDataSchema, opened))
          return refuse(reply, 400, 'INVALID_FIELD_VALUE');
        data = opened;
      } catch {
        // One answer for every failure: no padding oracle for whoever sent it.
        return refuse(reply, 400, 'CRYPTOGRAPHY_ERROR');
      }
      const duplicate = await options.db.transaction().execute(async (tx) => {
        const taken = await tx
          .insertInto('merchant_token_updates')
          .values({ request_id: update.requestId, received_at: options.now() })
          .onConflict((oc) => oc.column('request_id').doNothing())
          .returning('request_id')
          .executeTakeFirst();
        if (!taken) return true;
        for (const token of data.tokens) {
          const at = new Date(token.statusTimestamp);
          if (Number.isNaN(at.getTime())) continue;
          await tx
            .updateTable('merchant_saved_cards')
            .set({
              status: token.status,
              ...(token.tokenInfo?.accountPanSuffix && { last_four: token.tokenInfo.accountPanSuffix }),
              status_updated_at: at,
            })
            .where('token_unique_reference', '=', token.tokenUniqueReference)
            .where((eb) => eb.or([eb('status_updated_at', 'is', null), eb('status_updated_at', '<=', at)]))
            .execute();
        }
        return false;
      });
      if (duplicate) request.log.info({ requestId: update.requestId }, 'token update already applied');
      const answer: NotifyTokenUpdatedResponse = {
        responseHost: MERCHANT_RESPONSE_HOST,
        responseId: update.requestId,
      };
      return reply.code(200).send(answer);
    });
  };
}

function refuse(reply: FastifyReply, status: number, reasonCode: string): FastifyReply {
  return reply.code(status).send({
    errors: [{ source: 'INPUT', reasonCode, description: reasonCode, recoverable: false }],
  });
}
