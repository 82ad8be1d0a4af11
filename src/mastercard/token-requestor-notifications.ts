import type { FullToken } from './digital-enablement/schemas.js';

/**
 * MDES's Notify Token Updated (NTU), from MDES to a token requestor (a
 * merchant's Secure Card on File) when one of its tokens changes:
 * suspended, resumed, deleted (`DEACTIVATED`), or its funding account
 * replaced. The wire format is the Digital Enablement API 1.3.3's
 * (`POST …/digitization/static/1/0/notifyTokenUpdated`, see
 * digital-enablement/schemas.ts): `responseHost`, `requestId`, and an
 * `encryptedPayload` holding the changed `tokens`, encrypted to the token
 * requestor's key. This is the notice before encryption, as MDES composes
 * it; the outbox encrypts it for its recipient.
 */
export const NTU_MESSAGE_TYPE = 'NOTIFY_TOKEN_UPDATED' as const;

/** The consumer key MDES signs its Notify Token Updated to token requestors with (OAuth 1.0a, Mastercard's signing key). */
export const MDES_CONSUMER_KEY = 'mastercard-mdes';

type NtuToken = FullToken;

export interface TokenUpdatedNotice {
  requestId: string;
  responseHost: string;
  tokens: NtuToken[];
}
