import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/core/db.js';
import { newId } from '../../src/core/ids.js';
import { AttemptStore } from '../../src/store/auth/attempts.js';
import { ChallengeStore } from '../../src/store/auth/challenges.js';
import { PasswordStore } from '../../src/store/auth/passwords.js';
import { SessionStore } from '../../src/store/auth/sessions.js';
import { newSecretToken, tokenDigest } from '../../src/store/auth/tokens.js';
import { TotpStore } from '../../src/store/auth/totp.js';
import { PasskeyStore } from '../../src/store/auth/webauthn.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { insertCardholder } from '../support/auth-fixtures.js';
import { testDatabase } from '../support/database.js';

const T0 = new Date(Date.UTC(2026, 0, 1, 12));
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;
const sealer = new Vault(Keyring.generate(T0));

describe('authentication store', () => {
  let database: Database<unknown>;
  let db: Awaited<ReturnType<typeof prepareIssuerStore>>;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    for (const id of [
      'chd_store1',
      'chd_store2',
      'chd_c',
      'chd_t1',
      'chd_t2',
      'chd_t3',
      'chd_p1',
      'chd_p2',
      'chd_pw1',
    ]) {
      await insertCardholder(db, id);
    }
  });
  afterAll(async () => database.close());

  describe('attempt counters', () => {
    const policy = { maxFailures: 3, lockMs: 15 * MINUTE };

    it('grants three claims in a row, locks with the third, and refuses claims until the lock ends', async () => {
      const attempts = new AttemptStore(db);
      expect(await attempts.claim('k1', at(0), policy)).toEqual({
        granted: true,
        failures: 1,
        lockedUntil: null,
      });
      expect(await attempts.claim('k1', at(1000), policy)).toEqual({
        granted: true,
        failures: 2,
        lockedUntil: null,
      });
      expect(await attempts.lockedUntil('k1', at(2000))).toBeUndefined();
      // The third claim is granted (its guess may be the right one) and locks the key on the spot.
      const third = await attempts.claim('k1', at(2000), policy);
      expect(third).toEqual({ granted: true, failures: 3, lockedUntil: at(2000 + 15 * MINUTE) });
      expect(await attempts.lockedUntil('k1', at(3000))).toEqual(at(2000 + 15 * MINUTE));
      expect(await attempts.claim('k1', at(3000), policy)).toEqual({
        granted: false,
        lockedUntil: at(2000 + 15 * MINUTE),
      });
      expect(await attempts.lockedUntil('k1', at(2000 + 15 * MINUTE))).toBeUndefined();
      expect(await attempts.claim('k1', at(2000 + 15 * MINUTE), policy)).toEqual({
        granted: true,
        failures: 1,
        lockedUntil: null,
      });
    });

    it('starts counting afresh after a quiet spell as long as the lock', async () => {
      const attempts = new AttemptStore(db);
      await attempts.claim('k2', at(0), policy);
      await attempts.claim('k2', at(1000), policy);
      const later = await attempts.claim('k2', at(16 * MINUTE), policy);
      expect(later).toEqual({ granted: true, failures: 1, lockedUntil: null });
    });

    it('grants exactly the limit of many parallel claims (one statement per claim)', async () => {
      const attempts = new AttemptStore(db);
      const claims = await Promise.all(Array.from({ length: 20 }, () => attempts.claim('k3', at(0), policy)));
      expect(claims.filter((c) => c.granted)).toHaveLength(3);
      expect(claims.filter((c) => c.granted && c.lockedUntil)).toHaveLength(1);
      expect(claims.filter((c) => !c.granted)).toHaveLength(17);
      const wide = { maxFailures: 100, lockMs: MINUTE };
      await Promise.all(Array.from({ length: 20 }, () => attempts.claim('k3b', at(0), wide)));
      const row = await db
        .selectFrom('auth_attempts')
        .select('failures')
        .where('key', '=', 'k3b')
        .executeTakeFirst();
      expect(row?.failures).toBe(20);
    });

    it('is cleared by a success, lock included', async () => {
      const attempts = new AttemptStore(db);
      await attempts.claim('k4', at(0), policy);
      await attempts.clear('k4');
      expect(await attempts.claim('k4', at(0), policy)).toEqual({
        granted: true,
        failures: 1,
        lockedUntil: null,
      });
      await attempts.claim('k4', at(0), policy);
      expect((await attempts.claim('k4', at(0), policy)).lockedUntil).toEqual(at(15 * MINUTE));
      await attempts.clear('k4');
      expect((await attempts.claim('k4', at(0), policy)).granted).toBe(true);
    });
  });

  describe('sessions', () => {
    it('are found by the digest of their token, and the token itself is stored nowhere', async () => {
      const sessions = new SessionStore(db);
      const token = newSecretToken('pps');
      const id = newId('ses');
      await sessions.create({
        id,
        tokenHash: tokenDigest(token),
        cardholderId: 'chd_store1',
        createdAt: T0,
        lastSeenAt: T0,
        idleExpiresAt: at(30 * MINUTE),
        absoluteExpiresAt: at(720 * MINUTE),
      });
      expect((await sessions.findByTokenHash(tokenDigest(token)))?.id).toBe(id);
      const dump = JSON.stringify(await db.selectFrom('auth_sessions').selectAll().execute());
      expect(dump).not.toContain(token.slice(4));
    });

    it('are not touched back to life once revoked', async () => {
      const sessions = new SessionStore(db);
      const token = newSecretToken('pps');
      const id = newId('ses');
      await sessions.create({
        id,
        tokenHash: tokenDigest(token),
        cardholderId: 'chd_store2',
        createdAt: T0,
        lastSeenAt: T0,
        idleExpiresAt: at(MINUTE),
        absoluteExpiresAt: at(10 * MINUTE),
      });
      await sessions.revoke(id, at(1000));
      await sessions.touch(id, at(2000), at(5 * MINUTE));
      const found = await sessions.findByTokenHash(tokenDigest(token));
      expect(found?.revokedAt).toEqual(at(1000));
      expect(found?.idleExpiresAt).toEqual(at(MINUTE));
    });
  });

  describe('passwords', () => {
    it('keep one username per cardholder: a new username replaces the old one', async () => {
      const passwords = new PasswordStore(db);
      await passwords.put({ username: 'old-name', cardholderId: 'chd_pw1', passwordHash: 'h1' }, T0);
      await passwords.put({ username: 'new-name', cardholderId: 'chd_pw1', passwordHash: 'h2' }, at(1000));
      expect(await passwords.find('old-name')).toBeUndefined();
      expect(await passwords.find('new-name')).toEqual({
        username: 'new-name',
        cardholderId: 'chd_pw1',
        passwordHash: 'h2',
      });
    });
  });

  describe('challenges', () => {
    const binding = {
      cardholderId: 'chd_c',
      sessionId: 'ses_c',
      purpose: 'webauthn.authentication' as const,
    };

    it('are used once', async () => {
      const challenges = new ChallengeStore(db);
      await challenges.create('chal-once', binding, T0, at(MINUTE));
      expect(await challenges.consume('chal-once', binding, at(1000))).toBe(true);
      expect(await challenges.consume('chal-once', binding, at(2000))).toBe(false);
    });

    it('are refused once expired, and for another session, cardholder or purpose', async () => {
      const challenges = new ChallengeStore(db);
      await challenges.create('chal-late', binding, T0, at(MINUTE));
      expect(await challenges.consume('chal-late', binding, at(MINUTE))).toBe(false);
      await challenges.create('chal-bound', binding, T0, at(MINUTE));
      for (const other of [
        { ...binding, sessionId: 'ses_other' },
        { ...binding, cardholderId: 'chd_other' },
        { ...binding, purpose: 'webauthn.registration' as const },
      ]) {
        expect(await challenges.consume('chal-bound', other, at(1000))).toBe(false);
      }
      expect(await challenges.consume('chal-bound', binding, at(1000))).toBe(true);
    });

    it('are consumed by exactly one of several concurrent attempts', async () => {
      const challenges = new ChallengeStore(db);
      await challenges.create('chal-race', binding, T0, at(MINUTE));
      const results = await Promise.all(
        Array.from({ length: 8 }, () => challenges.consume('chal-race', binding, at(1000))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('TOTP enrolments', () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

    it('keep the secret sealed at rest, bound to its cardholder', async () => {
      const totp = new TotpStore(db, sealer);
      await totp.put('chd_t1', secret, T0);
      const row = await db
        .selectFrom('auth_totp')
        .selectAll()
        .where('cardholder_id', '=', 'chd_t1')
        .executeTakeFirstOrThrow();
      const raw = Buffer.from(row.secret_sealed);
      for (const form of [
        secret,
        Buffer.from(secret).toString('hex'),
        Buffer.from(secret).toString('base64'),
      ]) {
        expect(raw.toString('latin1')).not.toContain(form);
        expect(raw.toString('hex')).not.toContain(Buffer.from(form).toString('hex'));
      }
      expect((await totp.find('chd_t1'))?.secret).toBe(secret);

      // The same ciphertext moved to another cardholder's row does not open.
      await totp.put('chd_t2', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', T0);
      await db
        .updateTable('auth_totp')
        .set({ secret_sealed: raw })
        .where('cardholder_id', '=', 'chd_t2')
        .execute();
      await expect(totp.find('chd_t2')).rejects.toThrow();
    });

    it('accept each time step once, and none older than the last accepted', async () => {
      const totp = new TotpStore(db, sealer);
      await totp.put('chd_t3', secret, T0);
      expect(await totp.isConfirmed('chd_t3')).toBe(false);
      expect(await totp.acceptTimeStep('chd_t3', 100, T0)).toBe(true);
      expect(await totp.isConfirmed('chd_t3')).toBe(true);
      expect(await totp.acceptTimeStep('chd_t3', 100, T0)).toBe(false);
      expect(await totp.acceptTimeStep('chd_t3', 99, T0)).toBe(false);
      expect(await totp.acceptTimeStep('chd_t3', 101, T0)).toBe(true);
      const results = await Promise.all([102, 102, 102].map((s) => totp.acceptTimeStep('chd_t3', s, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('passkeys', () => {
    it('store the public key and move the counter only from the value it was checked against', async () => {
      const passkeys = new PasskeyStore(db);
      const record = {
        id: 'cred-1',
        cardholderId: 'chd_p1',
        publicKey: Buffer.from([1, 2, 3]),
        counter: 5,
        transports: ['internal'],
        deviceType: 'singleDevice',
        backedUp: false,
        createdAt: T0,
      };
      expect(await passkeys.add(record)).toBe(true);
      expect(await passkeys.add({ ...record, cardholderId: 'chd_p2' })).toBe(false);
      const found = await passkeys.find('chd_p1', 'cred-1');
      expect(Buffer.from(found?.publicKey ?? [])).toEqual(Buffer.from([1, 2, 3]));
      expect(found?.transports).toEqual(['internal']);
      expect(await passkeys.find('chd_p2', 'cred-1')).toBeUndefined();
      expect(await passkeys.advanceCounter('cred-1', 5, 6, T0)).toBe(true);
      expect(await passkeys.advanceCounter('cred-1', 5, 7, T0)).toBe(false);
      expect((await passkeys.find('chd_p1', 'cred-1'))?.counter).toBe(6);
    });
  });

  it('deletes what belongs to a cardholder with the cardholder, and refuses rows for unknown ones', async () => {
    const id = await insertCardholder(db);
    await new TotpStore(db, sealer).put(id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', T0);
    await new PasswordStore(db).put({ username: `u-${id}`, cardholderId: id, passwordHash: 'h' }, T0);
    await db.deleteFrom('cardholders').where('id', '=', id).execute();
    expect(
      await db.selectFrom('auth_totp').select('cardholder_id').where('cardholder_id', '=', id).execute(),
    ).toEqual([]);
    expect(await new PasswordStore(db).find(`u-${id}`)).toBeUndefined();
    await expect(new TotpStore(db, sealer).put('chd_nobody', 'JBSWY3DPEHPK3PXP', T0)).rejects.toThrow(
      /foreign key/,
    );
  });

  it('creates every authentication table', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_name like 'auth\\_%' order by table_name`.execute(
      db,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'auth_attempts',
      'auth_challenges',
      'auth_grants',
      'auth_passwords',
      'auth_sessions',
      'auth_totp',
      'auth_webauthn_credentials',
    ]);
  });
});
