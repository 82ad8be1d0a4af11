import { type Static, type TLiteral, type TUnion, Type } from '@sinclair/typebox';

/**
 * TypeBox schemas for the MDES Token Connect wire format, transcribed from
 * Mastercard's published OpenAPI file `mdes-token-connect.yaml` (v2.11),
 * https://static.developer.mastercard.com/content/mdes-token-connect/swagger/mdes-token-connect.yaml
 * (linked from https://developer.mastercard.com/mdes-token-connect/documentation/api-reference/).
 * Field names, presence and lengths are Mastercard's; where pushprov had to
 * choose (the spec is silent or contradicts itself) the comment says so and
 * docs/mastercard/token-connect.md lists the assumption.
 *
 * The simulator validates requests with these schemas and maps a failure to
 * Mastercard's reason codes (MISSING_REQUIRED_FIELD, INVALID_FIELD_LENGTH, ...).
 */

// ---------------------------------------------------------------------------
// Length limits (minLength/maxLength in the spec) and enumerations
// ---------------------------------------------------------------------------

/** Every documented [min, max] length, keyed by the spec's field name. */
export const LENGTHS = {
  requestId: [1, 64],
  responseId: [1, 64],
  /** 11 numeric digits. */
  tokenRequestorId: [11, 11],
  /** Account range start numbers in getEligibleTokenRequestors; MDES zero-pads them to 19. */
  accountRange: [9, 19],
  /** enabledAccountRanges entries are always 19 digits. */
  enabledAccountRange: [19, 19],
  name: [1, 64],
  consumerFacingEntityName: [1, 100],
  imageAssetId: [1, 64],
  tokenRequestorType: [1, 32],
  walletId: [1, 3],
  pushMethodType: [1, 32],
  uri: [11, 128],
  mediaType: [1, 32],
  /** Pixel height/width of non-SVG assets, as numeric strings. */
  mediaDimension: [1, 6],
  pushAccountReceipt: [1, 64],
  pushAccountId: [1, 36],
  issuerInitiatedDigitizationData: [1, 5000],
  authenticationCode: [1, 32],
  /** callbackURL: the spec gives only a maximum. */
  callbackURL: [1, 256],
  locale: [4, 5],
  tokenRequestorSessionId: [3, 64],
  publicKeyFingerprint: [32, 64],
  encryptedKey: [32, 512],
  oaepHashingAlgorithm: [6, 6],
  iv: [24, 32],
  algorithmCipherMode: [3, 3],
  tag: [1, 36],
  aad: [1, 36],
  dataValidUntilTimestamp: [20, 29],
  accountNumber: [9, 19],
  expiryMonth: [2, 2],
  expiryYear: [2, 2],
  financialAccountId: [9, 64],
  interbankCardAssociationId: [3, 11],
  countryCode: [3, 3],
  accountHolderName: [1, 27],
  accountHolderEmailAddress: [6, 320],
  line1: [1, 64],
  line2: [1, 64],
  city: [1, 32],
  countrySubdivision: [1, 12],
  postalCode: [1, 16],
  country: [3, 3],
  countryDialInCode: [1, 4],
  phoneNumber: [1, 20],
  errorSource: [1, 32],
  reasonCode: [1, 100],
  errorDescription: [1, 256],
  errorCode: [1, 100],
} as const satisfies Record<string, readonly [number, number]>;

/** getEligibleTokenRequestors takes at most 25 account ranges. */
export const MAX_ACCOUNT_RANGES = 25;

/**
 * A token requestor with supportsMultiplePushedCards accepts at most 5
 * receipts in one request (TokenRequestor.supportsMultiplePushedCards).
 */
export const MAX_RECEIPTS_PER_PUSH = 5;

/**
 * pushAccountReceiptsValidityPeriod, in minutes: default 15, "greater than 4"
 * and "lesser or equal to 15" (release note 2023 February (Q1)). The spec types
 * it `number` with 1-2 characters; pushprov accepts whole minutes only.
 */
export const RECEIPT_VALIDITY_MINUTES = { default: 15, min: 5, max: 15 } as const;

const TOKEN_REQUESTOR_TYPES = ['MERCHANT', 'WALLET'] as const;
const PUSH_METHOD_TYPES = ['ANDROID', 'IOS', 'WEB'] as const;
const MEDIA_TYPES = [
  'application/pdf',
  'image/png',
  'image/svg+xml',
  'text/plain',
  'text/html',
  // MDES's key for verifying push signatures, fetched as an asset (MDESRQ Dec 2021, p. 43).
  'application/jwk+json',
] as const;
/**
 * Known values of TokenRequestor.supportedAccountHolderData. Mastercard warns
 * that new values may be added, so responses are typed as plain strings.
 */
