import type { Clock } from '../../core/clock.js';
import type { TokenConnectClient } from '../../mastercard/token-connect/client.js';
import type { AuditLog } from '../../store/audit.js';
import type { IdempotencyStore } from '../../store/idempotency.js';
import type { ProvisioningJobRepository } from '../../store/provisioning-jobs.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';
import type { CardSource } from '../ports.js';
import type { TokenRequestorDirectory } from '../token-requestors.js';

/** What the push service's parts share: the stores, Mastercard's client and the issuer's settings. */
export interface ProvisioningServiceOptions {
  repository: ProvisioningRepository;
  /** The background jobs' claims on pushes, so that one instance works on each. */
  claims: ProvisioningJobRepository;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  cards: CardSource;
  directory: TokenRequestorDirectory;
  client: Pick<TokenConnectClient, 'pushMultipleAccounts'>;
  clock: Clock;
  /** The issuer's public base URL; callback URLs are built on it. */
  issuerUrl: string;
  /** The issuer's MDES account ranges (prefixes). */
  accountRanges: readonly string[];
  receiptValidityMinutes?: number;
  /** How many times reconciliation asks again before declaring a push failed. */
  maxPushAttempts?: number;
  /** The token requestors holding a live token of a card (TokenRepository.liveTokenRequestors); none known without it. */
  savedAt?: (cardId: string) => Promise<readonly string[]>;
}
