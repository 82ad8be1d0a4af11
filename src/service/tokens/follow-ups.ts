import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PushprovError } from '../../core/errors.js';
import type { Lease } from '../../core/jobs/lease.js';
import { eachBounded } from '../../core/jobs/loop.js';
import type { AuditLog } from '../../store/audit.js';
import type { TokenFollowUp, TokenFollowUpRepository } from '../../store/tokens/follow-ups.js';
import type { TokenManagement } from './management.js';

export interface TokenFollowUpsOptions {
  repository: Pick<
    TokenFollowUpRepository,
    'claim' | 'settle' | 'unfinished' | 'retry' | 'outstandingTokens' | 'tokenSettled'
  >;
  tokenManagement: Pick<TokenManagement, 'followCardChange'>;
  clock: Clock;
  /** Attempts before a follow-up is left `failed` for ops; default 10. */
  maxAttempts?: number;
  /** Delay after the first failed attempt, doubling; default 5 s, at most 1 hour. */
  retryBaseMs?: number;
  /** Where an ops retry is recorded. */
  audit: Pick<AuditLog, 'append'>;
  /** Told after ops queued a follow-up again, to take it to MDES now rather than at the next run. */
  onRequeued?: () => void;
  /** Told about each follow-up worked on; ids and outcomes only. */
  onSettled?: (followUp: TokenFollowUp, outcome: 'done' | 'retry' | 'failed', error?: string) => void;
}

// Follow-ups claimed per step, and taken to MDES at once (one per card at most).
const BATCH = 10;
const CONCURRENCY = 4;

/**
 * Takes card changes to the card's tokens at MDES, one Customer Service call
 * per token: a replaced or reissued card's tokens follow the new card
 * number and expiry, a blocked card's are suspended and resumed when it is
 * unblocked, a closed card's are deleted. Each follow-up was written with
 * the card change. Each token's outcome is recorded; when some fail, the
 * follow-up is retried with backoff for those still outstanding only, and
 * left `failed` (visible to ops) after too many attempts. Asking MDES again
 * is harmless: a token already as asked is left as it is.
 */
export class TokenFollowUps {
  readonly #options: TokenFollowUpsOptions;

  constructor(options: TokenFollowUpsOptions) {
    this.#options = options;
  }

  /** Works on every due follow-up; resolves how many were taken to MDES. */
  async run(): Promise<number> {
    let done = 0;
    while ((await this.step((taken) => (done += taken ? 1 : 0))) > 0);
    return done;
  }

  /**
   * Claims a batch of due follow-ups for this instance and works on them;
   * resolves how many it claimed (0: none was due).
   */
  async step(onWorked?: (takenToMdes: boolean) => void): Promise<number> {
    const { lease, followUps } = await this.#options.repository.claim(this.#options.clock.now(), BATCH);
    await eachBounded(followUps, CONCURRENCY, async (followUp) => {
      const taken = await this.#work(followUp, lease);
      onWorked?.(taken);
    });
    return followUps.length;
  }

  /** Ops: what has not reached MDES yet, newest first: pending (with its next attempt) and failed. */
  unfinished(limit = 100): Promise<TokenFollowUp[]> {
    return this.#options.repository.unfinished(limit);
  }

  /** Ops: a failed follow-up tried again from its first attempt; audited. */
  async retry(id: string, actor: string): Promise<TokenFollowUp> {
    const outcome = await this.#options.repository.retry(id, this.#options.clock.now(), actor);
    if (outcome === 'not_found') throw new NotFoundError('FOLLOW_UP_NOT_FOUND', 'no such token follow-up');
    if (outcome === 'not_failed') {
      throw new ConflictError('FOLLOW_UP_NOT_FAILED', 'only a failed follow-up can be retried');
    }
    if (outcome === 'superseded') {
      throw new ConflictError(
        'FOLLOW_UP_SUPERSEDED',
        'a later change of this card was queued after this one; import the card as it is now instead',
      );
    }
    await this.#options.audit.append({
      actor,
      action: 'card.follow_up_retried',
      subject: outcome.cardId,
      outcome: 'requeued',
      details: { followUpId: outcome.id, kind: outcome.kind },
    });
    this.#options.onRequeued?.();
    return outcome;
  }

  /** Each outstanding token, one call each; throws the first failure once every token was tried. */
  async #take(followUp: TokenFollowUp): Promise<void> {
    const repository = this.#options.repository;
    const failures: unknown[] = [];
    for (const tokenId of await repository.outstandingTokens(followUp, this.#options.clock.now())) {
      try {
        await this.#options.tokenManagement.followCardChange(followUp, tokenId);
        await repository.tokenSettled(followUp.id, tokenId, undefined, this.#options.clock.now());
      } catch (error) {
        failures.push(error);
        const code = error instanceof PushprovError ? error.code : 'UNEXPECTED_ERROR';
        await repository.tokenSettled(followUp.id, tokenId, code, this.#options.clock.now());
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  async #work(followUp: TokenFollowUp, lease: Lease): Promise<boolean> {
    try {
      await this.#take(followUp);
    } catch (error) {
      const code = error instanceof PushprovError ? error.code : 'UNEXPECTED_ERROR';
      const now = this.#options.clock.now();
      if (followUp.attempts >= (this.#options.maxAttempts ?? 10)) {
        await this.#options.repository.settle(followUp.id, lease, { state: 'failed', error: code }, now);
        this.#options.onSettled?.(followUp, 'failed', code);
      } else {
        const delay = retryDelay(followUp.attempts, this.#options.retryBaseMs ?? 5_000, 3_600_000);
        await this.#options.repository.settle(
          followUp.id,
          lease,
          { state: 'pending', retryAt: new Date(now.getTime() + delay), error: code },
          now,
        );
        this.#options.onSettled?.(followUp, 'retry', code);
      }
      return false;
    }
    await this.#options.repository.settle(followUp.id, lease, { state: 'done' }, this.#options.clock.now());
    this.#options.onSettled?.(followUp, 'done');
    return true;
  }
}
