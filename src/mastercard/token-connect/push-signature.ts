import { createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, exportJWK, type JWK } from 'jose';
import { type Handover, HandoverError, handoverFromClaims } from './handover.js';
import type { MediaContent } from './types.js';

/**
 * MDES's signature over a push, and its verification key as MDESRQ (Dec
 * 2021, "Signature verification", p. 41–45) distributes it: an RS256 compact
 * JWS whose `kid` is also the id of an asset of type `application/jwk+json`
 * (base64 of the public JWK) that the token requestor downloads with the
 * getAsset it already uses for card art, stores, and uses offline — never
 * fetching it while verifying. One key is active at a time; a rotation is a
 * new asset id that token requestors download before the old key ends.
 */
const JWK_ASSET_TYPE = 'application/jwk+json';

/** One of MDES's signing keys; `assetId` is its `kid`. */
export interface PushSigningKey {
  assetId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** MDES's side: signs with the active key, serves every key it still announces as an asset. */
export class PushSigner {
  readonly #active: PushSigningKey;
  readonly #assets: Map<string, Promise<MediaContent[]>>;

  /** `keys[0]` signs; the others stay downloadable (a key announced for rotation, or one retiring). */
  constructor(keys: readonly PushSigningKey[]) {
    const [active] = keys;
    if (!active) throw new Error('MDES needs a signing key');
    this.#active = active;
    this.#assets = new Map(keys.map((key) => [key.assetId, jwkAssetOf(key)]));
  }

  get kid(): string {
    return this.#active.assetId;
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'RS256', kid: this.#active.assetId })
      .sign(this.#active.privateKey);
  }

  /** The asset's media contents, or undefined when the id is not one of MDES's signing keys. */
  asset(assetId: string): Promise<MediaContent[]> | undefined {
    return this.#assets.get(assetId);
  }
}

async function jwkAssetOf(key: PushSigningKey): Promise<MediaContent[]> {
  const jwk = {
    ...(await exportJWK(key.publicKey)),
    kid: key.assetId,
    use: 'sig',
    alg: 'RS256',
    key_ops: ['verify'],
  };
  return [{ type: JWK_ASSET_TYPE, data: Buffer.from(JSON.stringify(jwk), 'utf8').toString('base64') }];
}

/** Reads MDES's public key out of an asset, checking that the key's `kid` is the asset id (MDESRQ point 6). */
export async function keyFromAsset(
  assetId: string,
  mediaContents: readonly MediaContent[],
): Promise<KeyObject> {
  const media = mediaContents.find((m) => m.type === JWK_ASSET_TYPE);
  if (!media) throw new HandoverError('SIGNED_DATA_INVALID', `asset ${assetId} holds no ${JWK_ASSET_TYPE}`);
  const jwk = JSON.parse(Buffer.from(media.data, 'base64').toString('utf8')) as JWK;
  if (jwk.kid !== assetId || jwk.kty !== 'RSA') {
    throw new HandoverError('SIGNED_DATA_INVALID', `asset ${assetId} is not an RSA key with that kid`);
  }
  // Node's own key object, so that `jose` and node:crypto both take it.
  return createPublicKey({ key: { kty: jwk.kty, n: jwk.n ?? '', e: jwk.e ?? '' }, format: 'jwk' });
}

/**
 * The token requestor's side: MDES's verification keys, downloaded ahead of
 * time by asset id and kept by kid. A JWS whose kid is unknown is refused,
 * not looked up: a new key is added by downloading its asset (`load`).
 */
export class PushSignatureKeys {
  readonly #keys = new Map<string, KeyObject>();

  constructor(private readonly fetchAsset: (assetId: string) => Promise<readonly MediaContent[]>) {}

  /** Downloads and keeps each asset's key; the first failure is thrown after the others were tried. */
  async load(assetIds: readonly string[]): Promise<void> {
    const failures: unknown[] = [];
    for (const assetId of assetIds) {
      try {
        this.#keys.set(assetId, await keyFromAsset(assetId, await this.fetchAsset(assetId)));
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /** A key obtained otherwise (a file handed over at onboarding, or Mastercard's own, inside Mastercard). */
  add(assetId: string, publicKey: KeyObject): void {
    this.#keys.set(assetId, publicKey);
  }

  get kids(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Verifies MDES's JWS and returns what it signed. SIGNED_DATA_INVALID for
   * an unknown kid, another algorithm, a bad signature or claims that are
   * not a handover: MDESRQ has the token requestor answer such a push with
   * HTTP 400.
   */
  async verify(jws: string): Promise<Handover> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(jws);
      if (header.alg !== 'RS256') throw new Error('alg');
      kid = header.kid;
    } catch {
      throw new HandoverError('SIGNED_DATA_INVALID', 'the signed data is not an RS256 JWS');
    }
    const key = kid === undefined ? undefined : this.#keys.get(kid);
    if (!key)
      throw new HandoverError('SIGNED_DATA_INVALID', 'the signature names a key that was not downloaded');
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, key, { algorithms: ['RS256'] }));
    } catch {
      throw new HandoverError('SIGNED_DATA_INVALID', 'the signature does not verify');
    }
    let claims: unknown;
    try {
      claims = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      throw new HandoverError('SIGNED_DATA_INVALID', 'the signed data is not JSON');
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new HandoverError('SIGNED_DATA_INVALID', 'the signed data is not an object');
    }
    return handoverFromClaims(claims as Record<string, unknown>);
  }
}
