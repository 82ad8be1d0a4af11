import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PushprovError } from '../core/errors.js';
import { html } from '../core/html.js';
import {
  clearSessionCookie,
  cookieValue,
  type SessionCookie,
  sessionCookieFor,
  setSessionCookie,
} from '../http/auth/credentials.js';
import type { AuthGuards } from '../http/auth/guards.js';
import type { Principal } from '../service/auth/identity.js';
import type { Auth, OidcAuth } from '../service/auth/index.js';
import { FLOW_TTL_MS } from '../service/auth/oidc/code-flow.js';
import type { SessionService } from '../service/auth/sessions.js';
import type { ProvisioningService } from '../service/provisioning/index.js';
import type { TokenManagement } from '../service/tokens/management.js';
import {
  backWithProblem,
  changeSavedCard,
  consentPage,
  pushFromForm,
  resumePanel,
  type StepUpAction,
} from './forms.js';
import { chooseLanguage, translator } from './i18n.js';
import { sendPage } from './layout.js';
import { safeNext } from './next.js';
import { pageErrorHandler } from './pages.js';

/**
 * The bank pages with the bank's identity provider: `/app/signin` sends the
 * browser to it (authorization code flow with PKCE), `/app/oidc/callback`
 * takes it back. A sign-in then holds a pushprov session, as after the demo
 * sign-in; a step-up (a consent, a resume, a passkey's removal) comes back
 * with the SCA grant and its action is done. The flow's state rides in its
 * own sealed cookie (src/service/auth/oidc/code-flow.ts); the callback's query
 * (code, state) is never logged, as no page query is.
 */
export interface WebOidcOptions {
  auth: Pick<Auth, 'identity' | 'grants' | 'passkeys' | 'issuerPublicUrl'> & {
    oidc: OidcAuth;
    sessions: SessionService;
  };
  guards: Pick<AuthGuards, 'cookie'>;
  provisioning: Pick<ProvisioningService, 'push'>;
  tokenManagement: Pick<TokenManagement, 'change' | 'list'>;
  /** How long a resume waits for Mastercard's confirmation before the page says it is asked. */
  confirmWaitMs?: number;
}

/** What the step-up page says happens once the cardholder has confirmed at the bank. */
const AFTER_STEP_UP: Record<StepUpAction['action'], string> = {
  push: 'You confirm it is you at the bank’s sign-in; then the card is added.',
  resume: 'You confirm it is you at the bank’s sign-in; then your card can be used there again.',
  'remove-passkey': 'You confirm it is you at the bank’s sign-in; then the passkey is removed.',
};

/** The pending action as the sealed flow brought it back (the web layer's own, sealed: only its shape is checked). */
function pendingAction(pending: Record<string, string>): StepUpAction | undefined {
  const {
    action,
    cardId = '',
    tokenRequestorId = '',
    idempotencyKey = '',
    tokenId = '',
    passkeyId = '',
  } = pending;
  if (action === 'push') return { action, cardId, tokenRequestorId, idempotencyKey };
  if (action === 'resume') return { action, cardId, tokenId };
  if (action === 'remove-passkey') return { action, passkeyId };
  return undefined;
}

/** Where a refused step-up comes back to, saying why: the page it started from. */
function startedFrom(action: StepUpAction): string {
  if (action.action === 'push') return consentPage(action.cardId, action.tokenRequestorId);
  if (action.action === 'resume') return resumePanel(action.cardId, action.tokenId);
  return '/app/security';
}

// Bounded, and open to what else a provider adds (`iss`, `session_state`…).
const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
});

