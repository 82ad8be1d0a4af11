/**
 * Every code pushprov answers or throws, with the HTTP status it is answered
 * with and what it means. A code is a published contract: it is never
 * reworded once released, and test/core/error-codes.test.ts fails when a
 * thrown code is missing here, when a code here is no longer used, or when
 * the README's table drifts from this one.
 *
 * `cardholder` marks the codes the bank's pages can show a cardholder: each
 * has its wording in English and German (src/web/messages.ts, src/web/i18n-de.ts).
 *
 * Not here: the codes of Mastercard's specifications (Token Connect and
 * Customer Service reason codes, Pre-Digitization error codes, Click to Pay's
 * outcomes), which the simulator answers and the issuer's MDES listener
 * returns on Mastercard's wire. They are facts of Mastercard's APIs, listed
 * beside the specs they come from (src/mastercard/token-connect/reason-codes.ts,
 * src/mastercard/pre-digitization/errors.ts, src/simulator/token-connect/failure.ts),
 * and reach the error classes only through `wireCode`.
 */
export const ERROR_CODES = {
  // Requests the servers cannot read or route (src/core/server.ts).
  BAD_REQUEST: { status: 400, meaning: 'The request could not be read.', cardholder: true },
  BAD_URL: { status: 400, meaning: 'The request URL is not valid.' },
  BODY_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the server accepts.' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'The request headers are larger than the server accepts.' },
  INTERNAL: {
    status: 500,
    meaning: 'An unexpected failure; the message is hidden, the requestId finds it in the logs.',
  },
  JSON_TOO_DEEP: { status: 400, meaning: 'The JSON body nests arrays and objects deeper than 32 levels.' },
  MALFORMED_JSON: { status: 400, meaning: 'The JSON body is empty or not JSON.' },
  NOT_FOUND: { status: 404, meaning: 'No route answers this method and path.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is in a media type the route does not take.' },
  URL_TOO_LONG: { status: 414, meaning: 'A path parameter is longer than the server accepts.' },
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'The body, query or parameters do not match the route’s schema (details name the field).',
    cardholder: true,
  },
  // The bank's OpenID provider (src/service/auth/oidc).
  CARDHOLDER_UNKNOWN: {
    status: 403,
    meaning: 'The identity provider signed in someone who is not an imported cardholder.',
    cardholder: true,
  },
  SIGN_IN_REFUSED: {
    status: 403,
    meaning: 'The sign-in at the identity provider came back refused, replayed or from another browser.',
    cardholder: true,
  },
  IDENTITY_PROVIDER_UNAVAILABLE: {
    status: 503,
    meaning: 'The bank’s identity provider (its discovery document or keys) cannot be reached.',
    cardholder: true,
  },
  RATE_LIMITED: {
    status: 429,
    meaning:
      'Too many requests from this address or cardholder; details.retryAfterSeconds says when to retry.',
    cardholder: true,
  },
  CONFIG_INVALID: { status: 500, meaning: 'A configuration value is missing or malformed; start-up stops.' },
  DB_MIGRATION_FAILED: { status: 500, meaning: 'A database migration failed; start-up stops.' },
  DATA_DIR_IN_USE: {
    status: 500,
    meaning: 'Another live process holds the embedded database’s data directory; start-up stops.',
  },
  STARTUP_LOCK_TIMEOUT: {
    status: 500,
    meaning: 'Another instance held the start-up lock (development keys being made) for too long.',
  },

  // Cardholder sign-in, sessions and strong customer authentication.
  CROSS_ORIGIN_REFUSED: {
    status: 403,
    meaning: 'A state-changing request came from another origin.',
    cardholder: true,
  },
  INVALID_CREDENTIALS: {
    status: 401,
    meaning: 'The username or password is wrong (never saying which).',
    cardholder: true,
  },
  SIGN_IN_LOCKED: {
    status: 429,
    meaning: 'Too many wrong passwords for this username; locked for a while.',
    cardholder: true,
  },
  SIGN_IN_BUSY: {
    status: 503,
    meaning: 'Too many password checks are running at once; retry in a second.',
    cardholder: true,
  },
  SESSION_REQUIRED: { status: 401, meaning: 'The route needs a signed-in cardholder.', cardholder: true },
  SESSION_EXPIRED: { status: 401, meaning: 'The session ended (idle or too old).', cardholder: true },
  SESSION_INVALID: { status: 401, meaning: 'The session cookie names no live session.', cardholder: true },
  SCA_REQUIRED: {
    status: 401,
    meaning: 'A push needs a step-up (one-time code or passkey) first.',
    cardholder: true,
  },
  SCA_EXPIRED: { status: 401, meaning: 'The step-up grant has expired.', cardholder: true },
  SCA_WRONG_CARDHOLDER: {
    status: 403,
    meaning: 'The step-up grant was issued to another cardholder.',
    cardholder: true,
  },
  SCA_WRONG_SESSION: {
    status: 403,
    meaning: 'The step-up grant was issued in another session.',
    cardholder: true,
  },
  TOTP_CODE_INVALID: { status: 401, meaning: 'The one-time code is wrong.', cardholder: true },
  TOTP_CODE_REUSED: { status: 401, meaning: 'The one-time code was already used.', cardholder: true },
  TOTP_LOCKED: {
    status: 429,
    meaning: 'Too many wrong one-time codes for this cardholder; locked for a while.',
    cardholder: true,
  },
  TOTP_NOT_ENROLLED: {
    status: 409,
    meaning: 'The cardholder has no one-time code authenticator.',
    cardholder: true,
  },
  WEBAUTHN_CHALLENGE_INVALID: {
    status: 401,
    meaning: 'The passkey challenge is unknown, expired or already used.',
    cardholder: true,
  },
  WEBAUTHN_COUNTER_REGRESSED: {
    status: 401,
    meaning: 'The passkey’s signature counter went backwards: it may have been cloned.',
    cardholder: true,
  },
  WEBAUTHN_CREDENTIAL_EXISTS: {
    status: 409,
    meaning: 'This passkey is already registered.',
    cardholder: true,
  },
  WEBAUTHN_NOT_REGISTERED: { status: 409, meaning: 'The cardholder has no passkey.', cardholder: true },
  WEBAUTHN_RESPONSE_MALFORMED: {
    status: 400,
    meaning: 'The passkey response cannot be read.',
    cardholder: true,
  },
  WEBAUTHN_UNKNOWN_CREDENTIAL: {
    status: 401,
    meaning: 'The passkey is not registered for this cardholder.',
    cardholder: true,
  },
  WEBAUTHN_VERIFICATION_FAILED: {
    status: 401,
    meaning: 'The passkey response was not accepted.',
    cardholder: true,
  },
  PASSKEY_NOT_FOUND: { status: 404, meaning: 'No such passkey among the cardholder’s.', cardholder: true },
  PASSKEY_LAST_FACTOR: {
    status: 409,
    meaning: 'The cardholder’s only step-up method cannot be removed.',
    cardholder: true,
  },
  PASSKEY_NEEDS_SCRIPT: {
    status: 400,
    meaning: 'A passkey was chosen in a page without JavaScript.',
    cardholder: true,
  },
  OPS_AUTH_REQUIRED: { status: 401, meaning: 'An ops route needs an ops API key as bearer token.' },
  OPS_KEY_INVALID: { status: 401, meaning: 'The ops API key is not one of the configured keys.' },
  OPS_ONLY: { status: 403, meaning: 'The route is for issuer operations, not cardholders.' },

  // Cards and pushes.
  CARD_NOT_FOUND: { status: 404, meaning: 'No such card among the cardholder’s.', cardholder: true },
  CARDHOLDER_NOT_FOUND: { status: 404, meaning: 'No such cardholder.' },
  CARD_COUNTRY_NOT_SERVED: {
    status: 422,
    meaning: 'Push provisioning is not offered for cards issued in the card’s country.',
    cardholder: true,
  },
  CARD_NOT_ACTIVE: { status: 422, meaning: 'The card is blocked or closed.', cardholder: true },
  CARD_EXPIRED: { status: 422, meaning: 'The card has expired.', cardholder: true },
  ACCOUNT_RANGE_NOT_ENROLLED: {
    status: 422,
    meaning: 'The card’s account range is not enrolled in MDES.',
    cardholder: true,
  },
  ACCOUNT_RANGE_NOT_ACCEPTED: {
    status: 422,
    meaning: 'The destination does not accept the card’s account range.',
    cardholder: true,
  },
  CARDS_INVALID: { status: 400, meaning: 'A push names 1 to 5 distinct cards.', cardholder: true },
  MULTIPLE_CARDS_NOT_SUPPORTED: {
    status: 400,
    meaning: 'The destination takes one card per push.',
    cardholder: true,
  },
  CONSENT_REQUIRED: {
    status: 400,
    meaning: 'The cardholder did not consent to sharing the card and details.',
    cardholder: true,
  },
  ALREADY_ADDED: { status: 409, meaning: 'The card is already in Click to Pay.', cardholder: true },
  TOKEN_REQUESTOR_NOT_FOUND: {
    status: 404,
    meaning: 'No such destination (token requestor) for this card.',
    cardholder: true,
  },
  ASSET_NOT_FOUND: { status: 404, meaning: 'No such Mastercard asset (a destination’s logo).' },
  PROVISIONING_NOT_FOUND: { status: 404, meaning: 'No such push among the cardholder’s.', cardholder: true },
  PROVISIONING_INVALID_TRANSITION: {
    status: 409,
    meaning: 'A push cannot move from its state to the one asked.',
  },
  CALLBACK_RESULTS_INVALID: {
    status: 400,
    meaning: 'The results a token requestor sent back with the cardholder cannot be read.',
    cardholder: true,
  },
  IDEMPOTENCY_KEY_INVALID: { status: 400, meaning: 'The Idempotency-Key header is malformed.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, meaning: 'The Idempotency-Key was used with a different request.' },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    meaning: 'A request with this Idempotency-Key is still running.',
    cardholder: true,
  },

  // Saved cards (tokens) and their changes.
  TOKEN_NOT_FOUND: { status: 404, meaning: 'No such saved card (token), here or at MDES.', cardholder: true },
  CARD_BLOCKED: {
    status: 409,
    meaning: 'The card is not active, so its saved cards cannot be resumed.',
    cardholder: true,
  },
  TOKEN_MANAGEMENT_UNAVAILABLE: {
    status: [503, 502],
    meaning: 'MDES Customer Service is not configured (503) or did not answer (502).',
    cardholder: true,
  },
  TOKEN_MANAGEMENT_REFUSED: {
    status: 409,
    meaning: 'MDES Customer Service refused the change (its reason code in details).',
    cardholder: true,
  },
  ACTIVATION_NOT_FOUND: {
    status: 404,
    meaning: 'No tokenization waits for the cardholder’s confirmation here.',
    cardholder: true,
  },
  ACTIVATION_CODE_INVALID: {
    status: 400,
    meaning: 'The activation code is not the one sent.',
    cardholder: true,
  },
  ACTIVATION_CODE_UNUSABLE: {
    status: 409,
    meaning: 'The activation code has expired or was tried too often.',
    cardholder: true,
  },
  ACTIVATION_CODE_SENDER_UNAVAILABLE: { status: 503, meaning: 'No SMS or e-mail sender is configured.' },
  FOLLOW_UP_NOT_FOUND: { status: 404, meaning: 'No such token follow-up.' },
  FOLLOW_UP_NOT_FAILED: { status: 409, meaning: 'Only a failed token follow-up can be retried.' },
  FOLLOW_UP_SUPERSEDED: {
    status: 409,
    meaning: 'A later change of the card was queued after this follow-up.',
  },
  MDES_MESSAGE_ID_REUSED: {
    status: 409,
    meaning: 'An MDES message id came again for another kind of message.',
  },
  MDES_CLIENT_CERTIFICATE_REQUIRED: {
    status: 401,
    meaning: 'The MDES listener was reached without a trusted client certificate.',
  },
  MDES_CLIENT_NOT_PINNED: {
    status: 403,
    meaning: 'The client certificate is not one of the pinned MDES certificates.',
  },

  // Operations.
  IMPORT_INVALID: {
    status: 400,
    meaning: 'A card import has problems (each by path and code); nothing changed.',
  },
  IMPORT_CONFLICT: { status: 409, meaning: 'A concurrent import changed the same records; run it again.' },
  IMPORT_FILE_UNREADABLE: { status: 400, meaning: 'The card import file is not readable JSON.' },
  DEMO_FIXTURE_INVALID: { status: 400, meaning: 'The demo cardholders fixture is malformed.' },
  SEARCH_INVALID: {
    status: 400,
    meaning: 'A cardholder search needs a name, username, email, last four or id.',
  },
  DAYS_INVALID: { status: 400, meaning: 'The statistics window is not a whole number of days from 1 to 90.' },

  // Calls to Mastercard (src/mastercard).
  TOKEN_CONNECT_INVALID_REQUEST: {
    status: 400,
    meaning: 'A Token Connect request pushprov built breaks the spec.',
  },
  TOKEN_CONNECT_REJECTED: {
    status: 502,
    meaning: 'Mastercard answered a Token Connect call with an error.',
    cardholder: true,
  },
  TOKEN_CONNECT_UNEXPECTED_RESPONSE: {
    status: 502,
    meaning: 'A Token Connect answer was not in its format.',
    cardholder: true,
  },
  TOKEN_CONNECT_UNREACHABLE: {
    status: 503,
    meaning: 'Token Connect could not be reached.',
    cardholder: true,
  },
  TOKEN_CONNECT_TIMEOUT: { status: 504, meaning: 'Token Connect did not answer in time.', cardholder: true },
  CUSTOMER_SERVICE_INVALID_REQUEST: {
    status: 400,
    meaning: 'An MDES Customer Service request pushprov built breaks the spec.',
  },
  CUSTOMER_SERVICE_REJECTED: { status: 502, meaning: 'MDES Customer Service answered with an error.' },
  CUSTOMER_SERVICE_UNEXPECTED_RESPONSE: {
    status: 502,
    meaning: 'An MDES Customer Service answer was not in its format.',
  },
  CUSTOMER_SERVICE_UNREACHABLE: { status: 503, meaning: 'MDES Customer Service could not be reached.' },
  CUSTOMER_SERVICE_TIMEOUT: { status: 504, meaning: 'MDES Customer Service did not answer in time.' },
  PRE_DIGITIZATION_REQUEST_INVALID: {
    status: 500,
    meaning: 'A Pre-Digitization request the simulated MDES was about to send breaks the spec.',
  },
  PRE_DIGITIZATION_ANSWER_INVALID: {
    status: 500,
    meaning: 'The issuer’s Pre-Digitization answer breaks the spec.',
  },
  PRE_DIGITIZATION_NO_ENCRYPTION_KEY: {
    status: 500,
    meaning: 'No key to encrypt a Pre-Digitization payload to.',
  },
  PRE_DIGITIZATION_URL_INVALID: { status: 500, meaning: 'The issuer’s Pre-Digitization URL is not https.' },
  SIMULATED_TOKEN_NOT_FOUND: { status: 404, meaning: 'The simulated MDES holds no such token.' },
  SIMULATED_TOKEN_NOT_INACTIVE: {
    status: 409,
    meaning: 'The simulated MDES’s token does not wait for an activation code.',
  },
  ACTIVATION_CODE_VALIDATION_UNAVAILABLE: {
    status: 502,
    meaning: 'The issuer gave no usable answer to Validate Activation Code.',
  },
  SUSPICIOUS_EVENT_INVALID: {
    status: 400,
    meaning: 'A suspicious event the simulated MDES was asked to report breaks the Pre-Digitization spec.',
  },
  OAUTH_MISSING: { status: 401, meaning: 'The request carries no OAuth 1.0a Authorization header.' },
  OAUTH_MALFORMED: { status: 401, meaning: 'The OAuth Authorization header cannot be read.' },
  OAUTH_UNSUPPORTED_SIGNATURE_METHOD: {
    status: 401,
    meaning: 'The OAuth signature method is not RSA-SHA256.',
  },
  OAUTH_UNKNOWN_CONSUMER_KEY: { status: 401, meaning: 'The OAuth consumer key is not known.' },
  OAUTH_BODY_HASH_MISMATCH: { status: 401, meaning: 'The oauth_body_hash does not match the body.' },
  OAUTH_BAD_SIGNATURE: { status: 401, meaning: 'The OAuth signature does not verify.' },
  OAUTH_TIMESTAMP_OUT_OF_WINDOW: { status: 401, meaning: 'The OAuth timestamp is too far from now.' },
  OAUTH_NONCE_REPLAYED: { status: 401, meaning: 'The OAuth nonce was already used.' },
  OAUTH_NONCE_STORE_FULL: { status: 503, meaning: 'Too many recent requests to check for replays.' },
  OAUTH_METHOD_INVALID: { status: 400, meaning: 'The HTTP method to sign is not a method token.' },
  OAUTH_NONCE_INVALID: { status: 400, meaning: 'The OAuth nonce has characters not allowed in a header.' },
  OAUTH_TIMESTAMP_INVALID: { status: 400, meaning: 'The OAuth timestamp is not whole seconds since 1970.' },
  OAUTH_URL_INVALID: { status: 400, meaning: 'The request URL cannot be signed.' },
  FLE_MALFORMED: { status: 400, meaning: 'A field-level encrypted value is malformed.' },
  FLE_UNSUPPORTED_ALGORITHM: {
    status: 400,
    meaning: 'A field-level encrypted value names an unsupported algorithm.',
  },
  FLE_KEY_UNKNOWN: { status: 400, meaning: 'publicKeyFingerprint names no key held here.' },
  FLE_KEY_UNWRAP_FAILED: { status: 400, meaning: 'The session key cannot be unwrapped with this key.' },
  FLE_DECRYPTION_FAILED: { status: 400, meaning: 'A field-level encrypted value does not decrypt.' },

  // Keys and the vault.
  KEY_FILE_UNREADABLE: { status: 500, meaning: 'A key file cannot be read.' },
  KEY_UNRECOGNISED: { status: 400, meaning: 'A key file holds no key or certificate pushprov can read.' },
  KEY_NOT_PRIVATE: { status: 400, meaning: 'A key file holds no private key where one is needed.' },
  KEY_NOT_PUBLIC: {
    status: 400,
    meaning: 'A key file holds no certificate or public key where one is needed.',
  },
  KEY_NOT_RSA: { status: 400, meaning: 'A key is not an RSA key.' },
  KEY_PASSWORD_REQUIRED: { status: 400, meaning: 'A key file is encrypted and no password was given.' },
  KEY_PASSWORD_INVALID: { status: 400, meaning: 'The password of a key file is wrong.' },
  KEY_PKCS12_UNSUPPORTED: { status: 400, meaning: 'A PKCS#12 store uses algorithms pushprov cannot read.' },
  KEY_ALIAS_REQUIRED: { status: 400, meaning: 'A PKCS#12 store holds several keys and none was named.' },
  KEY_ALIAS_NOT_FOUND: { status: 400, meaning: 'A PKCS#12 store has no key of the alias given.' },
  KEY_DEV_SET_EXISTS: { status: 400, meaning: 'A development key set is already there.' },
  KEY_DEV_SET_NOT_FOUND: { status: 400, meaning: 'No development key set was generated yet.' },
  KEY_DEV_SET_INCONSISTENT: { status: 400, meaning: 'A development certificate does not belong to its key.' },
  KEY_DEV_PKI_NOT_FOUND: { status: 400, meaning: 'No development mutual TLS PKI was generated yet.' },
  KEY_DEV_PKI_INCONSISTENT: {
    status: 400,
    meaning: 'The development mutual TLS PKI’s files do not fit together.',
  },
  AES_GCM_AUTH_FAILED: {
    status: 400,
    meaning: 'An AES-GCM value failed authentication (wrong key, or changed).',
  },
  RSA_DECRYPTION_FAILED: {
    status: 400,
    meaning:
      'An RSA ciphertext does not decrypt with the key (the HSM’s raw RSA, padding removed by pushprov).',
  },
  // Keys in an HSM through PKCS#11 (src/core/hsm): start-up stops on each but HSM_UNAVAILABLE.
  HSM_URI_INVALID: { status: 500, meaning: 'A pkcs11: key URI is not a valid RFC 7512 URI.' },
  HSM_DRIVER_MISSING: {
    status: 500,
    meaning: 'A pkcs11: key is configured but the pkcs11js binding is not installed.',
  },
  HSM_MODULE_UNLOADABLE: { status: 500, meaning: 'The PKCS#11 module (the HSM’s library) cannot be loaded.' },
  HSM_MODULE_REQUIRED: {
    status: 500,
    meaning: 'A pkcs11: key names no module and PUSHPROV_PKCS11_MODULE is not set.',
  },
  HSM_TOKEN_NOT_FOUND: { status: 500, meaning: 'No token of the HSM matches the key URI.' },
  HSM_PIN_MISSING: { status: 500, meaning: 'No PIN is configured for the HSM token.' },
  HSM_PIN_INCORRECT: { status: 500, meaning: 'The HSM refused the PIN.' },
  HSM_PIN_LOCKED: { status: 500, meaning: 'The HSM token’s PIN is locked.' },
  HSM_KEY_NOT_FOUND: { status: 500, meaning: 'No key in the token matches the key URI.' },
  HSM_KEY_AMBIGUOUS: { status: 500, meaning: 'Several keys in the token match the key URI.' },
  HSM_KEY_UNSUITABLE: {
    status: 500,
    meaning: 'The key in the HSM is not of the type or use the setting needs.',
  },
  HSM_UNAVAILABLE: {
    status: 503,
    meaning: 'The HSM is gone (session, token or library) and did not come back on retry.',
    // A push whose signing key is gone answers it; the push stays pending and is sent once the HSM is back.
    cardholder: true,
  },
  HSM_OPERATION_FAILED: { status: 500, meaning: 'The HSM refused an operation for another reason.' },
  VAULT_BLOB_MALFORMED: { status: 500, meaning: 'A sealed value cannot be read.' },
  VAULT_CONTEXT_MISMATCH: { status: 500, meaning: 'A sealed value belongs to another record or field.' },
  VAULT_KEK_UNKNOWN: { status: 500, meaning: 'A sealed value’s key-encryption key is not in the keyring.' },
  VAULT_TAMPERED: { status: 500, meaning: 'A sealed value failed authentication.' },
  VAULT_TABLE_WITHOUT_KEY: {
    status: 500,
    meaning: 'A table holds sealed values but has no primary key to re-wrap them by.',
  },

  // The simulator's and the demo merchant's own refusals (not Mastercard's wire codes).
  MC_CLIENT_INVALID: { status: 400, meaning: 'A simulated Mastercard Developers client is malformed.' },
  MC_SEALED_INVALID: { status: 400, meaning: 'A value the simulator sealed has an unknown layout.' },
  MC_SEALING_KEY_INVALID: { status: 400, meaning: 'The simulator’s sealing key is not 32 bytes.' },
  C2P_PROFILE_NOT_FOUND: { status: 404, meaning: 'No such Click to Pay profile in the simulator.' },
  C2P_TOKEN_MISSING: { status: 500, meaning: 'The simulated tokenize answered but stored no token.' },
} as const satisfies Record<
  string,
  { status: number | readonly number[]; meaning: string; cardholder?: true }
