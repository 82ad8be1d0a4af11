import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PushprovError } from '../core/errors.js';
import { clearSessionCookie, setSessionCookie } from '../http/auth/credentials.js';
import { type AuthGuards, assertSameOrigin, cardholderOf } from '../http/auth/guards.js';
import type { Principal } from '../service/auth/identity.js';
import type { Auth } from '../service/auth/index.js';
import type { ProvisioningService } from '../service/provisioning/index.js';
import type { TokenAction, TokenManagement } from '../service/tokens/management.js';
import { type ActivationFormsOptions, activationForms } from './activations.js';
import { safeNext } from './next.js';
import { pageErrorHandler, resultPage } from './pages.js';
import { savedCardsPath } from './saved-cards.js';

export interface WebFormsOptions {
  auth: Pick<Auth, 'authenticator' | 'sessions' | 'totp' | 'grants' | 'passkeys' | 'issuerPublicUrl'>;
  guards: Pick<AuthGuards, 'requireCardholder' | 'cookie'>;
  provisioning: Pick<ProvisioningService, 'push'>;
  tokenManagement: Pick<TokenManagement, 'change' | 'list'>;
  /** How long a saved-card change waits for Mastercard's confirmation before the page says it is asked. */
  confirmWaitMs?: number;
  /** "Was this you?" answers (src/web/activations.ts), under the same form parser. */
  activations?: ActivationFormsOptions['activations'];
  /**
   * Every step-up at the bank's identity provider instead of a code here (a
   * consent, a resume, a passkey's removal): sends the browser there, the
   * action done on its return (src/web/oidc.ts).
   */
  idpStepUp?: (
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    action: StepUpAction,
  ) => Promise<FastifyReply>;
}

/** What a step-up at the bank's identity provider is for: done once it comes back strong enough. */
export type StepUpAction =
  | ({ action: 'push' } & FormPush)
  | { action: 'resume'; cardId: string; tokenId: string }
  | { action: 'remove-passkey'; passkeyId: string };

/** A consent form's push, once its step-up is done. */
export interface FormPush {
  cardId: string;
  tokenRequestorId: string;
  idempotencyKey: string;
}

/** Pushes what the consent form asked for; answers with the push's own page to go to. */
export async function pushFromForm(
  provisioning: Pick<ProvisioningService, 'push'>,
  principal: Principal,
  push: FormPush,
): Promise<string> {
  const { view } = await provisioning.push({
    cardholderId: principal.cardholderId,
    cardIds: [push.cardId],
    tokenRequestorId: push.tokenRequestorId,
    consent: true,
    idempotencyKey: push.idempotencyKey,
  });
  // To the push's own page, whose "Continue to …" link leads on: the pages' CSP (`form-action
  // 'self'`) rightly keeps a form's redirect from leaving the bank's origin.
  return resultPage(view.id);
}

/** The consent form's page, where a refusal comes back to. */
export const consentPage = (cardId: string, tokenRequestorId: string): string =>
  `/app/cards/${encodeURIComponent(cardId)}/destinations/${encodeURIComponent(tokenRequestorId)}/consent`;

/**
 * A form's refusal, back to its page as `?problem=<CODE>` (`path` may end in
 * `&` to keep its own query). What is not the cardholder's (or not at all) is
 * not found, not a problem on their form: thrown on to the page error handler.
 */
export function backWithProblem(reply: FastifyReply, path: string, error: unknown): FastifyReply {
  if (!(error instanceof PushprovError) || error.status === 404) throw error;
  const seconds = error.details?.retryAfterSeconds;
  if (typeof seconds === 'number') reply.header('retry-after', String(seconds));
  const joiner = path.endsWith('&') ? '' : '?';
  return reply.redirect(`${path}${joiner}problem=${encodeURIComponent(error.code)}`, 303);
}

/** Where a refused resume comes back to: its page with the step-up open, to try again. */
export const resumePanel = (cardId: string, tokenId: string): string =>
  `${savedCardsPath(encodeURIComponent(cardId))}?resume=${encodeURIComponent(tokenId)}&`;

