import { randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Clock } from '../../core/clock.js';
import { AuthError, ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { AuditLog } from '../../store/audit.js';
import type { ChallengeBinding, ChallengeStore } from '../../store/auth/challenges.js';
import type { PasskeyRecord, PasskeyStore } from '../../store/auth/webauthn.js';
import type { Factors } from './factors.js';
import type { GrantService, IssuedGrant } from './grants.js';
import type { Principal } from './identity.js';

/**
 * Passkeys (WebAuthn) for step-up. The relying party is the issuer's public
 * URL: its host is the RP ID and its origin the only accepted origin.
 * Challenges live server-side, bound to cardholder, session and purpose, and
 * are consumed before anything else is checked, so each response is judged
 * once. User verification is required: with the passkey's possession that
 * makes two factors on its own.
 */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingPartyFor(issuerPublicUrl: string, name = 'pushprov'): RelyingParty {
  const url = new URL(issuerPublicUrl);
  return { id: url.hostname, name, origin: url.origin };
}

const CHALLENGE_TTL_MS = 3 * 60 * 1000;

const failed = (error: unknown) =>
  new AuthError(
    'WEBAUTHN_VERIFICATION_FAILED',
    `the passkey response was not accepted${error instanceof Error ? `: ${error.message}` : ''}`,
    { cause: error },
  );

/** The challenge a response answers, read from its clientDataJSON. */
function challengeOf(clientDataJSON: string): string {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (data && typeof data === 'object' && 'challenge' in data && typeof data.challenge === 'string') {
      return data.challenge;
    }
  } catch {
    // reported below
  }
  throw new ValidationError(
    'WEBAUTHN_RESPONSE_MALFORMED',
    'clientDataJSON is not a WebAuthn client data object',
  );
}

/** The signature counter an assertion reports (authenticator data bytes 33–36, big-endian). */
function signCountOf(authenticatorData: string): number {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  if (bytes.length < 37) {
    throw new ValidationError('WEBAUTHN_RESPONSE_MALFORMED', 'authenticatorData is too short');
  }
  return bytes.readUInt32BE(33);
}

export class PasskeyService {
  constructor(
    private readonly passkeys: PasskeyStore,
    private readonly challenges: ChallengeStore,
    private readonly factors: Factors,
    private readonly grants: GrantService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly relyingParty: RelyingParty,
    /**
     * Whether the last step-up method must stay. Not so when the bank's
     * identity provider does every step-up: no factor can be enrolled here
     * then, and a passkey left from before confirms nothing.
     */
    private readonly keepLastFactor = true,
  ) {}

  async registrationOptions(
    principal: Principal,
    grantToken: string | undefined,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.factors.assertMayEnrol(principal, grantToken);
    const existing = await this.passkeys.listFor(principal.cardholderId);
    const options = await generateRegistrationOptions({
      rpName: this.relyingParty.name,
      rpID: this.relyingParty.id,
      // The user handle is stored on the authenticator: an opaque id, never a name or email.
      userID: Buffer.from(principal.cardholderId),
      userName: principal.cardholderId,
      challenge: randomBytes(32),
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    });
    await this.#remember(options.challenge, principal, 'webauthn.registration');
    return options;
  }

