import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/** Use case 1 as `npm start` runs it: push, enrolment at Click to Pay, MDES's notification, result by polling. */
describe('Click to Pay end to end', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('enrols an eligible card with the reviewed details and reports completion without leaving the bank', async () => {
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
    expect(pushed.body).toMatchObject({ destination: 'click_to_pay' });
    expect(pushed.body.redirectUrl).toBeUndefined();

    let state = pushed.body.state;
    for (let i = 0; i < 100 && state !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await alice.call('GET', `/v1/provisionings/${pushed.body.id}`)).body.state;
    }
    expect(state).toBe('completed');
    const view = await alice.call('GET', `/v1/provisionings/${pushed.body.id}`);
    expect(view.body.cards).toEqual([{ cardId: card?.id, state: 'completed', errorCode: null }]);
  });
});
