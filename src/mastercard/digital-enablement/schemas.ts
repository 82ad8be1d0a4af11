import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * The token requestor's side of MDES, as the Mastercard Digital Enablement
 * API 1.3.3 (OpenAPI, operations and `components/schemas`) writes it: field
 * names, types and lengths are the spec's, written afresh here; what the
 * spec leaves open is marked in docs/mastercard/digital-enablement.md. The
 * spec types several flags as strings ("true"/"false": `dsrpCapable`,
 * `includeTokenDetail`) and others as JSON booleans (`isCoBranded`,
 * `supportsAuthentication`); each is typed as the spec types it.
 */

export const DIGITAL_ENABLEMENT_PATHS = {
  tokenize: '/digitization/static/1/0/tokenize',
  transact: '/remotetransaction/static/1/0/transact',
  notifyTokenUpdated: '/digitization/static/1/0/notifyTokenUpdated',
  getAsset: '/assets/static/1/0/asset/{AssetId}',
  suspend: '/digitization/static/1/0/suspend',
  unsuspend: '/digitization/static/1/0/unsuspend',
  delete: '/digitization/static/1/0/delete',
  getTaskStatus: '/digitization/static/1/0/getTaskStatus',
  searchTokens: '/digitization/static/1/0/searchTokens',
  getToken: '/digitization/static/1/0/getToken',
} as const;

const str = (minLength: number, maxLength: number, extra: object = {}) =>
  Type.String({ minLength, maxLength, ...extra });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

const requestId = str(1, 64);
const responseHost = str(11, 64);
const tokenRequestorId = str(11, 11, { pattern: '^[0-9]{11}$' });
/** 48–64 where the spec bounds it (Suspend, GetToken, TokenizeResults); MDES's own references are 48. */
const tokenUniqueReference = str(48, 64);
const statusTimestamp = str(19, 29);
const mmyy = str(4, 4, { pattern: '^(0[1-9]|1[0-2])[0-9]{2}$' });
const hex = (min: number, max: number) => str(min, max, { pattern: '^[0-9A-Fa-f]+$' });

/**
 * The envelope of everything the spec marks encrypted (`encryptedPayload`,
 * `tokenDetail`, `fundingAccountInfo.encryptedPayload`): Mastercard's
 * field-level scheme, hex, the recipient's key named by `publicKeyFingerprint`.
 */
const FieldLevelEnvelopeSchema = Type.Object({
  publicKeyFingerprint: hex(32, 64),
  encryptedKey: hex(32, 512),
  oaepHashingAlgorithm: opt(Type.Union([Type.Literal('SHA256'), Type.Literal('SHA512')])),
  iv: opt(hex(32, 32)),
  encryptedData: Type.String({ minLength: 32, pattern: '^[0-9A-Fa-f]+$' }),
});
export type FieldLevelEnvelope = Static<typeof FieldLevelEnvelopeSchema>;

const TOKEN_STATUSES = ['INACTIVE', 'ACTIVE', 'SUSPENDED', 'DEACTIVATED'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];
const SUSPENDERS = ['ISSUER', 'TOKEN_REQUESTOR', 'MOBILE_PIN_LOCKED', 'CARDHOLDER'] as const;
export type SuspendedBy = (typeof SUSPENDERS)[number];
const status = Type.Union(TOKEN_STATUSES.map((s) => Type.Literal(s)));
/** Resilient to new values, as the spec asks of partners. */
const suspendedBy = Type.Array(str(1, 32));

/** `productConfig`: required members as the spec lists them; `isCoBranded` a JSON boolean. */
const ProductConfigSchema = Type.Object({
  brandLogoAssetId: str(1, 64),
  issuerLogoAssetId: str(1, 64),
  isCoBranded: Type.Boolean(),
  coBrandName: opt(str(1, 128)),
  coBrandLogoAssetId: opt(str(1, 64)),
  cardBackgroundCombinedAssetId: opt(str(1, 64)),
  cardBackgroundAssetId: opt(str(1, 64)),
  iconAssetId: str(1, 64),
  foregroundColor: str(3, 6, { pattern: '^[0-9A-Fa-f]+$' }),
  issuerName: str(1, 64),
  shortDescription: str(1, 128),
  longDescription: opt(str(1, 256)),
});
export type ProductConfig = Static<typeof ProductConfigSchema>;

