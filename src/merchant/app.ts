import { randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { migrate, migrationReadiness } from '../core/db.js';
import type { DerivedKeySealer } from '../core/derived-key-sealer.js';
import type { SafeHtml } from '../core/html.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import {
  callbackWithResults,
  type Handover,
  HandoverError,
  type ReceiptResult,
  readHandover,
  type TokenizationResult,
} from '../mastercard/token-connect/handover.js';
import type { PushSignatureKeys } from '../mastercard/token-connect/push-signature.js';
import { MERCHANT_MIGRATION_TABLE, merchantMigrations } from './migrations/index.js';
import { confirmPage, failedPage, homePage, resultPage } from './pages.js';
import { type ShopPaymentsDeps, shopPaymentRoutes } from './payments.js';
import { type TokenUpdatesOptions, tokenUpdateRoutes } from './token-updates.js';

/** The token as MDES handed it over (decrypted from `tokenDetail`): kept only sealed. */
export interface TokenCredentials {
  tokenNumber: string;
  expiryMonth: string;
  expiryYear: string;
}

/** How the merchant turns a receipt into a token: MDES tokenize, as a token requestor. */
export interface CreatedToken {
  tokenUniqueReference: string;
  lastFour: string;
  token: TokenCredentials;
}

export interface TokenCreator {
  /** Throws TokenCreationError with Mastercard's reason and the result to give the issuer. */
  createToken(receipt: string, device?: { ipAddress?: string }): Promise<CreatedToken>;
}

/** Everything the shop asks MDES: tokenize, and for a saved card delete, Transact and the payment's authorisation. */
export type ShopMdes = TokenCreator & ShopPaymentsDeps['mdes'];

export class TokenCreationError extends Error {
  constructor(
    readonly reason: string,
    readonly result: TokenizationResult,
    readonly tokenUniqueReference?: string,
  ) {
    super(reason);
  }
}

export interface MerchantOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  /** MDES's push-signing keys, downloaded as assets ahead of time. */
  signatures: Pick<PushSignatureKeys, 'verify'>;
  tokens: ShopMdes;
  /** Seals each saved card's token number at rest (AES-256-GCM, the card's id as associated data). */
  sealer: Pick<DerivedKeySealer, 'seal' | 'open'>;
  /** Mark cookies Secure (when served over https). */
  secureCookies?: boolean;
  /** MDES's Notify Token Updated: verified with Mastercard's key, at the merchant's public URL. */
  tokenUpdates?: Omit<TokenUpdatesOptions, 'db' | 'now'>;
}

export interface MerchantSchema {
  merchant_saved_cards: {
    id: string;
    shopper_ref: string;
    token_unique_reference: string;
    last_four: string;
    card_art_url: string | null;
    status: string;
    created_at: Date;
    status_updated_at: Date | null;
    /** The token number and expiry, sealed (migration 0004); null for cards saved before it. */
    token_sealed: Uint8Array | null;
  };
  merchant_token_updates: { request_id: string; received_at: Date };
  merchant_payments: {
    id: string;
    shopper_ref: string;
    saved_card_id: string;
    amount: string;
    currency: string;
    /** pending (written before MDES is asked), approved, declined, or failed (no answer). */
    state: 'pending' | 'approved' | 'declined' | 'failed';
    reason: string | null;
    account_last_four: string | null;
    created_at: Date;
    updated_at: Date;
  };
  merchant_push_results: {
    receipt: string;
    shopper_ref: string;
    result: TokenizationResult;
    token_unique_reference: string | null;
    reason: string | null;
    callback_url: string | null;
    created_at: Date;
  };
}

export async function prepareMerchantStore(db: Kysely<unknown>): Promise<void> {
  await migrate(db, merchantMigrations, MERCHANT_MIGRATION_TABLE);
}

const PROBLEMS: Record<string, string> = {
  RECEIPT_MISSING: 'The link from your bank is incomplete.',
  RECEIPT_INVALID: 'The link from your bank is incomplete.',
  CALLBACK_INVALID: 'The link from your bank is incomplete.',
  FLAG_INVALID: 'The link from your bank is incomplete.',
  LOCALE_INVALID: 'The link from your bank is incomplete.',
  TOO_MANY_RECEIPTS: 'Your bank sent more cards than we can save at once.',
  SIGNED_DATA_INVALID: 'We could not confirm this request came from Mastercard through your bank.',
  CSRF: 'This form has expired. Please start again from your bank’s app.',
};
const MAX_RECEIPTS = 5;

/**
 * The demo merchant: a Secure Card on File token requestor receiving pushed
 * cards as MDESRQ describes it. It takes the handover in either form (MDES's
 * JWS, verified with the key it downloaded, or the parameters in clear),
 * redeems each receipt with its own tokenize, and sends the shopper back to
 * the issuer with one result per receipt. Every change is a POST answered
 * with a redirect to a page, so Back and reload never resubmit.
 */
