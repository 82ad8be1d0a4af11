import { eachBounded } from '../../core/jobs/loop.js';
import { nextState } from '../../domain/provisioning.js';
import type { ProvisioningServiceOptions } from './options.js';
import type { PushCommand } from './push.js';
import { CARD_FAILURES, type Settlement } from './settlement.js';

// How long after its receipts expire a push whose token was approved (or
// reported by the token requestor) waits for MDES's notification of it.
const CONFIRMATION_GRACE_MS = 5 * 60 * 1000;
// Pushes claimed per step, and worked on at once (each waits mostly on MDES).
const JOB_BATCH = 20;
const JOB_CONCURRENCY = 4;

/**
 * The push service's two background jobs: receipt expiry and reconciliation
 * of pending pushes. Each step claims a batch of due pushes for this
 * instance (no other instance works on them meanwhile), works on them, and
 * releases each; resolves how many it claimed, so a loop runs until none is due.
 */
export class ProvisioningJobs {
  readonly #options: ProvisioningServiceOptions;
  readonly #push: PushCommand;
  readonly #settlement: Settlement;

  constructor(options: ProvisioningServiceOptions, parts: { push: PushCommand; settlement: Settlement }) {
    this.#options = options;
    this.#push = parts.push;
    this.#settlement = parts.settlement;
  }

  /**
   * Ends pushes whose receipts ran out before every card had an outcome.
   * A receipt cannot be redeemed once expired, so a card nobody reported
   * on will get no token. A card whose tokenization was approved, or that
   * the token requestor says it tokenized, is given a grace period for
   * MDES's notification first; if none came, the token requestor's word is
   * not taken (TOKEN_UNCONFIRMED). The push then completes if MDES made a
   * token for one of its cards, and is `expired` otherwise.
   */
  async expireReceipts(): Promise<number> {
    const { claims, clock } = this.#options;
    const now = clock.now();
    const { lease, ids } = await claims.claimExpired(now, JOB_BATCH);
    await eachBounded(ids, JOB_CONCURRENCY, async (id) => {
      let retryAt: Date | undefined;
      try {
        retryAt = await this.#expire(id, now);
      } finally {
        await claims.release(id, lease, retryAt);
      }
    });
    return ids.length;
  }

  /** Ends one push whose receipts ran out; resolves when to look again if it waits for MDES's word. */
  async #expire(id: string, now: Date): Promise<Date | undefined> {
    const { repository, audit } = this.#options;
    const graceEnded = now.getTime() - CONFIRMATION_GRACE_MS;
    const p = await repository.get(id);
    if (p?.state !== 'receipt_issued') return undefined;
    const open = p.cards.filter((c) => c.state === 'receipt_issued');
    const awaited =
      open.some((c) => c.reportedResult !== null) ||
      (await audit.history([id])).some(
        (e) => e.action === 'tokenization.decided' && e.outcome === 'APPROVED',
      );
    if (awaited && (p.receiptsExpireAt?.getTime() ?? 0) > graceEnded) {
      return new Date((p.receiptsExpireAt?.getTime() ?? 0) + CONFIRMATION_GRACE_MS);
    }
    await repository.transaction(async (tx) => {
      await repository.lock(id, tx);
      const current = await repository.get(id, tx);
      if (current?.state !== 'receipt_issued') return;
      const cards = current.cards.map((c) => {
        if (c.state !== 'receipt_issued') return c;
        const code = c.reportedResult === null ? 'RECEIPT_EXPIRED' : 'TOKEN_UNCONFIRMED';
        return { ...c, state: 'failed' as const, errorCode: code };
      });
      for (const c of cards.filter((c) => open.some((o) => o.cardId === c.cardId))) {
        await repository.updateCard(id, c.cardId, { state: c.state, errorCode: c.errorCode }, tx);
      }
      const completed = cards.some((c) => c.state === 'completed');
      const to = nextState(
        current.state,
        completed ? { type: 'tokens_confirmed' } : { type: 'receipt_expired' },
      );
      const code = completed ? null : (cards.find((c) => c.errorCode)?.errorCode ?? 'RECEIPT_EXPIRED');
      await repository.transition(
        id,
        current.state,
        to,
        now,
        completed ? { completedAt: now } : { errorCode: code, errorMessage: code && CARD_FAILURES[code] },
        tx,
      );
      await audit.append(
        {
          actor: 'system',
          action: 'provisioning.expired',
          subject: id,
          outcome: to,
          details: { errorCode: code },
        },
        tx,
      );
    });
    return undefined;
  }

  /**
   * Finishes pushes left `pending` by a crash or a lost answer: asks Token
   * Connect again with the same requestId (MDES answers a known requestId
   * with the same receipts), and gives up explicitly after maxPushAttempts.
   */
  async reconcile(olderThanMs = 30_000): Promise<number> {
    const { claims, clock } = this.#options;
    const now = clock.now();
    const { lease, ids } = await claims.claimPending(new Date(now.getTime() - olderThanMs), now, JOB_BATCH);
    await eachBounded(ids, JOB_CONCURRENCY, async (id) => {
      try {
        await this.#reconcile(id);
      } finally {
        // Still pending (MDES away): asked again once it has been left alone as long again.
        await claims.release(id, lease, new Date(clock.now().getTime() + olderThanMs));
      }
    });
    return ids.length;
  }

  async #reconcile(id: string): Promise<void> {
    const p = await this.#options.repository.get(id);
    if (p?.state !== 'pending') return;
    if (p.attempts >= (this.#options.maxPushAttempts ?? 5)) {
      await this.#settlement.fail(
        p,
        { type: 'push_refused' },
        'PUSH_UNCONFIRMED',
        'Mastercard did not confirm the push after several attempts',
      );
      return;
    }
    await this.#push.send(p);
  }
}
