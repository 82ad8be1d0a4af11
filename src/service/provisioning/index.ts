import type { StoreTransaction } from '../../store/transaction.js';
import { CardChecks } from './card-checks.js';
import { ProvisioningJobs } from './jobs.js';
import { type LockedPushCard, PushLifecycle, type TokenCreated } from './lifecycle.js';
import type { ProvisioningServiceOptions } from './options.js';
import { PushCommand, type PushRequest } from './push.js';
import { ProvisioningQueries, type ProvisioningView } from './queries.js';
import { Settlement } from './settlement.js';

export type { ProvisioningServiceOptions } from './options.js';
export type { PushRequest } from './push.js';
export type { ProvisioningView } from './queries.js';

/**
 * The push-provisioning use cases, one part per job: what the cardholder
 * sees (queries), the push (push), what follows it (lifecycle: the
 * cardholder's callback, MDES's token) and the background jobs (receipt
 * expiry, reconciliation). The parts share the stores and settle pushes
 * the same way (settlement).
 */
export class ProvisioningService {
  readonly #queries: ProvisioningQueries;
  readonly #push: PushCommand;
  readonly #lifecycle: PushLifecycle;
  readonly #jobs: ProvisioningJobs;

  constructor(options: ProvisioningServiceOptions) {
    const checks = new CardChecks(options);
    const settlement = new Settlement(options);
    this.#queries = new ProvisioningQueries(options, checks);
    this.#push = new PushCommand(options, { checks, queries: this.#queries, settlement });
    this.#lifecycle = new PushLifecycle(options, { queries: this.#queries, settlement });
    this.#jobs = new ProvisioningJobs(options, { push: this.#push, settlement });
  }

  cards(cardholderId: string) {
    return this.#queries.cards(cardholderId);
  }

  card(cardholderId: string, cardId: string) {
    return this.#queries.card(cardholderId, cardId);
  }

  destinations(cardholderId: string, cardId: string) {
    return this.#queries.destinations(cardholderId, cardId);
  }

  consent(cardholderId: string, cardId: string, tokenRequestorId: string, show?: 'masked' | 'own') {
    return this.#queries.consent(cardholderId, cardId, tokenRequestorId, show);
  }

  view(cardholderId: string, id: string): Promise<ProvisioningView> {
    return this.#queries.view(cardholderId, id);
  }

  list(cardholderId: string): Promise<ProvisioningView[]> {
    return this.#queries.list(cardholderId);
  }

  push(request: PushRequest) {
    return this.#push.push(request);
  }

  callback(cardholderId: string, id: string, stateToken: string, query: URLSearchParams) {
    return this.#lifecycle.callback(cardholderId, id, stateToken, query);
  }

  tokenCreated(event: TokenCreated): Promise<boolean> {
    return this.#lifecycle.tokenCreated(event);
  }

  completeCard(found: LockedPushCard, event: TokenCreated, tx: StoreTransaction): Promise<boolean> {
    return this.#lifecycle.completeCard(found, event, tx);
  }

  expireReceipts(): Promise<number> {
    return this.#jobs.expireReceipts();
  }

  reconcile(olderThanMs?: number): Promise<number> {
    return this.#jobs.reconcile(olderThanMs);
  }
}