export const ACCOUNT_HOLDER_DATA_ELEMENTS = [
  'NAME',
  'ADDRESS',
  'EMAIL_ADDRESS',
  'MOBILE_PHONE_NUMBER',
] as const;
/** Absent oaepHashingAlgorithm means RSA PKCS #1 v1.5. */
const OAEP_HASHING_ALGORITHMS = ['SHA256', 'SHA512'] as const;
const CIPHER_MODES = ['CBC', 'GCM'] as const;
/** pushAccountReceipt prefix: the product of the funding account. */
export const RECEIPT_PREFIXES = {
  MCC: 'Mastercard Credit',
  DMC: 'Mastercard Debit',
  MSI: 'Maestro',
  PVL: 'Private Label',
} as const;

/** Path version segment (`{maj}` in the spec, example "1/0"). */
export const API_VERSION_PATH = '1/0';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Field = keyof typeof LENGTHS;

const str = (field: Field, options: { pattern?: string; description?: string } = {}) =>
  Type.String({ minLength: LENGTHS[field][0], maxLength: LENGTHS[field][1], ...options });

const digits = (field: Field) => {
  const [min, max] = LENGTHS[field];
  return str(field, { pattern: min === max ? `^[0-9]{${min}}$` : `^[0-9]{${min},${max}}$` });
};

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

const literals = <const T extends readonly string[]>(values: T): TUnion<Literals<T>> =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<Literals<T>>;

const HEX = '^[0-9A-Fa-f]+$';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** One error, as MDES returns it in `errors` (ErrorWrapper, or inside a 200 payload). */
export const ErrorSchema = Type.Object({
  /** INPUT: the request triggered it; MDES: MDES reported it. */
  source: str('errorSource'),
  reasonCode: str('reasonCode'),
  description: Type.Optional(str('errorDescription')),
  /** "Only generated by Open API." */
  errorCode: Type.Optional(str('errorCode')),
  /** "Only generated by Open API." Whether retrying may change the outcome. */
  recoverable: Type.Optional(Type.Boolean()),
});

/** The `default` (non-200) response body of every operation. */
export const ErrorWrapperSchema = Type.Object({
  errors: Type.Array(ErrorSchema, { minItems: 1 }),
  responseId: Type.Optional(Type.String()),
});

/**
 * The Mastercard API gateway's own error format (OAuth failures, rate limits,
 * gateway faults) which reaches the client before MDES sees the request.
 * https://developer.mastercard.com/platform/documentation/errors-and-troubleshooting/oauth1-and-mtls-error-codes/
 */
export const GatewayErrorSchema = Type.Object({
  Errors: Type.Object({
    Error: Type.Array(
      Type.Object({
        Source: Type.String(),
        ReasonCode: Type.String(),
        Description: Type.Optional(Type.String()),
        Recoverable: Type.Optional(Type.Boolean()),
        Details: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      }),
    ),
  }),
});

const errorsField = Type.Optional(Type.Array(ErrorSchema));

// ---------------------------------------------------------------------------
// Token requestors and push methods
// ---------------------------------------------------------------------------

export const PushMethodSchema = Type.Object({
  type: literals(PUSH_METHOD_TYPES),
  /** App intent (ANDROID/IOS) or browser URL (WEB) of the token requestor. */
  uri: str('uri'),
});

export const TokenRequestorSchema = Type.Object({
  tokenRequestorId: digits('tokenRequestorId'),
  /** Legal name. */
  name: str('name'),
  /** Name shown to the cardholder (up to 100 characters: lists must show it in full). */
  consumerFacingEntityName: str('consumerFacingEntityName'),
  /** Logo; fetch it with getAsset. */
  imageAssetId: Type.Optional(str('imageAssetId')),
  tokenRequestorType: literals(TOKEN_REQUESTOR_TYPES),
  /** Only for wallets. */
  walletId: Type.Optional(str('walletId')),
  /**
   * 19-digit account range start numbers. The spec types them int64, which a
   * JSON number cannot carry exactly in JavaScript (> 2^53); pushprov parses
   * them losslessly into decimal strings (see json.ts).
   */
  enabledAccountRanges: Type.Array(digits('enabledAccountRange')),
  /** Absent when the token requestor is not in the Token Connect programme. */
  supportedPushMethods: Type.Optional(Type.Array(literals(PUSH_METHOD_TYPES))),
  /** Present iff the token requestor is in Token Connect; max 5 receipts when true. */
  supportsMultiplePushedCards: Type.Optional(Type.Boolean()),
  /** Account holder data the token requestor accepts; new values may appear. */
  supportedAccountHolderData: Type.Optional(Type.Array(Type.String())),
  supportsCardHolderAuthentication: Type.Optional(Type.Boolean()),
  supportsTokenConnect: Type.Optional(Type.Boolean()),
  availablePushMethods: Type.Optional(Type.Array(PushMethodSchema)),
  supportIssuerInitiatedDigitizationData: Type.Optional(Type.Boolean()),
});

