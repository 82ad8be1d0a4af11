import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import * as client from 'openid-client';
import type { Clock } from '../../../core/clock.js';
import { ForbiddenError, PushprovError } from '../../../core/errors.js';
import type { ChallengeBinding, ChallengeStore } from '../../../store/auth/challenges.js';
import type { Sealer } from '../../../store/vault/sealer.js';
import type { GrantService, IssuedGrant } from '../grants.js';
import type { Principal } from '../identity.js';
import type { CardholderOfClaims } from './cardholders.js';
import type { OidcOptions } from './options.js';
import type { OidcProvider } from './provider.js';
import { assertStrongAuthentication } from './strong-authentication.js';

/**
 * The bank pages' sign-in and step-up at the provider: the authorization
 * code flow with PKCE, by openid-client. What the flow must remember between
 * the redirect and the callback (state, nonce, PKCE verifier, and where to
 * go on) travels sealed by the vault in a short-lived cookie of the browser
 * that started it: nothing is kept server-side, nothing of it is readable or
 * forgeable by the browser, and a callback in another browser (login CSRF)
 * finds no flow to finish.
 *
 * A step-up asks the provider for a fresh strong authentication
 * (`acr_values`, `max_age`, `prompt=login`); it yields the SCA grant only
 * for the same cardholder, in the same pushprov session, when the returned
 * ID token reports an accepted acr/amr no older than the policy allows.
 * What it is for (`pending`: a push, a resume, a passkey's removal) rides
 * sealed with the flow, and a record of it is kept server-side until the
 * callback consumes it: the action is done once, even when the provider's
 * answer and the flow cookie are both replayed.
 */
export const FLOW_TTL_MS = 10 * 60 * 1000;
const SEAL_CONTEXT = 'oidc:flow';

export type FlowIntent =
  | { kind: 'sign-in'; next?: string }
  /** `pending`: what the page does once the grant is issued; the web layer's, kept as given. */
  | { kind: 'step-up'; principal: Principal; pending: Record<string, string> };

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
  intent:
    | { kind: 'sign-in'; next?: string }
    | { kind: 'step-up'; sessionId: string; cardholderId: string; pending: Record<string, string> };
}

export interface StartedFlow {
  /** Where to send the browser: the provider's authorization endpoint. */
  url: string;
  /** The flow's sealed state, for the browser's flow cookie. */
  sealed: string;
}

export type CompletedFlow =
  | { kind: 'sign-in'; cardholderId: string; next?: string }
  | {
      kind: 'step-up';
      claims: JWTPayload;
      cardholderId: string;
      sessionId: string;
      pending: Record<string, string>;
    };

// The step-up's server-side record is named by a digest of its state: the state itself travels in URLs.
const pendingKey = (state: string) => `oidc:${createHash('sha256').update(state).digest('base64url')}`;
const pendingBinding = (intent: { cardholderId: string; sessionId: string }): ChallengeBinding => ({
  cardholderId: intent.cardholderId,
  sessionId: intent.sessionId,
  purpose: 'oidc.step-up',
});

const refused = (message: string, cause?: unknown) =>
  new ForbiddenError('SIGN_IN_REFUSED', message, cause === undefined ? {} : { cause });

export class OidcCodeFlow {
  constructor(
    private readonly provider: OidcProvider,
    private readonly cardholders: CardholderOfClaims,
    private readonly grants: GrantService,
    private readonly sealer: Sealer,
    private readonly pendingStepUps: ChallengeStore,
    private readonly clock: Clock,
    private readonly options: OidcOptions,
    /** `<issuer URL>/app/oidc/callback`, as registered at the provider. */
    private readonly redirectUri: string,
  ) {}

  async start(intent: FlowIntent): Promise<StartedFlow> {
    const { configuration } = await this.provider.get();
    const verifier = client.randomPKCECodeVerifier();
    const flow: FlowState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier,
      expiresAt: this.clock.now().getTime() + FLOW_TTL_MS,
      intent:
        intent.kind === 'sign-in'
          ? intent
          : {
              kind: 'step-up',
              sessionId: intent.principal.sessionId,
              cardholderId: intent.principal.cardholderId,
              pending: intent.pending,
            },
    };
    const { sca, scopes } = this.options;
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: scopes.join(' '),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(intent.kind === 'step-up' && {
        prompt: 'login',
        max_age: String(sca.maxAgeSeconds),
        ...(sca.acr.length > 0 && { acr_values: sca.acr.join(' ') }),
      }),
    });
    if (flow.intent.kind === 'step-up') {
      await this.pendingStepUps.create(
        pendingKey(flow.state),
        pendingBinding(flow.intent),
        this.clock.now(),
        new Date(flow.expiresAt),
      );
    }
    const sealed = this.sealer.seal(JSON.stringify(flow), SEAL_CONTEXT).toString('base64url');
    return { url: url.href, sealed };
  }

  /** Finishes the flow the browser's cookie holds with the provider's answer at `callbackUrl`. */
  async complete(callbackUrl: URL, sealed: string | undefined): Promise<CompletedFlow> {
    const flow = this.#open(sealed);
    // Spent before the provider is asked, so two callbacks at once cannot both do the action.
    if (
      flow.intent.kind === 'step-up' &&
      !(await this.pendingStepUps.consume(
        pendingKey(flow.state),
        pendingBinding(flow.intent),
        this.clock.now(),
      ))
    ) {
      throw refused('this step-up was already finished, or has expired; start again');
    }
    const { configuration } = await this.provider.get();
    let claims: JWTPayload | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
        ...(flow.intent.kind === 'step-up' && { maxAge: this.options.sca.maxAgeSeconds }),
      });
      claims = tokens.claims();
    } catch (error) {
      if (error instanceof PushprovError) throw error;
      throw refused("the bank's sign-in did not complete", error);
    }
    if (claims === undefined) throw refused('the provider returned no ID token');
    const cardholderId = await this.cardholders.cardholderId(claims);
    const { intent } = flow;
    return intent.kind === 'sign-in'
      ? { kind: 'sign-in', cardholderId, ...(intent.next !== undefined && { next: intent.next }) }
      : { kind: 'step-up', claims, cardholderId, sessionId: intent.sessionId, pending: intent.pending };
  }

  /**
   * The SCA grant a completed step-up earns for `principal`, the page's
   * signed-in cardholder: issued like after a one-time code or a passkey.
   */
  async grant(step: Extract<CompletedFlow, { kind: 'step-up' }>, principal: Principal): Promise<IssuedGrant> {
    if (step.cardholderId !== principal.cardholderId) {
      throw new ForbiddenError('SCA_WRONG_CARDHOLDER', "the bank's step-up was done by another cardholder");
    }
    if (step.sessionId !== principal.sessionId) {
      throw new ForbiddenError('SCA_WRONG_SESSION', 'this step-up was started in another session');
    }
    assertStrongAuthentication(step.claims, this.options.sca, this.clock, this.options.clockToleranceSeconds);
    return this.grants.issue(principal, 'oidc');
  }

  #open(sealed: string | undefined): FlowState {
    let flow: FlowState;
    try {
      flow = JSON.parse(
        this.sealer.open(Buffer.from(sealed ?? '', 'base64url'), SEAL_CONTEXT).toString('utf8'),
      );
    } catch (error) {
      throw refused('no sign-in was started in this browser; start again', error);
    }
    if (this.clock.now().getTime() >= flow.expiresAt) throw refused('the sign-in took too long; start again');
    return flow;
  }
}