export function webOidc(options: WebOidcOptions): {
  plugin: FastifyPluginAsync;
  stepUp: (
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    action: StepUpAction,
  ) => Promise<FastifyReply>;
} {
  const { auth, guards, provisioning, tokenManagement } = options;
  const confirmWaitMs = options.confirmWaitMs ?? 10_000;
  const { codeFlow } = auth.oidc;
  const flowCookie: SessionCookie = sessionCookieFor(auth.issuerPublicUrl, 'oidc_flow');
  const base = auth.issuerPublicUrl.replace(/\/$/, '');

  // The flow's sealed state, for the callback in this browser only.
  const keepFlow = (reply: FastifyReply, sealed: string) =>
    setSessionCookie(reply, flowCookie, sealed, new Date(Date.now() + FLOW_TTL_MS));

  // The page's session a step-up returns to; none (ended meanwhile): sign in again, the callback not kept as
  // where to go next (its code is spent, and is no `next` to carry around).
  const signedIn = async (request: FastifyRequest): Promise<Principal | undefined> => {
    const token = request.headers.cookie && cookieValue(request.headers.cookie, guards.cookie.name);
    return token ? auth.identity.identify(token).catch(() => undefined) : undefined;
  };

  // The action a strong step-up was for, done with its grant; where the browser goes next.
  const done = async (action: StepUpAction, principal: Principal, grant: string): Promise<string> => {
    switch (action.action) {
      case 'push':
        return pushFromForm(provisioning, principal, action);
      case 'resume':
        return changeSavedCard(tokenManagement, principal, { ...action, action: 'resume' }, confirmWaitMs);
      case 'remove-passkey':
        await auth.passkeys.remove(principal, grant, action.passkeyId);
        return '/app/security?done=removed';
    }
  };

  const plugin: FastifyPluginAsync = async (app) => {
    app.setErrorHandler(pageErrorHandler);

    app.get(
      '/app/signin',
      {
        schema: {
          hide: true,
          querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 256 })) }),
        },
      },
      async (request, reply) => {
        const next = safeNext((request.query as { next?: string }).next);
        const started = await codeFlow.start({ kind: 'sign-in', ...(next !== undefined && { next }) });
        keepFlow(reply, started.sealed);
        return reply.redirect(started.url, 303);
      },
    );

    app.get(
      '/app/oidc/callback',
      { schema: { hide: true, querystring: CallbackQuery } },
      async (request, reply) => {
        const sealed = request.headers.cookie && cookieValue(request.headers.cookie, flowCookie.name);
        clearSessionCookie(reply, flowCookie);
        const completed = await codeFlow.complete(new URL(request.url, `${base}/`), sealed || undefined);
        if (completed.kind === 'sign-in') {
          const started = await auth.sessions.start(completed.cardholderId);
          setSessionCookie(reply, guards.cookie, started.token, started.expiresAt);
          request.log.info(
            { cardholderId: completed.cardholderId, sessionId: started.principal.sessionId },
            'cardholder signed in at the identity provider',
          );
          return reply.redirect(completed.next ?? '/app/cards', 303);
        }
        const action = pendingAction(completed.pending);
        if (!action) throw new PushprovError('NOT_FOUND', 'no such step-up', { status: 404 });
        const principal = await signedIn(request);
        if (!principal) return reply.redirect('/app/signin', 303);
        try {
          // Another cardholder, another session, a weak or stale sign-in: refused here, nothing done.
          const grant = await codeFlow.grant(completed, principal);
          await auth.grants.check(grant.token, principal);
          return reply.redirect(await done(action, principal, grant.token), 303);
        } catch (error) {
          // Back where it started, saying why (not strong or recent enough, a card no longer eligible…).
          return backWithProblem(reply, startedFrom(action), error);
        }
      },
    );
  };

  return {
    plugin,
    // A form's answer may not redirect to another origin (CSP `form-action 'self'`), so the form
    // is answered with a page leading to the provider, followed at once by the page script.
    stepUp: async (request, reply, principal, action) => {
      const started = await codeFlow.start({ kind: 'step-up', principal, pending: { ...action } });
      keepFlow(reply, started.sealed);
      const lang = chooseLanguage(request.headers['accept-language']);
      const t = translator(lang);
      return sendPage(
        reply,
        { title: 'Confirm it is you', page: 'step-up', signedIn: true, lang },
        html`<h1>${t('Confirm it is you')}</h1>
<p>${t(AFTER_STEP_UP[action.action])}</p>
<div class="button-row"><a class="btn" id="step-up" href="${started.url}">${t('Continue to the bank’s sign-in')}</a></div>`,
      );
    },
  };
}
