import { Value } from '@sinclair/typebox/value';
import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { AuthError } from '../../core/errors.js';
import type { OAuthVerifier } from '../../mastercard/oauth/verifier.js';
import {
  NotifyTokenUpdatedRequest,
  type NotifyTokenUpdatedResponse,
} from '../../mastercard/token-requestor-notifications.js';
import type { MerchantSchema } from './app.js';

/** Where the demo merchant takes MDES's Notify Token Updated (registered with MDES as its notification URL). */
export const MERCHANT_NTU_PATH = '/mdes/notifyTokenUpdated';

export interface TokenUpdatesOptions {
  db: Kysely<MerchantSchema>;
  /** Checks MDES's OAuth 1.0a signature (Mastercard's key). */
  verifier: Pick<OAuthVerifier, 'verify'>;
  /** The merchant's base URL as MDES calls it: the signature covers the full URL. */
  publicUrl: string;
}

/**
 * The merchant's side of Notify Token Updated: a signed request from MDES
 * that one of its tokens changed. The saved card takes the new status
 * (DEACTIVATED: removed) and the funding account's new last four digits; a
 * notification older than what the card shows changes nothing, so a retried
 * or late one is harmless. Unknown tokens are acknowledged and ignored.
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
        return reply.code(401).send({ error: { code: error.code, message: 'signature refused' } });
      }
      let update: unknown;
      try {
        update = JSON.parse(body.toString('utf8'));
      } catch {
        update = undefined;
      }
      if (!Value.Check(NotifyTokenUpdatedRequest, update)) {
        return reply
          .code(400)
          .send({ error: { code: 'INVALID_REQUEST', message: 'not a Notify Token Updated' } });
      }
      for (const token of update.tokens) {
        const at = new Date(token.statusTimestamp);
        if (Number.isNaN(at.getTime())) continue;
        await options.db
          .updateTable('merchant_saved_cards')
          .set({ status: token.status, last_four: token.tokenInfo.accountPanSuffix, status_updated_at: at })
          .where('token_unique_reference', '=', token.tokenUniqueReference)
          .where((eb) => eb.or([eb('status_updated_at', 'is', null), eb('status_updated_at', '<=', at)]))
          .execute();
      }
      const answer: NotifyTokenUpdatedResponse = { responseId: update.requestId, responseHost: 'merchant' };
      return reply.code(200).send(answer);
    });
  };
}
