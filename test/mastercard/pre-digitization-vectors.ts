/**
 * Test vectors from Mastercard's "MDES Issuer Outbound API" 2.0.21 (the
 * Pre-Digitization web services). NotifyTokenUpdated's five request
 * examples are the spec's own (`NotifyTokenUpdatedRequest.examples`), with
 * `encryptedData` as the spec shows it: the plaintext, before encryption.
 * The spec has no whole-message example for the other operations; theirs are
 * assembled from the `example` of each field, nothing invented but the
 * choice of which optional fields to include. The card numbers are the
 * spec's examples, not real cards.
 */

/** The envelope members of the spec's examples, which real encryption replaces. */
const SPEC_ENVELOPE = {
  publicKeyFingerprint: '4c4ead5927f0df8117f178eea9308daa58e27c2b',
  encryptedKey: 'A1B2C3D4E5F611223344556678965434',
  oaepHashingAlgorithm: 'SHA512',
  iv: '31323334353637383930313233343536',
} as const;

/** A message whose encrypted parts are given in the clear (as `encryptedData` objects). */
export type ClearMessage = Record<string, unknown>;

const TOKEN_UNIQUE_REFERENCE = 'DWSPMC000000000fcb2f4136b2f4136a0532d2f4136a0532';
const envelopeOf = (encryptedData: object) => ({ encryptedPayload: { encryptedData, ...SPEC_ENVELOPE } });

/** The spec's five NotifyTokenUpdated examples, by their names. */
export const NOTIFY_TOKEN_UPDATED_EXAMPLES: Record<string, ClearMessage> = {
  'For TOKEN EXPIRY': {
    requestId: '123456',
    reasonCode: 'REDIGITIZATION_COMPLETE',
    tokens: [
      {
        tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
        tokenExpiry: '0726',
        fundingAccountInfo: envelopeOf({
          dataValidUntilTimestamp: '2026-07-04T19:09:56.123Z',
          tokenData: { token: '5345678901234521', expiryMonth: '07', expiryYear: '26', sequenceNumber: '01' },
        }),
      },
    ],
  },
  'For FPAN Update in Different Range': {
    requestId: '123456',
    reasonCode: 'REDIGITIZATION_COMPLETE',
    tokens: [
      {
        tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
        tokenExpiry: '0726',
        fundingAccountInfo: envelopeOf({
          dataValidUntilTimestamp: '2026-07-04T19:09:56.123Z',
          tokenData: { token: '5345678901234521', expiryMonth: '07', expiryYear: '26', sequenceNumber: '01' },
        }),
      },
    ],
  },
  'For FPAN Update in Same Range': {
    requestId: '123456',
    reasonCode: 'FUNDING_ACCOUNT_UPDATE',
    tokens: [
      {
        tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
        tokenExpiry: '0726',
        fundingAccountInfo: envelopeOf({
          dataValidUntilTimestamp: '2026-07-04T19:09:56.123Z',
          cardAccountData: { accountNumber: '5215678901236812', expiryMonth: '04', expiryYear: '28' },
          tokenData: { token: '5345678901234521', expiryMonth: '07', expiryYear: '26', sequenceNumber: '01' },
        }),
      },
    ],
  },
  'For Token Status Update': {
    requestId: '123456',
    reasonCode: 'STATUS_UPDATE',
    tokens: [
      {
        tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
        status: 'SUSPENDED',
        suspendedBy: ['TOKEN_REQUESTOR'],
        tokenExpiry: '0726',
      },
    ],
  },
  'For AUTHENTICATION_PERFORMED': {
    requestId: '123456',
    reasonCode: 'AUTHENTICATION_PERFORMED',
    tokens: [{ tokenUniqueReference: TOKEN_UNIQUE_REFERENCE, tokenExpiry: '0726' }],
  },
  'For DELETED_FROM_CONSUMER_APP': {
    requestId: '123456',
    reasonCode: 'DELETED_FROM_CONSUMER_APP',
    tokens: [{ tokenUniqueReference: TOKEN_UNIQUE_REFERENCE }],
  },
};

