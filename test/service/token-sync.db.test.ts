import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { ProvisioningService } from '../../src/service/provisioning/index.js';
import { TokenSync } from '../../src/service/tokens/sync.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { TokenRepository } from '../../src/store/tokens/tokens.js';
import { testDatabase } from '../support/database.js';
import { testSealer } from '../support/sealer.js';

const SHOP = '50000000001';
const PUSH = 'prv_records00001';

/** A token store that fails the way a lost connection or a constraint would, after the push was completed. */
class FailingTokens extends TokenRepository {
  override async recordCreated(): Promise<never> {
    throw new Error('the token could not be written');
  }
}

/**
 * MDES's Notify Service Activated completes the push that brought the token
 * and records the token in one transaction: when recording the token fails,
 * the push is not left completed without it.
 */
describe("a token's record and the push it completes", () => {
  let database: Database<unknown>;
  let repository: ProvisioningRepository;
  let records: TokenSync;
  let audit: AuditLog;

  beforeAll(async () => {
    database = await testDatabase();
    const db = await prepareIssuerStore(database.db);
    const clock = new ManualClock(new Date('2026-11-25T10:00:00Z'));
    repository = new ProvisioningRepository(db, testSealer());
    audit = new AuditLog(db, clock);
    const now = clock.now();
    await repository.create({
      id: PUSH,
      cardholderId: 'chd_alice',
      destination: 'merchant',
      tokenRequestorId: SHOP,
      tokenRequestorName: 'Demo Shop',
      requestId: 'req-records-1',
      receiptValidityMinutes: 15,
      callbackToken: 'state-token',
      cards: [{ cardId: 'crd_gb', pushAccountId: 'pa-records-1' }],
      now,
    });
    await repository.transition(PUSH, 'pending', 'receipt_issued', now, {
      receiptsExpireAt: new Date(now.getTime() + 15 * 60_000),
    });
    await repository.updateCard(PUSH, 'crd_gb', { state: 'receipt_issued', receipt: 'MCC-records-1' });
    // Only what completing a push uses is real; the rest is never reached.
    const unused = {} as never;
    const provisioning = new ProvisioningService({
      repository,
      claims: new ProvisioningJobRepository(db, 60_000),
      audit,
      idempotency: new IdempotencyStore(db, clock),
      cards: unused,
      directory: unused,
      client: unused,
      clock,
      issuerUrl: 'https://bank.test',
      accountRanges: [],
    });
    records = new TokenSync({
      provisioning,
      pushes: repository,
      tokens: new FailingTokens(db),
      audit,
      clock,
      clickToPayTokenRequestorId: '50123197928',
    });
  });
  afterAll(async () => database.close());

  it('rolls the push back when the token cannot be recorded', async () => {
    await expect(
      records.tokenActivated({
        requestId: 'mdes-req-1',
        tokenUniqueReference: 'DWSPMC000000000000000000000000000001',
        cardId: 'crd_gb',
        provisioningId: PUSH,
        tokenRequestorId: SHOP,
        tokenRequestorName: undefined,
        tokenPanSuffix: '1234',
        decisionMadeBy: undefined,
        activatedAt: new Date('2026-11-25T10:01:00Z'),
      }),
    ).rejects.toThrow('the token could not be written');
    const push = await repository.get(PUSH);
    expect(push?.state).toBe('receipt_issued');
    expect(push?.cards).toMatchObject([{ state: 'receipt_issued', tokenUniqueReference: null }]);
    expect((await audit.history([PUSH])).map((e) => e.action)).not.toContain('provisioning.token_created');
  });
});
