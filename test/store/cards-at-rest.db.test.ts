import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { CardService } from '../../src/service/cards/cards.js';
import { DEMO_CARDS_FILE, seedDemoData } from '../../src/service/cards/seed.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { rotateKeys } from '../../src/store/vault/rotation.js';
import { Vault } from '../../src/store/vault/vault.js';
import { onPostgres, testDatabase } from '../support/database.js';

interface FixtureCardholder {
  name: string;
  email: string;
  phone: string;
  billingAddress: Record<string, string>;
  locale: string;
  cards: { pan: string }[];
}

const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
const fixture = JSON.parse(readFileSync(DEMO_CARDS_FILE, 'utf8')) as { cardholders: FixtureCardholder[] };

/** Every secret the import stored, long enough to search for as a substring. */
const longSecrets = fixture.cardholders.flatMap((h) => [
  h.name,
  h.email,
  h.phone,
  h.phone.slice(1),
  h.billingAddress.line1 ?? '',
  h.billingAddress.postalCode ?? '',
  h.billingAddress.city ?? '',
  h.locale,
  ...h.cards.map((c) => c.pan),
]);

const encodings = (secret: string): string[] => {
  const bytes = Buffer.from(secret, 'utf8');
  return [bytes.toString('hex'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
};
const bareHashes = (secret: string): Buffer[] => [createHash('sha256').update(secret).digest()];

function findings(table: string, column: string, value: unknown): string[] {
  const found: string[] = [];
  const where = `${table}.${column}`;
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    for (const secret of longSecrets) {
      for (const form of [secret, ...encodings(secret)]) {
        if (bytes.includes(Buffer.from(form))) found.push(`${where} holds a form of a secret`);
      }
      for (const hash of bareHashes(secret))
        if (bytes.includes(hash)) found.push(`${where} holds a bare hash`);
    }
    return found;
  }
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return found;
  const lower = text.toLowerCase();
  for (const secret of longSecrets) {
    if (lower.includes(secret.toLowerCase())) found.push(`${where} holds a secret in clear`);
    for (const form of encodings(secret))
      if (text.includes(form)) found.push(`${where} holds an encoded secret`);
    for (const hash of bareHashes(secret))
      if (lower.includes(hash.toString('hex'))) found.push(`${where} holds a bare hash`);
  }
  return found;
}

describe(`card data at rest on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: Kysely<IssuerSchema>;
  let vault: Vault;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    vault = new Vault(Keyring.generate(clock.now()));
    const store = new CardholderCardRepository(db, vault);
    const service = new CardService({ db, store, audit: new AuditLog(db, clock), clock });
    await seedDemoData(service);
  });
  afterAll(async () => {
    await database.close();
  });

  async function dump(): Promise<{ cells: number; found: string[] }> {
    const { rows: tables } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
    let cells = 0;
    const found: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(db);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null) continue;
          cells++;
          found.push(...findings(table_name, column, value));
        }
      }
    }
    return { cells, found };
  }

  it('the search itself finds a secret stored in clear, hex or base64 (it can fail)', () => {
    const pan = fixture.cardholders[0]!.cards[0]!.pan;
    expect(findings('t', 'c', `card ${pan}`)).not.toEqual([]);
    expect(findings('t', 'c', Buffer.from(pan).toString('hex'))).not.toEqual([]);
    expect(findings('t', 'c', Buffer.from(Buffer.from(pan).toString('base64')))).not.toEqual([]);
    expect(findings('t', 'c', createHash('sha256').update(pan).digest())).not.toEqual([]);
    expect(findings('t', 'c', Buffer.from(fixture.cardholders[0]!.email))).not.toEqual([]);
  });

  // No CVC is taken at all (test/store/cvc-removed.db.test.ts): there is none to find.
  it('has no PAN or PII in any column of any table, in any encoding, not even as a bare hash', async () => {
    expect(longSecrets.length).toBeGreaterThan(30);
    const { cells, found } = await dump();
    expect(cells).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it('still has none after a key rotation', async () => {
    const keyringPath = join(mkdtempSync(join(tmpdir(), 'pushprov-at-rest-')), 'ring.json');
    await rotateKeys(db, vault, { keyringPath, now: clock.now() });
    expect((await dump()).found).toEqual([]);
  });
});
