import type { KeyObject } from 'node:crypto';
import { CompactSign, exportJWK, type JWK } from 'jose';
import { publicKeyFingerprint } from '../../mastercard/keys/fingerprint.js';
import type {
  PushAccountSignatureData,
  PushAccountSignaturePayload,
} from '../../mastercard/token-connect/types.js';

/**
 * MDES's signature over a pushMultipleAccounts answer: an RS256 compact JWS
 * the issuer hands to the token requestor in the redirect, so the token
 * requestor can tell the receipts and the callback were not altered on the
 * way. `kid` is the SHA-256 fingerprint of the verification key, published
 * in the JWKS at /mdes/.well-known/jwks.json.
 */
export class PushSigner {
  readonly kid: string;
  readonly #privateKey: KeyObject;
  readonly #jwk: Promise<JWK>;

  constructor(privateKey: KeyObject, publicKey: KeyObject) {
    this.#privateKey = privateKey;
    this.kid = publicKeyFingerprint(publicKey);
    this.#jwk = exportJWK(publicKey).then((jwk) => ({ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }));
  }

  async sign(receipts: readonly string[], data: PushAccountSignatureData | undefined): Promise<string> {
    const payload = new TextEncoder().encode(JSON.stringify(signatureClaims(receipts, data)));
    return new CompactSign(payload)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .sign(this.#privateKey);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [await this.#jwk] };
  }
}

/**
 * The claims, as in the spec's example (pushAccountReceipt, issuerCallBack,
 * callbackRequired and the flags) plus `pushAccountReceipts` for several
 * receipts and `callbackURL`, the names a JWS seen from MDES's MTF uses
 * (docs/simulator.md). A token requestor can check either spelling.
 */
export function signatureClaims(
  receipts: readonly string[],
  data: PushAccountSignatureData | undefined,
): PushAccountSignaturePayload & { callbackURL?: string } {
  const callbackURL = data?.callbackURL;
  return {
    pushAccountReceipt: receipts[0]!,
    pushAccountReceipts: [...receipts],
    ...(callbackURL === undefined ? {} : { issuerCallBack: callbackURL, callbackURL }),
    callbackRequired: callbackURL !== undefined,
    ...(data?.completeIssuerAppActivation === undefined
      ? {}
      : { completeIssuerAppActivation: data.completeIssuerAppActivation }),
    completeWebsiteActivation: data?.completeWebsiteActivation ?? true,
    accountHolderDataSupplied: data?.accountHolderDataSupplied ?? false,
    ...(data?.locale === undefined ? {} : { locale: data.locale }),
  };
}
