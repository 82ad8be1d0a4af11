import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { CardService } from '../../src/service/cards/cards.js';
import { seedDemoData } from '../../src/service/cards/seed.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring, loadKeyring, writeKeyringFile } from '../../src/store/vault/keyring.js';
import {
  type RewrapProgress,
  retireKeys,
  rewrapSealedValues,
  rotateKeys,
  sealedColumns,
  sealedValueCounts,
} from '../../src/store/vault/rotation.js';
import { Vault } from '../../src/store/vault/vault.js';
import { onPostgres, testDatabase } from '../support/database.js';

const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));

describe(`vault key rotation on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let vault: Vault;
  let store: CardholderCardRepository;
  let keyringPath: string;
  /** Every card's data and every cardholder's name as imported, to check after each step. */
  let expected: Map<string, string>;

  const readAll = async (s: CardholderCardRepository = store): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const { id } of await db.selectFrom('cards').select('id').orderBy('id').execute()) {
      out.set(id, JSON.stringify(await s.revealCardData(id)));
    }
    for (const { id } of await db.selectFrom('cardholders').select('id').orderBy('id').execute()) {
      out.set(id, (await s.profile(id)).name);
    }
    return out;
  };

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    keyringPath = join(mkdtempSync(join(tmpdir(), 'pushprov-rotation-')), 'vault-keyring.json');
    writeKeyringFile(keyringPath, Keyring.generate(clock.now()));
    vault = new Vault(loadKeyring({ path: keyringPath }));
    store = new CardholderCardRepository(db, vault);
    await seedDemoData(new CardService({ db, store, audit: new AuditLog(db, clock), clock }));
    await new ProvisioningRepository(db, vault).create({
      id: 'prv_1',
      cardholderId: 'chd_x',
      destination: 'merchant',
      tokenRequestorId: 'tr',
      tokenRequestorName: 'Shop',
      requestId: 'req-1',
      receiptValidityMinutes: 15,
      callbackToken: 'callback-secret',
      cards: [{ cardId: 'crd_x', pushAccountId: 'pa-1' }],
      now: clock.now(),
    });
    // A table of another owner (the simulator's prefix) holding a vault-shaped blob: not ours to touch.
    await sql`create table mc_probe (id text primary key, thing_sealed bytea not null)`.execute(db);
    await sql`insert into mc_probe values ('p', ${vault.seal('theirs', 'probe')})`.execute(db);
    expected = await readAll();
  });
  afterAll(async () => {
    await database.close();
  });

  it('finds every issuer column of sealed values, by convention, and none of other owners', async () => {
    const columns = (await sealedColumns(db)).map(
      (c) => `${c.table}.${c.column} (${c.primaryKey.join(', ')})`,
    );
    expect(columns).toEqual(
      expect.arrayContaining([
        'cardholders.profile_sealed (id)',
        'cards.pan_sealed (id)',
        'provisionings.callback_token_sealed (id)',
        'provisionings.push_links_sealed (id)',
        'provisioning_cards.receipt_sealed (provisioning_id, card_id)',
      ]),
    );
    expect(columns.some((c) => c.startsWith('mc_'))).toBe(false);
  });

  it('counts sealed values per KEK', async () => {
    const counts = await sealedValueCounts(db);
    // 4 profiles, 8 PANs, 1 callback token (no CVCs: none is kept).
    expect(Object.fromEntries(counts)).toEqual({ [vault.keyring.activeId]: 13 });
  });

  it('rotates: new key active and written, every value re-wrapped in batches with progress, reads unchanged', async () => {
    const old = vault.keyring.activeId;
    const progress: RewrapProgress[] = [];
    const result = await rotateKeys(db, vault, {
      keyringPath,
      now: clock.now(),
      batchSize: 3,
      onProgress: (p) => progress.push(p),
    });
    expect(result.activeId).not.toBe(old);
    expect(result.created).toBe(true);
    expect(result.report).toEqual({ rewrapped: 13, skipped: 0, failed: [] });
    expect(Object.fromEntries(result.remaining)).toEqual({ [result.activeId]: 13 });
    expect(loadKeyring({ path: keyringPath }).activeId).toBe(result.activeId);
    const pans = progress.filter((p) => p.table === 'cards' && p.column === 'pan_sealed');
    expect(pans.map((p) => `${p.done}/${p.total}`)).toEqual(['3/8', '6/8', '8/8']);
    expect(await readAll()).toEqual(expected);
    // The old KEK is no longer needed to read anything.
    const withoutOld = new Vault(vault.keyring.without([old]));
    expect(await readAll(new CardholderCardRepository(db, withoutOld))).toEqual(expected);
    // The other owner's blob still names the old key.
    const { rows } = await sql<{ thing_sealed: Uint8Array }>`select thing_sealed from mc_probe`.execute(db);
    expect(vault.kekIdOf(rows[0]!.thing_sealed)).toBe(old);
  });

  it('resumes an interrupted run where it stopped, without a second new key', async () => {
    let batches = 0;
    const crash = rotateKeys(db, vault, {
      keyringPath,
      now: clock.now(),
      batchSize: 4,
      onProgress: () => {
        if (++batches === 2) throw new Error('power cut');
      },
    });
    await expect(crash).rejects.toThrow('power cut');
    const active = vault.keyring.activeId;
    const partial = await sealedValueCounts(db);
    expect(partial.get(active)).toBe(8);
    const resumed = await rotateKeys(db, vault, { keyringPath, now: clock.now(), resume: true });
    expect(resumed).toMatchObject({ activeId: active, created: false, report: { rewrapped: 5 } });
    expect(Object.fromEntries(resumed.remaining)).toEqual({ [active]: 13 });
    expect((await rewrapSealedValues(db, vault)).rewrapped).toBe(0);
    expect(await readAll()).toEqual(expected);
  });

  it('keeps serving reads and writes while it re-wraps; values written meanwhile are under the new key', async () => {
    const next = vault.keyring.withNewActiveKek(clock.now());
    vault.useKeyring(next);
    let rotating = true;
    const reads = (async () => {
      let rounds = 0;
      while (rotating || rounds === 0) {
        const seen = await readAll();
        seen.delete('crd_during');
        expect(seen).toEqual(expected);
        rounds++;
      }
      return rounds;
    })();
    const written = (async () => {
      const [holder] = await store.cardholders.findByEmail('alice@example.com');
      return store.cards.create({
        id: 'crd_during',
        cardholderId: holder!.id,
        externalRef: 'during-rotation',
        pan: '5102589999999939',
        expiryMonth: 1,
        expiryYear: 2031,
        country: 'GB',
        status: 'active',
        productName: 'New',
        now: clock.now(),
      });
    })();
    const report = await rewrapSealedValues(db, vault, { batchSize: 2 });
    rotating = false;
    expect(await reads).toBeGreaterThan(0);
    await written;
    expect(report.failed).toEqual([]);
    const { pan_sealed } = await db
      .selectFrom('cards')
      .select('pan_sealed')
      .where('id', '=', 'crd_during')
      .executeTakeFirstOrThrow();
    expect(vault.kekIdOf(pan_sealed)).toBe(next.activeId);
    expect(Object.fromEntries(await sealedValueCounts(db))).toEqual({ [next.activeId]: 14 });
    await db.deleteFrom('cards').where('id', '=', 'crd_during').execute();
  });

  it('reports values it cannot re-wrap, leaves them as they are, and still finishes', async () => {
    const foreign = new Vault(Keyring.generate(clock.now())).seal('x', 'provisioning:prv_1:push-links');
    await db
      .updateTable('provisionings')
      .set({ push_links_sealed: foreign })
      .where('id', '=', 'prv_1')
      .execute();
    vault.useKeyring(vault.keyring.withNewActiveKek(clock.now()));
    const report = await rewrapSealedValues(db, vault, { batchSize: 1 });
    expect(report.failed).toEqual([
      { table: 'provisionings', column: 'push_links_sealed', count: 1, codes: ['VAULT_KEK_UNKNOWN'] },
    ]);
    expect(report.rewrapped).toBe(13);
    const row = await db
      .selectFrom('provisionings')
      .select('push_links_sealed')
      .where('id', '=', 'prv_1')
      .executeTakeFirstOrThrow();
    expect(Buffer.from(row.push_links_sealed!).equals(foreign)).toBe(true);
    await db
      .updateTable('provisionings')
      .set({ push_links_sealed: null })
      .where('id', '=', 'prv_1')
      .execute();
  });

  it('retires keys nothing references any more, and keeps the active one', async () => {
    writeKeyringFile(keyringPath, vault.keyring);
    const before = vault.keyring.ids;
    expect(before.length).toBeGreaterThan(2);
    const { retired, kept } = await retireKeys(db, vault, { keyringPath });
    expect(retired.sort()).toEqual(before.filter((id) => id !== vault.keyring.activeId).sort());
    expect(Object.fromEntries(kept)).toEqual({ [vault.keyring.activeId]: 13 });
    const reloaded = loadKeyring({ path: keyringPath });
    expect(reloaded.ids).toEqual([vault.keyring.activeId]);
    expect(await readAll(new CardholderCardRepository(db, new Vault(reloaded)))).toEqual(expected);
  });
});