/** The examples' validity instant; tests run their clock just before it. */
export const EXAMPLES_VALID_UNTIL = Date.parse('2026-07-04T19:09:56.123Z');

/** `fundingAccountDataSchema`'s field examples (with the billing address and phone number examples). */
export const FUNDING_ACCOUNT_DATA = {
  source: 'ACCOUNT_ON_FILE',
  dataValidUntilTimestamp: '2026-07-04T12:09:56.123-07:00',
  cardAccountData: {
    accountNumber: '5123456789012345',
    expiryMonth: '12',
    expiryYear: '26',
    securityCode: '123',
  },
  paymentAccountReference: '512381d9f8e0629211e3949a08002',
  accountHolderData: {
    accountHolderName: 'John Doe',
    accountHolderAddress: {
      line1: '100 1st Street',
      line2: 'Apt. 4B',
      city: 'St. Louis',
      countrySubdivision: 'MO',
      postalCode: '61000',
      country: 'USA',
    },
    sourceIp: '127.0.0.1',
    deviceLocation: '38.63/-90.2',
    consumerIdentifier: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e93452c1b24f24a24b',
    accountHolderEmailAddress: 'abcdef@xyz.com',
    accountHolderMobilePhoneNumber: { countryDialInCode: '1', phoneNumber: '4692392391' },
  },
};

const DEVICE_INFO = {
  deviceName: 'My Phone',
  serialNumber: '2F6D63',
  formFactor: 'PHONE',
  isoDeviceType: '09',
  osName: 'ANDROID',
  osVersion: '4.4.4',
  imei: '352099001761481',
  msisdn: '7307406945',
  paymentTypes: ['NFC'],
  storageTechnology: 'SE',
  cardCaptureTechnology: 'CAMERA',
};

/** AuthorizeService, from `AuthorizeServiceRequestSchema`'s field examples. */
export const AUTHORIZE_SERVICE_REQUEST: ClearMessage = {
  requestId: '123456',
  services: ['DIGITIZATION'],
  fundingAccountInfo: {
    tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
    panUniqueReference: 'FWSPMC000000000159f71f703d2141efaf04dd26803f922b',
    ...envelopeOf(FUNDING_ACCOUNT_DATA),
  },
  correlationId: 'D98765432104',
  tokenRequestorId: '12345678901',
  walletId: '123',
  paymentAppInstanceId: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e',
  accountIdHash: '5ae9c9890b326bd23bfa9db9672298ae3b10a9388e56ec17a001e191f24572aa',
  mobileNumberSuffix: '1234',
  activeTokenCount: '3',
  deviceInfo: DEVICE_INFO,
  walletProviderDecisioningInfo: {
    recommendedDecision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
    recommendationStandardVersion: '1.0.0',
    deviceScore: '3',
    accountScore: '4',
    phoneNumberScore: '4',
    accountLifeTime: '4',
    recommendationReasons: ['ACCOUNT_TOO_NEW'],
  },
  tokenType: 'CLOUD',
  consumerFacingEntityName: 'My Merchant',
};

/** RequestActivationMethods, from `requestActivationMethodsRequestSchema`'s field examples. */
export const REQUEST_ACTIVATION_METHODS_REQUEST: ClearMessage = {
  requestId: '123456',
  services: ['DIGITIZATION'],
  fundingAccountInfo: {
    tokenUniqueReference: TOKEN_UNIQUE_REFERENCE,
    panUniqueReference: 'FWSPMC000000000159f71f703d2141efaf04dd26803f922b',
    ...envelopeOf(FUNDING_ACCOUNT_DATA),
  },
  correlationId: 'D98765432104',
  tokenRequestorId: '12345678901',
  walletId: '123',
  paymentAppInstanceId: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e',
  accountIdHash: '5ae9c9890b326bd23bfa9db9672298ae3b10a9388e56ec17a001e191f24572aa',
  mobileNumberSuffix: '1234',
  tokenType: 'CLOUD',
  reasonCodes: ['ADD_CARD'],
  consumerFacingEntityName: 'My Merchant',
};

