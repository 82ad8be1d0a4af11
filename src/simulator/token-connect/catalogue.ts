import type { PushMethod, TokenRequestor } from '../../mastercard/token-connect/types.js';

/**
 * What the simulated MDES knows: the issuer's account ranges enrolled in
 * MDES, and the token requestors in Token Connect with the ranges each one
 * accepts. Plain data, so the issuer's fixtures, the conformance suite and
 * the documentation (docs/simulator.md) can all name the same things.
 */

export type Product = 'CREDIT' | 'DEBIT' | 'MAESTRO';

/** The receipt prefix of each product (PushMultipleAccountsData.pushAccountReceipt). */
export const RECEIPT_PREFIX: Readonly<Record<Product, 'MCC' | 'DMC' | 'MSI'>> = {
  CREDIT: 'MCC',
  DEBIT: 'DMC',
  MAESTRO: 'MSI',
};

export interface MdesAccountRange {
  /** 9–19 digits; MDES names the range by this prefix zero-padded to 19 digits. */
  prefix: string;
  product: Product;
}

/** The issuer's account ranges enrolled in MDES ("known to MDES"). */
export const MDES_ACCOUNT_RANGES = [
  { prefix: '555555555', product: 'CREDIT' },
  { prefix: '510510510', product: 'CREDIT' },
  { prefix: '222300312', product: 'CREDIT' },
  { prefix: '520082828', product: 'DEBIT' },
  { prefix: '679999010', product: 'MAESTRO' },
  // Enrolled in MDES but enabled for no token requestor.
  { prefix: '510755999', product: 'DEBIT' },
  // The range of Mastercard's own getEligibleTokenRequestors example; no test card falls in it.
  { prefix: '5412346789', product: 'CREDIT' },
] as const satisfies readonly MdesAccountRange[];

type RangePrefix = (typeof MDES_ACCOUNT_RANGES)[number]['prefix'];

/** The 19-digit number MDES identifies a range by. */
export const rangeStart = (prefix: string): string => prefix.padEnd(19, '0');

/** The enrolled range a PAN falls in: the longest matching prefix. */
export function enrolledRangeOf(pan: string): MdesAccountRange | undefined {
  let best: MdesAccountRange | undefined;
  for (const range of MDES_ACCOUNT_RANGES) {
    if (pan.startsWith(range.prefix) && (!best || range.prefix.length > best.prefix.length)) best = range;
  }
  return best;
}

/** The enrolled range an account range start (9–19 digits, zero-padded by MDES) names exactly. */
export const rangeByStart = (accountRange: string): MdesAccountRange | undefined =>
  MDES_ACCOUNT_RANGES.find((r) => rangeStart(r.prefix) === rangeStart(accountRange));

export interface CatalogueOptions {
  /** The demo merchant's base URL as browsers reach it; its WEB push URI is `<merchantUrl>/push`. */
  merchantUrl: string;
  /** The simulator's base URL as browsers reach it, for the other token requestors' pages. */
  simulatorUrl: string;
}

interface Logo {
  background: string;
  foreground: string;
  /** One to three capital letters or digits drawn on the logo. */
  initials: string;
}

/** A token requestor as MDES holds it: the record it publishes, and how it behaves. */
export interface CatalogueEntry {
  record: TokenRequestor;
  /** Whether pushMultipleAccounts answers carry MDES's signature (tokenRequestorSignatureSupport). */
  signatureSupport: boolean;
  logo: Logo;
}

interface Profile {
  tokenRequestorId: string;
  name: string;
  consumerFacingEntityName: string;
  imageAssetId: string;
  type: 'WALLET' | 'MERCHANT';
  walletId?: string;
  ranges: readonly RangePrefix[];
  pushMethods: readonly PushMethod['type'][];
  multiplePushedCards: boolean;
  accountHolderData: readonly string[];
  signatureSupport: boolean;
  issuerInitiatedDigitizationData: boolean;
  cardHolderAuthentication: boolean;
  logo: Logo;
  /** The demo merchant's WEB page is its own, Click to Pay's is Click to Pay's; the others are stand-in pages. */
  web: 'merchant' | 'click-to-pay' | 'simulator';
}

/** Click to Pay's WEB push URI below the simulator, as the recorded sandbox exchange has one (`…/provision`). */
export const CLICK_TO_PAY_PUSH_PATH = '/click-to-pay/provision';

