import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { AuthError, PushprovError } from '../../core/errors.js';
import type { IssuedGrant } from '../../service/auth/grants.js';
import type { Auth } from '../../service/auth/index.js';
import { bearerToken, clearSessionCookie, setSessionCookie } from '../auth/credentials.js';
import { type AuthGuards, assertSameOrigin, cardholderOf, scaGrantOf } from '../auth/guards.js';
import {
  AuthenticationResponse,
  CreationOptions,
  errorResponses,
  GrantIssued,
  PasskeyRegistered,
  RegistrationResponse,
  RequestOptions,
  SessionCreated,
  SignInBody,
  TotpEnrolment,
  TotpVerifyBody,
  WhoAmI,
} from '../auth/schemas.js';

/**
 * Cardholder sign-in (`/v1/session`) and step-up (`/v1/sca/…`). Every
 * successful step-up answers with an SCA grant for the push routes. Paths
 * carry their `/v1`: register without a prefix.
 *
 * When an issuer's own identity provider replaces pushprov's sessions,
 * signing in and out happen there, so only `GET /v1/session` is offered;
 * with the bank's OpenID provider, so does every step-up (`/v1/sca/oidc`).
 */
const errors = errorResponses(400, 401, 403, 409, 429);
const grantHeader = Type.Object({
  'pushprov-sca-grant': Type.Optional(
    Type.String({ description: 'Needed to add a step-up method once the cardholder has one' }),
  ),
});

const grantBody = (grant: IssuedGrant) => ({
  grant: grant.token,
  method: grant.method,
  expiresAt: grant.expiresAt.toISOString(),
});

// A lock answer tells clients when to retry in the standard header too.
async function withRetryAfter<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const seconds = error instanceof PushprovError ? error.details?.retryAfterSeconds : undefined;
    if (typeof seconds === 'number') reply.header('retry-after', String(seconds));
    throw error;
  }
}

export function authRoutes(auth: Auth, guards: AuthGuards): FastifyPluginAsync {
  const origin = new URL(auth.issuerPublicUrl).origin;
  return async (instance) => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    const { sessions } = auth;
    // With the bank's provider, cardholders sign in there (the pages through /app/oidc), never with a password here.
    if (sessions && !auth.oidc) {
      app.post(
        '/v1/session',
        {
          schema: {
            tags: ['authentication'],
            summary: 'Sign in (demo credentials); sets the session cookie and returns the bearer token',
            body: SignInBody,
            response: { 201: SessionCreated, ...errors },
          },
        },
        async (request, reply) => {
          // Login CSRF: another site must not sign the browser in as someone else.
          assertSameOrigin(request, origin);
          const cardholderId = await withRetryAfter(reply, () =>
            auth.authenticator.authenticate(request.body.username, request.body.password),
          );
          const started = await sessions.start(cardholderId);
          setSessionCookie(reply, guards.cookie, started.token, started.expiresAt);
          request.log.info({ cardholderId, sessionId: started.principal.sessionId }, 'cardholder signed in');
          return reply.code(201).send({
            token: started.token,
            cardholderId,
            sessionId: started.principal.sessionId,
            expiresAt: started.expiresAt.toISOString(),
            idleExpiresAt: started.idleExpiresAt.toISOString(),
          });
        },
      );
    }

    if (sessions) {
      app.delete(
        '/v1/session',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['authentication'],
            summary: 'Sign out: ends the session and every SCA grant earned in it',
            response: { 204: Type.Null(), ...errors },
          },
        },
        async (request, reply) => {
          await sessions.end(cardholderOf(request));
          clearSessionCookie(reply, guards.cookie);
          return reply.code(204).send(null);
        },
      );
    }

    app.get(
      '/v1/session',
      {
        onRequest: guards.requireCardholder,
        schema: {
          tags: ['authentication'],
          summary: 'The signed-in cardholder and the step-up methods available',
          response: { 200: WhoAmI, ...errors },
        },
      },
      async (request) => {
        const principal = cardholderOf(request);
        return {
          cardholderId: principal.cardholderId,
          sessionId: principal.sessionId,
          ...(principal.expiresAt ? { expiresAt: principal.expiresAt.toISOString() } : {}),
          sca: await auth.factors.status(principal.cardholderId),
        };
      },
    );

    // With the bank's provider, every step-up is done there: pushprov's own code and passkeys give no grant.
    if (!auth.oidc) {
      app.post(
        '/v1/sca/totp/enroll',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Start a one-time code enrolment; the secret is shown once',
            headers: grantHeader,
            response: { 201: TotpEnrolment, ...errors },
          },
        },
        async (request, reply) =>
          reply.code(201).send(await auth.totp.enrol(cardholderOf(request), scaGrantOf(request))),
      );

      app.post(
        '/v1/sca/totp/verify',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Step up with a one-time code; returns an SCA grant',
            body: TotpVerifyBody,
            response: { 201: GrantIssued, ...errors },
          },
        },
        async (request, reply) => {
          const grant = await withRetryAfter(reply, () =>
            auth.totp.verify(cardholderOf(request), request.body.code),
          );
          return reply.code(201).send(grantBody(grant));
        },
      );

      app.post(
        '/v1/sca/webauthn/registration/options',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Options for navigator.credentials.create() to register a passkey',
            headers: grantHeader,
            response: { 200: CreationOptions, ...errors },
          },
        },
        async (request) => auth.passkeys.registrationOptions(cardholderOf(request), scaGrantOf(request)),
      );

      app.post(
        '/v1/sca/webauthn/registration/verify',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Register the passkey created with the options',
            body: RegistrationResponse,
            response: { 201: PasskeyRegistered, ...errors },
          },
        },
        async (request, reply) =>
          reply.code(201).send(await auth.passkeys.verifyRegistration(cardholderOf(request), request.body)),
      );

      app.post(
        '/v1/sca/webauthn/authentication/options',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Options for navigator.credentials.get() to step up with a passkey',
            response: { 200: RequestOptions, ...errors },
          },
        },
        async (request) => auth.passkeys.authenticationOptions(cardholderOf(request)),
      );

      app.post(
        '/v1/sca/webauthn/authentication/verify',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary: 'Step up with a passkey assertion; returns an SCA grant',
            body: AuthenticationResponse,
            response: { 201: GrantIssued, ...errors },
          },
        },
        async (request, reply) =>
          reply
            .code(201)
            .send(grantBody(await auth.passkeys.verifyAuthentication(cardholderOf(request), request.body))),
      );
    }

    const { oidc } = auth;
    if (oidc) {
      app.post(
        '/v1/sca/oidc',
        {
          onRequest: guards.requireCardholder,
          schema: {
            tags: ['strong authentication'],
            summary:
              "Step up at the bank's identity provider: its access token, sent as bearer, reports a recent strong authentication (acr/amr, auth_time); returns an SCA grant",
            response: { 201: GrantIssued, ...errorResponses(400, 401, 403, 429, 503) },
          },
        },
        async (request, reply) => {
          const token = bearerToken(request);
          if (token === undefined) {
            throw new AuthError(
              'SCA_REQUIRED',
              "send the bank's access token from a strong sign-in there as Authorization: Bearer",
            );
          }
          return reply.code(201).send(grantBody(await oidc.accessTokens.stepUp(token)));
        },
      );
    }
  };
}