/** DeliverActivationCode, from `DeliverActivationCodeRequestSchema`'s field examples (nothing encrypted). */
export const DELIVER_ACTIVATION_CODE_REQUEST: ClearMessage = {
  requestId: '123456',
  tokenUniqueReference: 'DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45',
  correlationId: 'D98765432104',
  activationCode: 'A1B2C3D4',
  expirationDateTime: '2026-07-04T12:08:56.123-07:00',
  activationMethod: { type: 'CARDHOLDER_TO_CALL_AUTOMATED_NUMBER', value: '1-800-BANK-NUMBER' },
  reasonCodes: ['ADD_CARD'],
  consumerFacingEntityName: 'My Merchant',
};

/** NotifyServiceActivated, from `NotifyServiceActivatedRequestSchema`'s field examples, with the token data it requires. */
export const NOTIFY_SERVICE_ACTIVATED_REQUEST: ClearMessage = {
  requestId: '123456',
  services: ['DIGITIZATION'],
  fundingAccountInfo: {
    panUniqueReference: 'FWSPMC000000000159f71f703d2141efaf04dd26803f922b',
    tokenUniqueReference: 'DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45',
    ...envelopeOf({
      ...FUNDING_ACCOUNT_DATA,
      tokenData: { token: '5345678901234521', expiryMonth: '10', expiryYear: '26', sequenceNumber: '17' },
    }),
  },
  deviceInfo: DEVICE_INFO,
  correlationId: 'D98765432104',
  tokenRequestorId: '12345678901',
  walletId: '123',
  paymentAppInstanceId: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e',
  tokenType: 'CLOUD',
  secureElementId: '1b24f24a24ba98e27d43e345b532a245e4723d7a9c4f624e93452c',
  accountPanSuffix: '1234',
  serviceRequestDateTime: '2023-07-04T12:08:56.123-07:00',
  termsAndConditionsAssetId: 'a9f027e5-629d-11e3-949a-0800200c9a66',
  termsAndConditionsAcceptedTimestamp: '2023-07-04T12:09:56.123-07:00',
  productConfigurationId: '1234',
  consumerLanguage: 'en',
  decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
  decisionMadeBy: 'RULES',
  tokenActivatedDateTime: '2026-07-04T12:09:57.123-07:00',
  numberOfActivationAttempts: 1,
  numberOfActiveTokens: 2,
  tokenAssuranceLevel: 1,
  consumerFacingEntityName: 'My Merchant',
};

/** AuthorizeService's answer, from `AuthorizeServiceResponseSchema`'s and its data's field examples. */
export const AUTHORIZE_SERVICE_RESPONSE: ClearMessage = {
  responseId: '123456',
  services: ['DIGITIZATION'],
  decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION',
  activationMethods: [{ type: 'CARDHOLDER_TO_CALL_AUTOMATED_NUMBER', value: '1-800-BANK-NUMBER' }],
  panSequenceNumber: '001',
  issuerProductConfigId: 'I1234D7890',
  cvcResponse: 'MATCH',
  avsResponse: 'ADDRESS_AND_POSTAL_MATCH',
  tokenRequestorId: '12345678901',
};

export const AUTHORIZE_SERVICE_RESPONSE_DATA = {
  dataValidUntilTimestamp: '2026-07-04T12:09:56.123-07:00',
  paymentAccountReference: '512381d9f8e0629211e3949a08002',
  alternateAccountIdentifier: 'GB82WEST12345698765432',
  issuerSpecificPersonalizationData: ['OUY0RDEyMzQ1NjQ3'],
  externalToken: { token: '5345678901234521', expiryMonth: '10', expiryYear: '26', sequenceNumber: '17' },
};
