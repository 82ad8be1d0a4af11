import type { Selectable } from 'kysely';
import type {
  FullToken,
  LifecycleToken,
  ProductConfig,
  SuspendedBy,
  TokenInfo,
  TokenInfoWithPrefix,
  TokenStatus,
} from '../../mastercard/digital-enablement/schemas.js';
import { enrolledRangeOf, ISSUER, PRODUCT_CONFIGS, type Product } from '../token-connect/catalogue.js';
import type { McManagedTokensTable } from '../token-management/tables.js';

/**
 * A token as MDES shows it to its token requestor (Digital Enablement API
 * 1.3.3): its status (a deleted token is DEACTIVATED), who suspended it,
 * when it last changed, the issuer's product configuration and the token's
 * facts: last four digits and expiries, never a whole number.
 */

export type TokenRow = Selectable<McManagedTokensTable>;

/** The funding account as tokenize sealed it. */
export interface SealedAccount {
  cardAccountData?: { accountNumber: string; expiryMonth?: string; expiryYear?: string };
  [other: string]: unknown;
}

/** Customer Service's suspender codes as the Digital Enablement API names them (`suspendedBy`). */
const SUSPENDED_BY: Record<string, SuspendedBy> = {
  I: 'ISSUER',
  W: 'TOKEN_REQUESTOR',
  C: 'CARDHOLDER',
  P: 'MOBILE_PIN_LOCKED',
  M: 'MOBILE_PIN_LOCKED',
};

/** The suspender code of a token requestor's own request, by its `causedBy`. */
export const SUSPENDER_OF_CAUSE = { TOKEN_REQUESTOR: 'W', CARDHOLDER: 'C' } as const;

export const statusOf = (row: Pick<TokenRow, 'status'>): TokenStatus =>
  row.status === 'DELETED' ? 'DEACTIVATED' : row.status;

export const suspendersOf = (row: Pick<TokenRow, 'suspenders'>): string[] =>
  row.suspenders === '' ? [] : row.suspenders.split(',');

export function suspendedByOf(row: Pick<TokenRow, 'status' | 'suspenders'>): SuspendedBy[] | undefined {
  if (row.status !== 'SUSPENDED') return undefined;
  const named = [...new Set(suspendersOf(row).map((s) => SUSPENDED_BY[s]))].filter(
    (s): s is SuspendedBy => s !== undefined,
  );
  return named.length > 0 ? named : undefined;
}

const timestampOf = (row: TokenRow) => (row.status_updated_at ?? row.created_at).toISOString();

/** The state of a token after a lifecycle operation (`token_for_LCM`, `token_for_unsuspend`, `token_for_delete`). */
export function lifecycleToken(row: TokenRow): LifecycleToken {
  const suspendedBy = suspendedByOf(row);
  return {
    tokenUniqueReference: row.token_unique_reference,
    status: statusOf(row),
    ...(suspendedBy && { suspendedBy }),
    statusTimestamp: timestampOf(row),
  };
}

export function productConfigOf(product: Product): ProductConfig {
  return {
    brandLogoAssetId: ISSUER.brandLogoAssetId,
    issuerLogoAssetId: ISSUER.logoAssetId,
    isCoBranded: false,
    cardBackgroundCombinedAssetId: PRODUCT_CONFIGS[product].cardArtAssetId,
    iconAssetId: ISSUER.brandLogoAssetId,
    foregroundColor: 'ffffff',
    issuerName: ISSUER.name,
    shortDescription: PRODUCT_CONFIGS[product].shortDescription,
  };
}

/** The simulator's tokens are all server tokens that can make DSRP payments. */
export const DSRP_CAPABLE = 'true';

export function tokenInfoOf(row: TokenRow, account: SealedAccount): TokenInfo {
  const card = account.cardAccountData;
  const accountExpiry =
    row.account_expiry ??
    (card?.expiryMonth && card.expiryYear ? `${card.expiryMonth}${card.expiryYear}` : '');
  const product = productOf(account);
  return {
    tokenPanSuffix: row.token_last_four,
    accountPanSuffix: row.account_last_four,
    tokenExpiry: row.token_expiry,
    ...(accountExpiry && { accountPanExpiry: accountExpiry }),
    dsrpCapable: DSRP_CAPABLE,
    tokenAssuranceLevel: 1,
    productCategory: product === 'CREDIT' ? 'CREDIT' : 'DEBIT',
  };
}

/** tokenInfo with the card's first six digits, as getToken and Notify Token Updated give it. */
function tokenInfoWithPrefixOf(row: TokenRow, account: SealedAccount): TokenInfoWithPrefix {
  return {
    ...tokenInfoOf(row, account),
    accountPanPrefix: (account.cardAccountData?.accountNumber ?? '').slice(0, 6),
  };
}

export const productOf = (account: SealedAccount): Product =>
  enrolledRangeOf(account.cardAccountData?.accountNumber ?? '')?.product ?? 'CREDIT';

/** `token_for_getToken` and `token_for_NTU`. */
export function fullToken(row: TokenRow, account: SealedAccount): FullToken {
  const suspendedBy = suspendedByOf(row);
  return {
    tokenUniqueReference: row.token_unique_reference,
    tokenRequestorId: row.token_requestor_id,
    status: statusOf(row),
    ...(suspendedBy && { suspendedBy }),
    statusTimestamp: timestampOf(row),
    productConfig: productConfigOf(productOf(account)),
    tokenInfo: tokenInfoWithPrefixOf(row, account),
  };
}
