import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const CLICK_TO_PAY = '50123197928';

/**
 * The issuer cannot answer MDES's question while the cardholder is at Click
 * to Pay: MDES stands in (declined by default), Click to Pay sends the
 * cardholder back with DECLINED, and the bank's page says so at once instead
 * of "in progress" until the receipts run out.
 */
describe('MDES standing in for an issuer that does not answer', { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // MDES is told to ask an address where nothing listens; the bank's pages stay up.
    await sql`update mc_clients set pre_digitization_url = 'https://127.0.0.1:9/issuerServices/1/0'
      where pre_digitization_url is not null`.execute(stack.running.database.db);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('shows the cardholder the decline as soon as Click to Pay sends them back', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const card = (
      (await alice.call('GET', '/v1/cards')).body.cards as { id: string; clickToPay: boolean }[]
    ).find((c) => c.clickToPay);
    const pushed = await alice.push([card?.id ?? ''], CLICK_TO_PAY);
    const back = await atTokenRequestor(pushed.body.redirectUrl as string);
    const view = (await alice.call('GET', back.callbackUrl ?? '')).body;
    expect(view).toMatchObject({
      state: 'failed',
      cards: [{ state: 'failed', errorCode: 'TOKENIZATION_DECLINED', reportedResult: 'DECLINED' }],
    });
    const page = String((await alice.call('GET', `/app/provisionings/${pushed.body.id}`)).body);
    expect(page).toContain('data-code="TOKENIZATION_DECLINED"');
    // MDES recorded that it decided in the issuer's place.
    const { rows } = await sql<{ decided_by: string; decision: string }>`
      select decided_by, decision from mc_tokenization_decisions`.execute(stack.running.database.db);
    expect(rows).toEqual([{ decided_by: 'STAND_IN', decision: 'DECLINED' }]);
    // Ops see that Mastercard declined it without asking the bank.
    const stats = (await (
      await fetch(`${stack.issuer}/v1/ops/provisioning-stats`, {
        headers: { authorization: `Bearer ${stack.opsKey}` },
      })
    ).json()) as { failures: { id: string; errorCode: string; declinedBy?: string }[] };
    expect(stats.failures.find((f) => f.id === pushed.body.id)).toMatchObject({
      errorCode: 'TOKENIZATION_DECLINED',
      declinedBy: 'mastercard',
    });
  });

  it('tells ops the bank declined when its own answer did: a card blocked between the push and the redemption', async () => {
    // MDES reaches the issuer again.
    await sql`update mc_clients set pre_digitization_url = ${stack.running.mdesUrl ?? ''}
      where pre_digitization_url is not null`.execute(stack.running.database.db);
    const bob = new CardholderClient(stack.issuer);
    await bob.signIn(DEMO.bob);
    await bob.stepUp(DEMO.bob.totpSecret);
    const card = (
      (await bob.call('GET', '/v1/cards')).body.cards as {
        id: string;
        clickToPay: boolean;
        externalRef?: string;
      }[]
    ).find((c) => c.clickToPay);
    const pushed = await bob.push([card?.id ?? ''], CLICK_TO_PAY);
    expect(pushed.status).toBe(201);
    await sql`update cards set status = 'blocked' where id = ${card?.id ?? ''}`.execute(
      stack.running.database.db,
    );
    const back = await atTokenRequestor(pushed.body.redirectUrl as string);
    const view = (await bob.call('GET', back.callbackUrl ?? '')).body;
    expect(view).toMatchObject({ state: 'failed', cards: [{ errorCode: 'TOKENIZATION_DECLINED' }] });
    const stats = (await (
      await fetch(`${stack.issuer}/v1/ops/provisioning-stats`, {
        headers: { authorization: `Bearer ${stack.opsKey}` },
      })
    ).json()) as { failures: { id: string; declinedBy?: string }[] };
    expect(stats.failures.find((f) => f.id === pushed.body.id)).toMatchObject({ declinedBy: 'issuer' });
  });
});
