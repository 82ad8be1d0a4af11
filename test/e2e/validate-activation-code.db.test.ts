import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { CustomerServiceClient } from '../../src/mastercard/customer-service/client.js';
import { loadDevKeys } from '../../src/mastercard/keys/generate.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { onPostgres } from '../support/database.js';
import { type Stack, startStack } from '../support/stack.js';
import { tokenizeTypedIn } from '../support/typed-in.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/demo-cards.json', import.meta.url), 'utf8'),
) as {
  cardholders: { externalRef: string; cards: { pan: string; expiryMonth: number; expiryYear: number }[] }[];
};
const aliceCard = fixture.cardholders.find((c) => c.externalRef === 'demo-alice')!.cards[0]!;
const AGENT = { UserId: 'agent-7', UserName: 'Bank agent', Organization: 'Demo Bank' };

/**
 * The simulated MDES driving the issuer's two remaining Pre-Digitization
 * services over mutual TLS, as `npm start` runs them: a card typed in at a
 * merchant is held (policy additional-authentication); MDES has the bank
 * make and send a code (Deliver Activation Code without one, the simulator
 * configured for issuer-made codes); the code the cardholder types in the
 * wallet goes to the bank's Validate Activation Code — wrong, then right —
 * and MDES activates the token, which reaches the bank with Notify Service
 * Activated. Then MDES reports suspicious ATCs on that token (Notify
 * Suspicious Events through its outbox), which the bank records.
 */
describe(`issuer-made activation codes and suspicious events, simulator to issuer over mTLS, on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let stack: Stack;
  const terminal: string[] = [];
  const db = () => stack.running.database.db as Kysely<IssuerSchema>;
  const ops = (path: string, body: unknown) =>
    fetch(`${stack.simulator}/_ops${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startStack(
      {
        PUSHPROV_UNMATCHED_TOKENIZATION: 'additional-authentication',
        PUSHPROV_SIMULATOR_ACTIVATION_CODES: 'issuer',
        PUSHPROV_SIMULATOR_FAULTS: 'true',
      },
      undefined,
      (line) => terminal.push(line),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('validates the code the cardholder typed with the bank, activates the token, then records suspicious events on it', async () => {
    const keys = await loadDevKeys(stack.keysDir);
    const held = await tokenizeTypedIn(stack, keys, aliceCard);
    expect(held.body.decision).toBe('REQUIRE_ADDITIONAL_AUTHENTICATION');
    const reference = held.body.tokenUniqueReference as string;

    const agent = new CustomerServiceClient({
      environment: { baseUrl: `${stack.simulator}/mdes/csapi/v2` },
      signer: new OAuthSigner({
        consumerKey: keys.consumerKey,
        signingKey: keys.issuerSigning.privateKey,
        clock: systemClock,
      }),
    });
    const byText = (await agent.activationMethods(reference, AGENT)).find(
      (m) => m.ActivationMethodType === 'SMS',
    );
    await agent.resendActivationCode({
      tokenUniqueReference: reference,
      activationMethodId: byText?.ActivationMethodId ?? '',
      auditInfo: AGENT,
    });
    // The bank made the code (MDES sent none) and "sent" it: the development sender shows it on the terminal.
    const code = terminal.map((line) => /^activation code for .+: (\d{6})$/.exec(line)?.[1]).find(Boolean);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';

    const refused = await ops(`/tokens/${reference}/activation-code`, { activationCode: wrong });
    expect(await refused.json()).toEqual({ result: 'INCORRECT_CODE', checkedBy: 'ISSUER' });
    const accepted = await ops(`/tokens/${reference}/activation-code`, { activationCode: code });
    expect(await accepted.json()).toEqual({ result: 'SUCCESS', checkedBy: 'ISSUER' });

    // MDES activated it and told the bank (Notify Service Activated): the bank's record of the token.
    await vi.waitFor(
      async () => {
        const token = await db()
          .selectFrom('tokens')
          .select(['id', 'status'])
          .where('token_unique_reference', '=', reference)
          .executeTakeFirst();
        expect(token?.status).toBe('ACTIVE');
      },
      { timeout: 10_000, interval: 100 },
    );
    const validated = await db()
      .selectFrom('mdes_notifications')
      .select('outcome')
      .where('message_type', '=', 'validateActivationCode')
      .where('token_unique_reference', '=', reference)
      .orderBy('received_at')
      .execute();
    expect(validated.map((r) => r.outcome)).toEqual(['INCORRECT_CODE', 'SUCCESS']);

    const events = {
      eventName: 'REPLENISH',
      walletAtcStatus: { usedForContactless: ['0007'] },
      systemAtcStatus: { atcAlreadyProcessed: ['0007'] },
    };
    const reported = await ops(`/tokens/${reference}/suspicious-events`, { events });
    expect(reported.status).toBe(202);
    const { requestId } = (await reported.json()) as { requestId: string };
    await vi.waitFor(
      async () => {
        const row = await db()
          .selectFrom('mdes_suspicious_events')
          .selectAll()
          .where('request_id', '=', requestId)
          .executeTakeFirst();
        expect(row).toMatchObject({
          token_unique_reference: reference,
          token_status: 'ACTIVE',
          event_name: 'REPLENISH',
        });
        expect(row?.card_id).not.toBeNull();
        expect(JSON.parse(row?.system_atc_status ?? '{}')).toEqual(events.systemAtcStatus);
      },
      { timeout: 10_000, interval: 100 },
    );
    // The bank's token is as it was: the notification is informative.
    const after = await db()
      .selectFrom('tokens')
      .select('status')
      .where('token_unique_reference', '=', reference)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('ACTIVE');
  });
});