  async verifyRegistration(
    principal: Principal,
    response: RegistrationResponseJSON,
  ): Promise<{ credentialId: string }> {
    const challenge = await this.#consume(
      response.response.clientDataJSON,
      principal,
      'webauthn.registration',
    );
    const verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: this.relyingParty.origin,
      expectedRPID: this.relyingParty.id,
      requireUserVerification: true,
    }).catch((error: unknown) => {
      throw failed(error);
    });
    if (!verification.verified) throw failed(undefined);
    const info = verification.registrationInfo;
    const added = await this.passkeys.add({
      id: info.credential.id,
      cardholderId: principal.cardholderId,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: info.credential.transports ?? response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      createdAt: this.clock.now(),
    });
    if (!added) throw new ConflictError('WEBAUTHN_CREDENTIAL_EXISTS', 'this passkey is already registered');
    await this.audit.append({
      actor: principal.cardholderId,
      action: 'sca.webauthn.register',
      subject: info.credential.id,
      outcome: 'ok',
      details: { deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp },
    });
    return { credentialId: info.credential.id };
  }

  async authenticationOptions(principal: Principal): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const existing = await this.passkeys.listFor(principal.cardholderId);
    if (existing.length === 0) {
      throw new ConflictError('WEBAUTHN_NOT_REGISTERED', 'no passkey is registered for this cardholder');
    }
    const options = await generateAuthenticationOptions({
      rpID: this.relyingParty.id,
      challenge: randomBytes(32),
      timeout: CHALLENGE_TTL_MS,
      allowCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      userVerification: 'required',
    });
    await this.#remember(options.challenge, principal, 'webauthn.authentication');
    return options;
  }

  /** Checks an assertion; a good one from a passkey of this cardholder earns an SCA grant. */
  async verifyAuthentication(
    principal: Principal,
    response: AuthenticationResponseJSON,
  ): Promise<IssuedGrant> {
    const challenge = await this.#consume(
      response.response.clientDataJSON,
      principal,
      'webauthn.authentication',
    );
    const passkey = await this.passkeys.find(principal.cardholderId, response.id);
    if (!passkey) {
      throw new AuthError(
        'WEBAUTHN_UNKNOWN_CREDENTIAL',
        'this passkey is not registered for this cardholder',
      );
    }
    const signCount = signCountOf(response.response.authenticatorData);
    // The library is given counter 0 so that it checks the signature first;
    // the counter is then judged here, where a regression is known to come
    // from the real key: a sign of a cloned authenticator, worth an audit entry.
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: this.relyingParty.origin,
      expectedRPID: this.relyingParty.id,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: 0,
        transports: passkey.transports,
      },
      requireUserVerification: true,
    }).catch((error: unknown) => {
      throw failed(error);
    });
    if (!verification.verified) throw failed(undefined);
    const now = this.clock.now();
    const regressed = (signCount > 0 || passkey.counter > 0) && signCount <= passkey.counter;
    if (regressed || !(await this.passkeys.advanceCounter(passkey.id, passkey.counter, signCount, now))) {
      await this.audit.append({
        actor: principal.cardholderId,
        action: 'sca.webauthn.authenticate',
        subject: passkey.id,
        outcome: 'refused',
        details: { reason: 'counter_regressed', stored: passkey.counter, presented: signCount },
      });
      throw new AuthError(
        'WEBAUTHN_COUNTER_REGRESSED',
        'the passkey reported a signature counter that is not ahead of the last one; it may have been cloned',
      );
    }
    return this.grants.issue(principal, 'webauthn');
  }

  /** The cardholder's passkeys, as the Security page lists them (no key material). */
  async list(
    principal: Principal,
  ): Promise<
    Pick<PasskeyRecord, 'id' | 'deviceType' | 'backedUp' | 'transports' | 'createdAt' | 'lastUsedAt'>[]
  > {
    return (await this.passkeys.listFor(principal.cardholderId)).map(
      ({ id, deviceType, backedUp, transports, createdAt, lastUsedAt }) => ({
        id,
        deviceType,
        backedUp,
        transports,
        createdAt,
        lastUsedAt,
      }),
    );
  }

  /**
   * Removes one of the cardholder's passkeys (a lost phone, say), with a
   * fresh step-up: else a stolen session could strip the owner's factors. The
   * last step-up method is never removed, since without one anyone signed in
   * could enrol their own (Factors.assertMayEnrol), unless the bank's
   * provider does the step-ups (`keepLastFactor`).
   */
  async remove(principal: Principal, grantToken: string | undefined, id: string): Promise<void> {
    await this.grants.check(grantToken, principal);
    const { totp, passkeys } = await this.factors.status(principal.cardholderId);
    if (this.keepLastFactor && !totp && passkeys <= 1) {
      throw new ConflictError('PASSKEY_LAST_FACTOR', 'the only step-up method left cannot be removed');
    }
    if (!(await this.passkeys.remove(principal.cardholderId, id))) {
      throw new NotFoundError('PASSKEY_NOT_FOUND', 'no such passkey');
    }
    await this.audit.append({
      actor: principal.cardholderId,
      action: 'sca.webauthn.remove',
      subject: id,
      outcome: 'ok',
      details: {},
    });
  }

  async #remember(
    challenge: string,
    principal: Principal,
    purpose: ChallengeBinding['purpose'],
  ): Promise<void> {
    const now = this.clock.now();
    await this.challenges.create(
      challenge,
      { cardholderId: principal.cardholderId, sessionId: principal.sessionId, purpose },
      now,
      new Date(now.getTime() + CHALLENGE_TTL_MS),
    );
  }

  async #consume(
    clientDataJSON: string,
    principal: Principal,
    purpose: ChallengeBinding['purpose'],
  ): Promise<string> {
    const challenge = challengeOf(clientDataJSON);
    const binding = { cardholderId: principal.cardholderId, sessionId: principal.sessionId, purpose };
    if (!(await this.challenges.consume(challenge, binding, this.clock.now()))) {
      throw new AuthError(
        'WEBAUTHN_CHALLENGE_INVALID',
        'this passkey challenge is unknown, expired or already used; ask for new options',
      );
    }
    return challenge;
  }
}
