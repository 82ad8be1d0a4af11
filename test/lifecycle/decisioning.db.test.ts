import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevKeys, loadDevKeys } from '../../src/mastercard/keys/generate.js';
import type { PreDigitizationSchema } from '../../src/simulator/pre-digitization/tables.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';
import { tokenizeTypedIn } from '../support/typed-in.js';

const DEMO_SHOP = '50182375119';
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
) as {
  cardholders: { externalRef: string; cards: { pan: string; expiryMonth: number; expiryYear: number }[] }[];
};
const aliceCard = fixture.cardholders.find((c) => c.externalRef === 'demo-alice')!.cards[0]!;

interface AuditEntry {
  action: string;
  subject: string;
  outcome: string;
  details: Record<string, unknown>;
}

/**
 * MDES asks the issuer before every tokenization of its cards (Authorize
 * Service, over mutual TLS): the push the issuer made is approved with
 * nothing more asked of the cardholder, anything else follows the issuer's
 * policy — declined, or held by MDES until the cardholder confirms it was
 * them in the bank — and an issuer that does not answer gets MDES's stand-in
 * decision. Whole stack over real HTTP.
 */
describe('tokenization decisions', { timeout: 120_000 }, () => {
  let stack: Stack;
  let keys: DevKeys;

  beforeAll(async () => {
    stack = await startStack();
    keys = await loadDevKeys(stack.keysDir);
  }, 120_000);
  afterAll(async () => stack?.stop());

  /** The issuer's audited decisions on tokenizations of cards typed in (not pushed). */
  const typedInDecisions = async (target: Stack) =>
    (
      await (target.running.database.db as Kysely<IssuerSchema>)
        .selectFrom('audit_log')
        .select(['outcome', 'details'])
        .where('action', '=', 'tokenization.decided')
        .execute()
    ).filter((e) => (e.details as { source?: string } | null)?.source === 'ACCOUNT_ADDED_MANUALLY');
  const aliceId = async (target: Stack) => {
    const alice = new CardholderClient(target.issuer);
    await alice.signIn(DEMO.alice);
    return (await alice.call('GET', '/v1/session')).body.cardholderId as string;
  };

  it('approves the tokenization of its own push, then hears of the token: the saved card is active', async () => {
    const alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const cardId = (
      (await alice.call('GET', '/v1/cards')).body.cards as { id: string; lastFour: string }[]
    ).find((c) => c.lastFour === '4444')!.id;
    const pushed = await alice.push([cardId], DEMO_SHOP);
    expect(pushed.status).toBe(201);
    const saved = await atTokenRequestor(pushed.body.redirectUrl as string);
    expect(saved.page).toContain('Card saved');

    // The decision is audited against the push, with no card data.
    const history = (await (
      await fetch(`${stack.issuer}/v1/ops/cardholders/${await aliceId(stack)}/history`, {
        headers: { authorization: `Bearer ${stack.opsKey}` },
      })
    ).json()) as { audit: AuditEntry[] };
    const decided = history.audit.filter(
      (e) => e.action === 'tokenization.decided' && e.subject === pushed.body.id,
    );
    expect(decided).toMatchObject([
      { outcome: 'APPROVED', details: { reasonCode: 'ISSUER_PUSH', tokenRequestorId: DEMO_SHOP, cardId } },
    ]);
    expect(JSON.stringify(history)).not.toContain(aliceCard.pan);

    await vi.waitFor(
      async () =>
        expect((await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens).toMatchObject([
          { status: 'ACTIVE', tokenRequestorId: DEMO_SHOP },
        ]),
      { timeout: 10_000 },
    );
  });

  it('declines a card the shopper typed in at a merchant, by default, and audits it', async () => {
    const answer = await tokenizeTypedIn(stack, keys, aliceCard);
    expect(answer.status).toBe(200);
    expect(answer.body.decision).toBe('DECLINED');
    expect(answer.body.tokenUniqueReference).toBeUndefined();
    expect(await typedInDecisions(stack)).toMatchObject([
      { outcome: 'DECLINED', details: { reasonCode: 'NOT_PUSHED_BY_ISSUER', tokenRequestorId: DEMO_SHOP } },
    ]);
  });

  it('asks for more authentication under that policy: MDES holds the token until the cardholder confirms it in the bank', async () => {
    const strict = await startStack({ PUSHPROV_UNMATCHED_TOKENIZATION: 'additional-authentication' });
    try {
      const answer = await tokenizeTypedIn(strict, await loadDevKeys(strict.keysDir), aliceCard);
      // MDES for Merchants: the token exists, inactive; no authentication methods go to the merchant.
      expect(answer.body).toMatchObject({ decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION' });
      expect(answer.body.authenticationMethods).toBeUndefined();
      const tokenUniqueReference = answer.body.tokenUniqueReference as string;
      expect(tokenUniqueReference).toMatch(/^DWSPMC/);
      expect(await typedInDecisions(strict)).toMatchObject([
        { outcome: 'REQUIRE_ADDITIONAL_AUTHENTICATION', details: { reasonCode: 'NOT_PUSHED_BY_ISSUER' } },
      ]);
      const mdesStatus = async () =>
        (
          await sql<{
            status: string;
          }>`select status from mc_tokens where token_unique_reference = ${tokenUniqueReference}`.execute(
            strict.running.database.db,
          )
        ).rows[0]?.status;
      expect(await mdesStatus()).toBe('INACTIVE');

      // In the bank: the request waits for Alice; confirming needs a fresh strong authentication.
      const alice = new CardholderClient(strict.issuer);
      await alice.signIn(DEMO.alice);
      const cardId = (
        (await alice.call('GET', '/v1/cards')).body.cards as { id: string; lastFour: string }[]
      ).find((c) => c.lastFour === aliceCard.pan.slice(-4))!.id;
      const waiting = await alice.call('GET', `/v1/cards/${cardId}/activations`);
      expect(waiting.body.activations).toMatchObject([{ tokenUniqueReference, tokenRequestorId: DEMO_SHOP }]);
      const path = `/v1/cards/${cardId}/activations/${tokenUniqueReference}/confirm`;
      const refused = await alice.call('POST', path);
      expect(refused.status, JSON.stringify(refused.body)).toBe(401);
      expect(await mdesStatus()).toBe('INACTIVE');
      await alice.stepUp(DEMO.alice.totpSecret);
      const confirmed = await alice.call('POST', path, undefined, { 'pushprov-sca-grant': alice.grant });
      expect(confirmed.status).toBe(202);

      // MDES activates it (Customer Service) and says so (Notify Service Activated): Alice sees it saved.
      await vi.waitFor(
        async () => {
          const tokens = (await alice.call('GET', `/v1/cards/${cardId}/tokens`)).body.tokens as {
            status: string;
            tokenRequestorId: string;
          }[];
          expect(tokens).toMatchObject([{ status: 'ACTIVE', tokenRequestorId: DEMO_SHOP }]);
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(await mdesStatus()).toBe('ACTIVE');
      expect((await alice.call('GET', `/v1/cards/${cardId}/activations`)).body.activations).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('has MDES stand in when the issuer does not answer: declined by default, or as configured', async () => {
    for (const [standIn, decision] of [
      ['DECLINED', 'DECLINED'],
      ['APPROVED', 'APPROVED'],
    ] as const) {
      const unreachable = await startStack({ PUSHPROV_SIMULATOR_STAND_IN: standIn });
      try {
        // MDES is told to ask an address where no issuer listens.
        await sql`update mc_clients set pre_digitization_url = 'https://127.0.0.1:9/issuerServices/1/0'
          where pre_digitization_url is not null`.execute(unreachable.running.database.db);
        const answer = await tokenizeTypedIn(unreachable, await loadDevKeys(unreachable.keysDir), aliceCard);
        expect(answer.body.decision).toBe(decision);
        // Approved alone, MDES creates the token for the typed-in card.
        if (decision === 'APPROVED') expect(answer.body.tokenUniqueReference).toMatch(/^DWSPMC/);
        const recorded = await (unreachable.running.database.db as Kysely<PreDigitizationSchema>)
          .selectFrom('mc_tokenization_decisions')
          .select(['decision', 'decided_by', 'reason_code', 'source'])
          .execute();
        expect(recorded).toEqual([
          {
            decision,
            decided_by: 'STAND_IN',
            reason_code: 'ISSUER_NOT_REACHABLE',
            source: 'ACCOUNT_ADDED_MANUALLY',
          },
        ]);
      } finally {
        await unreachable.stop();
      }
    }
  });
});
