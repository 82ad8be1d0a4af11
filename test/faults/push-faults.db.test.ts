import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/simulator/app.js';
import type { NotificationsSchema } from '../../src/simulator/notifications/tables.js';
import type { PreDigitizationSchema } from '../../src/simulator/pre-digitization/tables.js';
import type { IssuerSchema } from '../../src/store/schema.js';
import { eventually } from '../support/eventually.js';
import { atTokenRequestor, CardholderClient, DEMO, type Stack, startStack } from '../support/stack.js';
import {
  CLICK_TO_PAY,
  CLIENT_TIMEOUT_MS,
  DEMO_MERCHANT,
  type FaultStack,
  type Ledger,
  settled,
  startFaultStack,
} from './harness.js';

// Pushes per scenario, half to each destination, sent all at once.
const N = 8;

describe('pushes under injected faults (real client, service and simulator over HTTP)', () => {
  let stack: FaultStack;
  beforeAll(async () => {
    stack = await startFaultStack();
  });
  afterAll(async () => stack.close());

  /**
   * Runs N pushes under the rule, one after another so that a seeded plan
   * hits the same attempts on every run, then lets reconcile finish what is
   * left pending. Returns the ledger of those pushes.
   */
  async function under(rule: Omit<FaultRule, 'operation'>, seed = 7) {
    stack.faults.configure({ seed, rules: [{ operation: 'pushMultipleAccounts', ...rule }] });
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(await stack.push(i % 2 === 0 ? DEMO_MERCHANT : CLICK_TO_PAY));
    const injected = stack.faults.injected();
    stack.faults.clear();
    const pendingBefore = (await stack.ledger()).filter((l) => ids.includes(l.id) && l.state === 'pending');
    await stack.reconcileAll();
    const ledger = (await stack.ledger()).filter((l) => ids.includes(l.id));
    return { ledger, injected, reconciled: pendingBefore.length };
  }

  /** What must hold whatever the fault: zero lost, zero duplicated, nothing left uncertain. */
  function expectSurvived(ledger: Ledger[]): void {
    expect(ledger).toHaveLength(N);
    for (const l of ledger) {
      expect(settled(l.state), `${l.id} ${l.state} ${l.errorCode}`).toBe(true);
      expect(l.simulatorRequests).toBeLessThanOrEqual(1);
      expect(l.simulatorReceipts).toBeLessThanOrEqual(1);
    }
  }

  /** The issuer and MDES agree: receipts exist exactly for the pushes the issuer holds as issued. */
  function expectAgreement(ledger: Ledger[]): void {
    for (const l of ledger) {
      const issued = l.state === 'receipt_issued';
      expect(l.simulatorReceipts, `${l.id} ${l.state} ${l.errorCode}`).toBe(issued ? 1 : 0);
    }
  }

  const allIssued = (ledger: Ledger[]) =>
    // Both destinations wait for the cardholder at the token requestor (Click to Pay is one too).
    expect(ledger.map((l) => l.state)).toEqual(Array(N).fill('receipt_issued'));

  it('added latency: every push goes through once', async () => {
    const { ledger, injected } = await under({ fault: 'latency', ms: 50 });
    expect(injected).toBe(N);
    expectSurvived(ledger);
    expectAgreement(ledger);
    allIssued(ledger);
  });

  it.each([
    ['5xx', { fault: 'error', status: 503, rate: 0.5 }],
    ['connection resets', { fault: 'reset', rate: 0.5 }],
  ] as const)(
    '%s on half the attempts (before any work): every push goes through once',
    async (_name, rule) => {
      const { ledger, injected } = await under(rule);
      expect(injected).toBeGreaterThan(N / 2);
      expectSurvived(ledger);
      expectAgreement(ledger);
      allIssued(ledger);
    },
  );

  it.each([
    [
      'timeouts (answer held past the client timeout)',
      { fault: 'timeout', ms: CLIENT_TIMEOUT_MS + 200, rate: 0.5 },
    ],
    ['responses lost after commit', { fault: 'lost_after_commit', rate: 0.5 }],
  ] as const)('%s on half the attempts (after the work): nothing lost or duplicated', async (_name, rule) => {
    const { ledger, injected } = await under(rule);
    expect(injected).toBeGreaterThan(N / 2);
    expectSurvived(ledger);
    expectAgreement(ledger);
  });

  it('5xx on every attempt: pushes stay pending, then reconcile finishes them with the same requestId', async () => {
    // Three attempts per call: the first call of each push fails entirely, before MDES does any work.
    const { ledger, injected, reconciled } = await under({ fault: 'error', times: 3 * N });
    expect(injected).toBe(3 * N);
    expect(reconciled).toBe(N);
    expectSurvived(ledger);
    expectAgreement(ledger);
    allIssued(ledger);
  });

  it('response lost after commit on every attempt: reconcile gets the receipts MDES issued, nothing duplicated', async () => {
    // reconcile encrypts the accounts afresh (new key and IV), so the simulator
    // must recognise the same request by its content, not its bytes.
    const { ledger, injected, reconciled } = await under({ fault: 'lost_after_commit', times: 3 * N });
    expect(injected).toBe(3 * N);
    expect(reconciled).toBe(N);
    expectSurvived(ledger);
    expectAgreement(ledger);
  });

  it('malformed 200 bodies: the push is kept uncertain, not failed, and reconciled to what MDES did', async () => {
    const { ledger, injected } = await under({ fault: 'malformed', rate: 0.5 });
    expect(injected).toBeGreaterThan(0);
    expectSurvived(ledger);
    expectAgreement(ledger);
  });

  it('receipt expiry: MDES issues receipts valid for the seconds asked, the rest of the push unchanged', async () => {
    const { ledger, injected } = await under({ fault: 'expire_receipts', validitySeconds: 0 });
    expect(injected).toBe(N);
    expectSurvived(ledger);
    expectAgreement(ledger);
    const { rows } = await sql<{ live: number }>`
      select count(*)::int as live from mc_receipts
      where request_id in (${sql.join(ledger.map((l) => l.requestId))}) and expires_at > created_at`.execute(
      stack.database.db,
    );
    expect(rows[0]?.live).toBe(0);
  });

  it('the same seed injects the same faults', async () => {
    const draws = (seed: number) => {
      stack.faults.configure({ seed, rules: [{ operation: '*', fault: 'error', rate: 0.3 }] });
      return Array.from({ length: 40 }, () => stack.faults.decide('pushMultipleAccounts') !== undefined);
    };
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
    stack.faults.clear();
  });

  it('is configured at run time through /_faults', async () => {
    const post = await fetch(`${stack.simulatorUrl}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        seed: 1,
        rules: [{ operation: 'pushMultipleAccounts', fault: 'error', times: 1 }],
      }),
    });
    expect(post.status).toBe(200);
    const bad = await fetch(`${stack.simulatorUrl}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ operation: 'pushMultipleAccounts', fault: 'explode' }] }),
    });
    expect(bad.status).toBe(400);
    // The simulator takes JSON as typed, like every pushprov server: numbers as text are refused, not coerced.
    const coerced = await fetch(`${stack.simulatorUrl}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ operation: 'pushMultipleAccounts', fault: 'error', times: '1' }] }),
    });
    expect([coerced.status, ((await coerced.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    const id = await stack.push(DEMO_MERCHANT);
    const status = (await (await fetch(`${stack.simulatorUrl}/_faults`)).json()) as {
      rules: { injected: number }[];
    };
    expect(status.rules[0]?.injected).toBe(1);
    expect((await stack.ledger()).find((l) => l.id === id)?.state).toBe('receipt_issued');
    expect((await fetch(`${stack.simulatorUrl}/_faults`, { method: 'DELETE' })).status).toBe(204);
    expect(stack.faults.status().rules).toEqual([]);
  });
});

/**
 * The fault injector on MDES's calls to the issuer (Pre-Digitization over
 * mutual TLS), in the whole stack as `npm start` runs it with
 * PUSHPROV_SIMULATOR_FAULTS: Authorize Service unanswered in time has MDES
 * stand in as configured; Notify Service Activated failing once is sent
 * again, and the push completes once.
 */
describe('MDES calling the issuer under injected faults (whole stack over HTTP)', {
  timeout: 120_000,
}, () => {
  let stack: Stack;
  let alice: CardholderClient;
  let cardId: string;
  let db: Kysely<IssuerSchema & PreDigitizationSchema & NotificationsSchema>;
  beforeAll(async () => {
    // A stand-in other than the default, to see that MDES decides as configured.
    stack = await startStack({ PUSHPROV_SIMULATOR_FAULTS: 'true', PUSHPROV_SIMULATOR_STAND_IN: 'APPROVED' });
    db = stack.running.database.db as Kysely<IssuerSchema & PreDigitizationSchema & NotificationsSchema>;
    alice = new CardholderClient(stack.issuer);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const cards = (await alice.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
    cardId = cards.find((c) => c.eligible)?.id ?? '';
  }, 120_000);
  afterAll(async () => stack?.stop());

  const faults = async (rules: unknown[]) => {
    const answer = await fetch(`${stack.simulator}/_faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules }),
    });
    expect(answer.status).toBe(200);
  };
  const injected = async () =>
    (
      (await (await fetch(`${stack.simulator}/_faults`)).json()) as { rules: { injected: number }[] }
    ).rules.map((r) => r.injected);
  const pushAndRedeem = async () => {
    const pushed = await alice.push([cardId], DEMO_MERCHANT);
    expect(pushed.status).toBe(201);
    const merchant = await atTokenRequestor(pushed.body.redirectUrl as string);
    return { id: pushed.body.id as string, merchant };
  };
  const decisions = () =>
    db
      .selectFrom('mc_tokenization_decisions')
      .select(['token_unique_reference', 'decision', 'decided_by', 'reason_code'])
      .orderBy('decided_at')
      .execute();

  it('Authorize Service timing out: MDES stands in with the configured decision, and the issuer heard nothing', async () => {
    await faults([{ operation: 'authorizeService', fault: 'timeout', times: 1 }]);
    const { merchant } = await pushAndRedeem();
    expect(await injected()).toEqual([1]);
    expect(merchant.page).toContain('Card saved');
    const [decided] = await decisions();
    expect(decided).toMatchObject({
      decision: 'APPROVED',
      decided_by: 'STAND_IN',
      reason_code: 'ISSUER_TIMEOUT',
    });
    const asked = await db
      .selectFrom('mdes_notifications')
      .select('notification_id')
      .where('message_type', '=', 'authorizeService')
      .where('token_unique_reference', '=', decided?.token_unique_reference ?? '')
      .execute();
    expect(asked).toEqual([]);
    await fetch(`${stack.simulator}/_faults`, { method: 'DELETE' });
  });

  it('Notify Service Activated failing first: MDES sends it again and the push completes once', async () => {
    await faults([{ operation: 'notifyServiceActivated', fault: 'error', status: 503, times: 1 }]);
    const { id, merchant } = await pushAndRedeem();
    expect(merchant.page).toContain('Card saved');
    const provisioning = await eventually(
      async () => (await alice.call('GET', `/v1/provisionings/${id}`)).body,
      (p) => p.state === 'completed',
      // MDES's first retry comes after its base backoff (5 s).
      { timeout: 20_000, interval: 200 },
    );
    // Completed by MDES's notification alone: the cardholder has not come back to the bank.
    expect(provisioning.cards).toMatchObject([{ state: 'completed', reportedResult: null }]);
    expect(await injected()).toEqual([1]);
    const heard = await db
      .selectFrom('mdes_notifications')
      .select(['message_type', 'outcome'])
      .where('provisioning_id', '=', id)
      .orderBy('received_at')
      .execute();
    expect(heard).toEqual([
      { message_type: 'authorizeService', outcome: 'APPROVED' },
      { message_type: 'notifyServiceActivated', outcome: 'matched' },
    ]);
    const delivery = await db
      .selectFrom('mc_notifications')
      .select(['attempts', 'state'])
      .where('message_type', '=', 'NOTIFY_SERVICE_ACTIVATED')
      .where('token_unique_reference', '=', (await decisions()).at(-1)?.token_unique_reference ?? '')
      .execute();
    expect(delivery).toEqual([{ attempts: 2, state: 'delivered' }]);
    const created = await db
      .selectFrom('audit_log')
      .select('subject')
      .where('action', '=', 'provisioning.token_created')
      .where('subject', '=', id)
      .execute();
    expect(created).toHaveLength(1);
    await fetch(`${stack.simulator}/_faults`, { method: 'DELETE' });
  });
});
