import type { ACCOUNT_HOLDER_DATA_ELEMENTS } from '../mastercard/token-connect/schemas.js';
import type { AccountHolder } from '../mastercard/token-connect/types.js';
import { alpha3Of } from './countries.js';

/**
 * The cardholder's details as the issuer holds them, and what of them goes
 * to a token requestor: only the elements it declares it accepts
 * (`supportedAccountHolderData`), in Token Connect's shapes and lengths.
 */
export interface CardholderProfile {
  name: string;
  email: string;
  /** E.164, e.g. +447700900123. */
  phone: string;
  billingAddress: {
    line1: string;
    line2?: string;
    city: string;
    state?: string;
    postalCode: string;
    /** ISO 3166-1 alpha-2. */
    country: string;
  };
  /** BCP 47 or ll_CC, e.g. en-GB. */
  locale: string;
}

type AccountHolderElement = (typeof ACCOUNT_HOLDER_DATA_ELEMENTS)[number];

/** Country dial-in codes of E.164 numbers, longest first so +1 does not swallow +12xx. */
const DIAL_CODES = [
  '971',
  '974',
  '965',
  '966',
  '852',
  '420',
  '353',
  '1',
  '7',
  '20',
  '27',
  '30',
  '31',
  '32',
  '33',
  '34',
  '36',
  '39',
  '40',
  '41',
  '43',
  '44',
  '45',
  '46',
  '47',
  '48',
  '49',
  '51',
  '52',
  '53',
  '54',
  '55',
  '56',
  '57',
  '58',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '81',
  '82',
  '84',
  '86',
  '90',
  '91',
  '92',
  '93',
  '94',
  '95',
  '98',
].sort((a, b) => b.length - a.length);

export function splitE164(phone: string): { countryDialInCode: string; phoneNumber: string } | undefined {
  const digits = phone.replace(/[\s()-]/g, '');
  if (!/^\+\d{6,15}$/.test(digits)) return undefined;
  const rest = digits.slice(1);
  const code = DIAL_CODES.find((c) => rest.startsWith(c));
  return code ? { countryDialInCode: code, phoneNumber: rest.slice(code.length) } : undefined;
}

const clip = (s: string | undefined, max: number): string | undefined =>
  s === undefined || s.trim() === '' ? undefined : s.trim().slice(0, max);

/** The account holder data for a token requestor, or undefined when it accepts none. */
export function accountHolderDataFor(
  profile: CardholderProfile,
  accepted: readonly string[] | undefined,
): AccountHolder | undefined {
  const wants = new Set(accepted ?? []);
  const data: AccountHolder = {};
  if (wants.has('NAME')) {
    const name = clip(profile.name.toUpperCase(), 27);
    if (name) data.accountHolderName = name;
  }
  if (wants.has('EMAIL_ADDRESS') && profile.email.length >= 6) data.accountHolderEmailAddress = profile.email;
  if (wants.has('MOBILE_PHONE_NUMBER')) {
    const phone = splitE164(profile.phone);
    if (phone) data.accountHolderMobilePhoneNumber = phone;
  }
  if (wants.has('ADDRESS')) {
    const a = profile.billingAddress;
    const address = {
      line1: clip(a.line1, 64),
      line2: clip(a.line2, 64),
      city: clip(a.city, 32),
      countrySubdivision: clip(a.state, 12),
      postalCode: clip(a.postalCode, 16),
      country: alpha3Of(a.country),
    };
    data.accountHolderAddress = Object.fromEntries(
      Object.entries(address).filter(([, v]) => v !== undefined),
    );
  }
  return Object.keys(data).length > 0 ? data : undefined;
}

/** Token Connect's locale form, ll_CC, from en-GB / en_GB; undefined when it has no region. */
export function tokenConnectLocale(locale: string): string | undefined {
  const m = /^([a-zA-Z]{2})[-_]([a-zA-Z]{2})$/.exec(locale);
  return m ? `${m[1]?.toLowerCase()}_${m[2]?.toUpperCase()}` : undefined;
}

/**
 * What the cardholder reviews before consenting: each element that will be
 * shared. Masked by default, so that no full PII value leaves the issuer in
 * an API response; `own` shows the values whole, for the bank's own signed-in
 * page, where cardholders check their own details before sharing them (a
 * no-store page, never logged).
 */
export function consentPreview(
  profile: CardholderProfile,
  accepted: readonly string[] | undefined,
  show: 'masked' | 'own' = 'masked',
) {
  const wants = new Set(accepted ?? []);
  const own = show === 'own';
  const preview: { element: AccountHolderElement; label: string; value: string }[] = [];
  if (wants.has('NAME'))
    preview.push({ element: 'NAME', label: 'Name', value: own ? profile.name : maskName(profile.name) });
  if (wants.has('EMAIL_ADDRESS'))
    preview.push({
      element: 'EMAIL_ADDRESS',
      label: 'Email',
      value: own ? profile.email : maskEmail(profile.email),
    });
  if (wants.has('MOBILE_PHONE_NUMBER')) {
    preview.push({
      element: 'MOBILE_PHONE_NUMBER',
      label: 'Mobile number',
      value: own ? profile.phone : maskPhone(profile.phone),
    });
  }
  if (wants.has('ADDRESS')) {
    const a = profile.billingAddress;
    preview.push({
      element: 'ADDRESS',
      label: 'Billing address',
      value: own
        ? [a.line1, a.line2, a.city, a.state, a.postalCode, a.country].filter(Boolean).join(', ')
        : `${maskWord(a.line1)}, ${a.city} ${a.country}`,
    });
  }
  return preview;
}

const maskWord = (w: string): string =>
  w.length <= 1 ? '•' : `${w[0]}${'•'.repeat(Math.min(w.length - 1, 6))}`;
const maskName = (name: string): string => name.trim().split(/\s+/).map(maskWord).join(' ');
export const maskEmail = (email: string): string => {
  const [local = '', domain = ''] = email.split('@');
  return `${maskWord(local)}@${domain}`;
};
export const maskPhone = (phone: string): string =>
  `${phone.slice(0, 3)}${'•'.repeat(Math.max(phone.length - 6, 0))}${phone.slice(-3)}`;