const tokenInfoMembers = {
  tokenPanSuffix: str(4, 8, { pattern: '^[0-9]+$' }),
  accountPanSuffix: opt(str(4, 8, { pattern: '^[0-9]+$' })),
  tokenExpiry: mmyy,
  accountPanExpiry: opt(mmyy),
  /** A string, "true" or "false", as the spec types it. */
  dsrpCapable: Type.Union([Type.Literal('true'), Type.Literal('false')]),
  tokenAssuranceLevel: opt(Type.Integer({ minimum: 0, maximum: 99 })),
  productCategory: opt(Type.Union(['CREDIT', 'DEBIT', 'PREPAID', 'UNKNOWN'].map((c) => Type.Literal(c)))),
};
/** `tokenInfo` of the tokenize answer and of searchTokens' tokens. */
const TokenInfoSchema = Type.Object(tokenInfoMembers);
export type TokenInfo = Static<typeof TokenInfoSchema>;
/** `tokenInfo_for_NTU_and_getToken`: also the first digits of the card (`accountPanPrefix`, required). */
const TokenInfoWithPrefixSchema = Type.Object({
  ...tokenInfoMembers,
  accountPanPrefix: str(4, 8, { pattern: '^[0-9]+$' }),
});
export type TokenInfoWithPrefix = Static<typeof TokenInfoWithPrefixSchema>;

/** What `tokenDetail.encryptedData` holds once decrypted (`tokenDetailData`). */
export const TokenDetailDataSchema = Type.Object({
  tokenNumber: str(9, 19, { pattern: '^[0-9]+$' }),
  expiryMonth: str(2, 2, { pattern: '^(0[1-9]|1[0-2])$' }),
  expiryYear: str(2, 2, { pattern: '^[0-9]{2}$' }),
  dataValidUntilTimestamp: opt(str(20, 29)),
  paymentAccountReference: opt(str(29, 29)),
});
export type TokenDetailData = Static<typeof TokenDetailDataSchema>;

/** `tokenDetail`: the envelope beside the token's reference. */
export const TokenDetailSchema = Type.Composite([
  Type.Object({ tokenUniqueReference }),
  FieldLevelEnvelopeSchema,
]);

// ---- tokenize ----------------------------------------------------------

/**
 * `TokenizeResults`, the answer to a tokenize: the token's members only
 * "if the decision was APPROVED or REQUIRE_ADDITIONAL_AUTHENTICATION";
 * `supportsAuthentication` a JSON boolean the spec calls "(required)".
 * `authenticationMethods` is "not currently used for MDES for Merchants".
 */
export const TokenizeResponseSchema = Type.Object({
  responseHost: opt(str(6, 64)),
  responseId: requestId,
  decision: Type.Union(
    ['APPROVED', 'DECLINED', 'REQUIRE_ADDITIONAL_AUTHENTICATION'].map((d) => Type.Literal(d)),
  ),
  tokenUniqueReference: opt(tokenUniqueReference),
  panUniqueReference: opt(str(1, 64)),
  productConfig: opt(ProductConfigSchema),
  tokenInfo: opt(TokenInfoSchema),
  tokenDetail: opt(TokenDetailSchema),
  supportsAuthentication: opt(Type.Boolean()),
});

// ---- getToken ----------------------------------------------------------

