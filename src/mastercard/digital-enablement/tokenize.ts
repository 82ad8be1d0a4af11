import type { PayloadEncrypter } from '../token-connect/client.js';

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

export interface PushedCardTokenize {
  requestId: string;
  taskId: string;
  tokenRequestorId: string;
  receipt: string;
  /** Field-level encryption to Mastercard's key, as for Token Connect. */
  encrypter: PayloadEncrypter;
  /** The cardholder's device as the token requestor saw it; IPv4 only (the spec's format, 7–15 characters). */
  deviceIpAddress?: string;
  /** ISO 639-1. */
  consumerLanguage?: string;
}

export function pushedCardTokenizeRequest(o: PushedCardTokenize): Record<string, unknown> {
  const ip = o.deviceIpAddress?.replace(/^::ffff:/, '');
  return {
    requestId: o.requestId,
    tokenType: 'CLOUD',
    tokenRequestorId: o.tokenRequestorId,
    taskId: o.taskId,
    fundingAccountInfo: {
      pushAccountReceipt: o.receipt,
      encryptedPayload: o.encrypter.encrypt(JSON.stringify({ source: PUSHED_CARD_SOURCE })),
    },
    ...(o.consumerLanguage && { consumerLanguage: o.consumerLanguage }),
    ...(ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && { decisioningData: { deviceIpAddress: ip } }),
  };
}
