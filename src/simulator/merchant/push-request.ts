import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';

/**
 * What arrives at the merchant's WEB push URI: the receipts, the issuer's
 * callback URL and MDES's signature over them. The merchant trusts nothing in
 * the URL until the signature verifies and its claims match the URL exactly;
 * a tampered redirect is refused before any receipt is redeemed.
 */
export interface PushRequest {
  receipts: string[];
  callbackURL: string;
  signature: string | undefined;
}

export type PushRequestProblem =
  | 'RECEIPT_MISSING'
  | 'TOO_MANY_RECEIPTS'
  | 'CALLBACK_INVALID'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'SIGNATURE_MISMATCH';

export class PushRequestError extends Error {
  constructor(readonly problem: PushRequestProblem) {
    super(problem);
  }
}

const RECEIPT = /^[A-Z]{3}(-[A-Za-z0-9]+)+$/;

/** Reads the query of a push redirect; shape problems only, no cryptography yet. */
export function readPushRequest(query: URLSearchParams): PushRequest {
  const receipts = query.getAll('pushAccountReceipt');
  if (receipts.length === 0 || receipts.some((r) => r.length > 64 || !RECEIPT.test(r))) {
    throw new PushRequestError('RECEIPT_MISSING');
  }
  if (receipts.length > 5) throw new PushRequestError('TOO_MANY_RECEIPTS');
  const callbackURL = query.get('callbackURL') ?? '';
  let callback: URL;
  try {
    callback = new URL(callbackURL);
  } catch {
    throw new PushRequestError('CALLBACK_INVALID');
  }
  if (callback.protocol !== 'https:' && callback.protocol !== 'http:')
    throw new PushRequestError('CALLBACK_INVALID');
  return { receipts, callbackURL, signature: query.get('signature') ?? undefined };
}

export class PushSignatureVerifier {
  readonly #keys: JWTVerifyGetKey;

  constructor(jwksUrl: string | JWTVerifyGetKey) {
    this.#keys = typeof jwksUrl === 'string' ? createRemoteJWKSet(new URL(jwksUrl)) : jwksUrl;
  }

  /** Verifies MDES's RS256 signature and that it covers exactly these receipts and this callback. */
  async verify(request: PushRequest): Promise<void> {
    if (!request.signature) throw new PushRequestError('SIGNATURE_MISSING');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(request.signature, this.#keys, { algorithms: ['RS256'] }));
    } catch {
      throw new PushRequestError('SIGNATURE_INVALID');
    }
    const signed = Array.isArray(claims.pushAccountReceipts)
      ? claims.pushAccountReceipts
      : [claims.pushAccountReceipt];
    const sameReceipts =
      signed.length === request.receipts.length && signed.every((r, i) => r === request.receipts[i]);
    if (!sameReceipts || claims.issuerCallBack !== request.callbackURL)
      throw new PushRequestError('SIGNATURE_MISMATCH');
  }
}
