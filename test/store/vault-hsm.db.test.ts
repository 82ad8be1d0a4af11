import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { hsmWrappingKey } from '../../src/core/hsm/keys.js';
import { parsePkcs11Uri } from '../../src/core/hsm/uri.js';
import { CardService } from '../../src/service/cards/cards.js';
import { seedDemoData } from '../../src/service/cards/seed.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { hsmKek, Keyring, loadKeyring, writeKeyringFile } from '../../src/store/vault/keyring.js';
import { rotateKeys, sealedValueCounts } from '../../src/store/vault/rotation.js';
import { Vault } from '../../src/store/vault/vault.js';
import { importCard, importHolder } from '../support/card-import.js';
import { testDatabase } from '../support/database.js';
import {
  generateAesKey,
  keyUri,
  removeToken,
  SOFTHSM_MODULE,
  softHsm,
  softHsmMissing,
  uniqueLabel,
} from '../support/softhsm.js';

const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
const open = (uri: string) => hsmWrappingKey({ modulePath: SOFTHSM_MODULE, uri: parsePkcs11Uri(uri) });

describe.skipIf(softHsmMissing)(
  `the vault's KEK in SoftHSM2${softHsmMissing ? ` (skipped: ${softHsmMissing})` : ''}`,
  () => {
    let database: Database<unknown>;
    let db: Kysely<IssuerSchema>;
    const label = uniqueLabel('kek');
    const uri = keyUri('pushprov', label);

    beforeAll(async () => {
      softHsm();
      generateAesKey('pushprov', label);
      database = await testDatabase();
      db = await prepareIssuerStore(database.db);
    });
    afterAll(async () => {
      await database.close();
    });

    it('a vault under a file KEK rotates to the HSM KEK: every value re-wrapped, reads unchanged, the file keeps only the URI', async () => {
      const keyringPath = join(mkdtempSync(join(tmpdir(), 'pushprov-hsm-')), 'vault-keyring.json');
      writeKeyringFile(keyringPath, Keyring.generate(clock.now()));
      const vault = new Vault(loadKeyring({ path: keyringPath }));
      const store = new CardholderCardRepository(db, vault);
      await seedDemoData(new CardService({ db, store, audit: new AuditLog(db, clock), clock }));
      const firstCard = (await db.selectFrom('cards').select('id').orderBy('id').executeTakeFirstOrThrow())
        .id;
      const before = await store.revealCardData(firstCard);

      const kek = hsmKek(uri, open, clock.now().toISOString());
      const result = await rotateKeys(db, vault, { keyringPath, now: clock.now(), kek });
      expect(result.activeId).toBe(kek.id);
      expect(result.report.failed).toEqual([]);
      expect(result.report.rewrapped).toBeGreaterThan(0);
      expect(Object.fromEntries(await sealedValueCounts(db))).toEqual({ [kek.id]: result.report.rewrapped });

      const file = JSON.parse(readFileSync(keyringPath, 'utf8')) as {
        active: string;
        keys: Record<string, unknown>[];
      };
      expect(file.active).toBe(kek.id);
      expect(file.keys.find((k) => k.id === kek.id)).toEqual({
        id: kek.id,
        pkcs11: uri,
        createdAt: expect.any(String),
      });

      // A new process: the keyring file opens the HSM key by its URI; the file KEKs can go.
      const reloaded = loadKeyring({ path: keyringPath, hsm: open });
      const hsmOnly = new Vault(reloaded.without(reloaded.ids.filter((id) => id !== kek.id)));
      expect(await new CardholderCardRepository(db, hsmOnly).revealCardData(firstCard)).toEqual(before);
      // Without an HSM configured, the keyring refuses to load, saying what is missing.
      expect(() => loadKeyring({ path: keyringPath })).toThrow(/PUSHPROV_PKCS11_MODULE/);
    });

    it('an HSM KEK alone needs a keyring file; given one, the first start writes it with a fresh index key', () => {
      expect(() => loadKeyring({ kek: uri, hsm: open })).toThrow(/needs PUSHPROV_VAULT_KEYRING/);
      const path = join(mkdtempSync(join(tmpdir(), 'pushprov-hsm-')), 'ring.json');
      const first = loadKeyring({ path, kek: uri, hsm: open });
      const again = loadKeyring({ path, kek: uri, hsm: open });
      expect(again.activeId).toBe(first.activeId);
      expect(again.indexKey.equals(first.indexKey)).toBe(true);
      const vault = new Vault(again);
      expect(vault.open(new Vault(first).seal('5555555555554444', 'c'), 'c').toString()).toBe(
        '5555555555554444',
      );
    });

    it('the HSM disappearing in the middle of an import: HSM_UNAVAILABLE, and nothing of the batch is written', async () => {
      const spare = uniqueLabel('kek');
      generateAesKey('spare-3', spare);
      const kek = hsmKek(keyUri('spare-3', spare), open);
      const vault = new Vault(new Keyring([kek], kek.id, createSecretKey(randomBytes(32))));
      let seals = 0;
      // The real vault, whose HSM goes away after the batch's first value is sealed.
      const failing = {
        seal: (plaintext: Uint8Array | string, context: string) => {
          if (++seals === 2) removeToken('spare-3');
          return vault.seal(plaintext, context);
        },
        open: (sealed: Uint8Array, context: string) => vault.open(sealed, context),
        blindIndex: (purpose: string, normalised: string) => vault.blindIndex(purpose, normalised),
      };
      const cards = new CardService({
        db,
        store: new CardholderCardRepository(db, failing),
        audit: new AuditLog(db, clock),
        clock,
      });
      const count = async () =>
        Number((await db.selectFrom('cards').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const cardsBefore = await count();
      await expect(
        cards.importCards({
          cardholders: [
            importHolder({ externalRef: 'hsm-h1', cards: [importCard({ externalRef: 'hsm-c1' })] }),
            importHolder({
              externalRef: 'hsm-h2',
              email: 'b@example.com',
              cards: [importCard({ externalRef: 'hsm-c2', pan: '5454545454545454' })],
            }),
          ],
        }),
      ).rejects.toMatchObject({ code: 'HSM_UNAVAILABLE', status: 503 });
      expect(seals).toBeGreaterThanOrEqual(2);
      expect(await count()).toBe(cardsBefore);
      expect(
        await db
          .selectFrom('cardholders')
          .select('id')
          .where('external_ref', 'in', ['hsm-h1', 'hsm-h2'])
          .execute(),
      ).toEqual([]);
    });
  },
);
