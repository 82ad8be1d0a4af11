import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { newId } from '../../src/core/ids.js';
import { seedDemoCredentials } from '../../src/service/auth/demo.js';
import type { Principal } from '../../src/service/auth/identity.js';
import { type AuthOptions, createAuth } from '../../src/service/auth/index.js';
import { developmentOpsKey, OpsKeys, resolveOpsKeys } from '../../src/service/auth/ops-keys.js';
import { tokenDigest } from '../../src/store/auth/tokens.js';
import type { IssuerDb } from '../../src/store/store.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { insertCardholder, refusal } from '../support/auth-fixtures.js';
import { testDatabase } from '../support/database.js';

const ISSUER = 'https://bank.example';
const MINUTE = 60_000;
const sealer = new Vault(Keyring.generate(new Date()));

describe('cardholder authentication', () => {
  let database: Database<unknown>;
  let db: IssuerDb;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
  });
  afterAll(async () => database.close());

  const setup = (options: Partial<AuthOptions> = {}) => {
    const clock = new ManualClock();
    const auth = createAuth({
      db,
      clock,
      sealer,
      issuerPublicUrl: ISSUER,
      opsKeys: OpsKeys.from([]),
      ...options,
    });
    return { clock, auth };
  };

  /** A cardholder with demo credentials: username, password and a confirmed TOTP secret. */
  const cardholder = async (clock: ManualClock, totpSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP') => {
    const id = await insertCardholder(db);
    const username = `user-${id.slice(-8)}`;
    const password = 'correct horse battery staple';
    await seedDemoCredentials({
      db,
      sealer,
      clock,
      fixture: { cardholders: [{ externalRef: id, demo: { username, password, totpSecret } }] },
      cardholderIdOf: async (ref) => ref,
    });
    return { id, username, password, totpSecret };
  };

  const codeAt = (secret: string, clock: ManualClock, offsetSeconds = 0) =>
    generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + offsetSeconds });

  const signedIn = async (auth: ReturnType<typeof setup>['auth'], cardholderId: string) => {
    const started = await auth.sessions!.start(cardholderId);
    return { token: started.token, principal: started.principal };
  };

  describe('sign-in', () => {
    it('returns the cardholder for the right username and password, whatever the username case', async () => {
      const { clock, auth } = setup();
      const alice = await cardholder(clock);
      expect(await auth.authenticator.authenticate(alice.username, alice.password)).toBe(alice.id);
      expect(
        await auth.authenticator.authenticate(`  ${alice.username.toUpperCase()} `, alice.password),
      ).toBe(alice.id);
    });

    it('refuses a wrong password and an unknown username with the same error', async () => {
      const { clock, auth } = setup();
      const alice = await cardholder(clock);
      const wrong = await refusal(auth.authenticator.authenticate(alice.username, 'not it'));
      const unknown = await refusal(auth.authenticator.authenticate('nobody-here', alice.password));
      for (const e of [wrong, unknown]) {
        expect([e.code, e.status, e.message]).toEqual([
          'INVALID_CREDENTIALS',
          401,
          'the username or password is not right',
        ]);
      }
    });

    it('locks a username after five failures, even against the right password, until the lock ends', async () => {
      const { clock, auth } = setup();
      const alice = await cardholder(clock);
      for (let i = 0; i < 4; i++) {
        expect((await refusal(auth.authenticator.authenticate(alice.username, `guess ${i}`))).code).toBe(
          'INVALID_CREDENTIALS',
        );
      }
      const locking = await refusal(auth.authenticator.authenticate(alice.username, 'guess 5'));
      expect([locking.code, locking.status, locking.details]).toEqual([
        'SIGN_IN_LOCKED',
        429,
        { retryAfterSeconds: 900 },
      ]);
      clock.advance(14 * MINUTE);
      expect((await refusal(auth.authenticator.authenticate(alice.username, alice.password))).code).toBe(
        'SIGN_IN_LOCKED',
      );
      clock.advance(MINUTE);
      expect(await auth.authenticator.authenticate(alice.username, alice.password)).toBe(alice.id);
    });

    it('locks unknown usernames the same way, so a lock does not reveal that an account exists', async () => {
      const { auth } = setup({ attempts: { maxFailures: 2 } });
      await refusal(auth.authenticator.authenticate('ghost', 'a'));
      expect((await refusal(auth.authenticator.authenticate('ghost', 'b'))).code).toBe('SIGN_IN_LOCKED');
    });

    it('does not let one username’s failures lock another', async () => {
      const { clock, auth } = setup({ attempts: { maxFailures: 2 } });
      const alice = await cardholder(clock);
      await refusal(auth.authenticator.authenticate('mallory', 'a'));
      await refusal(auth.authenticator.authenticate('mallory', 'b'));
      expect(await auth.authenticator.authenticate(alice.username, alice.password)).toBe(alice.id);
    });
  });

  describe('sessions', () => {
    it('resolve their token to the cardholder; only the token digest is stored', async () => {
      const { clock, auth } = setup();
      const alice = await cardholder(clock);
      const { token, principal } = await signedIn(auth, alice.id);
      expect(token).toMatch(/^pps_[A-Za-z0-9_-]{43}$/);
      expect(await auth.identity.identify(token)).toMatchObject({
        cardholderId: alice.id,
        sessionId: principal.sessionId,
      });
      const row = await db
        .selectFrom('auth_sessions')
        .selectAll()
        .where('id', '=', principal.sessionId)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).toBe(tokenDigest(token));
      expect(JSON.stringify(row)).not.toContain(token.slice(4));
    });

    it('expire after 30 idle minutes, and activity keeps them alive', async () => {
      const { clock, auth } = setup();
      const { id } = await cardholder(clock);
      const { token } = await signedIn(auth, id);
      clock.advance(20 * MINUTE);
      await auth.identity.identify(token);
      clock.advance(20 * MINUTE);
      await auth.identity.identify(token);
      clock.advance(30 * MINUTE);
      const expired = await refusal(auth.identity.identify(token));
      expect([expired.code, expired.status]).toEqual(['SESSION_EXPIRED', 401]);
    });

    it('expire 12 hours after sign-in however active', async () => {
      const { clock, auth } = setup();
      const { id } = await cardholder(clock);
      const { token } = await signedIn(auth, id);
      for (let elapsed = 0; elapsed < 12 * 60 - 20; elapsed += 20) {
        clock.advance(20 * MINUTE);
        await auth.identity.identify(token);
      }
      clock.advance(20 * MINUTE);
      expect((await refusal(auth.identity.identify(token))).code).toBe('SESSION_EXPIRED');
    });

    it('follow the configured lifetimes', async () => {
      const { clock, auth } = setup({ session: { idleMs: 2 * MINUTE } });
      const { id } = await cardholder(clock);
      const { token } = await signedIn(auth, id);
      clock.advance(2 * MINUTE);
      expect((await refusal(auth.identity.identify(token))).code).toBe('SESSION_EXPIRED');
    });

    it('end on sign-out, taking their SCA grants with them', async () => {
      const { clock, auth } = setup();
      const alice = await cardholder(clock);
      const { token, principal } = await signedIn(auth, alice.id);
      const grant = await auth.totp.verify(principal, await codeAt(alice.totpSecret, clock));
      await auth.sessions!.end(principal);
      expect((await refusal(auth.identity.identify(token))).code).toBe('SESSION_INVALID');
      expect((await refusal(auth.grants.check(grant.token, principal))).code).toBe('SCA_REQUIRED');
    });

    it('refuse tokens that are not theirs', async () => {
      const { auth } = setup();
      for (const token of ['', 'pps_nope', 'ppg_something', 'Bearer x']) {
        expect((await refusal(auth.identity.identify(token))).code).toBe('SESSION_INVALID');
      }
    });
  });

  describe('one-time codes (TOTP)', () => {
    const fresh = async (options: Partial<AuthOptions> = {}) => {
      const { clock, auth } = setup(options);
      const id = await insertCardholder(db);
      const { principal } = await signedIn(auth, id);
      return { clock, auth, id, principal };
    };

    it('enrol with a secret shown once, sealed at rest, confirmed by the first right code', async () => {
      const { clock, auth, id, principal } = await fresh();
      const { secret, otpauthUri } = await auth.totp.enrol(principal, undefined);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/pushprov:chd_\w+\?/);
      expect(otpauthUri).toContain(`secret=${secret}`);
      const row = await db
        .selectFrom('auth_totp')
        .selectAll()
        .where('cardholder_id', '=', id)
        .executeTakeFirstOrThrow();
      expect(Buffer.from(row.secret_sealed).toString('latin1')).not.toContain(secret);
      expect(row.confirmed_at).toBeNull();
      expect(await auth.factors.status(id)).toEqual({ totp: false, passkeys: 0 });

      const grant = await auth.totp.verify(principal, await codeAt(secret, clock));
      expect(grant).toMatchObject({
        method: 'totp',
        expiresAt: new Date(clock.now().getTime() + 5 * MINUTE),
      });
      expect(grant.token).toMatch(/^ppg_/);
      expect(await auth.factors.status(id)).toEqual({ totp: true, passkeys: 0 });
    });

    it('refuse a wrong or malformed code', async () => {
      const { clock, auth, principal } = await fresh();
      const { secret } = await auth.totp.enrol(principal, undefined);
      const right = await codeAt(secret, clock);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      for (const code of [wrong, '12345', 'abcdef', `${right}0`]) {
        const e = await refusal(auth.totp.verify(principal, code));
        expect([e.code, e.status]).toEqual(['TOTP_CODE_INVALID', 401]);
      }
    });

    it('refuse a code used before, and an older code once a newer one was used', async () => {
      const { clock, auth, principal } = await fresh();
      const { secret } = await auth.totp.enrol(principal, undefined);
      clock.set(new Date(Date.UTC(2026, 0, 1, 12, 0, 5)));
      const now = await codeAt(secret, clock);
      const previous = await codeAt(secret, clock, -30);
      await auth.totp.verify(principal, now);
      expect((await refusal(auth.totp.verify(principal, now))).code).toBe('TOTP_CODE_REUSED');
      expect((await refusal(auth.totp.verify(principal, previous))).code).toBe('TOTP_CODE_REUSED');
      clock.advance(30_000);
      await auth.totp.verify(principal, await codeAt(secret, clock));
    });

    it('accept a code one step away for clock drift, not two', async () => {
      const { clock, auth, principal } = await fresh();
      const { secret } = await auth.totp.enrol(principal, undefined);
      clock.set(new Date(Date.UTC(2026, 0, 1, 12, 0, 5)));
      expect((await refusal(auth.totp.verify(principal, await codeAt(secret, clock, -60)))).code).toBe(
        'TOTP_CODE_INVALID',
      );
      await auth.totp.verify(principal, await codeAt(secret, clock, -30));
    });

    it('lock after five wrong codes, even against the right one', async () => {
      const { clock, auth, principal } = await fresh();
      const { secret } = await auth.totp.enrol(principal, undefined);
      for (let i = 0; i < 4; i++) await refusal(auth.totp.verify(principal, '000000'));
      const locking = await refusal(auth.totp.verify(principal, '000000'));
      expect([locking.code, locking.status]).toEqual(['TOTP_LOCKED', 429]);
      expect((await refusal(auth.totp.verify(principal, await codeAt(secret, clock)))).code).toBe(
        'TOTP_LOCKED',
      );
      clock.advance(15 * MINUTE);
      await auth.totp.verify(principal, await codeAt(secret, clock));
    });

    it('answer TOTP_NOT_ENROLLED before any enrolment', async () => {
      const { auth, principal } = await fresh();
      const e = await refusal(auth.totp.verify(principal, '123456'));
      expect([e.code, e.status]).toEqual(['TOTP_NOT_ENROLLED', 409]);
    });

    it('need a grant to replace a confirmed enrolment, so a stolen session cannot add its own', async () => {
      const { clock, auth, principal } = await fresh();
      const { secret } = await auth.totp.enrol(principal, undefined);
      const grant = await auth.totp.verify(principal, await codeAt(secret, clock));
      expect((await refusal(auth.totp.enrol(principal, undefined))).code).toBe('SCA_REQUIRED');
      expect((await refusal(auth.passkeys.registrationOptions(principal, undefined))).code).toBe(
        'SCA_REQUIRED',
      );
      const again = await auth.totp.enrol(principal, grant.token);
      expect(again.secret).not.toBe(secret);
    });
  });

  describe('SCA grants', () => {
    const stepUp = async (options: Partial<AuthOptions> = {}) => {
      const { clock, auth } = setup(options);
      const alice = await cardholder(clock);
      const { principal } = await signedIn(auth, alice.id);
      const grant = await auth.totp.verify(principal, await codeAt(alice.totpSecret, clock));
      return { clock, auth, alice, principal, grant };
    };

    it('are accepted for their cardholder and session, repeatedly, for five minutes', async () => {
      const { clock, auth, alice, principal, grant } = await stepUp();
      const first = await auth.grants.check(grant.token, principal);
      expect(first).toMatchObject({ cardholderId: alice.id, sessionId: principal.sessionId, method: 'totp' });
      clock.advance(5 * MINUTE - 1);
      await auth.grants.check(grant.token, principal);
      clock.advance(1);
      const expired = await refusal(auth.grants.check(grant.token, principal));
      expect([expired.code, expired.status]).toEqual(['SCA_EXPIRED', 401]);
    });

    it('last as long as configured', async () => {
      const { clock, auth, principal, grant } = await stepUp({ grantTtlMs: MINUTE });
      clock.advance(MINUTE);
      expect((await refusal(auth.grants.check(grant.token, principal))).code).toBe('SCA_EXPIRED');
    });

    it('are refused for another cardholder and in another session', async () => {
      const { auth, principal, grant } = await stepUp();
      const mallory: Principal = { cardholderId: newId('chd'), sessionId: newId('ses') };
      const wrongCardholder = await refusal(auth.grants.check(grant.token, mallory));
      expect([wrongCardholder.code, wrongCardholder.status]).toEqual(['SCA_WRONG_CARDHOLDER', 403]);
      const otherSession = await signedIn(auth, principal.cardholderId);
      const wrongSession = await refusal(auth.grants.check(grant.token, otherSession.principal));
      expect([wrongSession.code, wrongSession.status]).toEqual(['SCA_WRONG_SESSION', 403]);
    });

    it('are required: no grant, or an unknown one, is SCA_REQUIRED', async () => {
      const { auth, principal, grant } = await stepUp();
      for (const token of [
        undefined,
        '',
        'ppg_unknown',
        `${grant.token.slice(0, -1)}${grant.token.endsWith('A') ? 'B' : 'A'}`,
      ]) {
        const e = await refusal(auth.grants.check(token, principal));
        expect([e.code, e.status]).toEqual(['SCA_REQUIRED', 401]);
      }
    });

    it('leave an audit trail with ids, never tokens or secrets', async () => {
      const { alice, grant } = await stepUp();
      const rows = await db.selectFrom('audit_log').selectAll().where('actor', '=', alice.id).execute();
      expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['session.start', 'sca.grant']));
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(grant.token);
      expect(dump).not.toContain(alice.totpSecret);
    });
  });

  it('purges expired sessions and grants, keeping live ones', async () => {
    const { clock, auth } = setup();
    const alice = await cardholder(clock);
    const old = await signedIn(auth, alice.id);
    const grant = await auth.totp.verify(old.principal, await codeAt(alice.totpSecret, clock));
    clock.advance(25 * 60 * MINUTE);
    const live = await signedIn(auth, alice.id);
    await auth.purgeExpired();
    const sessions = await db
      .selectFrom('auth_sessions')
      .select('id')
      .where('cardholder_id', '=', alice.id)
      .execute();
    expect(sessions.map((r) => r.id)).toEqual([live.principal.sessionId]);
    expect((await refusal(auth.grants.check(grant.token, old.principal))).code).toBe('SCA_REQUIRED');
  });

  describe('ops API keys', () => {
    it('match configured keys, raw or by digest, and nothing else', () => {
      const raw = 'ppo_raw-key-of-at-least-thirty-two-characters';
      const hashed = 'ppo_hashed-key-of-at-least-thirty-two-characters';
      const keys = OpsKeys.from([raw, `sha256:${tokenDigest(hashed).toUpperCase()}`]);
      expect(keys.match(raw)).toBe(tokenDigest(raw).slice(0, 12));
      expect(keys.match(hashed)).toBe(tokenDigest(hashed).slice(0, 12));
      expect(keys.match(`${raw}x`)).toBeUndefined();
      expect(keys.match(`sha256:${tokenDigest(hashed)}`)).toBeUndefined();
      expect(OpsKeys.from([]).match('')).toBeUndefined();
    });

    it('generate a development key once, private to its owner', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-ops-'));
      const first = developmentOpsKey(dataDir);
      expect(first).toMatchObject({ created: true, path: join(dataDir, 'keys', 'ops-api-key') });
      expect(first.key).toMatch(/^ppo_[A-Za-z0-9_-]{43}$/);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      expect(readFileSync(first.path, 'utf8')).toBe(`${first.key}\n`);
      expect(developmentOpsKey(dataDir)).toEqual({ ...first, created: false });
    });

    it('prefer configured keys; outside development with none configured, accept none', () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pushprov-ops-'));
      const configured = resolveOpsKeys({ configured: ['k'.repeat(32)], dataDir, development: true });
      expect(configured.development).toBeUndefined();
      expect(configured.keys.match('k'.repeat(32))).toMatch(/^[0-9a-f]{12}$/);
      expect(configured.keys.match('j'.repeat(32))).toBeUndefined();
      const production = resolveOpsKeys({ configured: undefined, dataDir, development: false });
      expect(production.keys.size).toBe(0);
      const development = resolveOpsKeys({ configured: undefined, dataDir, development: true });
      expect(development.keys.match(development.development?.key ?? '')).toMatch(/^[0-9a-f]{12}$/);
    });
  });

  describe('demo credentials', () => {
    const fixture = (ref: string, password = 'demo-password-1') => ({
      cardholders: [
        {
          externalRef: ref,
          demo: { username: `Demo-${ref}`, password, totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' },
        },
        { externalRef: `${ref}-no-login` },
        {
          externalRef: `${ref}-not-imported`,
          demo: { username: 'x', password: 'y', totpSecret: 'GEZDGNBVGY3TQOJQ' },
        },
      ],
    });

    it('are seeded once: a second run changes nothing, a changed password is written again', async () => {
      const { clock, auth } = setup();
      const ref = `demo-${newId('t').slice(-6)}`;
      const ids = new Map([[ref, await insertCardholder(db)]]);
      const seed = (f: ReturnType<typeof fixture>) =>
        seedDemoCredentials({ db, sealer, clock, fixture: f, cardholderIdOf: async (r) => ids.get(r) });
      const username = `demo-${ref}`;
      expect(await seed(fixture(ref))).toEqual({
        written: [username],
        unchanged: [],
        missing: [`${ref}-not-imported`],
      });
      expect(await seed(fixture(ref))).toEqual({
        written: [],
        unchanged: [username],
        missing: [`${ref}-not-imported`],
      });
      expect(await auth.authenticator.authenticate(username, 'demo-password-1')).toBe(ids.get(ref));

      expect((await seed(fixture(ref, 'demo-password-2'))).written).toEqual([username]);
      expect(await auth.authenticator.authenticate(username, 'demo-password-2')).toBe(ids.get(ref));
    });

    it('enrol the published TOTP secret, ready for codes', async () => {
      const { clock, auth } = setup();
      const ref = `demo-${newId('t').slice(-6)}`;
      const id = await insertCardholder(db);
      await seedDemoCredentials({
        db,
        sealer,
        clock,
        fixture: fixture(ref),
        cardholderIdOf: async (r) => (r === ref ? id : undefined),
      });
      const { principal } = await signedIn(auth, id);
      const grant = await auth.totp.verify(
        principal,
        await codeAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', clock),
      );
      expect(grant.method).toBe('totp');
    });

    it('find cardholders by external reference unless told otherwise', async () => {
      const { clock, auth } = setup();
      const id = await insertCardholder(db);
      const summary = await seedDemoCredentials({
        db,
        sealer,
        clock,
        fixture: {
          cardholders: [
            {
              externalRef: `test-${id}`,
              demo: { username: `by-ref-${id}`, password: 'pw', totpSecret: 'GEZDGNBVGY3TQOJQ' },
            },
          ],
        },
      });
      expect(summary.written).toEqual([`by-ref-${id}`]);
      expect(await auth.authenticator.authenticate(`by-ref-${id}`, 'pw')).toBe(id);
    });

    it('read the fixture file and name bad entries without echoing their values', async () => {
      const { clock } = setup();
      const dir = mkdtempSync(join(tmpdir(), 'pushprov-demo-'));
      const path = join(dir, 'demo-cards.json');
      writeFileSync(
        path,
        JSON.stringify({
          cardholders: [
            {
              externalRef: 'demo-x',
              demo: { username: 'x', password: 'hunter2-secret', totpSecret: 'nope' },
            },
          ],
        }),
      );
      const e = await refusal(
        seedDemoCredentials({ db, sealer, clock, fixture: path, cardholderIdOf: async () => 'chd_x' }),
      );
      expect(e.code).toBe('DEMO_FIXTURE_INVALID');
      expect(e.message).toContain('cardholders[0].demo.totpSecret');
      expect(e.message).not.toContain('hunter2-secret');
      expect(e.message).not.toContain('nope');
    });
  });
});
