import type { Clock } from '../../core/clock.js';
import { luhnValid } from '../../core/luhn.js';
import { accountHolderFieldOf } from '../../mastercard/token-connect/schemas.js';
import type { AccountHolder, FundingAccount } from '../../mastercard/token-connect/types.js';
import { accepts, type CatalogueEntry, enrolledRangeOf, type MdesAccountRange } from './catalogue.js';
import { TokenConnectFailure } from './failure.js';

const MAX_DATA_VALIDITY_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The checks on one decrypted funding account that a schema cannot express:
 * a card or a financial account is present, the PAN passes Luhn, the expiry
 * is complete and not past, and `dataValidUntilTimestamp` is in the future
 * but at most 30 days ahead. A failure refuses the whole request.
 */
export function assertUsable(account: FundingAccount, clock: Clock): void {
  const now = clock.now();
  const validUntil = account.dataValidUntilTimestamp;
  if (validUntil !== undefined) {
    const at = Date.parse(validUntil);
    if (Number.isNaN(at)) throw new TokenConnectFailure('INVALID_FIELD_FORMAT', 'dataValidUntilTimestamp');
    if (at <= now.getTime() || at > now.getTime() + MAX_DATA_VALIDITY_MS) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'dataValidUntilTimestamp');
    }
  }
  const card = account.cardAccountData;
  if (!card) {
    if (!account.financialAccountData)
      throw new TokenConnectFailure('MISSING_REQUIRED_FIELD', 'cardAccountData');
    return;
  }
  if (!luhnValid(card.accountNumber)) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'accountNumber');
  if ((card.expiryMonth === undefined) !== (card.expiryYear === undefined)) {
    throw new TokenConnectFailure(
      'MISSING_REQUIRED_FIELD',
      card.expiryMonth === undefined ? 'expiryMonth' : 'expiryYear',
    );
  }
  if (card.expiryMonth === undefined || card.expiryYear === undefined) return;
  const month = Number(card.expiryMonth);
  if (month < 1 || month > 12) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'expiryMonth');
  // Valid through the last day of its month (UTC): the first instant of the next month is too late.
  const endOfValidity = Date.UTC(2000 + Number(card.expiryYear), month, 1);
  if (endOfValidity <= now.getTime()) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'expiryYear');
}

/**
 * The enrolled range of the account when the token requestor accepts it;
 * undefined means ACCOUNT_INELIGIBLE for this account. The simulated MDES
 * enrols card ranges only, so a financial account is never eligible.
 */
export function eligibleRange(account: FundingAccount, entry: CatalogueEntry): MdesAccountRange | undefined {
  const pan = account.cardAccountData?.accountNumber;
  const range = pan === undefined ? undefined : enrolledRangeOf(pan);
  return range && accepts(entry, range) ? range : undefined;
}

/** Only the account holder data the token requestor accepts travels on to it. */
export function acceptedHolderData(
  data: AccountHolder | undefined,
  entry: CatalogueEntry,
): AccountHolder | undefined {
  if (!data) return undefined;
  const accepted: AccountHolder = {};
  for (const element of entry.record.supportedAccountHolderData ?? []) {
    const field = accountHolderFieldOf(element);
    if (field && data[field] !== undefined) Object.assign(accepted, { [field]: data[field] });
  }
  return Object.keys(accepted).length > 0 ? accepted : undefined;
}
