import type { Static } from '@sinclair/typebox';
import type {
  AccountHolderSchema,
  AssetResponseSchema,
  EncryptedPayloadSchema,
  ErrorSchema,
  ErrorWrapperSchema,
  FundingAccountSchema,
  GatewayErrorSchema,
  GetEligibleTokenRequestorsRequestSchema,
  GetEligibleTokenRequestorsResponseSchema,
  MediaContentSchema,
  PushAccountRequestSchema,
  PushAccountResponseSchema,
  PushAccountSignatureDataSchema,
  PushAccountSignaturePayloadSchema,
  PushMethodSchema,
  PushMultipleAccountsDataSchema,
  PushMultipleAccountsRequestSchema,
  PushMultipleAccountsResponseSchema,
  PushMultipleFundingAccountSchema,
  TokenRequestorSchema,
} from './schemas.js';

/**
 * The Token Connect wire types, named as in `mdes-token-connect.yaml`. They
 * are derived from the schemas so the two can never drift; the field-level
 * documentation (presence, lengths) lives on the schemas.
 */

// Operations: requests and responses as they travel (encrypted parts encrypted).
export type GetEligibleTokenRequestorsRequest = Static<typeof GetEligibleTokenRequestorsRequestSchema>;
export type GetEligibleTokenRequestorsResponse = Static<typeof GetEligibleTokenRequestorsResponseSchema>;
export type AssetResponse = Static<typeof AssetResponseSchema>;
export type PushMultipleAccountsRequest = Static<typeof PushMultipleAccountsRequestSchema>;
export type PushMultipleAccountsResponse = Static<typeof PushMultipleAccountsResponseSchema>;
/** @deprecated Use pushMultipleAccounts. */
export type PushAccountRequest = Static<typeof PushAccountRequestSchema>;
/** @deprecated Use pushMultipleAccounts. */
export type PushAccountResponse = Static<typeof PushAccountResponseSchema>;

// Parts of responses.
export type TokenRequestor = Static<typeof TokenRequestorSchema>;
export type PushMethod = Static<typeof PushMethodSchema>;
export type PushMethodType = PushMethod['type'];
export type MediaContent = Static<typeof MediaContentSchema>;
export type PushMultipleAccountsData = Static<typeof PushMultipleAccountsDataSchema>;
export type PushAccountSignatureData = Static<typeof PushAccountSignatureDataSchema>;
/** Claims of the JWS in PushMultipleAccountsResponse.signature. */
export type PushAccountSignaturePayload = Static<typeof PushAccountSignaturePayloadSchema>;

// Encryption: the envelope on the wire and the plaintext inside it.
export type EncryptedPayload = Static<typeof EncryptedPayloadSchema>;
/** Plaintext of pushAccount's encryptedData. Carries the PAN and PII. */
export type FundingAccount = Static<typeof FundingAccountSchema>;
/** One element of the plaintext array of pushMultipleAccounts' encryptedData. */
export type PushMultipleFundingAccount = Static<typeof PushMultipleFundingAccountSchema>;
export type AccountHolder = Static<typeof AccountHolderSchema>;

// Errors.
/** Named `Error` in the spec; renamed so it does not shadow the global. */
export type MdesError = Static<typeof ErrorSchema>;
export type ErrorWrapper = Static<typeof ErrorWrapperSchema>;
export type GatewayError = Static<typeof GatewayErrorSchema>;

/** The issuer-facing operations, named by their operationId. */
export type TokenConnectOperation =
  | 'getEligibleTokenRequestors'
  | 'getAsset'
  | 'pushMultipleAccounts'
  | 'pushAccount';
