import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { DerivedKeySealer } from '../core/derived-key-sealer.js';
import type { SafeHtml } from '../core/html.js';
import { newId } from '../core/ids.js';
import type { AuthorizationResponse } from '../mastercard/digital-enablement/network-authorization.js';
import type { LifecycleToken, TransactData } from '../mastercard/digital-enablement/schemas.js';
import type { MerchantSchema, TokenCredentials } from './app.js';
import { failedPage, paymentPage } from './pages.js';

/** A call to MDES that did not give the answer hoped for: MDES's reason code, or the shop's own. */
export class MdesCallError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The demo basket every "Pay" buys. */
const DEMO_BASKET = { amount: '12.50', currency: 'EUR' } as const;

export interface ShopPaymentsDeps {
  db: Kysely<MerchantSchema>;
  clock: Clock;
  mdes: {
    deleteToken(tokenUniqueReference: string): Promise<LifecycleToken>;
    transact(tokenUniqueReference: string): Promise<TransactData>;
    authorize(payment: {
      requestId: string;
      amount: string;
      currency: string;
      accountNumber: string;
      de48se43Data: string;
    }): Promise<AuthorizationResponse>;
  };
  sealer: Pick<DerivedKeySealer, 'open'>;
  shopper: (request: FastifyRequest, reply: FastifyReply) => string;
  csrfOk: (request: FastifyRequest) => boolean;
  html: (reply: FastifyReply, status: number, body: SafeHtml) => FastifyReply;
}

/**
 * What a shopper does with a saved card at the demo shop: pay (Transact for
 * a cryptogram, then the network's authorisation, with the token number
 * kept sealed here), and remove it (delete at MDES, as the cardholder
 * asked). Each is a POST with the page's CSRF token, answered with a
 * redirect. A payment is written `pending` before MDES is asked and
 * completed with the answer, so a crash leaves a trace, not a mystery.
 */
export function shopPaymentRoutes(deps: ShopPaymentsDeps): FastifyPluginAsync {
  const { db } = deps;
  return async (app) => {
    const ownCard = (request: FastifyRequest, reply: FastifyReply) =>
      db
        .selectFrom('merchant_saved_cards')
        .selectAll()
        .where('id', '=', (request.params as { id: string }).id)
        .where('shopper_ref', '=', deps.shopper(request, reply))
        .executeTakeFirst();
    const forbidden = (reply: FastifyReply) =>
      deps.html(reply, 403, failedPage('This form has expired. Please go back and try again.', undefined));
    const unknown = (reply: FastifyReply) =>
      deps.html(reply, 404, failedPage('There is no such saved card.', undefined));

    app.post('/cards/:id/remove', async (request, reply) => {
      if (!deps.csrfOk(request)) return forbidden(reply);
      const card = await ownCard(request, reply);
      if (!card) return unknown(reply);
      let token: LifecycleToken;
      try {
        token = await deps.mdes.deleteToken(card.token_unique_reference);
      } catch (error) {
        if (!(error instanceof MdesCallError)) throw error;
        request.log.warn({ reason: error.reason }, 'saved card not removed at MDES');
        return deps.html(
          reply,
          502,
          failedPage('The card could not be removed just now. Please try again.', undefined),
        );
      }
      await db
        .updateTable('merchant_saved_cards')
        .set({ status: token.status, status_updated_at: new Date(token.statusTimestamp) })
        .where('id', '=', card.id)
        .execute();
      return reply.redirect('/', 303);
    });

    app.post('/cards/:id/pay', async (request, reply) => {
      if (!deps.csrfOk(request)) return forbidden(reply);
      const card = await ownCard(request, reply);
      if (!card) return unknown(reply);
      const now = deps.clock.now();
      const payment = {
        id: newId('pay'),
        shopper_ref: card.shopper_ref,
        saved_card_id: card.id,
        ...DEMO_BASKET,
        state: 'pending' as const,
        reason: null,
        account_last_four: null,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('merchant_payments').values(payment).execute();
      const outcome = await pay(deps, card, payment.id);
      await db
        .updateTable('merchant_payments')
        .set({ ...outcome, updated_at: deps.clock.now() })
        .where('id', '=', payment.id)
        .execute();
      if (outcome.state === 'failed') request.log.warn({ reason: outcome.reason }, 'payment failed');
      return reply.redirect(`/payments/${payment.id}`, 303);
    });

    app.get('/payments/:id', async (request, reply) => {
      const row = await db
        .selectFrom('merchant_payments as p')
        .innerJoin('merchant_saved_cards as c', 'c.id', 'p.saved_card_id')
        .select(['p.amount', 'p.currency', 'p.state', 'p.reason', 'p.account_last_four', 'c.last_four'])
        .where('p.id', '=', (request.params as { id: string }).id)
        .where('p.shopper_ref', '=', deps.shopper(request, reply))
        .executeTakeFirst();
      if (!row) return deps.html(reply, 404, failedPage('There is no such payment.', undefined));
      return deps.html(
        reply,
        200,
        paymentPage({
          amount: row.amount,
          currency: row.currency,
          state: row.state,
          reason: row.reason,
          lastFour: row.account_last_four ?? row.last_four,
        }),
      );
    });
  };
}

type Outcome = Pick<MerchantSchema['merchant_payments'], 'state' | 'reason' | 'account_last_four'>;

/**
 * One payment: Transact's cryptogram for the token whose number the shop
 * keeps sealed (a Transact answer for another number is refused), then the
 * network's decision.
 */
async function pay(
  deps: ShopPaymentsDeps,
  card: MerchantSchema['merchant_saved_cards'],
  requestId: string,
): Promise<Outcome> {
  if (!card.token_sealed) return { state: 'failed', reason: 'NO_TOKEN_HELD', account_last_four: null };
  const held = JSON.parse(deps.sealer.open(card.token_sealed, card.id)) as TokenCredentials;
  try {
    const credentials = await deps.mdes.transact(card.token_unique_reference);
    if (credentials.accountNumber !== held.tokenNumber) {
      return { state: 'failed', reason: 'TOKEN_MISMATCH', account_last_four: null };
    }
    const answer = await deps.mdes.authorize({
      requestId,
      ...DEMO_BASKET,
      accountNumber: held.tokenNumber,
      de48se43Data: credentials.de48se43Data,
    });
    return answer.decision === 'APPROVED'
      ? { state: 'approved', reason: null, account_last_four: answer.accountPanSuffix ?? null }
      : { state: 'declined', reason: answer.reasonCode ?? null, account_last_four: null };
  } catch (error) {
    if (!(error instanceof MdesCallError)) throw error;
    // A token MDES has deleted cannot transact: that is a decline the shopper can understand.
    return error.reason === 'INVALID_TOKEN_STATUS'
      ? { state: 'declined', reason: 'TOKEN_DEACTIVATED', account_last_four: null }
      : { state: 'failed', reason: error.reason, account_last_four: null };
  }
}
