import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { CryptoError, NotFoundError } from '../../src/core/errors.js';
import type { CardholderProfile } from '../../src/domain/account-holder.js';
import type { CardSource } from '../../src/service/ports.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { panPrefixOf } from '../../src/store/cards/cards.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { onPostgres, testDatabase } from '../support/database.js';

const clock = new ManualClock();
const profile: CardholderProfile = {
  name: 'Alice Martin',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '12 Example Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' },
  locale: 'en-GB',
};

describe(`card store on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let store: CardholderCardRepository;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    store = new CardholderCardRepository(db, new Vault(Keyring.generate(clock.now())));
  });
  afterAll(async () => {
    await database.close();
  });

  const newCardholder = (externalRef: string, p: CardholderProfile = profile) =>
    store.cardholders.create({ id: `chd_${externalRef}`, externalRef, profile: p, now: clock.now() });

  const newCard = (cardholderId: string, externalRef: string, pan: string) =>
    store.cards.create({
      id: `crd_${externalRef}`,
      cardholderId,
      externalRef,
      pan,
      expiryMonth: 12,
      expiryYear: 2030,
      country: 'GB',
      status: 'active',
      productName: 'Platinum',
      now: clock.now(),
    });

  it('creates a cardholder, finds it by reference, and opens its profile only on request', async () => {
    const created = await newCardholder('alice');
    expect(created).toEqual({
      id: 'chd_alice',
      externalRef: 'alice',
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
    expect(await store.cardholders.findByExternalRef('alice')).toEqual(created);
    expect(await store.cardholders.get('chd_alice')).toEqual(created);
    expect(await store.profile('chd_alice')).toEqual(profile);
    await expect(store.profile('chd_nobody')).rejects.toMatchObject({ code: 'CARDHOLDER_NOT_FOUND' });
  });

  it('finds cardholders by email and phone through blind indexes, whatever their spelling', async () => {
    await newCardholder('bob', { ...profile, email: 'bob@example.com', phone: '+12025550143' });
    expect((await store.cardholders.findByEmail('  ALICE@Example.COM ')).map((c) => c.id)).toEqual([
      'chd_alice',
    ]);
    expect((await store.cardholders.findByPhone('+44 7700 900-123')).map((c) => c.id)).toEqual(['chd_alice']);
    expect((await store.cardholders.findByPhone('+1 (202) 555-0143')).map((c) => c.id)).toEqual(['chd_bob']);
    expect(await store.cardholders.findByEmail('carol@example.com')).toEqual([]);
  });

  it('updates a profile and moves its indexes with it', async () => {
    clock.advance(1000);
    await store.cardholders.updateProfile(
      'chd_bob',
      { ...profile, email: 'robert@example.com' },
      clock.now(),
    );
    expect(await store.cardholders.findByEmail('bob@example.com')).toEqual([]);
    const [found] = await store.cardholders.findByEmail('robert@example.com');
    expect(found?.updatedAt).toEqual(clock.now());
    await expect(store.cardholders.updateProfile('chd_nobody', profile, clock.now())).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('stores a card masked: last four and the first eight digits, nothing else of the PAN', async () => {
    const card = await newCard('chd_alice', 'alice-credit', '5555555555554444');
    expect(card).toMatchObject({
      id: 'crd_alice-credit',
      cardholderId: 'chd_alice',
      lastFour: '4444',
      panPrefix: '55555555',
      expiryMonth: 12,
      expiryYear: 2030,
      country: 'GB',
      status: 'active',
      productName: 'Platinum',
      cardArtRef: null,
    });
    expect(JSON.stringify(card)).not.toContain('5555555555554444');
    expect(await store.cards.get(card.id)).toEqual(card);
    expect(await store.cards.findByExternalRef('alice-credit')).toEqual(card);
  });

  it('reveals the PAN only through revealCardData', async () => {
    expect(await store.revealCardData('crd_alice-credit')).toEqual({ pan: '5555555555554444' });
    await newCard('chd_alice', 'alice-maestro', '6799990100000000019');
    expect(await store.revealCardData('crd_alice-maestro')).toEqual({ pan: '6799990100000000019' });
    await expect(store.revealCardData('crd_nope')).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
  });

  it('keeps PCI DSS prefix lengths: 8 digits for 16–19 digit PANs, 6 for shorter', () => {
    expect(panPrefixOf('6799990100000000019')).toBe('67999901');
    expect(panPrefixOf('5555555555554444')).toBe('55555555');
    expect(panPrefixOf('501234567890123')).toBe('501234');
  });

  it('finds a card by PAN fingerprint and refuses a second card with the same PAN', async () => {
    expect((await store.cards.findByPan('5555 5555 5555 4444'))?.id).toBe('crd_alice-credit');
    expect(await store.cards.findByPan('5105105105105100')).toBeUndefined();
    await expect(newCard('chd_bob', 'bob-copy', '5555555555554444')).rejects.toThrow();
  });

  it('shows a cardholder only their own cards', async () => {
    expect((await store.ownedCard('chd_alice', 'crd_alice-credit'))?.lastFour).toBe('4444');
    expect(await store.ownedCard('chd_bob', 'crd_alice-credit')).toBeUndefined();
    const listed = await store.cards.listByCardholder('chd_alice');
    expect(listed.map((c) => c.id)).toEqual(['crd_alice-credit', 'crd_alice-maestro']);
    expect(await store.cards.listByCardholder('chd_bob')).toEqual([]);
  });

  it('updates what may change', async () => {
    clock.advance(1000);
    const updated = await store.cards.update(
      'crd_alice-credit',
      { status: 'blocked', expiryYear: 2031, cardArtRef: 'art_platinum' },
      clock.now(),
    );
    expect(updated).toMatchObject({ status: 'blocked', expiryYear: 2031, cardArtRef: 'art_platinum' });
    expect(updated.updatedAt).toEqual(clock.now());
    expect(await store.revealCardData('crd_alice-credit')).toEqual({ pan: '5555555555554444' });
    await expect(store.cards.update('crd_nope', { status: 'closed' }, clock.now())).rejects.toMatchObject({
      code: 'CARD_NOT_FOUND',
    });
  });

  it('does not open a sealed PAN copied onto another card (context is bound)', async () => {
    await newCard('chd_bob', 'bob-credit', '5105105105105100');
    const { pan_sealed } = await db
      .selectFrom('cards')
      .select('pan_sealed')
      .where('id', '=', 'crd_alice-maestro')
      .executeTakeFirstOrThrow();
    await db.updateTable('cards').set({ pan_sealed }).where('id', '=', 'crd_bob-credit').execute();
    const failure = await store.revealCardData('crd_bob-credit').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CryptoError);
    expect((failure as CryptoError).code).toBe('VAULT_CONTEXT_MISMATCH');
  });

  it('is the CardSource the use cases read', () => {
    const source: CardSource = store;
    expect(typeof source.revealCardData).toBe('function');
  });
});
