import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { seedDemoCredentials } from '../../src/service/auth/demo.js';
import { createAuth } from '../../src/service/auth/index.js';
import { OpsKeys } from '../../src/service/auth/ops-keys.js';
import { CardService } from '../../src/service/cards/cards.js';
import { seedDemoData } from '../../src/service/cards/seed.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { testDatabase } from '../support/database.js';

/** What `npm start` does in the simulator: demo cards, then demo sign-ins from the same fixture file. */
describe('demo sign-ins from fixtures/demo-cards.json', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  const clock = new ManualClock();
  const vault = new Vault(Keyring.generate(clock.now()));

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    await seedDemoData(
      new CardService({
        db,
        store: new CardholderCardRepository(db, vault),
        audit: new AuditLog(db, clock),
        clock,
      }),
    );
  });
  afterAll(async () => database.close());

  it('lets alice sign in and step up with a code from her published secret, and seeds only once', async () => {
    const first = await seedDemoCredentials({ db, sealer: vault, clock });
    expect(first.written).toEqual(expect.arrayContaining(['alice', 'bob', 'clara']));
    expect(first.missing).toEqual([]);
    const again = await seedDemoCredentials({ db, sealer: vault, clock });
    expect(again).toEqual({ written: [], unchanged: first.written, missing: [] });

    const auth = createAuth({
      db,
      clock,
      sealer: vault,
      issuerPublicUrl: 'http://localhost:8080',
      opsKeys: OpsKeys.from([]),
    });
    const alice = await db
      .selectFrom('cardholders')
      .select('id')
      .where('external_ref', '=', 'demo-alice')
      .executeTakeFirstOrThrow();
    expect(await auth.authenticator.authenticate('alice', 'alice-demo-password')).toBe(alice.id);
    const { principal } = await auth.sessions!.start(alice.id);
    const code = await generate({
      secret: 'YHFTOQKKZRG4NAWCIFR6WIRYXMJXIPON',
      epoch: Math.floor(clock.now().getTime() / 1000),
    });
    expect((await auth.totp.verify(principal, code)).method).toBe('totp');
  });
});