export const GetTokenRequestSchema = Type.Object({
  responseHost: opt(responseHost),
  requestId,
  paymentAppInstanceId: opt(str(1, 48)),
  tokenUniqueReference,
  /** "true" or "false", a string as the spec types it. */
  includeTokenDetail: opt(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});
export type GetTokenRequest = Static<typeof GetTokenRequestSchema>;

/** `token_for_getToken`, also each token of Notify Token Updated's payload (`token_for_NTU`). */
const FullTokenSchema = Type.Object({
  tokenUniqueReference,
  tokenRequestorId,
  status,
  eventReasonCode: opt(str(1, 32)),
  suspendedBy: opt(suspendedBy),
  statusTimestamp,
  productConfig: opt(ProductConfigSchema),
  tokenInfo: opt(TokenInfoWithPrefixSchema),
});
export type FullToken = Static<typeof FullTokenSchema>;

export const GetTokenResponseSchema = Type.Object({
  responseId: requestId,
  token: FullTokenSchema,
  tokenDetail: opt(TokenDetailSchema),
});
export type GetTokenResponse = Static<typeof GetTokenResponseSchema>;

// ---- searchTokens ------------------------------------------------------

export const SearchTokensRequestSchema = Type.Object({
  requestId,
  responseHost: opt(responseHost),
  tokenRequestorId: opt(tokenRequestorId),
  fundingAccountInfo: opt(
    Type.Object({
      panUniqueReference: opt(str(1, 64)),
      tokenUniqueReference: opt(tokenUniqueReference),
      encryptedPayload: opt(FieldLevelEnvelopeSchema),
    }),
  ),
});
export type SearchTokensRequest = Static<typeof SearchTokensRequestSchema>;

/** `token` of searchTokens. */
const SearchedTokenSchema = Type.Object({
  tokenUniqueReference,
  status,
  suspendedBy: opt(suspendedBy),
  statusTimestamp,
  productConfig: opt(ProductConfigSchema),
  tokenInfo: opt(TokenInfoSchema),
});
export const SearchTokensResponseSchema = Type.Object({
  responseHost: opt(responseHost),
  responseId: requestId,
  tokens: Type.Array(SearchedTokenSchema),
});
export type SearchTokensResponse = Static<typeof SearchTokensResponseSchema>;

// ---- getTaskStatus -----------------------------------------------------

export const GetTaskStatusRequestSchema = Type.Object({
  responseHost: opt(responseHost),
  requestId,
  tokenRequestorId,
  taskId: str(1, 64),
});
export type GetTaskStatusRequest = Static<typeof GetTaskStatusRequestSchema>;
const TASK_STATUSES = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export const GetTaskStatusResponseSchema = Type.Object({
  responseId: requestId,
  responseHost: opt(responseHost),
  status: Type.Union(TASK_STATUSES.map((s) => Type.Literal(s))),
});

// ---- suspend / unsuspend / delete --------------------------------------

/** Who asks, in the token requestor's lifecycle requests: the cardholder or the token requestor itself. */
const LIFECYCLE_CAUSES = ['CARDHOLDER', 'TOKEN_REQUESTOR'] as const;

const lifecycleRequest = (reasonCodes: readonly string[]) =>
  Type.Object({
    responseHost: opt(responseHost),
    requestId,
    paymentAppInstanceId: opt(str(1, 48)),
    /** "The API is limited to 10 Tokens per request." */
    tokenUniqueReferences: Type.Array(tokenUniqueReference, { minItems: 1, maxItems: 10 }),
    causedBy: Type.Union(LIFECYCLE_CAUSES.map((c) => Type.Literal(c))),
    reason: opt(str(1, 256)),
    reasonCode: Type.Union(reasonCodes.map((c) => Type.Literal(c))),
  });
export const SuspendRequestSchema = lifecycleRequest(['SUSPECTED_FRAUD', 'OTHER']);
export const UnsuspendRequestSchema = lifecycleRequest(['DEVICE_FOUND', 'NOT_FRAUD', 'OTHER']);
export const DeleteRequestSchema = lifecycleRequest(['SUSPECTED_FRAUD', 'OTHER']);
export type LifecycleRequest = Static<typeof SuspendRequestSchema>;

/** `token_for_LCM` (suspend), `token_for_unsuspend` and `token_for_delete` in one: suspendedBy only when SUSPENDED. */
const LifecycleTokenSchema = Type.Object({
  tokenUniqueReference,
  status,
  suspendedBy: opt(suspendedBy),
  statusTimestamp,
});
export type LifecycleToken = Static<typeof LifecycleTokenSchema>;
export const LifecycleResponseSchema = Type.Object({
  responseHost: opt(responseHost),
  responseId: requestId,
  tokens: Type.Array(LifecycleTokenSchema),
});
export type LifecycleResponse = Static<typeof LifecycleResponseSchema>;

// ---- transact ----------------------------------------------------------

export const TransactRequestSchema = Type.Object({
  responseHost: opt(responseHost),
  requestId,
  tokenUniqueReference: str(1, 64),
  /** "Must be UCAF." */
  dsrpType: Type.Literal('UCAF'),
  /** Eight hex digits from the merchant, for the cryptogram's uniqueness. */
  unpredictableNumber: opt(hex(8, 8)),
});
export type TransactRequest = Static<typeof TransactRequestSchema>;

/** What Transact's `encryptedPayload.encryptedData` holds once decrypted (`transactEncryptedData`). */
export const TransactDataSchema = Type.Object({
  accountNumber: str(9, 19, { pattern: '^[0-9]+$' }),
  applicationExpiryDate: str(6, 6, { pattern: '^[0-9]{6}$' }),
  panSequenceNumber: opt(str(2, 2, { pattern: '^[0-9]{2}$' })),
  track2Equivalent: opt(str(32, 38, { pattern: '^[0-9DF]+$' })),
  de48se43Data: str(1, 32),
});
export type TransactData = Static<typeof TransactDataSchema>;

export const TransactResponseSchema = Type.Object({
  responseId: requestId,
  responseHost: opt(responseHost),
  encryptedPayload: FieldLevelEnvelopeSchema,
});
export type TransactResponse = Static<typeof TransactResponseSchema>;

// ---- Notify Token Updated (MDES → token requestor) ---------------------

export const NotifyTokenUpdatedRequestSchema = Type.Object({
  responseHost,
  requestId,
  encryptedPayload: FieldLevelEnvelopeSchema,
  redigitizationRequired: opt(Type.Boolean()),
});
export type NotifyTokenUpdatedRequest = Static<typeof NotifyTokenUpdatedRequestSchema>;

/** `notifyTokenEncryptedPayload`: the state of each token after the change. */
export const NotifyTokenUpdatedDataSchema = Type.Object({
  tokens: Type.Array(FullTokenSchema, { minItems: 1 }),
});
export type NotifyTokenUpdatedData = Static<typeof NotifyTokenUpdatedDataSchema>;

const NotifyTokenUpdatedResponseSchema = Type.Object({
  responseHost: opt(responseHost),
  responseId: requestId,
});
export type NotifyTokenUpdatedResponse = Static<typeof NotifyTokenUpdatedResponseSchema>;
