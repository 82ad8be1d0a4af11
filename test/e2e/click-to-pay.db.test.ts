import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreDigitizationSchema } from '../../src/simulator/pre-digitization/tables.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { eventually } from '../support/eventually.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/** Use case 1 as `npm start` runs it: push, the cardholder at Click to Pay, back to the bank's callback, MDES's notification. */
describe('Click to Pay end to end', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('sends the cardholder to Click to Pay, which enrols the card and returns them with its result', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; clickToPay: boolean }[];
    const card = cards.find((c) => c.clickToPay);
    expect(card).toBeDefined();
    const consent = await alice.call('GET', `/v1/cards/${card?.id}/destinations/${CLICK_TO_PAY}/consent`);
    expect((consent.body.shared as { element: string }[]).map((s) => s.element)).toEqual([
      'NAME',
      'EMAIL_ADDRESS',
      'MOBILE_PHONE_NUMBER',
      'ADDRESS',
    ]);

    await alice.stepUp(DEMO.alice.totpSecret);
    const pushed = await alice.push([card?.id ?? ''], CLICK_TO_PAY);
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ destination: 'click_to_pay', state: 'receipt_issued' });
    // Click to Pay's WEB push URI, with MDES's signed push data (Click to Pay supports signatures).
    const link = new URL(pushed.body.redirectUrl as string);
    expect(`${link.origin}${link.pathname}`).toBe(`${stack.simulator}/click-to-pay/provision`);
    expect([...link.searchParams.keys()]).toEqual(['pushAccountData']);

    const atClickToPay = await atTokenRequestor(link.toString());
    expect(atClickToPay.landingStatus).toBe(200);
    expect(atClickToPay.landingPage).toContain('Add your card to Click to Pay');
    const back = atClickToPay.callbackUrl ?? '';
    expect(back.startsWith(`${stack.issuer}/v1/provisionings/${pushed.body.id}/callback?state=`)).toBe(true);
    expect((await alice.call('GET', back)).status).toBe(200);

    const view = await eventually(
      async () => (await alice.call('GET', `/v1/provisionings/${pushed.body.id}`)).body,
      (provisioning) => provisioning.state === 'completed',
    );
    expect(view.cards).toEqual([
      { cardId: card?.id, state: 'completed', errorCode: null, reportedResult: 'APPROVED' },
    ]);
    expect(view.redirectUrl).toBeUndefined();

    // Through the Pre-Digitization services over mutual TLS: MDES asked the issuer (Authorize Service), the
    // issuer approved its own push with nothing more asked and audited it, and MDES told it of the token
    // (Notify Service Activated), which is what completed the push.
    const db = stack.running.database.db as Kysely<IssuerSchema & PreDigitizationSchema>;
    const asked = await db
      .selectFrom('mc_tokenization_decisions')
      .select(['decision', 'decided_by', 'reason_code', 'source', 'token_unique_reference'])
      .where('token_requestor_id', '=', CLICK_TO_PAY)
      .execute();
    expect(asked).toEqual([
      {
        decision: 'APPROVED',
        decided_by: 'ISSUER',
        reason_code: 'APPROVED',
        source: 'ACCOUNT_ADDED_VIA_APPLICATION',
        token_unique_reference: expect.stringMatching(/^DWSPMC/),
      },
    ]);
    const audited = await db
      .selectFrom('audit_log')
      .select(['outcome', 'details'])
      .where('action', '=', 'tokenization.decided')
      .where('subject', '=', pushed.body.id as string)
      .execute();
    expect(audited).toMatchObject([
      {
        outcome: 'APPROVED',
        details: { reasonCode: 'ISSUER_PUSH', tokenRequestorId: CLICK_TO_PAY, cardId: card?.id },
      },
    ]);
    const heard = await db
      .selectFrom('mdes_notifications')
      .select(['message_type', 'outcome', 'token_unique_reference'])
      .where('provisioning_id', '=', pushed.body.id as string)
      .orderBy('received_at')
      .execute();
    expect(heard).toEqual([
      {
        message_type: 'authorizeService',
        outcome: 'APPROVED',
        token_unique_reference: asked[0]?.token_unique_reference,
      },
      {
        message_type: 'notifyServiceActivated',
        outcome: 'matched',
        token_unique_reference: asked[0]?.token_unique_reference,
      },
    ]);

    // Click to Pay holds the card in the consumer's profile.
    const profiles = (await (await fetch(`${stack.simulator}/click-to-pay/profiles`)).json()) as {
      profiles: string[];
    };
    expect(profiles.profiles.length).toBeGreaterThan(0);
  });
});
