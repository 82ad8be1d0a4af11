import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PushprovError } from '../core/errors.js';
import { clearSessionCookie, setSessionCookie } from '../http/auth/credentials.js';
import { type AuthGuards, assertSameOrigin, cardholderOf } from '../http/auth/guards.js';
import type { Auth } from '../service/auth/index.js';
import type { ProvisioningService } from '../service/provisioning.js';
import { type ActivationFormsOptions, activationForms } from './activations.js';
import { safeNext } from './next.js';
import { resultPage } from './pages.js';

export interface WebFormsOptions {
  auth: Pick<Auth, 'authenticator' | 'sessions' | 'totp' | 'grants' | 'issuerPublicUrl'>;
  guards: Pick<AuthGuards, 'requireCardholder' | 'cookie'>;
  provisioning: Pick<ProvisioningService, 'push'>;
  /** "Was this you?" answers (src/web/activations.ts), under the same form parser. */
  activations?: ActivationFormsOptions['activations'];
}

/**
 * The bank's forms without JavaScript (or before app.js has loaded): each is
 * a POST answered with a redirect (303), so a password or a one-time code
 * never lands in a URL or a request log, and Back never resubmits. With
 * JavaScript the same forms go through the JSON API instead; the rules are
 * the services', the same either way. A refusal comes back to the form's
 * page as `?problem=<CODE>`, worded there.
 */
export function webForms(options: WebFormsOptions): FastifyPluginAsync {
  const { auth, guards, provisioning } = options;
  const origin = new URL(auth.issuerPublicUrl).origin;
  return async (app) => {
    await app.register(formbody, { bodyLimit: 4096 });
    if (options.activations) {
      await app.register(activationForms({ activations: options.activations, auth, guards }));
    }

    const field = (request: FastifyRequest, name: string): string => {
      const value = (request.body as Record<string, unknown> | undefined)?.[name];
      return typeof value === 'string' ? value : '';
    };
    const back = (reply: FastifyReply, path: string, error: unknown) => {
      if (!(error instanceof PushprovError)) throw error;
      const seconds = error.details?.retryAfterSeconds;
      if (typeof seconds === 'number') reply.header('retry-after', String(seconds));
      const joiner = path.endsWith('&') ? '' : '?';
      return reply.redirect(`${path}${joiner}problem=${encodeURIComponent(error.code)}`, 303);
    };

    const { sessions } = auth;
    if (sessions) {
      app.post('/app/signin', async (request, reply) => {
        assertSameOrigin(request, origin);
        const next = safeNext(field(request, 'next'));
        try {
          const cardholderId = await auth.authenticator.authenticate(
            field(request, 'username'),
            field(request, 'password'),
          );
          const started = await sessions.start(cardholderId);
          setSessionCookie(reply, guards.cookie, started.token, started.expiresAt);
          request.log.info({ cardholderId, sessionId: started.principal.sessionId }, 'cardholder signed in');
          return reply.redirect(next ?? '/app/cards', 303);
        } catch (error) {
          return back(reply, next ? `/app/signin?next=${encodeURIComponent(next)}&` : '/app/signin', error);
        }
      });

      app.post('/app/signout', { onRequest: guards.requireCardholder }, async (request, reply) => {
        assertSameOrigin(request, origin);
        await sessions.end(cardholderOf(request));
        clearSessionCookie(reply, guards.cookie);
        return reply.redirect('/app/signin', 303);
      });
    }

    // Consent and step-up with a one-time code, then the push; a passkey needs the browser's script.
    app.post<{ Params: { cardId: string; tokenRequestorId: string } }>(
      '/app/cards/:cardId/destinations/:tokenRequestorId/consent',
      {
        onRequest: guards.requireCardholder,
        // A made-up card or token requestor is no form of ours: refused as such, not sent back to a page.
        schema: {
          hide: true,
          params: Type.Object({
            cardId: Type.String({ pattern: '^crd_[a-z0-9]{8,40}$' }),
            tokenRequestorId: Type.String({ pattern: '^[0-9]{11}$' }),
          }),
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, origin);
        const { cardId, tokenRequestorId } = request.params;
        const page = `/app/cards/${encodeURIComponent(cardId)}/destinations/${encodeURIComponent(tokenRequestorId)}/consent`;
        const principal = cardholderOf(request);
        try {
          if (field(request, 'consent') !== 'on') {
            throw new PushprovError('CONSENT_REQUIRED', 'consent is required', { status: 400 });
          }
          const grant = await auth.totp.verify(principal, field(request, 'code').trim());
          await auth.grants.check(grant.token, principal);
          // The form's own key: a resubmitted form finds its first push.
          const key = field(request, 'idempotencyKey');
          const { view } = await provisioning.push({
            cardholderId: principal.cardholderId,
            cardIds: [cardId],
            tokenRequestorId,
            consent: true,
            idempotencyKey: /^[A-Za-z0-9_.:-]{8,128}$/.test(key) ? key : randomUUID(),
          });
          // To the push's own page, whose "Continue to …" link leads on: the pages' CSP (`form-action
          // 'self'`) rightly keeps a form's redirect from leaving the bank's origin.
          return reply.redirect(resultPage(view.id), 303);
        } catch (error) {
          return back(reply, page, error);
        }
      },
    );
  };
}
