import { type Environment, resolveBaseUrl } from '../http/base-url.js';

/**
 * MDES Customer Service's servers, from its "Environment Domains" page
 * (docs/mastercard/customer-service.md §1). MTF is on the production host,
 * with `mtf` before the version: `/mdes/csapi/mtf/v2`.
 */
export const CUSTOMER_SERVICE_BASE_URLS = {
  sandbox: 'https://sandbox.api.mastercard.com/mdes/csapi/v2',
  mtf: 'https://api.mastercard.com/mdes/csapi/mtf/v2',
  production: 'https://api.mastercard.com/mdes/csapi/v2',
} as const;

/** A documented environment, or any base URL (the local simulator). */
export type CustomerServiceEnvironment = Environment<keyof typeof CUSTOMER_SERVICE_BASE_URLS>;

/** Paths below the base URL (MDES Customer Service 2.0.7, `paths`). */
export const CUSTOMER_SERVICE_PATHS = {
  search: '/search',
  suspend: '/token/suspend',
  unsuspend: '/token/unsuspend',
  delete: '/token/delete',
  update: '/token/update',
  activate: '/token/activate',
  statusHistory: '/token/statushistory',
  activationMethods: '/token/activationmethods',
  resendActivationCode: '/token/resendactivationcode',
} as const;

export type CustomerServiceOperation = keyof typeof CUSTOMER_SERVICE_PATHS;

export function customerServiceBaseUrl(environment: CustomerServiceEnvironment): string {
  return resolveBaseUrl(CUSTOMER_SERVICE_BASE_URLS, environment);
}