>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes the bank's pages can show a cardholder, each worded in every language the pages speak. */
export type CardholderCode = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K] extends { cardholder: true } ? K : never;
}[ErrorCode];

/**
 * The codes a push, or one card of it, can end with besides an error above
 * (a Token Connect failure) or a reason code Mastercard gave for the card:
 * recorded on the push, never answered as an error, shown on its result page.
 */
export const PUSH_OUTCOMES = {
  PUSH_UNCONFIRMED: 'Mastercard did not confirm the push after several attempts.',
  NO_RECEIPT: 'Mastercard answered the push without a receipt for the card.',
  RECEIPT_EXPIRED: 'The cardholder did not finish at the token requestor before the receipt expired.',
  TOKEN_UNCONFIRMED: 'The token requestor reported a token that Mastercard did not confirm.',
  ADDITIONAL_AUTHENTICATION_REQUIRED: 'The token requestor reports the card needs more authentication.',
  TOKENIZATION_DECLINED: 'The token requestor reports the tokenization was declined.',
  CARDHOLDER_CANCELLED: 'The cardholder or the token requestor cancelled.',
  TOKEN_DELETED_BY_TOKEN_REQUESTOR: 'The token requestor deleted the token after a failed authentication.',
  ALREADY_SAVED: 'The card was already saved at the token requestor.',
  TOKEN_REQUESTOR_ERROR: 'The token requestor reports an error.',
} as const satisfies Record<string, string>;

export type PushOutcome = keyof typeof PUSH_OUTCOMES;

/** A code another party's specification defines (Mastercard's), carried as it is on their wire. */
export type WireCode = string & { readonly wireCode: unique symbol };

export const wireCode = (code: string): WireCode => code as WireCode;

/** The statuses a code is answered with. */
export const statusesOf = (code: ErrorCode): readonly number[] => {
  const { status } = ERROR_CODES[code];
  return typeof status === 'number' ? [status] : status;
};
