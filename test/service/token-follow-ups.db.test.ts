import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { PushprovError } from '../../src/core/errors.js';
import { CardService } from '../../src/service/cards/cards.js';
import { TokenFollowUps } from '../../src/service/tokens/follow-ups.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardStore } from '../../src/store/cards/card-store.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { TokenFollowUpRepository } from '../../src/store/tokens/follow-ups.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { importCard, importHolder } from '../support/card-import.js';
import { onPostgres, testDatabase } from '../support/database.js';

const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
const holder = (cards: unknown[]) => ({ cardholders: [importHolder({ externalRef: 'alice', cards })] });
const card = (pan: string, over: Record<string, unknown> = {}) =>
  importCard({ externalRef: 'alice-1', pan, ...over });

describe(`card changes taken to MDES on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let cards: CardService;
  const asked: string[] = [];
  let mdesDown = 0;
  let requeued = 0;
  let followUps: TokenFollowUps;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    const store = new CardStore(db, new Vault(Keyring.generate(clock.now())));
    cards = new CardService({ db, store, audit: new AuditLog(db, clock), clock });
    // MDES as the job sees it: away for the next `mdesDown` requests, then taking each one.
    const mdes = (request: string) => {
      if (mdesDown-- > 0) throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'down', { status: 502 });
      asked.push(request);
      return 2;
    };
    followUps = new TokenFollowUps({
      repository: new TokenFollowUpRepository(db),
      clock,
      audit: new AuditLog(db, clock),
      onRequeued: () => requeued++,
      maxAttempts: 4,
      savedCards: {
        cardReplaced: async (cardId, account) =>
          mdes(`replaced ${cardId} ${account.accountPanSuffix ?? '-'} ${account.accountExpiry ?? '-'}`),
        cardClosed: async (cardId) => mdes(`closed ${cardId}`),
        cardBlocked: async (cardId) => mdes(`blocked ${cardId}`),
        cardUnblocked: async (cardId) => mdes(`unblocked ${cardId}`),
      },
    });
  });
  afterAll(async () => database.close());

  const state = async () =>
    db
      .selectFrom('token_follow_ups')
      .select(['kind', 'state', 'attempts', 'last_error'])
      .orderBy('seq')
      .execute();

  it('retries while MDES is away, in order per card, once each, and ends done', async () => {
    await cards.importCards(holder([card('5555555555554444')]));
    const cardId = (await db.selectFrom('cards').select('id').executeTakeFirstOrThrow()).id;
    mdesDown = 2;
    await cards.importCards(holder([card('5454545454545454', { expiryMonth: 3, expiryYear: 2032 })]));
    clock.advance(1_000);
    await cards.importCards(
      holder([card('5454545454545454', { expiryMonth: 3, expiryYear: 2032, status: 'closed' })]),
    );

    expect(await followUps.run()).toBe(0);
    expect(await state()).toMatchObject([
      { kind: 'replaced', state: 'pending', attempts: 1, last_error: 'TOKEN_MANAGEMENT_UNAVAILABLE' },
      // The closure waits behind the replacement of the same card.
      { kind: 'closed', state: 'pending', attempts: 0 },
    ]);
    // Not before its backoff is over.
    expect(await followUps.run()).toBe(0);
    clock.advance(5_000);
    expect(await followUps.run()).toBe(0);
    clock.advance(10_000);
    expect(await followUps.run()).toBe(2);
    expect(asked).toEqual([`replaced ${cardId} 5454 0332`, `closed ${cardId}`]);
    expect(await state()).toMatchObject([
      { kind: 'replaced', state: 'done', attempts: 3, last_error: null },
      { kind: 'closed', state: 'done', attempts: 1, last_error: null },
    ]);
    // Nothing left: a later run asks MDES nothing.
    clock.advance(3_600_000);
    expect(await followUps.run()).toBe(0);
    expect(asked).toHaveLength(2);
  });

  it('gives up after too many attempts, leaving the follow-up failed for ops', async () => {
    await db.deleteFrom('cards').execute();
    await cards.importCards(holder([card('5555555555554444')]));
    mdesDown = 100;
    await cards.importCards(holder([card('5555555555554444', { expiryYear: 2033 })]));
    for (let i = 0; i < 6; i++) {
      await followUps.run();
      clock.advance(3_600_000);
    }
    expect(await state()).toMatchObject([
      { kind: 'replaced', state: 'failed', attempts: 4, last_error: 'TOKEN_MANAGEMENT_UNAVAILABLE' },
    ]);
  });

  it('lets ops see what is stuck and queue a failed one again, unless a later change of the card came after it', async () => {
    const [failed] = await followUps.unfinished();
    expect(failed).toMatchObject({ kind: 'replaced', state: 'failed', attempts: 4 });
    await expect(followUps.retry('tfu_00000000000000000000', 'ops:test')).rejects.toMatchObject({
      code: 'FOLLOW_UP_NOT_FOUND',
      status: 404,
    });

    mdesDown = 0;
    const requeuedBefore = requeued;
    expect(await followUps.retry(failed!.id, 'ops:test')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(requeued).toBe(requeuedBefore + 1);
    expect(
      await db
        .selectFrom('audit_log')
        .select(['actor', 'outcome'])
        .where('action', '=', 'card.follow_up_retried')
        .execute(),
    ).toEqual([{ actor: 'ops:test', outcome: 'requeued' }]);
    expect(await followUps.run()).toBe(1);
    expect(await followUps.unfinished()).toEqual([]);
    await expect(followUps.retry(failed!.id, 'ops:test')).rejects.toMatchObject({
      code: 'FOLLOW_UP_NOT_FAILED',
      status: 409,
    });

    // A block fails for good, then the card is unblocked: the block must not be taken to MDES after that.
    mdesDown = 100;
    await cards.importCards(holder([card('5555555555554444', { expiryYear: 2033, status: 'blocked' })]));
    for (let i = 0; i < 6; i++) {
      await followUps.run();
      clock.advance(3_600_000);
    }
    await cards.importCards(holder([card('5555555555554444', { expiryYear: 2033 })]));
    const unfinished = await followUps.unfinished();
    expect(unfinished.map((f) => [f.kind, f.state])).toEqual([
      ['unblocked', 'pending'],
      ['blocked', 'failed'],
    ]);
    await expect(followUps.retry(unfinished[1]!.id, 'ops:test')).rejects.toMatchObject({
      code: 'FOLLOW_UP_SUPERSEDED',
      status: 409,
    });
  });

  it('suspends a blocked card’s tokens and resumes them once unblocked, after a replacement queued in the same import', async () => {
    await db.deleteFrom('cards').execute();
    asked.length = 0;
    mdesDown = 0;
    await cards.importCards(holder([card('5555555555554444')]));
    const cardId = (await db.selectFrom('cards').select('id').executeTakeFirstOrThrow()).id;
    // Lost card: replaced and blocked at once; both follow-ups carry the same timestamp.
    const lost = await cards.importCards(holder([card('5454545454545454', { status: 'blocked' })]));
    expect(lost.tokenFollowUps).toEqual({ replaced: 1, closed: 0, blocked: 1, unblocked: 0 });
    const found = await cards.importCards(holder([card('5454545454545454')]));
    expect(found.tokenFollowUps).toEqual({ replaced: 0, closed: 0, blocked: 0, unblocked: 1 });
    // Importing the same active card again queues nothing more.
    expect((await cards.importCards(holder([card('5454545454545454')]))).tokenFollowUps.unblocked).toBe(0);

    expect(await followUps.run()).toBe(3);
    expect(asked).toEqual([`replaced ${cardId} 5454 -`, `blocked ${cardId}`, `unblocked ${cardId}`]);
    const audited = await db
      .selectFrom('audit_log')
      .select('action')
      .where('subject', '=', cardId)
      .where('action', 'in', ['card.blocked', 'card.unblocked'])
      .orderBy('seq')
      .execute();
    expect(audited.map((a) => a.action)).toEqual(['card.blocked', 'card.unblocked']);
  });
});
