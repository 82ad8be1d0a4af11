import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import type { Principal } from '../../src/service/auth/identity.js';
import { type Auth, createAuth } from '../../src/service/auth/index.js';
import { OpsKeys } from '../../src/service/auth/ops-keys.js';
import { relyingPartyFor } from '../../src/service/auth/passkeys.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { insertCardholder, refusal } from '../support/auth-fixtures.js';
import { testDatabase } from '../support/database.js';
import { SoftwareAuthenticator } from '../support/webauthn-authenticator.js';

const ISSUER = 'https://bank.example:8443';
const RP = { origin: 'https://bank.example:8443', rpId: 'bank.example' };

describe('passkeys (WebAuthn)', () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let clock: ManualClock;
  let auth: Auth;

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    clock = new ManualClock();
    auth = createAuth({
      db,
      clock,
      sealer: new Vault(Keyring.generate(new Date())),
      issuerPublicUrl: ISSUER,
      opsKeys: OpsKeys.from([]),
    });
  });
  afterAll(async () => database.close());

  const signedIn = async (): Promise<Principal> =>
    (await auth.sessions!.start(await insertCardholder(db))).principal;

  /** A signed-in cardholder with a registered software passkey. */
  const registered = async () => {
    const principal = await signedIn();
    const authenticator = new SoftwareAuthenticator(RP);
    const options = await auth.passkeys.registrationOptions(principal, undefined);
    await auth.passkeys.verifyRegistration(principal, authenticator.register(options));
    return { principal, authenticator };
  };

  it('takes the relying party from the issuer URL', () => {
    expect(relyingPartyFor(ISSUER)).toEqual({ id: 'bank.example', name: 'pushprov', origin: ISSUER });
  });

  it('registers a passkey, then steps up with it for a grant', async () => {
    const principal = await signedIn();
    const authenticator = new SoftwareAuthenticator(RP);
    const creation = await auth.passkeys.registrationOptions(principal, undefined);
    expect(creation).toMatchObject({
      rp: { id: 'bank.example', name: 'pushprov' },
      attestation: 'none',
      authenticatorSelection: { userVerification: 'required' },
    });
    expect(await auth.passkeys.verifyRegistration(principal, authenticator.register(creation))).toEqual({
      credentialId: authenticator.id,
    });
    expect(await auth.factors.status(principal.cardholderId)).toEqual({ totp: false, passkeys: 1 });

    const request = await auth.passkeys.authenticationOptions(principal);
    expect(request.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const grant = await auth.passkeys.verifyAuthentication(principal, authenticator.assert(request));
    expect(grant.method).toBe('webauthn');
    expect(await auth.grants.check(grant.token, principal)).toMatchObject({ method: 'webauthn' });
  });

  it('refuses a signature counter that does not move forward, and audits it', async () => {
    const { principal, authenticator } = await registered();
    await auth.passkeys.verifyAuthentication(
      principal,
      authenticator.assert(await auth.passkeys.authenticationOptions(principal), { counter: 7 }),
    );
    for (const counter of [7, 3]) {
      const options = await auth.passkeys.authenticationOptions(principal);
      const e = await refusal(
        auth.passkeys.verifyAuthentication(principal, authenticator.assert(options, { counter })),
      );
      expect([e.code, e.status]).toEqual(['WEBAUTHN_COUNTER_REGRESSED', 401]);
    }
    const audit = await db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'details'])
      .where('subject', '=', authenticator.id)
      .where('outcome', '=', 'refused')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]?.details).toMatchObject({ reason: 'counter_regressed', stored: 7 });

    await auth.passkeys.verifyAuthentication(
      principal,
      authenticator.assert(await auth.passkeys.authenticationOptions(principal), { counter: 8 }),
    );
  });

  it('accepts an authenticator that keeps its counter at zero (many synced passkeys do)', async () => {
    const { principal, authenticator } = await registered();
    for (let i = 0; i < 2; i++) {
      const options = await auth.passkeys.authenticationOptions(principal);
      await auth.passkeys.verifyAuthentication(principal, authenticator.assert(options, { counter: 0 }));
    }
  });

  it('uses each challenge once', async () => {
    const { principal, authenticator } = await registered();
    const options = await auth.passkeys.authenticationOptions(principal);
    const response = authenticator.assert(options);
    await auth.passkeys.verifyAuthentication(principal, response);
    const replay = await refusal(auth.passkeys.verifyAuthentication(principal, response));
    expect([replay.code, replay.status]).toEqual(['WEBAUTHN_CHALLENGE_INVALID', 401]);
  });

  it('refuses a challenge after three minutes, from another session, or of the other purpose', async () => {
    const { principal, authenticator } = await registered();
    const late = await auth.passkeys.authenticationOptions(principal);
    clock.advance(3 * 60_000);
    expect(
      (await refusal(auth.passkeys.verifyAuthentication(principal, authenticator.assert(late)))).code,
    ).toBe('WEBAUTHN_CHALLENGE_INVALID');

    const otherSession = (await auth.sessions!.start(principal.cardholderId)).principal;
    const options = await auth.passkeys.authenticationOptions(principal);
    expect(
      (await refusal(auth.passkeys.verifyAuthentication(otherSession, authenticator.assert(options)))).code,
    ).toBe('WEBAUTHN_CHALLENGE_INVALID');

    const stranger = await signedIn();
    const creation = await auth.passkeys.registrationOptions(stranger, undefined);
    expect(
      (await refusal(auth.passkeys.verifyAuthentication(stranger, authenticator.assert(creation)))).code,
    ).toBe('WEBAUTHN_CHALLENGE_INVALID');
  });

  it('refuses a response made for another origin or relying party', async () => {
    const principal = await signedIn();
    const authenticator = new SoftwareAuthenticator(RP);
    const phished = await auth.passkeys.registrationOptions(principal, undefined);
    const e = await refusal(
      auth.passkeys.verifyRegistration(
        principal,
        authenticator.register(phished, { origin: 'https://bank.example.evil' }),
      ),
    );
    expect([e.code, e.status]).toEqual(['WEBAUTHN_VERIFICATION_FAILED', 401]);
    expect(e.message).toMatch(/origin/);
    const wrongRp = await auth.passkeys.registrationOptions(principal, undefined);
    const rp = await refusal(
      auth.passkeys.verifyRegistration(principal, authenticator.register(wrongRp, { rpId: 'evil.example' })),
    );
    expect([rp.code, rp.message]).toEqual([
      'WEBAUTHN_VERIFICATION_FAILED',
      'the passkey response was not accepted: Unexpected RP ID hash',
    ]);
  });

  it('requires user verification', async () => {
    const principal = await signedIn();
    const authenticator = new SoftwareAuthenticator({ ...RP, userVerified: false });
    const options = await auth.passkeys.registrationOptions(principal, undefined);
    const e = await refusal(auth.passkeys.verifyRegistration(principal, authenticator.register(options)));
    expect(e.code).toBe('WEBAUTHN_VERIFICATION_FAILED');
    expect(e.message).toMatch(/user could not be verified/);
  });

  it('refuses a signature from another key', async () => {
    const { principal, authenticator } = await registered();
    const impostor = new SoftwareAuthenticator(RP);
    Object.assign(impostor, { credentialId: authenticator.credentialId });
    const options = await auth.passkeys.authenticationOptions(principal);
    expect(
      (await refusal(auth.passkeys.verifyAuthentication(principal, impostor.assert(options)))).code,
    ).toBe('WEBAUTHN_VERIFICATION_FAILED');
  });

  it("refuses another cardholder's passkey", async () => {
    const { authenticator } = await registered();
    const { principal: other } = await registered();
    const options = await auth.passkeys.authenticationOptions(other);
    const e = await refusal(auth.passkeys.verifyAuthentication(other, authenticator.assert(options)));
    expect([e.code, e.status]).toEqual(['WEBAUTHN_UNKNOWN_CREDENTIAL', 401]);
  });

  it('refuses registering the same passkey twice', async () => {
    const { principal, authenticator } = await registered();
    const grant = await auth.passkeys.verifyAuthentication(
      principal,
      authenticator.assert(await auth.passkeys.authenticationOptions(principal)),
    );
    const options = await auth.passkeys.registrationOptions(principal, grant.token);
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const e = await refusal(auth.passkeys.verifyRegistration(principal, authenticator.register(options)));
    expect([e.code, e.status]).toEqual(['WEBAUTHN_CREDENTIAL_EXISTS', 409]);
  });

  it('answers WEBAUTHN_NOT_REGISTERED when there is no passkey to ask for', async () => {
    const e = await refusal(auth.passkeys.authenticationOptions(await signedIn()));
    expect([e.code, e.status]).toEqual(['WEBAUTHN_NOT_REGISTERED', 409]);
  });

  it('refuses malformed client data before touching any challenge', async () => {
    const { principal, authenticator } = await registered();
    const response = authenticator.assert(await auth.passkeys.authenticationOptions(principal));
    const broken = { ...response, response: { ...response.response, clientDataJSON: 'bm90LWpzb24' } };
    const e = await refusal(auth.passkeys.verifyAuthentication(principal, broken));
    expect([e.code, e.status]).toEqual(['WEBAUTHN_RESPONSE_MALFORMED', 400]);
    await auth.passkeys.verifyAuthentication(principal, response);
  });

  it('lists and removes a passkey with a fresh grant, never the last step-up method', async () => {
    const { principal, authenticator } = await registered();
    const listed = await auth.passkeys.list(principal);
    expect(listed.map((p) => p.id)).toEqual([authenticator.id]);
    expect(Object.keys(listed[0] ?? {})).not.toContain('publicKey');
    const grant = await auth.passkeys.verifyAuthentication(
      principal,
      authenticator.assert(await auth.passkeys.authenticationOptions(principal)),
    );
    // No grant, no removal: a stolen session alone cannot strip the owner's factors.
    expect((await refusal(auth.passkeys.remove(principal, undefined, authenticator.id))).code).toBe(
      'SCA_REQUIRED',
    );
    // This cardholder has no authenticator app: their only passkey stays.
    const last = await refusal(auth.passkeys.remove(principal, grant.token, authenticator.id));
    expect([last.code, last.status]).toEqual(['PASSKEY_LAST_FACTOR', 409]);

    const second = new SoftwareAuthenticator(RP);
    const options = await auth.passkeys.registrationOptions(principal, grant.token);
    await auth.passkeys.verifyRegistration(principal, second.register(options));
    const unknown = await refusal(auth.passkeys.remove(principal, grant.token, 'AAAA'));
    expect([unknown.code, unknown.status]).toEqual(['PASSKEY_NOT_FOUND', 404]);
    await auth.passkeys.remove(principal, grant.token, authenticator.id);
    expect((await auth.passkeys.list(principal)).map((p) => p.id)).toEqual([second.id]);
  });
});
