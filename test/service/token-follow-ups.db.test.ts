import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { PushprovError } from '../../src/core/errors.js';
import { CardService } from '../../src/service/cards/cards.js';
import { TokenFollowUps } from '../../src/service/tokens/follow-ups.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { TokenFollowUpRepository } from '../../src/store/tokens/follow-ups.js';
import { TokenRepository } from '../../src/store/tokens/tokens.js';
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
    const store = new CardholderCardRepository(db, new Vault(Keyring.generate(clock.now())));
    cards = new CardService({ db, store, audit: new AuditLog(db, clock), clock });
    // MDES as the job sees it, one call per token: away for the next `mdesDown` calls, then taking each.
    const mdes = (request: string) => {
      if (mdesDown-- > 0) throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'down', { status: 502 });
      asked.push(request);
      return true;
    };
    followUps = new TokenFollowUps({
      repository: new TokenFollowUpRepository(db),
      clock,
      audit: new AuditLog(db, clock),
      onRequeued: () => requeued++,
      maxAttempts: 4,
      tokenManagement: {
        followCardChange: async ({ kind, cardId, account }, tokenId) =>
          mdes(
            `${kind} ${cardId} ${tokenId}${kind === 'replaced' ? ` ${account.accountPanSuffix ?? '-'} ${account.accountExpiry ?? '-'}` : ''}`,
          ),
      },
    });
  });
  afterAll(async () => database.close());

  /** The card's tokens at MDES, as its notifications recorded them. */
  async function withTokens(n: number): Promise<{ cardId: string; tokens: string[] }> {
    const cardId = (await db.selectFrom('cards').select('id').executeTakeFirstOrThrow()).id;
    const repository = new TokenRepository(db);
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const created = await repository.recordCreated({
        tokenUniqueReference: `DWSPMC${cardId.slice(4)}${i}`.padEnd(48, '0'),
        cardId,
        tokenRequestorId: '50182375119',
        tokenRequestorName: 'Demo Shop',
        destination: 'merchant',
        tokenPanSuffix: '1234',
        createdAt: clock.now(),
      });
      tokens.push(created!.id);
      clock.advance(1);
    }
    return { cardId, tokens };
  }

  const state = async () =>
    db
      .selectFrom('token_follow_ups')
      .select(['kind', 'state', 'attempts', 'last_error'])
      .orderBy('seq')
      .execute();

  it('retries while MDES is away, in order per card, once each, and ends done', async () => {
    await cards.importCards(holder([card('5555555555554444')]));
    const { cardId, tokens } = await withTokens(2);
    mdesDown = 3;
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
    // Each token once: the first attempt failed for both, the second for the first only, the third asked it alone.
    expect(asked).toEqual([
      `replaced ${cardId} ${tokens[1]} 5454 0332`,
      `replaced ${cardId} ${tokens[0]} 5454 0332`,
      `closed ${cardId} ${tokens[0]}`,
      `closed ${cardId} ${tokens[1]}`,
    ]);
    expect(await state()).toMatchObject([
      { kind: 'replaced', state: 'done', attempts: 3, last_error: null },
      { kind: 'closed', state: 'done', attempts: 1, last_error: null },
    ]);
    // Nothing left: a later run asks MDES nothing.
    clock.advance(3_600_000);
    expect(await followUps.run()).toBe(0);
    expect(asked).toHaveLength(4);
  });

  it('keeps each token’s outcome: after a partial failure only the tokens still outstanding are asked again', async () => {
    await db.deleteFrom('cards').execute();
    asked.length = 0;
    await cards.importCards(holder([card('5555555555554444')]));
    const { cardId, tokens } = await withTokens(3);
    await cards.importCards(holder([card('5555555555554444', { status: 'blocked' })]));
    // The first token goes through, then MDES is away for the other two.
    let calls = 0;
    const flaky = new TokenFollowUps({
      repository: new TokenFollowUpRepository(db),
      clock,
      audit: new AuditLog(db, clock),
      tokenManagement: {
        followCardChange: async ({ kind }, tokenId) => {
          if (++calls > 1 && calls <= 3) throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'down');
          asked.push(`${kind} ${tokenId}`);
          return true;
        },
      },
    });
    expect(await flaky.run()).toBe(0);
    const progress = await new TokenFollowUpRepository(db).tokenProgress([
      (
        await db
          .selectFrom('token_follow_ups')
          .select('id')
          .where('card_id', '=', cardId)
          .executeTakeFirstOrThrow()
      ).id,
    ]);
    expect([...progress.values()]).toEqual([{ done: 1, outstanding: 2 }]);
    // Ops see it on the follow-up.
    expect((await flaky.unfinished()).map((f) => [f.kind, f.tokens])).toEqual([
      ['blocked', { done: 1, outstanding: 2 }],
    ]);
    clock.advance(10_000);
    expect(await flaky.run()).toBe(1);
    expect(asked).toEqual([`blocked ${tokens[0]}`, `blocked ${tokens[1]}`, `blocked ${tokens[2]}`]);
  });

  it('gives up after too many attempts, leaving the follow-up failed for ops', async () => {
    await db.deleteFrom('cards').execute();
    await cards.importCards(holder([card('5555555555554444')]));
    await withTokens(1);
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
    const { cardId, tokens } = await withTokens(1);
    // Lost card: replaced and blocked at once; both follow-ups carry the same timestamp.
    const lost = await cards.importCards(holder([card('5454545454545454', { status: 'blocked' })]));
    expect(lost.tokenFollowUps).toEqual({ replaced: 1, closed: 0, blocked: 1, unblocked: 0 });
    const found = await cards.importCards(holder([card('5454545454545454')]));
    expect(found.tokenFollowUps).toEqual({ replaced: 0, closed: 0, blocked: 0, unblocked: 1 });
    // Importing the same active card again queues nothing more.
    expect((await cards.importCards(holder([card('5454545454545454')]))).tokenFollowUps.unblocked).toBe(0);

    expect(await followUps.run()).toBe(3);
    expect(asked).toEqual([
      `replaced ${cardId} ${tokens[0]} 5454 -`,
      `blocked ${cardId} ${tokens[0]}`,
      `unblocked ${cardId} ${tokens[0]}`,
    ]);
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
