import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * TypeBox schemas of the MDES Pre-Digitization web services the issuer
 * hosts, transcribed from Mastercard's "MDES Issuer Outbound API" 2.0.21
 * (`mastercard-digital-enablement-service-issuer-outbound-api-swagger.yaml`;
 * docs/mastercard/pre-digitization.md §2 names each schema). Required fields
 * and length bounds are the spec's `required` and `minLength`/`maxLength`;
 * a pattern is added only where a description states the form ("Numeric",
 * "Hex-encoded", the ISO 8601 forms). The spec declares no `enum`: fields
 * whose descriptions list values ("Must be one of …") stay strings bounded
 * as the spec bounds them, because Mastercard warns that new values may come
 * ("New reason codes can be added at any time and should not result in a
 * failure"); the known values are exported below for whoever interprets
 * them. Members the spec does not name are let through: the API reference
 * asks every integration to tolerate new optional elements.
 *
 * Each encrypted part has two schemas: the envelope as it travels, whose
 * `encryptedData` is hex ciphertext, and the plaintext inside it, which the
 * spec documents in place of the ciphertext (its `encryptedData` refers to
 * the plaintext's schema while describing a hex string).
 */

const str = (min: number, max: number, extra: object = {}) =>
  Type.String({ minLength: min, maxLength: max, ...extra });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

const HEX = { pattern: '^[0-9A-Fa-f]+$' };
const NUMERIC = { pattern: '^[0-9]+$' };
/** YYYY-MM-DDThh:mm:ss[.sss]Z or YYYY-MM-DDThh:mm:ss[.sss]±hh:mm, as the spec's descriptions give them. */
const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?(Z|[+-]\\d{2}:\\d{2})$';
const dateTime = () => str(20, 29, { pattern: ISO_DATE_TIME });
const strings = () => Type.Array(Type.String());

// ---------------------------------------------------------------------------
// Known values, from the descriptions (docs/mastercard/pre-digitization.md §2)
// ---------------------------------------------------------------------------

/** AuthorizeServiceResponse `decision`. */
const DECISIONS = ['APPROVED', 'DECLINED', 'REQUIRE_ADDITIONAL_AUTHENTICATION'] as const;
export type Decision = (typeof DECISIONS)[number];
/** `activationMethod.type`, and what `value` holds for each. */
const ACTIVATION_METHOD_TYPES = [
  /** The account holder's masked mobile number. */
  'TEXT_TO_CARDHOLDER_NUMBER',
  /** The account holder's masked e-mail address. */
  'EMAIL_TO_CARDHOLDER_ADDRESS',
  /** The number of an automated call centre for the account holder to call. */
  'CARDHOLDER_TO_CALL_AUTOMATED_NUMBER',
  /** The number of a manned call centre. */
  'CARDHOLDER_TO_CALL_MANNED_NUMBER',
  /** A website's URL. */
  'CARDHOLDER_TO_VISIT_WEBSITE',
  /** A mobile app; the value "will be replaced by a formatted string". */
  'CARDHOLDER_TO_USE_MOBILE_APP',
  /** The account holder's masked voice number, which the issuer calls. */
  'ISSUER_TO_CALL_CARDHOLDER_NUMBER',
] as const;
export type ActivationMethodType = (typeof ACTIVATION_METHOD_TYPES)[number];

// ---------------------------------------------------------------------------
// The encrypted payload envelope (`encryptedPayloadIn`, `EncryptedPayloadOut`,
// `encryptedPayloadSchemaForNTU`: the same members and bounds)
// ---------------------------------------------------------------------------

/** The OAEP digests the spec names; absent means RSA PKCS #1 v1.5. */
const OAEP_HASHING_ALGORITHMS = ['SHA256', 'SHA512'] as const;
/** "Max length - 256k" of `encryptedData`, read as 256 × 1024 hex characters. */
const MAX_ENCRYPTED_DATA = 256 * 1024;

export const EncryptedPayloadSchema = Type.Object({
  /** The ciphertext of the JSON plaintext, hex: AES-CBC with PKCS#7 padding under the one-time key. */
  encryptedData: str(1, MAX_ENCRYPTED_DATA, HEX),
  /** Which public key wrapped the one-time key. */
  publicKeyFingerprint: str(32, 64, HEX),
  /** The one-time AES key (128-bit required, 256-bit optional), RSA-wrapped, hex. */
  encryptedKey: str(32, 512, HEX),
  /** "If omitted, then the RSA Encryption Standard PKCS 1 v1.5 will be used." */
  oaepHashingAlgorithm: opt(Type.Union(OAEP_HASHING_ALGORITHMS.map((a) => Type.Literal(a)))),
  /** 16 bytes, hex; "If not present, an IV of zero is assumed." */
  iv: opt(str(32, 32, HEX)),
});
export type EncryptedPayload = Static<typeof EncryptedPayloadSchema>;

// ---------------------------------------------------------------------------
// What encrypted payloads hold (PCI data and PII)
// ---------------------------------------------------------------------------

/** `cardAccountDataSchema`: the card. */
export const CardAccountDataSchema = Type.Object({
  accountNumber: str(9, 19),
  /** May be omitted if the card has no expiry. */
  expiryMonth: opt(str(2, 2, NUMERIC)),
  expiryYear: opt(str(2, 2, NUMERIC)),
  /** The CVC2 the cardholder entered. */
  securityCode: opt(str(3, 3)),
});

/** `financialAccountDataSchema`. */
const FinancialAccountDataSchema = Type.Object({
  financialAccountId: str(9, 64),
  interbankCardAssociationId: str(3, 11),
  /** ISO 3166-1 alpha-3. */
  countryCode: str(3, 3),
});

/** `tokenDataSchema`: `sequenceNumber` is required in AuthorizeServiceResponseData only. */
const TokenDataSchema = Type.Object({
  token: str(12, 19),
  expiryMonth: str(2, 2),
  expiryYear: str(2, 2),
  sequenceNumber: opt(str(2, 2)),
});

/** `billingAddressSchema`. */
const BillingAddressSchema = Type.Object({
  line1: opt(str(1, 64)),
  line2: opt(str(1, 64)),
  city: opt(str(1, 32)),
  countrySubdivision: opt(str(1, 12)),
  postalCode: opt(str(1, 16)),
  /** ISO 3166-1 alpha-3. */
  country: opt(str(3, 3)),
});

/** `phoneNumberSchema`. */
const PhoneNumberSchema = Type.Object({
  countryDialInCode: opt(str(1, 4)),
  phoneNumber: opt(str(1, 20)),
});

/** `accountHolderDataSchema`: PII, sent unmasked inside the encryption. */
export const AccountHolderDataSchema = Type.Object({
  /** LASTNAME/FIRSTNAME or FIRSTNAME LASTNAME. */
  accountHolderName: opt(str(1, 27)),
  accountHolderAddress: opt(BillingAddressSchema),
  sourceIp: opt(str(7, 64)),
  /** "(sign) latitude/(sign) longitude", two decimals. */
  deviceLocation: opt(str(1, 64)),
  consumerIdentifier: opt(str(1, 88)),
  accountHolderEmailAddress: opt(str(6, 320)),
  accountHolderMobilePhoneNumber: opt(PhoneNumberSchema),
});

/** `chipDataSchema`: only for Tap to Add Card when the issuer validates chip data itself. */
const ChipDataSchema = Type.Object({
  track2Data: str(1, 37),
  panEntryMode: str(1, 4),
  iccSystemRelatedData: str(1, 255),
});

/** `fundingAccountDataSchema`: the plaintext of AuthorizeService's, RequestActivationMethods' and NotifyServiceActivated's payload. */
export const FundingAccountDataSchema = Type.Object({
  /** FUNDING_SOURCES. */
  source: opt(str(1, 32)),
  /** After this instant the payload must be rejected; at most 30 days ahead. */
  dataValidUntilTimestamp: opt(dateTime()),
  cardAccountData: CardAccountDataSchema,
  financialAccountData: opt(FinancialAccountDataSchema),
  /** Required in NotifyServiceActivated, "not present otherwise". */
  tokenData: opt(TokenDataSchema),
  paymentAccountReference: opt(str(29, 29)),
  accountHolderData: opt(AccountHolderDataSchema),
  chipData: opt(ChipDataSchema),
});
export type FundingAccountData = Static<typeof FundingAccountDataSchema>;

/** NotifyServiceActivated's plaintext: the same, with the token data it requires. */
export const ActivatedFundingAccountDataSchema = Type.Composite([
  Type.Omit(FundingAccountDataSchema, ['tokenData']),
  Type.Object({ tokenData: TokenDataSchema }),
]);
export type ActivatedFundingAccountData = Static<typeof ActivatedFundingAccountDataSchema>;

/** `tokenDataSchemaforNTU`. */
const UpdatedTokenDataSchema = Type.Object({
  token: str(12, 19),
  expiryMonth: str(2, 2),
  expiryYear: str(2, 2),
});

/** `fundingAccountDataSchemaForNTU`: NotifyTokenUpdated's plaintext (a re-digitized token, an updated card). */
export const UpdatedFundingAccountDataSchema = Type.Object({
  dataValidUntilTimestamp: opt(dateTime()),
  /** For FUNDING_ACCOUNT_UPDATE and REDIGITIZATION_COMPLETE, when the issuer opted in. */
  cardAccountData: opt(CardAccountDataSchema),
  tokenData: UpdatedTokenDataSchema,
  financialAccountData: opt(FinancialAccountDataSchema),
});
export type UpdatedFundingAccountData = Static<typeof UpdatedFundingAccountDataSchema>;

/** `AuthorizeServiceResponseDataSchema`: what the issuer may encrypt into its AuthorizeService answer. */
export const AuthorizeServiceResponseDataSchema = Type.Object({
  dataValidUntilTimestamp: opt(dateTime()),
  /** Only when Mastercard is not the BIN controller. */
  paymentAccountReference: opt(str(29, 29)),
  alternateAccountIdentifier: opt(str(9, 64)),
  /** Added to the token's personalization profile (July 2024 release). */
  issuerSpecificPersonalizationData: opt(Type.Array(str(1, 200))),
  /** A token the issuer assigns; its sequenceNumber is required here. */
  externalToken: opt(
    Type.Composite([
      Type.Omit(TokenDataSchema, ['sequenceNumber']),
      Type.Object({ sequenceNumber: str(2, 2) }),
    ]),
  ),
});
export type AuthorizeServiceResponseData = Static<typeof AuthorizeServiceResponseDataSchema>;

// ---------------------------------------------------------------------------
// Parts of the messages
// ---------------------------------------------------------------------------

const requestId = () => str(1, 64);
const correlationId = () => str(1, 14);
/** 11 digits ("String (Numeric)"). */
const tokenRequestorId = () => str(11, 11, NUMERIC);
const tokenUniqueReference = () => str(1, 64);
const consumerFacingEntityName = () => str(1, 100);
const responseId = () => str(1, 64);
/** The whole response of the notifications: MDES only needs to hear that the issuer took it. */
const acknowledgement = () => Type.Object({ responseId: responseId() });

/** `fundingAccountInfoSchema1` (AuthorizeService, RequestActivationMethods). */
const FundingAccountInfoSchema = Type.Object({
  /** Passed in AuthorizeService since July 2022. */
  tokenUniqueReference: opt(tokenUniqueReference()),
  panUniqueReference: opt(str(1, 64)),
  /** Decrypts to FundingAccountData. */
  encryptedPayload: EncryptedPayloadSchema,
});

/** `fundingAccountInfoSchema2` (NotifyServiceActivated, where tokenUniqueReference is required). */
const ActivatedFundingAccountInfoSchema = Type.Object({
  panUniqueReference: opt(str(1, 64)),
  tokenUniqueReference: tokenUniqueReference(),
  /** Decrypts to ActivatedFundingAccountData. */
  encryptedPayload: EncryptedPayloadSchema,
});

/** `deviceInfo`. */
const DeviceInfoSchema = Type.Object({
  deviceName: opt(str(1, 64)),
  serialNumber: opt(str(1, 64)),
  /** PHONE, TABLET, WATCH, CARD, PC, … ("New values can be added without notice and should be accepted"). */
  formFactor: opt(str(1, 64)),
  isoDeviceType: opt(str(1, 2)),
  osName: opt(str(1, 32)),
  osVersion: opt(str(1, 32)),
  imei: opt(str(15, 15)),
  msisdn: opt(str(1, 15)),
  /** NFC, DSRP, ECOMMERCE. */
  paymentTypes: opt(strings()),
  storageTechnology: opt(str(1, 32)),
  cardCaptureTechnology: opt(str(1, 32)),
});

/** `walletProviderDecisioningInfo`. */
export const WalletProviderDecisioningInfoSchema = Type.Object({
  /** APPROVED, DECLINED or REQUIRE_ADDITIONAL_AUTHENTICATION. */
  recommendedDecision: opt(str(1, 64)),
  recommendationStandardVersion: opt(str(1, 64)),
  /** 1 to 5. */
  deviceScore: opt(str(1, 64)),
  accountScore: opt(str(1, 64)),
  phoneNumberScore: opt(str(1, 64)),
  accountLifeTime: opt(str(1, 2)),
  recommendationReasons: opt(strings()),
});
export type WalletProviderDecisioningInfo = Static<typeof WalletProviderDecisioningInfoSchema>;

/** `chipDataValidationResult`: Mastercard's on-behalf validation of chip data (Tap to Add Card). */
const ChipDataValidationResultSchema = Type.Object({
  OBSServiceIndicator: str(1, 2),
  OBSResult: str(1, 3),
});

/** `activationMethod`. */
const ActivationMethodSchema = Type.Object({
  /** ACTIVATION_METHOD_TYPES. */
  type: str(1, 64),
  /** Its meaning depends on `type`: a masked number or address, a phone number, a URL. */
  value: str(1, 64),
});
export type ActivationMethod = Static<typeof ActivationMethodSchema>;

// ---------------------------------------------------------------------------
// authorizeService — POST <context root>/authorizeService
// ---------------------------------------------------------------------------

/** The fields MDES sends with both of its questions about a tokenization (Authorize Service, Request Activation Methods). */
const tokenizationQuestion = () => ({
  requestId: requestId(),
  /** SERVICES. */
  services: strings(),
  fundingAccountInfo: FundingAccountInfoSchema,
  /** Links the pre-digitization messages of one provisioning. */
  correlationId: correlationId(),
  /** "Required if tokens are assigned by MDES." */
  tokenRequestorId: opt(tokenRequestorId()),
  walletId: opt(str(1, 3)),
  paymentAppInstanceId: opt(str(1, 48)),
  /** SHA-256 of the account holder's account id at the wallet (typically an e-mail address), hex. */
  accountIdHash: opt(str(1, 64, HEX)),
  mobileNumberSuffix: opt(str(4, 32)),
  /** TOKEN_TYPES. */
  tokenType: str(1, 16),
  consumerFacingEntityName: opt(consumerFacingEntityName()),
});

export const AuthorizeServiceRequestSchema = Type.Object({
  ...tokenizationQuestion(),
  /** "0" to "99" (99: 99 or more). */
  activeTokenCount: opt(str(1, 2, NUMERIC)),
  deviceInfo: opt(DeviceInfoSchema),
  walletProviderDecisioningInfo: opt(WalletProviderDecisioningInfoSchema),
  chipDataValidationResult: opt(ChipDataValidationResultSchema),
  /** 000–099, only with chip data. */
  panSequenceNumber: opt(str(3, 3, NUMERIC)),
});
export type AuthorizeServiceRequest = Static<typeof AuthorizeServiceRequestSchema>;

/** `EncryptedPayloadOut`: the issuer encrypts to Mastercard's key. */
export const AuthorizeServiceResponseSchema = Type.Object({
  responseId: responseId(),
  /** A subset of the request's; services not approved are left out (described as required). */
  services: opt(strings()),
  /** DECISIONS; pushprov sends one of them. */
  decision: opt(Type.Union(DECISIONS.map((d) => Type.Literal(d)))),
  /** With REQUIRE_ADDITIONAL_AUTHENTICATION; may be left out when there are none. */
  activationMethods: opt(Type.Array(ActivationMethodSchema)),
  panSequenceNumber: opt(str(3, 3, NUMERIC)),
  issuerProductConfigId: opt(str(1, 10)),
  /** Decrypts to AuthorizeServiceResponseData. */
  encryptedPayload: opt(EncryptedPayloadSchema),
  /** CVC_RESPONSES. */
  cvcResponse: opt(str(1, 32)),
  avsResponse: opt(str(1, 32)),
  /** "Required if tokens are assigned by external provider, not present otherwise." */
  tokenRequestorId: opt(tokenRequestorId()),
  tcis: opt(strings()),
  auxTcis: opt(strings()),
  /** VALID, INVALID or NOT_PROCESSED, when the issuer validates chip data. */
  chipDataValidationResponse: opt(str(1, 32)),
});
export type AuthorizeServiceResponse = Static<typeof AuthorizeServiceResponseSchema>;

// ---------------------------------------------------------------------------
// requestActivationMethods — POST <context root>/requestActivationMethods
// ---------------------------------------------------------------------------

export const RequestActivationMethodsRequestSchema = Type.Object({
  ...tokenizationQuestion(),
  /** AUTHENTICATION_REASONS; Consent Service only. */
  reasonCodes: opt(strings()),
});
export type RequestActivationMethodsRequest = Static<typeof RequestActivationMethodsRequestSchema>;

export const RequestActivationMethodsResponseSchema = Type.Object({
  responseId: responseId(),
  /** Empty when there are none, or when the card data does not verify (described as required). */
  activationMethods: opt(Type.Array(ActivationMethodSchema)),
});
export type RequestActivationMethodsResponse = Static<typeof RequestActivationMethodsResponseSchema>;

// ---------------------------------------------------------------------------
// deliverActivationCode — POST <context root>/deliverActivationCode
// ---------------------------------------------------------------------------

export const DeliverActivationCodeRequestSchema = Type.Object({
  requestId: requestId(),
  tokenUniqueReference: tokenUniqueReference(),
  correlationId: correlationId(),
  /** Only when Mastercard generates the code; else the issuer does. */
  activationCode: opt(str(1, 32)),
  /** Only when Mastercard generates the code. */
  expirationDateTime: opt(dateTime()),
  /** The method the account holder chose. */
  activationMethod: ActivationMethodSchema,
  reasonCodes: opt(strings()),
  consumerFacingEntityName: opt(consumerFacingEntityName()),
});
export type DeliverActivationCodeRequest = Static<typeof DeliverActivationCodeRequestSchema>;

export const DeliverActivationCodeResponseSchema = acknowledgement();
export type DeliverActivationCodeResponse = Static<typeof DeliverActivationCodeResponseSchema>;

// ---------------------------------------------------------------------------
// notifyServiceActivated — POST <context root>/notifyServiceActivated
// ---------------------------------------------------------------------------

export const NotifyServiceActivatedRequestSchema = Type.Object({
  requestId: requestId(),
  services: strings(),
  fundingAccountInfo: ActivatedFundingAccountInfoSchema,
  deviceInfo: opt(DeviceInfoSchema),
  correlationId: correlationId(),
  tokenRequestorId: tokenRequestorId(),
  walletId: opt(str(1, 3)),
  paymentAppInstanceId: opt(str(1, 48)),
  tokenType: str(1, 16),
  secureElementId: opt(str(1, 128)),
  /** The last digits (typically four) of the card. */
  accountPanSuffix: str(4, 8),
  serviceRequestDateTime: dateTime(),
  termsAndConditionsAssetId: opt(str(1, 64)),
  termsAndConditionsAcceptedTimestamp: opt(dateTime()),
  productConfigurationId: opt(str(1, 64)),
  /** ISO 639-1. */
  consumerLanguage: opt(str(2, 2)),
  /** APPROVED or REQUIRE_ADDITIONAL_AUTHENTICATION. */
  decision: str(1, 64),
  /** DECISION_MADE_BY. */
  decisionMadeBy: opt(str(1, 32)),
  tokenActivatedDateTime: dateTime(),
  /** "Max length - 1": 0 to 9. */
  numberOfActivationAttempts: opt(Type.Integer({ minimum: 0, maximum: 9 })),
  /** 0 to 99 (99: 99 or more). */
  numberOfActiveTokens: opt(Type.Integer({ minimum: 0, maximum: 99 })),
  /** "Max length 2": 0 to 99. */
  tokenAssuranceLevel: opt(Type.Integer({ minimum: 0, maximum: 99 })),
  consumerFacingEntityName: opt(consumerFacingEntityName()),
});
export type NotifyServiceActivatedRequest = Static<typeof NotifyServiceActivatedRequestSchema>;

export const NotifyServiceActivatedResponseSchema = acknowledgement();
export type NotifyServiceActivatedResponse = Static<typeof NotifyServiceActivatedResponseSchema>;

// ---------------------------------------------------------------------------
// notifyTokenUpdated — POST <context root>/notifyTokenUpdated
// ---------------------------------------------------------------------------

/** `token`: one updated token. Its conditional members are checked in requests.ts. */
const UpdatedTokenSchema = Type.Object({
  tokenUniqueReference: tokenUniqueReference(),
  /** TOKEN_STATUSES; required when reasonCode is STATUS_UPDATE. */
  status: opt(str(1, 32)),
  /** SUSPENDED_BY; required when status is SUSPENDED. */
  suspendedBy: opt(strings()),
  /** MMYY; required when reasonCode is REDIGITIZATION_COMPLETE. */
  tokenExpiry: opt(str(4, 4, NUMERIC)),
  /** `fundingAccountInfoSchemaForNTU`; required when reasonCode is REDIGITIZATION_COMPLETE. Decrypts to UpdatedFundingAccountData. */
  fundingAccountInfo: opt(Type.Object({ encryptedPayload: EncryptedPayloadSchema })),
});
export type UpdatedToken = Static<typeof UpdatedTokenSchema>;

export const NotifyTokenUpdatedRequestSchema = Type.Object({
  requestId: requestId(),
  /** TOKEN_UPDATE_REASONS; applies to every token of the request. */
  reasonCode: str(1, 32),
  tokens: Type.Array(UpdatedTokenSchema),
});
export type NotifyTokenUpdatedRequest = Static<typeof NotifyTokenUpdatedRequestSchema>;

export const NotifyTokenUpdatedResponseSchema = acknowledgement();
export type NotifyTokenUpdatedResponse = Static<typeof NotifyTokenUpdatedResponseSchema>;

// ---------------------------------------------------------------------------
// validateActivationCode — POST <context root>/validateActivationCode
// ---------------------------------------------------------------------------

/** ValidateActivationCodeResponse `result`. */
const VALIDATION_RESULTS = [
  /** MDES completes the provisioning and tells the token requestor. */
  'SUCCESS',
  /** Wrong; the cardholder may try again. */
  'INCORRECT_CODE',
  /** Wrong, and the maximum number of retries is now exceeded. */
  'INCORRECT_CODE_RETRIES_EXCEEDED',
  /** Expired, or invalidated. */
  'EXPIRED_CODE',
] as const;
export type ValidationResult = (typeof VALIDATION_RESULTS)[number];

export const ValidateActivationCodeRequestSchema = Type.Object({
  requestId: requestId(),
  tokenUniqueReference: tokenUniqueReference(),
  correlationId: correlationId(),
  /** As the consumer entered it. */
  activationCode: str(1, 32),
});
export type ValidateActivationCodeRequest = Static<typeof ValidateActivationCodeRequestSchema>;

const ValidateActivationCodeResponseSchema = Type.Object({
  responseId: responseId(),
  /** VALIDATION_RESULTS (described as required, not in `required`); pushprov sends one of them. */
  result: opt(Type.Union(VALIDATION_RESULTS.map((r) => Type.Literal(r)))),
});
export type ValidateActivationCodeResponse = Static<typeof ValidateActivationCodeResponseSchema>;

// ---------------------------------------------------------------------------
// notifySuspiciousEvents — POST <context root>/notifySuspiciousEvents
// ---------------------------------------------------------------------------

/** `WalletAtcStatus`: the ATCs as the wallet reported them. */
const WalletAtcStatusSchema = Type.Object({
  unusedDiscarded: opt(strings()),
  usedForContactless: opt(strings()),
  usedForDsrp: opt(strings()),
  unusedActive: opt(strings()),
});

/** `SystemAtcStatus`: the ATCs as the authorization network reported them. */
const SystemAtcStatusSchema = Type.Object({
  atcNotFound: opt(strings()),
  atcAlreadyProcessed: opt(strings()),
  atcReportedUsedByWallet: opt(strings()),
  unusedActive: opt(strings()),
});

/** `SuspiciousEvent`. Both ATC statuses are required with REPLENISH (`missingAtcStatus`). */
export const SuspiciousEventSchema = Type.Object({
  /** REPLENISH ("suspicious ATC values reporting during Replenish"), the one value 2.0.21 lists. */
  eventName: str(1, 32),
  walletAtcStatus: opt(WalletAtcStatusSchema),
  systemAtcStatus: opt(SystemAtcStatusSchema),
});
export type SuspiciousEvent = Static<typeof SuspiciousEventSchema>;

/**
 * The ATC status a REPLENISH event lacks ("Conditional – required if
 * EventName is REPLENISH", of both), which a schema cannot say; undefined
 * when none is missing.
 */
export function missingAtcStatus(event: SuspiciousEvent): 'walletAtcStatus' | 'systemAtcStatus' | undefined {
  if (event.eventName !== 'REPLENISH') return undefined;
  return (['walletAtcStatus', 'systemAtcStatus'] as const).find((field) => event[field] === undefined);
}

export const NotifySuspiciousEventsRequestSchema = Type.Object({
  requestId: requestId(),
  tokenUniqueReference: tokenUniqueReference(),
  /** Only when the wallet provider supplied it. */
  paymentAppInstanceId: opt(str(1, 48)),
  /** TOKEN_STATUSES: the token's status now. */
  status: str(1, 32),
  /** One event object, despite the plural (the spec's `events` is a `SuspiciousEvent`, not an array). */
  events: SuspiciousEventSchema,
});
export type NotifySuspiciousEventsRequest = Static<typeof NotifySuspiciousEventsRequestSchema>;

const NotifySuspiciousEventsResponseSchema = acknowledgement();
export type NotifySuspiciousEventsResponse = Static<typeof NotifySuspiciousEventsResponseSchema>;

// ---------------------------------------------------------------------------
// Refusals (the `default` response of every operation)
// ---------------------------------------------------------------------------

export const ErrorsResponseSchema = Type.Object({
  responseId: responseId(),
  /** "Conditional – required if an error occurred." */
  errorCode: opt(str(1, 32)),
  errorDescription: opt(str(1, 256)),
});
export type ErrorsResponse = Static<typeof ErrorsResponseSchema>;

/** The request and answer schema of each operation pushprov implements. */
export const OPERATION_SCHEMAS = {
  authorizeService: { request: AuthorizeServiceRequestSchema, response: AuthorizeServiceResponseSchema },
  requestActivationMethods: {
    request: RequestActivationMethodsRequestSchema,
    response: RequestActivationMethodsResponseSchema,
  },
  deliverActivationCode: {
    request: DeliverActivationCodeRequestSchema,
    response: DeliverActivationCodeResponseSchema,
  },
  notifyServiceActivated: {
    request: NotifyServiceActivatedRequestSchema,
    response: NotifyServiceActivatedResponseSchema,
  },
  notifyTokenUpdated: {
    request: NotifyTokenUpdatedRequestSchema,
    response: NotifyTokenUpdatedResponseSchema,
  },
  validateActivationCode: {
    request: ValidateActivationCodeRequestSchema,
    response: ValidateActivationCodeResponseSchema,
  },
  notifySuspiciousEvents: {
    request: NotifySuspiciousEventsRequestSchema,
    response: NotifySuspiciousEventsResponseSchema,
  },
} as const satisfies Record<string, { request: TSchema; response: TSchema }>;

export type ImplementedOperation = keyof typeof OPERATION_SCHEMAS;
