import { type Environment, resolveBaseUrl } from '../http/base-url.js';
import { API_VERSION_PATH } from './schemas.js';
import type { TokenConnectOperation } from './types.js';

/**
 * Mastercard's servers for Token Connect, from the "Environment Domains"
 * page (docs/mastercard/token-connect.md §1): MTF is on the production host
 * under `/mdes/mtf`, not on the sandbox host.
 */
export const TOKEN_CONNECT_BASE_URLS = {
  sandbox: 'https://sandbox.api.mastercard.com/mdes',
  mtf: 'https://api.mastercard.com/mdes/mtf',
  production: 'https://api.mastercard.com/mdes',
} as const;

/** A documented environment, or any base URL (the local simulator). */
export type TokenConnectEnvironment = Environment<keyof typeof TOKEN_CONNECT_BASE_URLS>;

/** Paths below the base URL; `{AssetId}` is filled in per request. */
export const TOKEN_CONNECT_PATHS = {
  getEligibleTokenRequestors: `/connect/${API_VERSION_PATH}/getEligibleTokenRequestors`,
  getAsset: `/issuer-assets/${API_VERSION_PATH}/asset/tokenrequestor/{AssetId}`,
  pushMultipleAccounts: `/connect/${API_VERSION_PATH}/pushMultipleAccounts`,
  pushAccount: `/connect/${API_VERSION_PATH}/pushAccount`,
} as const satisfies Record<TokenConnectOperation, string>;

export function baseUrlOf(environment: TokenConnectEnvironment): string {
  return resolveBaseUrl(TOKEN_CONNECT_BASE_URLS, environment);
}
