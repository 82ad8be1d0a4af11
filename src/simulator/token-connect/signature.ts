import type { KeyObject } from 'node:crypto';
import { publicKeyFingerprint } from '../../mastercard/keys/fingerprint.js';
import type { PushSigningKey } from '../../mastercard/token-connect/push-signature.js';
import type {
  PushAccountSignatureData,
  PushAccountSignaturePayload,
} from '../../mastercard/token-connect/types.js';

/**
 * The simulated MDES's signing key as a key asset. Mastercard names its keys
 * `<creation time>-MDES-token-connect-<environment>` (MDESRQ p. 45); the
 * simulator's id is derived from the key, so it stays the same across
 * restarts and changes when the key does.
 */
export function simulatorSigningKey(privateKey: KeyObject, publicKey: KeyObject): PushSigningKey {
  return {
    assetId: `${publicKeyFingerprint(publicKey).slice(0, 14)}-MDES-token-connect-simulator`,
    privateKey,
    publicKey,
  };
}

/**
 * What MDES signs over a push, as the recorded sandbox exchange shows it
 * (kajiczech/mdesTokenConnect, request_examples/request1-response.json):
 * every receipt issued, the callback URL, completeWebsiteActivation,
 * accountHolderDataSupplied and the locale — not callbackRequired nor
 * completeIssuerAppActivation, although the request carried the latter.
 * The two flags take MDESRQ's defaults (true, false) when not sent.
 */
export function signatureClaims(
  receipts: readonly string[],
  data: PushAccountSignatureData | undefined,
): PushAccountSignaturePayload {
  return {
    pushAccountReceipts: [...receipts],
    ...(data?.callbackURL === undefined ? {} : { callbackURL: data.callbackURL }),
    completeWebsiteActivation: data?.completeWebsiteActivation ?? true,
    accountHolderDataSupplied: data?.accountHolderDataSupplied ?? false,
    ...(data?.locale === undefined ? {} : { locale: data.locale }),
  };
}