/**
 * Asks Mastercard for a saved card's change, then waits a little for its
 * confirming notification, as the script does, so the page it leads to says
 * what is so: `?changed=` once confirmed, `?asked=` while not yet, never done.
 */
export async function changeSavedCard(
  tokenManagement: Pick<TokenManagement, 'change' | 'list'>,
  principal: Principal,
  change: { cardId: string; tokenId: string; action: TokenAction },
  confirmWaitMs: number,
): Promise<string> {
  const { cardId, tokenId, action } = change;
  const page = savedCardsPath(encodeURIComponent(cardId));
  await tokenManagement.change(principal.cardholderId, cardId, tokenId, action);
  const deadline = Date.now() + confirmWaitMs;
  for (let delay = 100; ; delay = Math.min(delay * 1.5, 1000)) {
    const tokens = await tokenManagement.list(principal.cardholderId, cardId);
    if (tokens.find((t) => t.id === tokenId)?.status === WANTED[action]) {
      return `${page}?changed=${encodeURIComponent(tokenId)}`;
    }
    if (Date.now() + delay > deadline) break;
    await sleep(delay);
  }
  return `${page}?asked=${encodeURIComponent(tokenId)}`;
}

/** The status Mastercard's notification brings once a change is done. */
const WANTED = { suspend: 'SUSPENDED', resume: 'ACTIVE', delete: 'DELETED' } as const;
const SAVED_ACTIONS: Record<string, TokenAction> = {
  suspend: 'suspend',
  resume: 'resume',
  remove: 'delete',
};
const needsScript = () =>
  new PushprovError('PASSKEY_NEEDS_SCRIPT', 'a passkey needs the page script', { status: 400 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The bank's forms without JavaScript (or before app.js has loaded): each is
 * a POST answered with a redirect (303), so a password or a one-time code
 * never lands in a URL or a request log, and Back never resubmits. With
 * JavaScript the same forms go through the JSON API instead; the rules are
 * the services', the same either way. A refusal comes back to the form's
 * page as `?problem=<CODE>`, worded there.
 */
export function webForms(options: WebFormsOptions): FastifyPluginAsync {
  const { auth, guards, provisioning, tokenManagement } = options;
  const confirmWaitMs = options.confirmWaitMs ?? 10_000;
  const origin = new URL(auth.issuerPublicUrl).origin;
  return async (app) => {
    await app.register(formbody, { bodyLimit: 4096 });
    // A form's POST answers with pages too: no session → sign-in, a card not theirs → not found.
    app.setErrorHandler(pageErrorHandler);
    if (options.activations) {
      await app.register(activationForms({ activations: options.activations, auth, guards }));
    }

    const field = (request: FastifyRequest, name: string): string => {
      const value = (request.body as Record<string, unknown> | undefined)?.[name];
      return typeof value === 'string' ? value : '';
    };

    // Step-up with the form's one-time code; a passkey is the browser's, so it needs the script.
    const stepUp = async (request: FastifyRequest, principal: Principal): Promise<string> => {
      if (field(request, 'method') === 'passkey') throw needsScript();
      const grant = await auth.totp.verify(principal, field(request, 'code').trim());
      await auth.grants.check(grant.token, principal);
      return grant.token;
    };

    const { sessions } = auth;
    // With the bank's identity provider, the pages sign in there (src/web/oidc.ts).
    if (sessions && !options.idpStepUp) {
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
          return backWithProblem(
            reply,
            next ? `/app/signin?next=${encodeURIComponent(next)}&` : '/app/signin',
            error,
          );
        }
      });
    }

    if (sessions) {
      app.post('/app/signout', { onRequest: guards.requireCardholder }, async (request, reply) => {
        assertSameOrigin(request, origin);
        await sessions.end(cardholderOf(request));
        clearSessionCookie(reply, guards.cookie);
        // Not back to the sign-in, which with the bank's provider would sign them in again at once.
        return reply.redirect(options.idpStepUp ? '/' : '/app/signin', 303);
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
        const page = consentPage(cardId, tokenRequestorId);
        const principal = cardholderOf(request);
        try {
          if (field(request, 'consent') !== 'on') {
            throw new PushprovError('CONSENT_REQUIRED', 'consent is required', { status: 400 });
          }
          // The form's own key: a resubmitted form finds its first push.
          const key = field(request, 'idempotencyKey');
          const push = {
            cardId,
            tokenRequestorId,
            idempotencyKey: /^[A-Za-z0-9_.:-]{8,128}$/.test(key) ? key : randomUUID(),
          };
          if (options.idpStepUp)
            return await options.idpStepUp(request, reply, principal, { action: 'push', ...push });
          await stepUp(request, principal);
          return reply.redirect(await pushFromForm(provisioning, principal, push), 303);
        } catch (error) {
          return backWithProblem(reply, page, error);
        }
      },
    );

    // Pause, resume (with a one-time code) and remove a saved card. Mastercard confirms a change
    // with a notification: the answer waits a little for it, as the script does, so the page it
    // redirects to says what is so; a change still unconfirmed is said to be asked, never done.
    app.post<{ Params: { cardId: string; tokenId: string; action: string } }>(
      '/app/cards/:cardId/saved/:tokenId/:action',
      {
        onRequest: guards.requireCardholder,
        schema: {
          hide: true,
          params: Type.Object({
            cardId: Type.String({ pattern: '^crd_[a-z0-9]{8,40}$' }),
            tokenId: Type.String({ pattern: '^tok_[a-z0-9]{8,40}$' }),
            action: Type.Union([Type.Literal('suspend'), Type.Literal('resume'), Type.Literal('remove')]),
          }),
        },
      },
      async (request, reply) => {
        assertSameOrigin(request, origin);
        const { cardId, tokenId } = request.params;
        const action = SAVED_ACTIONS[request.params.action] ?? 'suspend';
        const page = savedCardsPath(encodeURIComponent(cardId));
        const principal = cardholderOf(request);
        // A refused resume comes back with its step-up open, to try again.
        const refusedTo = action === 'resume' ? resumePanel(cardId, tokenId) : page;
        try {
          if (action === 'resume' && options.idpStepUp) {
            // Only a saved card of theirs is worth the trip to the bank's sign-in: else not found, here.
            const tokens = await tokenManagement.list(principal.cardholderId, cardId);
            if (!tokens.some((t) => t.id === tokenId)) {
              throw new PushprovError('TOKEN_NOT_FOUND', 'no such saved card', { status: 404 });
            }
            return await options.idpStepUp(request, reply, principal, { action: 'resume', cardId, tokenId });
          }
          if (action === 'resume') await stepUp(request, principal);
          return reply.redirect(
            await changeSavedCard(tokenManagement, principal, { cardId, tokenId, action }, confirmWaitMs),
            303,
          );
        } catch (error) {
          return backWithProblem(reply, refusedTo, error);
        }
      },
    );

    // The ops dashboard's forms are the script's; without it their POST changes nothing and comes back.
    app.post('/ops', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ops', 303));

    // Security: a passkey is made by the browser, so adding one needs the script; removing one is a form.
    // With the bank's provider none is added here: it confirms the cardholder its own way.
    if (!options.idpStepUp) {
      app.post(
        '/app/security/passkeys',
        { onRequest: guards.requireCardholder, schema: { hide: true } },
        async (request, reply) => {
          assertSameOrigin(request, origin);
          return backWithProblem(reply, '/app/security', needsScript());
        },
      );
    }
    app.post(
      '/app/security/passkeys/remove',
      { onRequest: guards.requireCardholder, schema: { hide: true } },
      async (request, reply) => {
        assertSameOrigin(request, origin);
        const principal = cardholderOf(request);
        const passkeyId = field(request, 'passkey');
        try {
          if (options.idpStepUp) {
            if (!(await auth.passkeys.list(principal)).some((p) => p.id === passkeyId)) {
              throw new PushprovError('PASSKEY_NOT_FOUND', 'no such passkey', { status: 404 });
            }
            return await options.idpStepUp(request, reply, principal, {
              action: 'remove-passkey',
              passkeyId,
            });
          }
          const grant = await stepUp(request, principal);
          await auth.passkeys.remove(principal, grant, passkeyId);
          return reply.redirect('/app/security?done=removed', 303);
        } catch (error) {
          return backWithProblem(reply, '/app/security', error);
        }
      },
    );
  };
}
