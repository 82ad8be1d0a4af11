import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorSchema } from '../../src/simulator/token-connect/tables.js';
import { CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

const DEMO_SHOP = '50182375119';

/**
 * JSON bodies are taken as typed (issue 14, finding 4): a push whose consent
 * is `"true"`, `1` or `[true]`, whose cardIds is a bare string, or whose
 * token requestor id is a number, is refused with VALIDATION_FAILED before
 * anything is pushed, where Fastify's default coercion used to make each a
 * real push.
 */
describe('type-coerced JSON bodies on the issuer', { timeout: 120_000 }, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;
  const pushesAtMastercard = async () =>
    Number(
      (
        await (stack.running.database.db as Kysely<SimulatorSchema>)
          .selectFrom('mc_push_requests')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    stack = await startStack();
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const cards = await alice.call('GET', '/v1/cards');
    cardId = (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible)?.id ?? '';
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('refuses each coerced push body with 400 VALIDATION_FAILED and pushes nothing', async () => {
    const valid = { cardIds: [cardId], tokenRequestorId: DEMO_SHOP, consent: true };
    const bodies: [string, unknown][] = [
      ['consent "true"', { ...valid, consent: 'true' }],
      ['consent 1', { ...valid, consent: 1 }],
      ['consent [true]', { ...valid, consent: [true] }],
      ['cardIds as a bare string', { ...valid, cardIds: cardId }],
      ['a number for the token requestor id', { ...valid, tokenRequestorId: Number(DEMO_SHOP) }],
    ];
    let n = 0;
    for (const [name, body] of bodies) {
      const res = await alice.call('POST', '/v1/provisionings', body, {
        'idempotency-key': `strict-body-${++n}`,
        'pushprov-sca-grant': alice.grant,
      });
      expect([res.status, (res.body.error as { code?: string } | undefined)?.code], name).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    }
    expect((await alice.call('GET', '/v1/provisionings')).body.provisionings).toEqual([]);
    expect(await pushesAtMastercard()).toBe(0);

    // The same push, typed as the API defines it, goes through.
    const pushed = await alice.push([cardId], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    expect(await pushesAtMastercard()).toBe(1);
  });

  it('refuses a password or one-time code sent as a number', async () => {
    const signIn = await new CardholderClient(stack.issuer).call('POST', '/v1/session', {
      username: DEMO.bob.username,
      password: 12345678,
    });
    expect([signIn.status, (signIn.body.error as { code?: string }).code]).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    const code = await alice.call('POST', '/v1/sca/totp/verify', { code: 123456 });
    expect([code.status, (code.body.error as { code?: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
