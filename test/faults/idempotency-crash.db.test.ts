import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import type { IssuerDb } from '../../src/store/store.js';
import type { Sealer } from '../../src/store/vault/sealer.js';
import { DEMO_MERCHANT, type FaultStack, startFaultStack } from './harness.js';

/** Thrown where the issuer process is made to die. */
class Crash extends Error {
  constructor(where: string) {
    super(`simulated crash: ${where}`);
  }
}

// A retry may take over a claim abandoned this long ago (30 s in production).
const STALE_AFTER_MS = 50;

/**
 * The issuer's idempotency key and the provisioning it answers with, when
 * the process dies between the steps of a push (issue 14, finding 3). Once
 * the process has died, nothing of it runs any more: its claim on the key
 * is not released either. The client then retries with the same key.
 */
class DyingIdempotency extends IdempotencyStore {
  dead = false;
  crashAtComplete = false;

  // The push binds its key in the transaction that writes the provisioning.
  override async bind(...args: Parameters<IdempotencyStore['bind']>): Promise<boolean> {
    if (this.crashAtComplete) {
      this.crashAtComplete = false;
      this.dead = true;
      throw new Crash('recording the idempotency key');
    }
    return super.bind(...args);
  }

  override async release(...args: Parameters<IdempotencyStore['release']>): Promise<void> {
    if (this.dead) return;
    return super.release(...args);
  }
}

/** Dies as soon as the transaction that wrote the push's record commits, before Token Connect is called. */
class DyingRepository extends ProvisioningRepository {
  crashAfterCreate = false;
  #created = false;

  override async create(...args: Parameters<ProvisioningRepository['create']>) {
    const created = await super.create(...args);
    this.#created = this.crashAfterCreate;
    return created;
  }

  override async transaction<T>(...args: Parameters<ProvisioningRepository['transaction']>): Promise<T> {
    const result = (await super.transaction(...args)) as T;
    if (this.#created) {
      this.#created = false;
      this.crashAfterCreate = false;
      throw new Crash('after the provisioning was written');
    }
    return result;
  }
}

describe('a push whose issuer dies between its steps, retried with the same Idempotency-Key', () => {
  let stack: FaultStack | undefined;
  let idempotency: DyingIdempotency;
  let repository: DyingRepository;

  const start = async () => {
    stack = await startFaultStack({
      idempotency: (db: IssuerDb, clock: Clock) => {
        idempotency = new DyingIdempotency(db, clock, { staleAfterMs: STALE_AFTER_MS });
        return idempotency;
      },
      repository: (db: IssuerDb, sealer: Sealer) => {
        repository = new DyingRepository(db, sealer);
        return repository;
      },
    });
    return stack;
  };
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  /** The client's retry: refused while the first attempt may still run, then answered. */
  const retry = async (s: FaultStack, key: string): Promise<string> => {
    for (let i = 0; ; i++) {
      try {
        return await s.push(DEMO_MERCHANT, key);
      } catch (error) {
        if ((error as { code?: string }).code !== 'IDEMPOTENCY_IN_PROGRESS' || i >= 20) throw error;
        await new Promise((r) => setTimeout(r, STALE_AFTER_MS));
      }
    }
  };

  /** Exactly one provisioning, pushed to the simulator exactly once (reconciliation included). */
  const expectOnePush = async (s: FaultStack, id: string) => {
    await s.reconcileAll();
    const ledger = await s.ledger();
    expect(ledger.map((l) => l.id)).toEqual([id]);
    expect(ledger[0]).toMatchObject({ state: 'receipt_issued', simulatorRequests: 1, simulatorReceipts: 1 });
  };

  it('dies while binding the key to the new provisioning: the retry makes the one push', async () => {
    const s = await start();
    idempotency.crashAtComplete = true;
    await expect(s.push(DEMO_MERCHANT, 'crash-key-0001')).rejects.toBeInstanceOf(Crash);
    idempotency.dead = false; // the issuer is started again
    const id = await retry(s, 'crash-key-0001');
    await expectOnePush(s, id);
  });

  it('dies right after the provisioning is written: the retry finds that push and does not push again', async () => {
    const s = await start();
    repository.crashAfterCreate = true;
    idempotency.dead = true; // nothing of the dying process runs after the crash
    await expect(s.push(DEMO_MERCHANT, 'crash-key-0002')).rejects.toBeInstanceOf(Crash);
    idempotency.dead = false;
    const [written] = await s.ledger();
    expect(written).toMatchObject({ state: 'pending', simulatorRequests: 0 });
    const id = await retry(s, 'crash-key-0002');
    expect(id).toBe(written?.id);
    // Reconciliation pushes the provisioning the crash left pending, once.
    await expectOnePush(s, id);
    expect(await retry(s, 'crash-key-0002')).toBe(id);
  });
});
