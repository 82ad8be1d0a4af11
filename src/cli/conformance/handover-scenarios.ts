import {
  PUSH_ACCOUNT_DATA,
  pushUrl,
  readHandover,
  readResults,
} from '../../mastercard/token-connect/handover.js';
import type { PushMultipleAccountsResponse } from '../../mastercard/token-connect/types.js';
import { CLICK_TO_PAY_TOKEN_REQUESTOR_ID } from '../../simulator/token-connect/catalogue.js';
import { check, sameJson } from './checks.js';
import type { ScenarioContext } from './context.js';
import { CALLBACK_URL, push, receiptsOf } from './pushes.js';
import type { Scenario } from './scenarios.js';

/**
 * The two browser hops around a push (MDESRQ, Dec 2021, "Communication
 * specifications"): the handover link the issuer builds from MDES's answer,
 * in both forms, and the return to the issuer's callback with one result per
 * receipt. The handover scenarios read only MDES's answer and key, so they
 * run against the sandbox too; the return needs a token requestor page to
 * click through, which only the simulator serves.
 */
export const HANDOVER_SCENARIOS: readonly Scenario[] = [
  {
    number: 40,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'handover, signed form: pushAccountData alone, and the JWS verifies to the receipts and the callback',
    needs: ['pushSigningKey'],
    async run(ctx) {
      const accounts = [
        ctx.account('pa-1', ctx.data.cards.credit),
        ctx.account('pa-2', ctx.data.cards.credit2),
      ];
      const answer = await push(ctx, accounts, { signatureData: { callbackURL: CALLBACK_URL } });
      const receipts = receiptsOf(answer, accounts);
      const web = webUri(answer);
      check(answer.signature, 'no signature to hand over');
      const link = new URL(pushUrl(web, { jws: answer.signature }));
      check(
        sameJson([...link.searchParams.keys()], [PUSH_ACCOUNT_DATA]),
        'the link carries more than pushAccountData',
      );
      const received = readHandover(link.searchParams);
      check(received.form === 'signed', 'the link is not read as the signed form');
      const signed = await ctx.verifyPush(received.jws);
      check(
        sameJson(signed.pushAccountReceipts, receipts),
        'the signed receipts are not the receipts returned',
      );
      check(signed.callbackURL === CALLBACK_URL, 'the signed callback URL is not the one sent');
    },
  },
  {
    number: 41,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'handover, unsigned form: comma-separated receipts and the URL-encoded callback, read back the same',
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const answer = await push(ctx, accounts, {
        tokenRequestorId: ctx.data.tokenRequestors.singleCardWithoutSignature,
        signatureData: { callbackURL: CALLBACK_URL },
      });
      const receipts = receiptsOf(answer, accounts);
      check(answer.signature === undefined, 'a token requestor without signature support got a signature');
      const handover = {
        pushAccountReceipts: receipts,
        callbackURL: CALLBACK_URL,
        accountHolderDataSupplied: false,
      };
      const link = pushUrl(webUri(answer), handover);
      check(
        link.includes(`callbackURL=${encodeURIComponent(CALLBACK_URL)}`),
        'the callback URL is not URL-encoded',
      );
      const received = readHandover(new URL(link).searchParams);
      check(
        received.form === 'unsigned' && sameJson(received.handover, handover),
        'the link does not read back',
      );
    },
  },
  {
    number: 42,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'return, signed form: Click to Pay sends the cardholder back with results[receipt]=APPROVED|token',
    needs: ['tokenRequestorPages'],
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit, { accountHolderData: HOLDER })];
      const answer = await push(ctx, accounts, {
        tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
        signatureData: { callbackURL: CALLBACK_URL, accountHolderDataSupplied: true },
      });
      const [receipt] = receiptsOf(answer, accounts);
      check(answer.signature, 'Click to Pay got no signature');
      const back = await clickThrough(ctx, pushUrl(webUri(answer), { jws: answer.signature }));
      check(back.startsWith(`${CALLBACK_URL}&results`), `not sent back to the callback URL: ${back}`);
      const [result] = readResults(new URL(back).searchParams);
      check(result, 'no result came back');
      check(
        result.receipt === receipt && result.result === 'APPROVED',
        'the result is not APPROVED for the receipt',
      );
      check(result.tokenUniqueReference, 'APPROVED names no token');
    },
  },
  {
    number: 43,
    operation: 'pushMultipleAccounts',
    source: 'spec',
    name: 'return, unsigned form: a stand-in token requestor sends the cardholder back with CANCELLED',
    needs: ['tokenRequestorPages'],
    async run(ctx) {
      const accounts = [ctx.account('pa-1', ctx.data.cards.credit)];
      const answer = await push(ctx, accounts, {
        tokenRequestorId: ctx.data.tokenRequestors.singleCardWithoutSignature,
        signatureData: { callbackURL: CALLBACK_URL },
      });
      const [receipt = ''] = receiptsOf(answer, accounts);
      const page = await ctx.page(
        pushUrl(webUri(answer), { pushAccountReceipts: [receipt], callbackURL: CALLBACK_URL }),
      );
      const text = await page.text();
      check(page.status === 200, `the token requestor page answered HTTP ${page.status}`);
      const back = /Return to your bank: (\S+)/.exec(text)?.[1] ?? '';
      check(
        sameJson(readResults(new URL(back).searchParams), [{ receipt, result: 'CANCELLED' }]),
        'the way back does not carry CANCELLED for the receipt',
      );
    },
  },
];

const HOLDER = {
  accountHolderName: 'CONFORMANCE TEST',
  accountHolderEmailAddress: 'conformance@example.com',
};

function webUri(answer: PushMultipleAccountsResponse): string {
  const web = (answer.availablePushMethods ?? []).find((m) => m.type === 'WEB');
  check(web, 'no WEB push method to send a browser to');
  return web.uri;
}

/** A browser at a token requestor page: lands, submits its first form, and returns where it is sent. */
async function clickThrough(ctx: ScenarioContext, link: string): Promise<string> {
  const landing = await ctx.page(link);
  check(landing.status === 200, `the token requestor page answered HTTP ${landing.status}`);
  const html = await landing.text();
  const cookie = landing.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const form = /<form method="post" action="([^"]+)">(.*?)<\/form>/s.exec(html);
  check(form, 'the page has no form to submit');
  const fields = new URLSearchParams();
  for (const m of (form[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g))
    fields.append(m[1] ?? '', (m[2] ?? '').replace(/&amp;/g, '&'));
  const posted = await ctx.page(new URL(form[1] ?? '', link).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: fields.toString(),
  });
  check(posted.status === 303, `the page answered the form with HTTP ${posted.status}, not a redirect`);
  return posted.headers.get('location') ?? '';
}