/** Mastercard's Click to Pay, as issuers find it among their eligible token requestors. */
export const CLICK_TO_PAY_TOKEN_REQUESTOR_ID = '50123197928';
/** The demo merchant (src/merchant), a Secure Card on File integrator. */
export const DEMO_MERCHANT_TOKEN_REQUESTOR_ID = '50182375119';

const ALL_HOLDER_DATA = ['NAME', 'ADDRESS', 'EMAIL_ADDRESS', 'MOBILE_PHONE_NUMBER'] as const;

const PROFILES: readonly Profile[] = [
  {
    tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
    name: 'Mastercard International Incorporated',
    consumerFacingEntityName: 'Click to Pay',
    imageAssetId: '3f0c7a52-1d2e-4b8a-9c61-2a7f5e0d9b14',
    // Click to Pay holds the cardholder's cards for every participating
    // merchant, a wallet in Token Connect's terms. The wallet id is pushprov's
    // placeholder: the value MDES sends could not be confirmed.
    type: 'WALLET',
    walletId: 'SRC',
    ranges: ['555555555', '510510510', '222300312', '520082828', '679999010', '5412346789'],
    pushMethods: ['WEB', 'ANDROID', 'IOS'],
    multiplePushedCards: true,
    accountHolderData: ALL_HOLDER_DATA,
    signatureSupport: true,
    issuerInitiatedDigitizationData: true,
    cardHolderAuthentication: false,
    logo: { background: '#1a1f71', foreground: '#ffffff', initials: 'CP' },
    web: 'click-to-pay',
  },
  {
    tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    name: 'pushprov Demo Shop Ltd',
    consumerFacingEntityName: 'Demo Shop',
    imageAssetId: '8c2d4e61-5a7b-4f90-b3c2-6e1f0a9d7c35',
    type: 'MERCHANT',
    ranges: ['555555555', '510510510', '520082828', '679999010', '5412346789'],
    pushMethods: ['WEB', 'ANDROID', 'IOS'],
    multiplePushedCards: true,
    accountHolderData: ['NAME', 'EMAIL_ADDRESS'],
    signatureSupport: true,
    issuerInitiatedDigitizationData: true,
    cardHolderAuthentication: false,
    logo: { background: '#0f766e', foreground: '#ffffff', initials: 'DS' },
    web: 'merchant',
  },
  {
    tokenRequestorId: '50161234563',
    name: 'Northwind Streaming Inc',
    consumerFacingEntityName: 'Northwind Streaming',
    imageAssetId: 'b41e9f07-2c3d-4a5e-8f61-7d0c2b9e4a18',
    type: 'MERCHANT',
    ranges: ['555555555', '520082828'],
    pushMethods: ['WEB', 'IOS'],
    multiplePushedCards: false,
    accountHolderData: [],
    signatureSupport: false,
    issuerInitiatedDigitizationData: false,
    cardHolderAuthentication: false,
    logo: { background: '#7c2d12', foreground: '#fde68a', initials: 'NW' },
    web: 'simulator',
  },
  {
    tokenRequestorId: '50170451220',
    name: 'Contoso Travel GmbH',
    consumerFacingEntityName: 'Contoso Travel',
    imageAssetId: 'd9a3c5e2-7f18-4b6d-a0e4-91c8f3b2d657',
    type: 'MERCHANT',
    ranges: ['555555555', '510510510', '5412346789'],
    pushMethods: ['WEB', 'ANDROID'],
    multiplePushedCards: true,
    accountHolderData: ALL_HOLDER_DATA,
    signatureSupport: true,
    issuerInitiatedDigitizationData: false,
    cardHolderAuthentication: true,
    logo: { background: '#1e3a8a', foreground: '#bfdbfe', initials: 'CT' },
    web: 'simulator',
  },
  {
    tokenRequestorId: '50148830097',
    name: 'Fabrikam Groceries SA',
    consumerFacingEntityName: 'Fabrikam Groceries',
    imageAssetId: '5e7b1a94-c3d2-4e8f-9a06-b2f4d1c8e379',
    type: 'MERCHANT',
    ranges: ['555555555', '520082828', '679999010'],
    pushMethods: ['WEB'],
    multiplePushedCards: true,
    accountHolderData: ['NAME', 'ADDRESS'],
    signatureSupport: false,
    issuerInitiatedDigitizationData: false,
    cardHolderAuthentication: false,
    logo: { background: '#365314', foreground: '#ecfccb', initials: 'FG' },
    web: 'simulator',
  },
];

