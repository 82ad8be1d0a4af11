import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_MERCHANT_CONSUMER_KEY } from '../../src/cli/parts/mastercard-side.js';
import { type DevKeys, loadDevKeys } from '../../src/mastercard/keys/generate.js';
import { signedPost } from '../../src/mastercard/oauth/signed-post.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import type { DecisioningSchema } from '../../src/simulator/decisioning/tables.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';

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
 * MDES asks the issuer before every tokenization of its cards: the push
 * the issuer made is approved with nothing more asked of the cardholder,
 * anything else follows the issuer's policy, and an issuer that does not
 * answer gets MDES's stand-in decision. Whole stack over real HTTP.
 */
describe('tokenization decisions', { timeout: 120_000 }, () => {
  let stack: Stack;
  let keys: DevKeys;

  beforeAll(async () => {
    stack = await startStack();
    keys = await loadDevKeys(stack.keysDir);
  }, 120_000);
  afterAll(async () => stack?.stop());

  /** The demo merchant's own MDES tokenize call for a card the shopper typed in (no push). */
  async function tokenizeTypedIn(target: Stack, devKeys: DevKeys) {
    const encrypted = new FieldLevelPayloadEncrypter({
      encryptionKey: devKeys.mastercardEncryption.certificate ?? devKeys.mastercardEncryption.publicKey,
    }).encrypt(
      JSON.stringify({
        cardAccountData: {
          accountNumber: aliceCard.pan,
          expiryMonth: String(aliceCard.expiryMonth).padStart(2, '0'),
          expiryYear: String(aliceCard.expiryYear % 100).padStart(2, '0'),
        },
      }),
    );
    const response = await signedPost(
      `${target.simulator}/mdes/digitization/static/1/0/tokenize`,
      JSON.stringify({
        requestId: `typed-${Date.now()}`,
        tokenType: 'CLOUD',
        tokenRequestorId: DEMO_SHOP,
        taskId: `task-${Date.now()}`,
        fundingAccountInfo: { encryptedPayload: encrypted },
      }),
      {
        signer: new OAuthSigner({
          consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
          signingKey: devKeys.merchantSigning.privateKey,
        }),
        timeoutMs: 10_000,
      },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** The issuer's audited decisions on tokenizations of cards typed in (not pushed). */
  const typedInDecisions = async (target: Stack) =>
    (
      await (target.running.database.db as Kysely<IssuerSchema>)
        .selectFrom('audit_log')
        .select(['outcome', 'details'])
        .where('action', '=', 'tokenization.decided')
        .execute()
    ).filter((e) => (e.details as { source?: string } | null)?.source === 'CARD_ADDED_MANUALLY');
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
    const answer = await tokenizeTypedIn(stack, keys);
    expect(answer.status).toBe(200);
    expect(answer.body.decision).toBe('DECLINED');
    expect(answer.body.tokenUniqueReference).toBeUndefined();
    expect(await typedInDecisions(stack)).toMatchObject([
      { outcome: 'DECLINED', details: { reasonCode: 'NOT_PUSHED_BY_ISSUER', tokenRequestorId: DEMO_SHOP } },
    ]);
  });

  it('asks for more authentication under that policy', async () => {
    const strict = await startStack({ PUSHPROV_UNMATCHED_TOKENIZATION: 'additional-authentication' });
    try {
      const answer = await tokenizeTypedIn(strict, await loadDevKeys(strict.keysDir));
      expect(answer.body).toMatchObject({
        decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
        authenticationMethods: [{ id: 1, type: 'ISSUER_APP', value: `${strict.issuer}/app` }],
      });
      expect(answer.body.tokenUniqueReference).toBeUndefined();
      expect(await typedInDecisions(strict)).toMatchObject([
        { outcome: 'REQUIRE_ADDITIONAL_AUTHENTICATION' },
      ]);
    } finally {
      await strict.stop();
    }
  });

  it('has MDES stand in when the issuer does not answer: declined by default, or as configured', async () => {
    // MDES is told to ask an address where no issuer listens.
    for (const [standIn, decision] of [
      ['DECLINED', 'DECLINED'],
      ['APPROVED', 'APPROVED'],
    ] as const) {
      const unreachable = await startStack({
        PUSHPROV_ISSUER_URL: 'http://127.0.0.1:9',
        PUSHPROV_SIMULATOR_STAND_IN: standIn,
      });
      try {
        const answer = await tokenizeTypedIn(unreachable, await loadDevKeys(unreachable.keysDir));
        expect(answer.body.decision).toBe(decision);
        // Approved alone, MDES creates the token for the typed-in card.
        if (decision === 'APPROVED') expect(answer.body.tokenUniqueReference).toMatch(/^DWSPMC/);
        const recorded = await (unreachable.running.database.db as Kysely<DecisioningSchema>)
          .selectFrom('mc_tokenization_decisions')
          .select(['decision', 'decided_by', 'reason_code', 'source'])
          .execute();
        expect(recorded).toEqual([
          {
            decision,
            decided_by: 'STAND_IN',
            reason_code: 'ISSUER_NOT_REACHABLE',
            source: 'CARD_ADDED_MANUALLY',
          },
        ]);
      } finally {
        await unreachable.stop();
      }
    }
  });
});
