import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { ValidationError } from '../../src/core/errors.js';
import { cardEligibility } from '../../src/domain/eligibility.js';
import { isServedCountry } from '../../src/domain/regions.js';
import { CardService } from '../../src/service/cards/cards.js';
import { seedDemoData } from '../../src/service/cards/seed.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { importCard, importHolder } from '../support/card-import.js';
import { onPostgres, testDatabase } from '../support/database.js';

const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
// A test card not in the batch below.
const REPLACEMENT_PAN = '2223003122003222';

const card = (ref: string, pan: string, over: Record<string, unknown> = {}) =>
  importCard({ externalRef: ref, pan, ...over });
const holder = (ref: string, cards: unknown[], over: Record<string, unknown> = {}) =>
  importHolder({ externalRef: ref, email: `${ref}@example.com`, cards, ...over });

async function refusal(promise: Promise<unknown>): Promise<{ path: string; code: string }[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).code).toBe('IMPORT_INVALID');
  const problems = (error as ValidationError).details?.problems as { path: string; code: string }[];
  return problems.map(({ path, code }) => ({ path, code }));
}

describe(`card import on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let store: CardholderCardRepository;
  let service: CardService;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    store = new CardholderCardRepository(db, new Vault(Keyring.generate(clock.now())));
    service = new CardService({ db, store, audit: new AuditLog(db, clock), clock });
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await db.deleteFrom('cards').execute();
    await db.deleteFrom('cardholders').execute();
  });

  const tableCounts = async () => ({
    cardholders: (
      await db
        .selectFrom('cardholders')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
    cards: (
      await db
        .selectFrom('cards')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
    audit: (
      await db
        .selectFrom('audit_log')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  });

  const batch = () => ({
    cardholders: [
      holder('alice', [card('alice-1', '5555555555554444'), card('alice-2', '5200828282828210')]),
      holder('bob', [card('bob-1', '5105105105105100', { country: 'US' })], { email: 'bob@example.com' }),
    ],
  });

  it('creates cardholders and cards, reports progress, and audits the import by counts', async () => {
    const progress: string[] = [];
    const summary = await service.importCards(batch(), {
      actor: 'ops:test',
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });
    expect(summary).toEqual({
      cardholders: { created: 2, updated: 0, unchanged: 0 },
      cards: { created: 3, updated: 0, unchanged: 0 },
      tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
    });
    expect(progress).toEqual(['1/2', '2/2']);
    const [alice] = await store.cardholders.findByEmail('alice@example.com');
    const cards = await service.listCards(alice!.id);
    expect(cards).toEqual([
      {
        id: expect.stringMatching(/^crd_/),
        lastFour: '4444',
        expiryMonth: 12,
        expiryYear: 2030,
        country: 'GB',
        status: 'active',
        productName: 'Platinum',
      },
      {
        id: expect.stringMatching(/^crd_/),
        lastFour: '8210',
        expiryMonth: 12,
        expiryYear: 2030,
        country: 'GB',
        status: 'active',
        productName: 'Platinum',
      },
    ]);
    expect(await store.revealCardData(cards[1]!.id)).toEqual({ pan: '5200828282828210' });
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: 'ops:test', action: 'cards.imported', outcome: 'ok' });
    expect(audit.details).toEqual({
      cardholders: summary.cardholders,
      cards: summary.cards,
      tokenFollowUps: summary.tokenFollowUps,
    });
  });

  it('changes nothing when the same batch is imported again (not even the audit trail)', async () => {
    await service.importCards(batch());
    const before = await tableCounts();
    const rows = await db.selectFrom('cards').selectAll().orderBy('id').execute();
    clock.advance(60_000);
    expect(await service.importCards(batch())).toEqual({
      cardholders: { created: 0, updated: 0, unchanged: 2 },
      cards: { created: 0, updated: 0, unchanged: 3 },
      tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
    });
    expect(await tableCounts()).toEqual(before);
    expect(await db.selectFrom('cards').selectAll().orderBy('id').execute()).toEqual(rows);
  });

  it('updates what changed: expiry, status, product name, profile', async () => {
    await service.importCards(batch());
    const next = batch();
    next.cardholders[0]!.cards = [
      card('alice-1', '5555555555554444', { expiryYear: 2032, status: 'blocked' }),
      card('alice-2', '5200828282828210', { productName: 'Debit Plus' }),
    ];
    next.cardholders[1] = { ...next.cardholders[1]!, name: 'Robert Smith' };
    clock.advance(60_000);
    expect(await service.importCards(next)).toEqual({
      cardholders: { created: 0, updated: 1, unchanged: 1 },
      cards: { created: 0, updated: 2, unchanged: 1 },
      // A reissue with a new expiry, blocked: its tokens are to follow, then to be suspended.
      tokenFollowUps: { replaced: 1, closed: 0, blocked: 1, unblocked: 0 },
    });
    const alice1 = await store.cards.findByExternalRef('alice-1');
    expect(alice1).toMatchObject({ expiryYear: 2032, status: 'blocked', updatedAt: clock.now() });
    const alice2 = await store.cards.findByExternalRef('alice-2');
    expect(alice2).toMatchObject({ productName: 'Debit Plus' });
    const bob = await store.cardholders.findByExternalRef('bob');
    expect((await store.profile(bob!.id)).name).toBe('Robert Smith');
  });

  it('refuses a PAN another card already has, and rolls back the whole batch', async () => {
    await service.importCards(batch());
    const before = await tableCounts();
    const problems = await refusal(
      service.importCards({
        cardholders: [
          holder('carol', [card('carol-1', '2223003122003222')]),
          holder('dave', [card('dave-1', '5555555555554444')]),
        ],
      }),
    );
    expect(problems).toEqual([{ path: 'cardholders[1].cards[0].pan', code: 'PAN_DUPLICATE' }]);
    expect(await tableCounts()).toEqual(before);
    expect(await store.cardholders.findByExternalRef('carol')).toBeUndefined();
  });

  it('refuses a card moving to another cardholder', async () => {
    await service.importCards(batch());
    const moved = batch();
    moved.cardholders[0]!.cards = [
      card('alice-1', '5555555555554444'),
      card('bob-1', '5105105105105100', { country: 'US' }),
    ];
    moved.cardholders[1]!.cards = [];
    expect(await refusal(service.importCards(moved))).toEqual([
      { path: 'cardholders[0].cards[1].externalRef', code: 'CARD_OF_OTHER_CARDHOLDER' },
    ]);
  });

  it('replaces a card under its reference (new number and expiry): the card changes and its tokens are to follow', async () => {
    await service.importCards(batch());
    const before = (await store.cards.findByExternalRef('alice-1'))!;
    const replacement = batch();
    replacement.cardholders[0]!.cards[0] = card('alice-1', REPLACEMENT_PAN, {
      expiryMonth: 3,
      expiryYear: 2031,
    });
    const summary = await service.importCards(replacement, { actor: 'ops:test' });
    expect(summary.cards).toEqual({ created: 0, updated: 1, unchanged: 2 });
    expect(summary.tokenFollowUps).toEqual({ replaced: 1, closed: 0, blocked: 0, unblocked: 0 });
    const after = (await store.cards.findByExternalRef('alice-1'))!;
    expect(after).toMatchObject({
      id: before.id,
      lastFour: REPLACEMENT_PAN.slice(-4),
      expiryMonth: 3,
      expiryYear: 2031,
    });
    expect((await store.revealCardData(before.id)).pan).toBe(REPLACEMENT_PAN);
    // The old number no longer finds the card; the new one does.
    expect(await store.cards.findByPan('5555555555554444')).toBeUndefined();
    expect((await store.cards.findByPan(REPLACEMENT_PAN))?.id).toBe(before.id);
    const followUps = await db
      .selectFrom('token_follow_ups')
      .selectAll()
      .where('card_id', '=', before.id)
      .execute();
    expect(followUps).toMatchObject([
      {
        card_id: before.id,
        kind: 'replaced',
        account_pan_suffix: REPLACEMENT_PAN.slice(-4),
        account_expiry: '0331',
        state: 'pending',
      },
    ]);
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'card.replaced')
      .where('subject', '=', before.id)
      .execute();
    expect(audit).toMatchObject([{ actor: 'ops:test', subject: before.id, outcome: 'tokens_to_follow' }]);
    expect(JSON.stringify(audit)).not.toContain(REPLACEMENT_PAN);
    // The same file again changes nothing and queues nothing.
    expect((await service.importCards(replacement)).tokenFollowUps).toEqual({
      replaced: 0,
      closed: 0,
      blocked: 0,
      unblocked: 0,
    });
    expect(
      await db.selectFrom('token_follow_ups').selectAll().where('card_id', '=', before.id).execute(),
    ).toHaveLength(1);
  });

  it('closes a card, queueing the deletion of its tokens, and keeps it closed', async () => {
    await service.importCards(batch());
    const closing = batch();
    closing.cardholders[1]!.cards[0] = card('bob-1', '5105105105105100', { country: 'US', status: 'closed' });
    expect((await service.importCards(closing)).tokenFollowUps).toEqual({
      replaced: 0,
      closed: 1,
      blocked: 0,
      unblocked: 0,
    });
    expect(await db.selectFrom('token_follow_ups').select(['kind', 'account_pan_suffix']).execute()).toEqual([
      { kind: 'closed', account_pan_suffix: null },
    ]);
    // A closed card is neither reopened nor replaced under its reference; nothing changes.
    const before = await tableCounts();
    for (const change of [{ status: 'active' }, { pan: '2223003122003222', status: 'closed' }]) {
      const again = batch();
      again.cardholders[1]!.cards[0] = card(
        'bob-1',
        (change.pan as string | undefined) ?? '5105105105105100',
        {
          country: 'US',
          ...change,
        },
      );
      expect(await refusal(service.importCards(again))).toEqual([
        { path: 'cardholders[1].cards[0].status', code: 'CARD_CLOSED' },
      ]);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('never puts a value in the refusal', async () => {
    const error = await service
      .importCards({
        cardholders: [holder('eve', [card('eve-1', '5555555555554443')], { email: 'eve-at-example' })],
      })
      .catch((e: unknown) => e as ValidationError);
    const text = JSON.stringify({
      message: (error as ValidationError).message,
      details: (error as ValidationError).details,
    });
    expect(text).toContain('PAN_LUHN');
    expect(text).not.toContain('5555555555554443');
    expect(text).not.toContain('eve-at-example');
  });

  it('lets concurrent imports of the same batch end in one consistent state', async () => {
    const results = await Promise.allSettled([service.importCards(batch()), service.importCards(batch())]);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('IMPORT_CONFLICT');
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(await service.importCards(batch())).toMatchObject({
      cards: { created: 0, updated: 0, unchanged: 3 },
      tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
    });
  });

  it('answers CARDHOLDER_NOT_FOUND for the cards of an unknown cardholder', async () => {
    await expect(service.listCards('chd_nobody')).rejects.toMatchObject({
      code: 'CARDHOLDER_NOT_FOUND',
      status: 404,
    });
  });

  describe('demo data', () => {
    it('seeds the demo cardholders once; seeding again changes nothing', async () => {
      const first = await seedDemoData(service);
      expect(first.cardholders.created).toBeGreaterThanOrEqual(3);
      expect(first.cardholders.created).toBeLessThanOrEqual(4);
      expect(first.cards.created).toBeGreaterThanOrEqual(6);
      expect(first.cards.created).toBeLessThanOrEqual(8);
      const again = await seedDemoData(service);
      expect(again.cardholders).toEqual({ created: 0, updated: 0, unchanged: first.cardholders.created });
      expect(again.cards).toEqual({ created: 0, updated: 0, unchanged: first.cards.created });
      expect(await store.cardholders.findByExternalRef('demo-alice')).toMatchObject({
        externalRef: 'demo-alice',
      });
    });

    it('covers eligible cards in several served countries, an unserved country, an expired and a blocked card', async () => {
      await seedDemoData(service);
      const cards = await db.selectFrom('cards').select(['id']).execute();
      const reasons = new Map<string, string[]>();
      const testPans = new Set<string>(Object.values(TEST_CARDS).map((c) => c.pan));
      let documentedTestCards = 0;
      for (const { id } of cards) {
        const c = (await store.cards.get(id))!;
        const { pan } = await store.revealCardData(id);
        if (testPans.has(pan)) documentedTestCards++;
        const verdict = cardEligibility({ ...c, accountRange: 'enrolled' }, clock.now());
        const key = verdict.eligible ? 'eligible' : verdict.code;
        reasons.set(key, [...(reasons.get(key) ?? []), c.country]);
      }
      expect(new Set(reasons.get('eligible')).size).toBeGreaterThanOrEqual(3);
      expect(reasons.get('eligible')?.every(isServedCountry)).toBe(true);
      expect(reasons.get('CARD_COUNTRY_NOT_SERVED')).toHaveLength(1);
      expect(reasons.get('CARD_EXPIRED')).toHaveLength(1);
      expect(reasons.get('CARD_NOT_ACTIVE')).toHaveLength(1);
      // All but the unserved country's card are the simulator's documented test cards.
      expect(documentedTestCards).toBeGreaterThanOrEqual(cards.length - 1);
    });
  });
});