/** The token requestors in Token Connect, Click to Pay first. */
export class Catalogue {
  readonly entries: readonly CatalogueEntry[];
  readonly #byId: ReadonlyMap<string, CatalogueEntry>;

  constructor(options: CatalogueOptions) {
    this.entries = PROFILES.map((profile) => entryOf(profile, options));
    this.#byId = new Map(this.entries.map((e) => [e.record.tokenRequestorId, e]));
  }

  find(tokenRequestorId: string): CatalogueEntry | undefined {
    return this.#byId.get(tokenRequestorId);
  }
}

/** Whether a token requestor accepts cards of an enrolled range. */
export const accepts = (entry: CatalogueEntry, range: MdesAccountRange): boolean =>
  entry.record.enabledAccountRanges.includes(rangeStart(range.prefix));

function entryOf(profile: Profile, options: CatalogueOptions): CatalogueEntry {
  const base = (url: string) => url.replace(/\/+$/, '');
  const page = `${base(options.simulatorUrl)}/token-requestors/${profile.tokenRequestorId}/push`;
  const uriOf = (type: PushMethod['type']): string => {
    if (type !== 'WEB') return `${page}/${type.toLowerCase()}`;
    if (profile.web === 'merchant') return `${base(options.merchantUrl)}/push`;
    return profile.web === 'click-to-pay' ? `${base(options.simulatorUrl)}${CLICK_TO_PAY_PUSH_PATH}` : page;
  };
  const pushMethods = profile.pushMethods.map((type) => ({ type, uri: uriOf(type) }));
  return {
    record: {
      tokenRequestorId: profile.tokenRequestorId,
      name: profile.name,
      consumerFacingEntityName: profile.consumerFacingEntityName,
      imageAssetId: profile.imageAssetId,
      tokenRequestorType: profile.type,
      ...(profile.walletId === undefined ? {} : { walletId: profile.walletId }),
      enabledAccountRanges: profile.ranges.map(rangeStart),
      supportedPushMethods: pushMethods.map((m) => m.type),
      supportsMultiplePushedCards: profile.multiplePushedCards,
      supportedAccountHolderData: [...profile.accountHolderData],
      supportsCardHolderAuthentication: profile.cardHolderAuthentication,
      supportsTokenConnect: true,
      availablePushMethods: pushMethods,
      supportIssuerInitiatedDigitizationData: profile.issuerInitiatedDigitizationData,
    },
    signatureSupport: profile.signatureSupport,
    logo: profile.logo,
  };
}

/**
 * The issuer's product configuration as MDES holds it, returned to a token
 * requestor with each new token (TokenizeResponse.productConfig).
 */
export interface ProductConfig {
  shortDescription: string;
  cardArtAssetId: string;
  cardArt: { background: string; label: string };
}

export const ISSUER = {
  name: 'pushprov Bank',
  logoAssetId: 'a6f3e8d1-4b2c-4d7e-9f10-c5b8a2e7d403',
  logo: { background: '#111827', foreground: '#facc15', initials: 'PB' },
  brandLogoAssetId: 'e2c7b9a4-8d1f-4c3e-b5a6-0f9d8e7c6b52',
} as const;

export const PRODUCT_CONFIGS: Readonly<Record<Product, ProductConfig>> = {
  CREDIT: {
    shortDescription: 'pushprov Bank Mastercard Credit',
    cardArtAssetId: '71b5d3e9-0c2a-4f6b-8e4d-3a9c1f7b5e20',
    cardArt: { background: '#1f2937', label: 'CREDIT' },
  },
  DEBIT: {
    shortDescription: 'pushprov Bank Mastercard Debit',
    cardArtAssetId: 'c08e4a2f-6b9d-4e1c-a7f3-5d2b8c9e0a61',
    cardArt: { background: '#0e7490', label: 'DEBIT' },
  },
  MAESTRO: {
    shortDescription: 'pushprov Bank Maestro',
    cardArtAssetId: '2d9f6c1b-e4a7-4b3d-9c8e-7f0a5b2d1e96',
    cardArt: { background: '#4c1d95', label: 'MAESTRO' },
  },
};
