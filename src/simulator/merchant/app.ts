import { randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { migrate, migrationReadiness } from '../../core/db.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { createServer } from '../../core/server.js';
import { MERCHANT_MIGRATION_TABLE, merchantMigrations } from './migrations/index.js';
import { confirmPage, failedPage, homePage, savedPage } from './pages.js';
import {
  type PushRequest,
  PushRequestError,
  type PushSignatureVerifier,
  readPushRequest,
} from './push-request.js';
import { type TokenUpdatesOptions, tokenUpdateRoutes } from './token-updates.js';

/** How the merchant turns a receipt into a token: Mastercard's Secure Card on File API (the simulator's). */
export interface CreatedToken {
  tokenUniqueReference: string;
  lastFour: string;
}

export interface TokenCreator {
  /** Throws TokenCreationError with Mastercard's reason when the receipt is refused. */
  createToken(receipt: string): Promise<CreatedToken>;
}

export class TokenCreationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface MerchantOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  signatures: PushSignatureVerifier;
  tokens: TokenCreator;
  /** Whether pushes must carry MDES's signature (the demo merchant supports it, so it insists). */
  requireSignature?: boolean;
  /** Mark cookies Secure (when served over https). */
  secureCookies?: boolean;
  /** MDES's Notify Token Updated: verified with Mastercard's key, at the merchant's public URL. */
  tokenUpdates?: Omit<TokenUpdatesOptions, 'db'>;
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
  };
}

export async function prepareMerchantStore(db: Kysely<unknown>): Promise<void> {
  await migrate(db, merchantMigrations, MERCHANT_MIGRATION_TABLE);
}

const PROBLEMS: Record<string, string> = {
  RECEIPT_MISSING: 'The link from your bank is incomplete.',
  TOO_MANY_RECEIPTS: 'Your bank sent more cards than we can save at once.',
  CALLBACK_INVALID: 'The link from your bank is incomplete.',
  SIGNATURE_MISSING: 'We could not confirm this request came from Mastercard.',
  SIGNATURE_INVALID: 'We could not confirm this request came from Mastercard.',
  SIGNATURE_MISMATCH: 'The request was changed on its way here, so we did not use it.',
  CSRF: 'This form has expired. Please start again from your bank’s app.',
};

/** The demo merchant: a Secure Card on File integrator receiving pushed cards. */
export async function createMerchantApp(options: MerchantOptions): Promise<FastifyInstance> {
  const db = options.db as unknown as Kysely<MerchantSchema>;
  const app = createServer({
    name: 'merchant',
    logger: options.logger,
    readiness: () => migrationReadiness(options.db, merchantMigrations, MERCHANT_MIGRATION_TABLE),
  });
  await app.register(cookie);
  await app.register(formbody);
  if (options.tokenUpdates) await app.register(tokenUpdateRoutes({ db, ...options.tokenUpdates }));
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

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

  const verified = async (query: URLSearchParams): Promise<PushRequest> => {
    const push = readPushRequest(query);
    if (push.signature || options.requireSignature !== false) await options.signatures.verify(push);
    return push;
  };

  const back = (callbackURL: string, outcome: Record<string, string>): string => {
    const url = new URL(callbackURL);
    for (const [k, v] of Object.entries(outcome)) url.searchParams.set(k, v);
    return url.toString();
  };

  app.get('/', async (request, reply) => {
    const rows = await db
      .selectFrom('merchant_saved_cards')
      .selectAll()
      .where('shopper_ref', '=', shopper(request, reply))
      .orderBy('created_at', 'desc')
      .execute();
    return html(
      reply,
      200,
      homePage(rows.map((r) => ({ lastFour: r.last_four, status: r.status, savedAt: r.created_at }))),
    );
  });

  app.get('/push', async (request, reply) => {
    shopper(request, reply);
    let push: PushRequest;
    try {
      push = await verified(new URL(request.url, 'http://merchant').searchParams);
    } catch (error) {
      if (!(error instanceof PushRequestError)) throw error;
      request.log.warn({ problem: error.problem }, 'push redirect refused');
      return html(reply, 400, failedPage(PROBLEMS[error.problem] ?? error.problem, undefined));
    }
    const csrf = randomBytes(18).toString('base64url');
    reply.setCookie('csrf', csrf, cookieOptions);
    return html(
      reply,
      200,
      confirmPage({ ...push, csrf, cancelUrl: back(push.callbackURL, { status: 'cancelled' }) }),
    );
  });

  app.post('/push', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string | string[] | undefined>;
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v ?? []].flat()) query.append(k, one);
    const sent = query.get('csrf') ?? '';
    const expected = request.cookies.csrf ?? '';
    if (
      !sent ||
      sent.length !== expected.length ||
      !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))
    ) {
      return html(reply, 403, failedPage(PROBLEMS.CSRF ?? 'CSRF', undefined));
    }
    let push: PushRequest;
    try {
      push = await verified(query);
    } catch (error) {
      if (!(error instanceof PushRequestError)) throw error;
      return html(reply, 400, failedPage(PROBLEMS[error.problem] ?? error.problem, undefined));
    }
    reply.clearCookie('csrf', { path: '/' });
    const shopperRef = shopper(request, reply);
    const saved = [];
    for (const receipt of push.receipts) {
      let token: CreatedToken;
      try {
        token = await options.tokens.createToken(receipt);
      } catch (error) {
        if (!(error instanceof TokenCreationError)) throw error;
        request.log.warn({ reason: error.reason }, 'receipt refused');
        return html(
          reply,
          422,
          failedPage(
            error.reason.endsWith('EXPIRED')
              ? 'The link from your bank has expired. Please start again.'
              : 'Mastercard could not create a token for this card.',
            back(push.callbackURL, { status: 'failure', reason: error.reason }),
          ),
        );
      }
      const row = {
        id: newId('msc'),
        shopper_ref: shopperRef,
        token_unique_reference: token.tokenUniqueReference,
        last_four: token.lastFour,
        card_art_url: null,
        status: 'ACTIVE',
        created_at: options.clock.now(),
        status_updated_at: null,
      };
      await db.insertInto('merchant_saved_cards').values(row).execute();
      saved.push({ lastFour: row.last_four, status: row.status, savedAt: row.created_at });
    }
    return html(reply, 200, savedPage(saved, back(push.callbackURL, { status: 'success' })));
  });

  return app;
}