// ---------------------------------------------------------------------------
// getEligibleTokenRequestors — POST /connect/1/0/getEligibleTokenRequestors
// ---------------------------------------------------------------------------

export const GetEligibleTokenRequestorsRequestSchema = Type.Object({
  requestId: str('requestId'),
  /** Starting numbers of account ranges, 9-19 digits each; MDES zero-pads them to 19. */
  accountRanges: Type.Array(digits('accountRange'), { minItems: 1, maxItems: MAX_ACCOUNT_RANGES }),
  /** @deprecated in the spec. */
  supportsTokenConnect: Type.Optional(Type.Boolean()),
});

export const GetEligibleTokenRequestorsResponseSchema = Type.Object({
  responseId: str('responseId'),
  /** Required if the operation succeeded. */
  tokenRequestors: Type.Optional(Type.Array(TokenRequestorSchema)),
  /** Present only if errors occurred. */
  errors: errorsField,
});

// ---------------------------------------------------------------------------
// getAsset — GET /issuer-assets/1/0/asset/tokenrequestor/{AssetId}
// ---------------------------------------------------------------------------

export const MediaContentSchema = Type.Object({
  type: literals(MEDIA_TYPES),
  /** Base64 of the content in the format named by `type`. */
  data: Type.String({ contentEncoding: 'base64' }),
  /** Non-SVG images only, in pixels. */
  height: Type.Optional(digits('mediaDimension')),
  width: Type.Optional(digits('mediaDimension')),
});

/** A token requestor logo comes as both SVG and PNG. */
export const AssetResponseSchema = Type.Object({
  mediaContents: Type.Optional(Type.Array(MediaContentSchema)),
});

// ---------------------------------------------------------------------------
// Encrypted parts: the wire envelope and what it decrypts to
// ---------------------------------------------------------------------------

/**
 * Mastercard field-level payload encryption: a one-time AES key encrypts the
 * JSON payload, the AES key is RSA-encrypted with Mastercard's public key
 * (identified by its fingerprint). Hex-encoded unless noted.
 */
export const EncryptedPayloadSchema = Type.Object({
  /** The ciphertext of the JSON payload (FundingAccount, or an array of PushMultipleFundingAccount). */
  encryptedData: Type.String({ minLength: 1 }),
  /** Fingerprint of the Mastercard public key that wrapped the AES key. */
  publicKeyFingerprint: str('publicKeyFingerprint', { pattern: HEX }),
  /** The one-time AES key (128-bit required, 256-bit optional), RSA-encrypted. */
  encryptedKey: str('encryptedKey', { pattern: HEX }),
  /** OAEP digest; absent means PKCS #1 v1.5. */
  oaepHashingAlgorithm: Type.Optional(literals(OAEP_HASHING_ALGORITHMS)),
  /** 12 bytes for GCM, 16 for CBC; absent means an IV of zero. */
  iv: Type.Optional(str('iv', { pattern: HEX })),
  algorithmCipherMode: Type.Optional(literals(CIPHER_MODES)),
  /** GCM only. */
  tag: Type.Optional(str('tag')),
  /** GCM only. */
  aad: Type.Optional(str('aad', { pattern: HEX })),
});

/** Card data inside the encrypted payload (PCI). */
const CardAccountSchema = Type.Object({
  /** The PAN, 9-19 digits. */
  accountNumber: digits('accountNumber'),
  /** May be omitted if the card has no expiry; never in the past. */
  expiryMonth: Type.Optional(digits('expiryMonth')),
  expiryYear: Type.Optional(digits('expiryYear')),
});

const FinancialAccountSchema = Type.Object({
  financialAccountId: str('financialAccountId'),
  /** ICA assigned by Mastercard to the institution. */
  interbankCardAssociationId: str('interbankCardAssociationId'),
  /** ISO 3166-1 alpha-3. */
  countryCode: str('countryCode', { pattern: '^[A-Z]{3}$' }),
});

