import { firstInvalidField } from '../../mastercard/field-errors.js';
import {
  AccountHolderDataSchema,
  type FundingAccountData,
  type WalletProviderDecisioningInfo,
  WalletProviderDecisioningInfoSchema,
} from '../../mastercard/pre-digitization/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { TokenizeRequest } from '../token-connect/tokenize.js';

/**
 * The card as MDES describes it to the issuer in a Pre-Digitization
 * payload (`fundingAccountDataSchema`), from what MDES holds: the pushed or
 * typed-in funding account (Token Connect's shape) and what the token
 * requestor said of the device.
 */

/** `source`: a card the issuer pushed from its app, or one the cardholder typed in at the token requestor. */
export type FundingSource = 'ACCOUNT_ADDED_VIA_APPLICATION' | 'ACCOUNT_ADDED_MANUALLY';

type AccountHolderData = NonNullable<FundingAccountData['accountHolderData']>;

export function fundingAccountData(
  account: FundingAccount,
  source: FundingSource,
  decisioning?: TokenizeRequest['decisioningData'],
): FundingAccountData {
  const card = account.cardAccountData;
  const holder: Record<string, unknown> = {
    ...(account.accountHolderData ?? {}),
    // The token requestor's view of the device (Digital Enablement DecisioningData) is the account holder's here.
    ...(decisioning?.deviceIpAddress && { sourceIp: decisioning.deviceIpAddress }),
    ...(decisioning?.deviceCurrentLocation && { deviceLocation: decisioning.deviceCurrentLocation }),
  };
  const accountHolderData = fitting(holder);
  return {
    source,
    cardAccountData: {
      accountNumber: card?.accountNumber ?? '',
      ...(card?.expiryMonth && { expiryMonth: card.expiryMonth }),
      ...(card?.expiryYear && { expiryYear: card.expiryYear }),
    },
    ...(accountHolderData && { accountHolderData }),
  };
}

/** The token requestor's recommendation as AuthorizeService's `walletProviderDecisioningInfo`. */
export function walletProviderDecisioningInfo(
  decisioning: TokenizeRequest['decisioningData'],
): WalletProviderDecisioningInfo | undefined {
  if (!decisioning) return undefined;
  const info = {
    ...(decisioning.recommendation && { recommendedDecision: decisioning.recommendation }),
    ...(decisioning.recommendationAlgorithmVersion && {
      recommendationStandardVersion: decisioning.recommendationAlgorithmVersion,
    }),
    ...(decisioning.deviceScore && { deviceScore: decisioning.deviceScore }),
    ...(decisioning.accountScore && { accountScore: decisioning.accountScore }),
    ...(decisioning.recommendationReasons && { recommendationReasons: decisioning.recommendationReasons }),
  };
  if (Object.keys(info).length === 0 || firstInvalidField(WalletProviderDecisioningInfoSchema, info)) {
    return undefined;
  }
  return info;
}

/**
 * The account holder data the Pre-Digitization bounds allow: a member that
 * does not fit (a name longer than 27 characters) is left out rather than
 * cut, so the issuer never sees a value that was not the cardholder's.
 */
function fitting(holder: Record<string, unknown>): AccountHolderData | undefined {
  const kept = Object.fromEntries(
    Object.entries(holder).filter(
      ([key, value]) => value !== undefined && !firstInvalidField(AccountHolderDataSchema, { [key]: value }),
    ),
  );
  return Object.keys(kept).length === 0 ? undefined : (kept as AccountHolderData);
}
