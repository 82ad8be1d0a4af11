import { randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../core/html.js';
import {
  callbackWithResults,
  type Handover,
  HandoverError,
  type ReceiptResult,
  readHandover,
} from '../../mastercard/token-connect/handover.js';
import type { PushSignatureKeys } from '../../mastercard/token-connect/push-signature.js';
import { CLICK_TO_PAY_PUSH_PATH } from '../token-connect/catalogue.js';
import type { ClickToPay } from './enrolment.js';

export interface ClickToPayPagesOptions {
  clickToPay: Pick<ClickToPay, 'enrolAll'>;
  /** MDES's own signing key: Click to Pay runs inside Mastercard and holds it already. */
  signatures: Pick<PushSignatureKeys, 'verify'>;
  secureCookies?: boolean;
}

/**
 * The pages Click to Pay shows a cardholder its issuer sent over: what is
 * being added, "Add" or "Not now", and back to the bank's callback with one
 * result per receipt (MDESRQ p. 51). Changes are POSTs answered with a
 * redirect, so Back and reload never enrol twice; an enrolled receipt is
 * answered with its result again.
 */
export function clickToPayPages(options: ClickToPayPagesOptions): FastifyPluginAsync {
  return async (app) => {
    await app.register(cookie);
    await app.register(formbody);
    const cookieOptions = {
      httpOnly: true,
      sameSite: 'lax' as const,
      path: '/click-to-pay',
      secure: options.secureCookies === true,
    };
    const send = (reply: FastifyReply, status: number, body: SafeHtml) =>
      reply
        .code(status)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(page(body).toString());

    const handoverOf = async (query: URLSearchParams): Promise<Handover> => {
      const received = readHandover(query);
      return received.form === 'signed' ? options.signatures.verify(received.jws) : received.handover;
    };
    const refused = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
      if (!(error instanceof HandoverError)) throw error;
      request.log.warn({ problem: error.problem }, 'Click to Pay handover refused');
      return send(
        reply,
        400,
        html`<h1>We could not add your card</h1><p role="alert">The link from your bank could not be checked. Please start again from your bank.</p>`,
      );
    };
    /** The cardholder's way back: the bank's callback with the results, or Click to Pay's own end page. */
    const back = (reply: FastifyReply, handover: Handover, results: ReceiptResult[]) =>
      handover.callbackURL
        ? reply.redirect(callbackWithResults(handover.callbackURL, results), 303)
        : send(reply, 200, html`<h1>All done</h1><p role="status">You can close this window.</p>`);
    const posted = async (request: FastifyRequest) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const sent = typeof form.csrf === 'string' ? form.csrf : '';
      const expected = request.cookies.c2p_csrf ?? '';
      if (
        !sent ||
        sent.length !== expected.length ||
        !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))
      ) {
        throw new HandoverError('SIGNED_DATA_INVALID', 'CSRF');
      }
      return handoverOf(new URLSearchParams(typeof form.handover === 'string' ? form.handover : ''));
    };

    app.get(CLICK_TO_PAY_PUSH_PATH, async (request, reply) => {
      const query = new URL(request.url, 'http://click-to-pay').searchParams;
      let handover: Handover;
      try {
        handover = await handoverOf(query);
      } catch (error) {
        return refused(request, reply, error);
      }
      const csrf = randomBytes(18).toString('base64url');
      reply.setCookie('c2p_csrf', csrf, cookieOptions);
      const hidden = html`<input type="hidden" name="handover" value="${query.toString()}"><input type="hidden" name="csrf" value="${csrf}">`;
      const n = handover.pushAccountReceipts.length;
      return send(
        reply,
        200,
        html`<h1>Add ${n === 1 ? 'your card' : `${n} cards`} to Click to Pay</h1>
<p>Your bank is adding ${n === 1 ? 'a card' : 'cards'} to Click to Pay with the details you reviewed there. Pay online wherever you see the Click to Pay icon, without typing your card details.</p>
<form method="post" action="${CLICK_TO_PAY_PUSH_PATH}">${hidden}<button class="btn" type="submit">Add to Click to Pay</button></form>
<form method="post" action="${CLICK_TO_PAY_PUSH_PATH}/cancel">${hidden}<button class="btn secondary" type="submit">Not now — back to your bank</button></form>`,
      );
    });

    app.post(CLICK_TO_PAY_PUSH_PATH, async (request, reply) => {
      let handover: Handover;
      try {
        handover = await posted(request);
      } catch (error) {
        return refused(request, reply, error);
      }
      return back(reply, handover, await options.clickToPay.enrolAll(handover.pushAccountReceipts));
    });

    app.post(`${CLICK_TO_PAY_PUSH_PATH}/cancel`, async (request, reply) => {
      let handover: Handover;
      try {
        handover = await posted(request);
      } catch (error) {
        return refused(request, reply, error);
      }
      return back(
        reply,
        handover,
        handover.pushAccountReceipts.map((receipt) => ({ receipt, result: 'CANCELLED' as const })),
      );
    });
  };
}

const STYLE = html`body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#1a1f71;color:#fff;padding:1rem;font-weight:700}main{max-width:36rem;margin:1.5rem auto;padding:0 1rem}
.btn{background:#1a1f71;color:#fff;border:0;border-radius:.4rem;padding:.7rem 1.2rem;font-size:1rem;cursor:pointer}
.btn.secondary{background:#fff;color:#1a1f71;border:1px solid #1a1f71}form{display:inline-block;margin:.5rem .5rem 0 0}
button:focus{outline:3px solid #f59e0b;outline-offset:2px}`;

const page = (body: SafeHtml): SafeHtml => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Click to Pay</title><style>${STYLE}</style></head>
<body><header>Click to Pay <small>(simulated by pushprov)</small></header><main>${body}</main></body></html>`;