const BillingAddressSchema = Type.Object({
  line1: Type.Optional(str('line1')),
  line2: Type.Optional(str('line2')),
  city: Type.Optional(str('city')),
  countrySubdivision: Type.Optional(str('countrySubdivision')),
  postalCode: Type.Optional(str('postalCode')),
  /** ISO 3166-1 alpha-3. */
  country: Type.Optional(str('country', { pattern: '^[A-Z]{3}$' })),
});

const PhoneNumberSchema = Type.Object({
  /** "1" for the USA, "44" for the UK. */
  countryDialInCode: digits('countryDialInCode'),
  /** Without any domestic prefix. */
  phoneNumber: digits('phoneNumber'),
});

/** Cardholder PII inside the encrypted payload. */
export const AccountHolderSchema = Type.Object({
  /** LASTNAME/FIRSTNAME or FIRSTNAME LASTNAME. */
  accountHolderName: Type.Optional(str('accountHolderName')),
  accountHolderAddress: Type.Optional(BillingAddressSchema),
  accountHolderEmailAddress: Type.Optional(str('accountHolderEmailAddress')),
  accountHolderMobilePhoneNumber: Type.Optional(PhoneNumberSchema),
});

/**
 * Where each supportedAccountHolderData element travels in accountHolderData:
 * a token requestor receives only the fields of the elements it supports.
 */
export const ACCOUNT_HOLDER_DATA_FIELDS: Readonly<
  Record<(typeof ACCOUNT_HOLDER_DATA_ELEMENTS)[number], keyof Static<typeof AccountHolderSchema>>
> = {
  NAME: 'accountHolderName',
  ADDRESS: 'accountHolderAddress',
  EMAIL_ADDRESS: 'accountHolderEmailAddress',
  MOBILE_PHONE_NUMBER: 'accountHolderMobilePhoneNumber',
};

/** The accountHolderData field of an element; undefined for one Mastercard added later. */
export function accountHolderFieldOf(element: string): keyof Static<typeof AccountHolderSchema> | undefined {
  return Object.hasOwn(ACCOUNT_HOLDER_DATA_FIELDS, element)
    ? ACCOUNT_HOLDER_DATA_FIELDS[element as keyof typeof ACCOUNT_HOLDER_DATA_FIELDS]
    : undefined;
}

/** What one encrypted funding account decrypts to. */
export const FundingAccountSchema = Type.Object({
  /**
   * After this instant the payload must be rejected; at most 30 days ahead,
   * Mastercard recommends now + 30 minutes. ISO 8601 with Z or an offset.
   */
  dataValidUntilTimestamp: Type.Optional(
    str('dataValidUntilTimestamp', {
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?(Z|[+-]\\d{2}:\\d{2})$',
    }),
  ),
  cardAccountData: Type.Optional(CardAccountSchema),
  financialAccountData: Type.Optional(FinancialAccountSchema),
  accountHolderData: Type.Optional(AccountHolderSchema),
});

/** One element of the array pushMultipleAccounts encrypts. */
export const PushMultipleFundingAccountSchema = Type.Object({
  /** Unique within the request; generated by the issuer for each account and request. */
  pushAccountId: str('pushAccountId'),
  fundingAccountData: FundingAccountSchema,
});

/** The plaintext of pushFundingAccounts.encryptedPayload.encryptedData. */
export const PushMultipleFundingAccountsSchema = Type.Array(PushMultipleFundingAccountSchema, {
  minItems: 1,
  maxItems: MAX_RECEIPTS_PER_PUSH,
});

// ---------------------------------------------------------------------------
// pushMultipleAccounts — POST /connect/1/0/pushMultipleAccounts
// ---------------------------------------------------------------------------

/** Data MDES signs for the token requestor (see PushMultipleAccountsResponse.signature). */
export const PushAccountSignatureDataSchema = Type.Object({
  /** Absolute URL (custom app schemes allowed) the token requestor returns the cardholder to. */
  callbackURL: Type.Optional(str('callbackURL')),
  /**
   * On REQUIRE_ADDITIONAL_AUTHENTICATION with CARDHOLDER_TO_USE_ISSUER_MOBILE_APP:
   * true, the token requestor opens the issuer app; false, it returns via callbackURL.
   */
  completeIssuerAppActivation: Type.Optional(Type.Boolean()),
  /** Same for CARDHOLDER_TO_VISIT_WEBSITE. Default true. */
  completeWebsiteActivation: Type.Optional(Type.Boolean()),
  /** Whether accountHolderData was sent with the funding account. Default false. */
  accountHolderDataSupplied: Type.Optional(Type.Boolean()),
  /** ISO 639-1 lowercase, "_", ISO 3166-1 alpha-2 uppercase, e.g. en_US. */
  locale: Type.Optional(str('locale', { pattern: '^[a-z]{2}_[A-Z]{2}$' })),
  /** From the token requestor, in pull provisioning. */
  tokenRequestorSessionId: Type.Optional(str('tokenRequestorSessionId')),
});

