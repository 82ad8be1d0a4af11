import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { CardService } from '../../src/service/cards/cards.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { ActivationCodeStore, type CodeCheck } from '../../src/store/mdes/activation-codes.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { importCard, importHolder } from '../support/card-import.js';
import { onPostgres, testDatabase } from '../support/database.js';

const clock = new ManualClock(new Date('2026-06-01T10:00:00Z'));
const MAX_FAILURES = 5;
const RIGHT = '482913';

/**
 * Guessing an activation code concurrently (issue 14): however many wrong
 * codes arrive at once, at most the configured number is ever evaluated;
 * the rest, and the right code arriving among them, find it locked.
 */
describe(`activation-code checks under concurrency on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let codes: ActivationCodeStore;
  let cardId: string;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    const vault = new Vault(Keyring.generate(clock.now()));
    const store = new CardholderCardRepository(db, vault);
    await new CardService({ db, store, audit: new AuditLog(db, clock), clock }).importCards({
      cardholders: [importHolder({ externalRef: 'codes', cards: [importCard({ externalRef: 'codes-1' })] })],
    });
    cardId = (await db.selectFrom('cards').select('id').executeTakeFirstOrThrow()).id;
    codes = new ActivationCodeStore(db, vault);
  });
  afterAll(async () => database?.close());

  const deliver = (tokenUniqueReference: string) =>
    codes.record(
      RIGHT,
      {
        tokenUniqueReference,
        cardId,
        methodType: 'TEXT_TO_CARDHOLDER_NUMBER',
        sentTo: '+44••••••123',
        expiresAt: new Date(clock.now().getTime() + 30 * 60_000),
      },
      clock.now(),
    );
  const tally = (results: CodeCheck[]) => {
    const counts: Partial<Record<CodeCheck, number>> = {};
    for (const r of results) counts[r] = (counts[r] ?? 0) + 1;
    return counts;
  };
  const failures = async (tokenUniqueReference: string) =>
    (
      await db
        .selectFrom('activation_codes')
        .select('failed_attempts')
        .where('token_unique_reference', '=', tokenUniqueReference)
        .executeTakeFirst()
    )?.failed_attempts;

  it('evaluates at most the limit of 40 wrong codes sent at once, and the right one among them cannot slip through after', async () => {
    const token = 'DWSPMC00000000000000000000000000000000000000000001';
    await deliver(token);
    const wrong = Array.from({ length: 40 }, (_, i) => String(100_000 + i));
    // The right code goes in the middle of the burst, after the limit's worth of wrong ones.
    const burst = [...wrong.slice(0, 20), RIGHT, ...wrong.slice(20)];
    const results = await Promise.all(
      burst.map((code) => codes.check(token, code, clock.now(), MAX_FAILURES)),
    );
    const counted = tally(results);
    expect(counted.wrong ?? 0).toBeLessThanOrEqual(MAX_FAILURES);
    // The right code is either taken before the limit (then spent) or finds the code locked; never after a sixth try.
    const right = results[20];
    if (right === 'valid') {
      expect(await failures(token)).toBeUndefined();
      expect((counted.wrong ?? 0) + (counted.none ?? 0) + 1).toBe(burst.length);
    } else {
      expect(right).toBe('locked');
      expect(counted.wrong).toBe(MAX_FAILURES);
      expect(counted.locked).toBe(burst.length - MAX_FAILURES);
      expect(await failures(token)).toBe(MAX_FAILURES);
    }
  });

  it('with 200 wrong codes at once, exactly the limit is counted and the right code afterwards is locked out', async () => {
    const token = 'DWSPMC00000000000000000000000000000000000000000002';
    await deliver(token);
    const wrong = Array.from({ length: 200 }, (_, i) => String(200_000 + i));
    const results = await Promise.all(
      wrong.map((code) => codes.check(token, code, clock.now(), MAX_FAILURES)),
    );
    expect(tally(results)).toEqual({ wrong: MAX_FAILURES, locked: 200 - MAX_FAILURES });
    expect(await failures(token)).toBe(MAX_FAILURES);
    expect(await codes.check(token, RIGHT, clock.now(), MAX_FAILURES)).toBe('locked');
  });
});

describe('the codes the issuer makes', () => {
  it('are six digits, one per request, and another vault key makes others', () => {
    const vault = new Vault(Keyring.generate(clock.now()));
    // No database is reached: making a code is a digest.
    const codes = new ActivationCodeStore(undefined as never, vault);
    const made = Array.from({ length: 200 }, (_, i) => codes.issuerCode(`dac-${i}`));
    for (const code of made) expect(code).toMatch(/^\d{6}$/);
    expect(codes.issuerCode('dac-7')).toBe(made[7]);
    expect(new Set(made).size).toBeGreaterThan(190);
    const other = new ActivationCodeStore(undefined as never, new Vault(Keyring.generate(clock.now())));
    expect(made.filter((code, i) => other.issuerCode(`dac-${i}`) === code).length).toBeLessThan(3);
  });
});