export async function createMerchantApp(options: MerchantOptions): Promise<FastifyInstance> {
  const db = options.db as unknown as Kysely<MerchantSchema>;
  const app = createServer({
    name: 'merchant',
    logger: options.logger,
    readiness: () => migrationReadiness(options.db, merchantMigrations, MERCHANT_MIGRATION_TABLE),
  });
  await app.register(cookie);
  await app.register(formbody);
  if (options.tokenUpdates) {
    await app.register(tokenUpdateRoutes({ db, now: () => options.clock.now(), ...options.tokenUpdates }));
  }
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: options.secureCookies === true,
  };

  const shopper = (request: FastifyRequest, reply: FastifyReply): string => {
    const known = request.cookies.shopper;
    if (known && /^shp_[a-z0-9]{20}$/.test(known)) return known;
    const id = newId('shp');
    reply.setCookie('shopper', id, cookieOptions);
    return id;
  };

  const html = (reply: FastifyReply, status: number, body: SafeHtml) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(body.toString());

  /** The handover in the query, its JWS verified; a HandoverError is a 400 page (MDESRQ p. 41). */
  const handoverOf = async (query: URLSearchParams): Promise<Handover> => {
    const received = readHandover(query);
    const handover =
      received.form === 'signed' ? await options.signatures.verify(received.jws) : received.handover;
    if (handover.pushAccountReceipts.length > MAX_RECEIPTS)
      throw new HandoverError('RECEIPT_INVALID', 'TOO_MANY_RECEIPTS');
    return handover;
  };

  const refused = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (!(error instanceof HandoverError)) throw error;
    request.log.warn({ problem: error.problem }, 'push handover refused');
    const message = PROBLEMS[error.message] ?? PROBLEMS[error.problem] ?? error.problem;
    return html(reply, 400, failedPage(message, undefined));
  };

  const csrfOk = (request: FastifyRequest, sent: string): boolean => {
    const expected = request.cookies.csrf ?? '';
    return (
      sent.length > 0 &&
      sent.length === expected.length &&
      timingSafeEqual(Buffer.from(sent), Buffer.from(expected))
    );
  };

  /** The form fields of a POST: the handover's original query and the CSRF token. */
  const formOf = (request: FastifyRequest) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
    return { handover: new URLSearchParams(text('handover')), csrf: text('csrf') };
  };

  const record = async (
    shopperRef: string,
    handover: Handover,
    outcome: ReceiptResult & { reason?: string },
  ) => {
    await db
      .insertInto('merchant_push_results')
      .values({
        receipt: outcome.receipt,
        shopper_ref: shopperRef,
        result: outcome.result,
        token_unique_reference: outcome.tokenUniqueReference ?? null,
        reason: outcome.reason ?? null,
        callback_url: handover.callbackURL ?? null,
        created_at: options.clock.now(),
      })
      .onConflict((oc) => oc.column('receipt').doNothing())
      .execute();
  };

  const resultsOf = (shopperRef: string, receipts: readonly string[]) =>
    receipts.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('merchant_push_results')
          .selectAll()
          .where('shopper_ref', '=', shopperRef)
          .where('receipt', 'in', [...receipts])
          .execute();

  app.get('/', async (request, reply) => {
    const rows = await db
      .selectFrom('merchant_saved_cards')
      .selectAll()
      .where('shopper_ref', '=', shopper(request, reply))
      .orderBy('created_at', 'desc')
      .execute();
    const csrf = randomBytes(18).toString('base64url');
    reply.setCookie('csrf', csrf, cookieOptions);
    return html(
      reply,
      200,
      homePage(
        rows.map((r) => ({ id: r.id, lastFour: r.last_four, status: r.status, savedAt: r.created_at })),
        csrf,
      ),
    );
  });

  await app.register(
    shopPaymentRoutes({
      db,
      clock: options.clock,
      mdes: options.tokens,
      sealer: options.sealer,
      shopper,
      csrfOk: (request) => csrfOk(request, formOf(request).csrf),
      html,
    }),
  );

  app.get('/push', async (request, reply) => {
    const shopperRef = shopper(request, reply);
    const query = new URL(request.url, 'http://merchant').searchParams;
    let handover: Handover;
    try {
      handover = await handoverOf(query);
    } catch (error) {
      return refused(request, reply, error);
    }
    // Back from the result page lands here again: a push already worked on shows its result.
    const done = await resultsOf(shopperRef, handover.pushAccountReceipts);
    if (done.length === handover.pushAccountReceipts.length) {
      return reply.redirect(`/push/result?receipts=${handover.pushAccountReceipts.join(',')}`, 303);
    }
    const csrf = randomBytes(18).toString('base64url');
    reply.setCookie('csrf', csrf, cookieOptions);
    return html(
      reply,
      200,
      confirmPage({ count: handover.pushAccountReceipts.length, handover: query.toString(), csrf }),
    );
  });

  /** The confirmation form posted back: its CSRF token checked, its handover read and verified again; else answered here. */
  const posted = async (request: FastifyRequest, reply: FastifyReply): Promise<Handover | undefined> => {
    const form = formOf(request);
    if (!csrfOk(request, form.csrf)) {
      html(reply, 403, failedPage(PROBLEMS.CSRF ?? 'CSRF', undefined));
      return undefined;
    }
    try {
      return await handoverOf(form.handover);
    } catch (error) {
      refused(request, reply, error);
      return undefined;
    }
  };

  app.post('/push', async (request, reply) => {
    const handover = await posted(request, reply);
    if (!handover) return reply;
    const shopperRef = shopper(request, reply);
    const known = new Set((await resultsOf(shopperRef, handover.pushAccountReceipts)).map((r) => r.receipt));
    for (const receipt of handover.pushAccountReceipts) {
      if (known.has(receipt)) continue;
      try {
        const token = await options.tokens.createToken(receipt, { ipAddress: request.ip });
        const id = newId('msc');
        await db
          .insertInto('merchant_saved_cards')
          .values({
            id,
            token_sealed: options.sealer.seal(JSON.stringify(token.token), id),
            shopper_ref: shopperRef,
            token_unique_reference: token.tokenUniqueReference,
            last_four: token.lastFour,
            card_art_url: null,
            status: 'ACTIVE',
            created_at: options.clock.now(),
            status_updated_at: null,
          })
          .execute();
        await record(shopperRef, handover, {
          receipt,
          result: 'APPROVED',
          tokenUniqueReference: token.tokenUniqueReference,
        });
      } catch (error) {
        if (!(error instanceof TokenCreationError)) throw error;
        request.log.warn({ reason: error.reason }, 'receipt not tokenized');
        await record(shopperRef, handover, {
          receipt,
          result: error.result,
          ...(error.tokenUniqueReference && { tokenUniqueReference: error.tokenUniqueReference }),
          reason: error.reason,
        });
      }
    }
    reply.clearCookie('csrf', { path: '/' });
    return reply.redirect(`/push/result?receipts=${handover.pushAccountReceipts.join(',')}`, 303);
  });

  // The cardholder's choice, before anything is saved: the receipts go back to the bank as CANCELLED.
  app.post('/push/cancel', async (request, reply) => {
    const handover = await posted(request, reply);
    if (!handover) return reply;
    const shopperRef = shopper(request, reply);
    for (const receipt of handover.pushAccountReceipts) {
      await record(shopperRef, handover, { receipt, result: 'CANCELLED', reason: 'CARDHOLDER_CANCELLED' });
    }
    reply.clearCookie('csrf', { path: '/' });
    const results = await resultsOf(shopperRef, handover.pushAccountReceipts);
    const back = handover.callbackURL
      ? callbackWithResults(handover.callbackURL, results.map(asResult))
      : '/';
    return reply.redirect(back, 303);
  });

  app.get('/push/result', async (request, reply) => {
    const query = new URL(request.url, 'http://merchant').searchParams;
    const receipts = (query.get('receipts') ?? '').split(',').filter(Boolean).slice(0, MAX_RECEIPTS);
    const shopperRef = shopper(request, reply);
    const rows = await resultsOf(shopperRef, receipts);
    if (rows.length === 0) return html(reply, 404, failedPage('There is nothing to show here.', undefined));
    const tokens = rows.filter((r) => r.result === 'APPROVED').map((r) => r.token_unique_reference ?? '');
    const cards =
      tokens.length === 0
        ? []
        : await db
            .selectFrom('merchant_saved_cards')
            .selectAll()
            .where('shopper_ref', '=', shopperRef)
            .where('token_unique_reference', 'in', tokens)
            .execute();
    const callback = rows.find((r) => r.callback_url)?.callback_url;
    return html(
      reply,
      200,
      resultPage({
        saved: cards.map((c) => ({ lastFour: c.last_four, status: c.status, savedAt: c.created_at })),
        failures: rows.filter((r) => r.result !== 'APPROVED').map((r) => r.reason ?? r.result),
        returnUrl: callback ? callbackWithResults(callback, rows.map(asResult)) : undefined,
      }),
    );
  });

  return app;
}

const asResult = (row: MerchantSchema['merchant_push_results']): ReceiptResult => ({
  receipt: row.receipt,
  result: row.result,
  ...(row.token_unique_reference && { tokenUniqueReference: row.token_unique_reference }),
});