export const PushMultipleAccountsRequestSchema = Type.Object({
  requestId: str('requestId'),
  pushFundingAccounts: Type.Object({ encryptedPayload: EncryptedPayloadSchema }),
  tokenRequestorId: digits('tokenRequestorId'),
  signatureData: Type.Optional(PushAccountSignatureDataSchema),
  /** Ask for issuerInitiatedDigitizationData per receipt (proprietary communication, 2023 January). Default false. */
  requestIssuerInitiatedDigitizationData: Type.Optional(Type.Boolean()),
  /** Minutes, applies to every receipt of the request (2023 February). */
  pushAccountReceiptsValidityPeriod: Type.Optional(
    Type.Integer({ minimum: RECEIPT_VALIDITY_MINUTES.min, maximum: RECEIPT_VALIDITY_MINUTES.max }),
  ),
  /** Code the cardholder entered in the issuer app, to prove the same person is in both places. */
  authenticationCode: Type.Optional(str('authenticationCode')),
});

/** One result per pushed account. */
export const PushMultipleAccountsDataSchema = Type.Object({
  pushAccountId: str('pushAccountId'),
  /** prefix-UUID (MCC, DMC, MSI, PVL); required unless `errors` is present. */
  pushAccountReceipt: Type.Optional(str('pushAccountReceipt')),
  /** Base64 of {"fundingAccountInfo":{"pushAccountReceipt":…}}; only if requested. */
  issuerInitiatedDigitizationData: Type.Optional(str('issuerInitiatedDigitizationData')),
  errors: errorsField,
});

export const PushMultipleAccountsResponseSchema = Type.Object({
  responseId: str('responseId'),
  pushAccountReceipts: Type.Optional(Type.Array(PushMultipleAccountsDataSchema)),
  availablePushMethods: Type.Optional(Type.Array(PushMethodSchema)),
  /**
   * Compact JWS (RS256) made by MDES; present if tokenRequestorSignatureSupport
   * is true and at least one receipt was returned.
   */
  signature: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' })),
  tokenRequestorSignatureSupport: Type.Optional(Type.Boolean()),
  errors: errorsField,
});

/**
 * The claims of the JWS in `signature`, as a recorded sandbox exchange shows
 * them (kajiczech/mdesTokenConnect, request_examples/request1-response.json):
 * every receipt, the callback URL, two of the flags and the locale. The
 * spec's own example and MDESRQ's spell them otherwise (docs/mastercard/handover.md).
 */
export const PushAccountSignaturePayloadSchema = Type.Object({
  pushAccountReceipts: Type.Array(str('pushAccountReceipt')),
  callbackURL: Type.Optional(Type.String()),
  completeWebsiteActivation: Type.Optional(Type.Boolean()),
  accountHolderDataSupplied: Type.Optional(Type.Boolean()),
  locale: Type.Optional(Type.String()),
});

/** The decoded issuerInitiatedDigitizationData. */
export const IssuerInitiatedDigitizationDataSchema = Type.Object({
  fundingAccountInfo: Type.Object({ pushAccountReceipt: str('pushAccountReceipt') }),
});

// ---------------------------------------------------------------------------
// pushAccount (deprecated) — POST /connect/1/0/pushAccount
// ---------------------------------------------------------------------------

/** @deprecated Replaced by pushMultipleAccounts; mandatory for new issuers since 1 February 2022. */
export const PushAccountRequestSchema = Type.Object({
  requestId: str('requestId'),
  /** encryptedData decrypts to one FundingAccount. */
  pushFundingAccount: Type.Object({ encryptedPayload: EncryptedPayloadSchema }),
  tokenRequestorId: digits('tokenRequestorId'),
});

/** @deprecated See PushAccountRequestSchema. */
export const PushAccountResponseSchema = Type.Object({
  responseId: str('responseId'),
  pushAccountReceipt: Type.Optional(str('pushAccountReceipt')),
  availablePushMethods: Type.Optional(Type.Array(PushMethodSchema)),
  errors: errorsField,
});
