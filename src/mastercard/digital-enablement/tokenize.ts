import type { KeyObject } from 'node:crypto';
import { encryptFieldLevel, type OaepHashingAlgorithm } from '../encryption/field-level.js';

/**
 * The token requestor's tokenize after a push (Mastercard Digital Enablement
 * API 1.3.3, `POST /digitization/static/1/0/tokenize`), with what MDESRQ
 * (Dec 2021, "Tokenization guidelines", p. 25) requires of it: the receipt
 * in lieu of card data, `source` = ACCOUNT_ADDED_VIA_APPLICATION, and the
 * device's IP address in `decisioningData.deviceIpAddress` so the issuer can
 * compare it with the device it pushed from. `source` is a field of
 * FundingAccountData, which travels encrypted to Mastercard's key.
 */
export const TOKENIZE_PATH = '/digitization/static/1/0/tokenize';
export const PUSHED_CARD_SOURCE = 'ACCOUNT_ADDED_VIA_APPLICATION';

/** Mastercard's encryption key as a token requestor is given it, with the fingerprint MDES matches on. */
export interface MastercardEncryptionKey {
  publicKey: KeyObject;
  publicKeyFingerprint: string;
  oaepHashingAlgorithm?: OaepHashingAlgorithm;
}

export interface PushedCardTokenize {
  requestId: string;
  taskId: string;
  tokenRequestorId: string;
  receipt: string;
  encryptTo: MastercardEncryptionKey;
  /** The cardholder's device as the token requestor saw it; IPv4 only (the spec's format, 7–15 characters). */
  deviceIpAddress?: string;
  /** ISO 639-1. */
  consumerLanguage?: string;
}

export function pushedCardTokenizeRequest(o: PushedCardTokenize): Record<string, unknown> {
  const sealed = encryptFieldLevel(JSON.stringify({ source: PUSHED_CARD_SOURCE }), o.encryptTo.publicKey, {
    encoding: 'hex',
    oaepHashingAlgorithm: o.encryptTo.oaepHashingAlgorithm ?? 'SHA512',
  });
  const ip = o.deviceIpAddress?.replace(/^::ffff:/, '');
  return {
    requestId: o.requestId,
    tokenType: 'CLOUD',
    tokenRequestorId: o.tokenRequestorId,
    taskId: o.taskId,
    fundingAccountInfo: {
      pushAccountReceipt: o.receipt,
      encryptedPayload: {
        publicKeyFingerprint: o.encryptTo.publicKeyFingerprint,
        encryptedKey: sealed.encryptedKey,
        oaepHashingAlgorithm: sealed.oaepHashingAlgorithm,
        iv: sealed.iv,
        encryptedData: sealed.encryptedValue,
      },
    },
    ...(o.consumerLanguage && { consumerLanguage: o.consumerLanguage }),
    ...(ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && { decisioningData: { deviceIpAddress: ip } }),
  };
}
