import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_ISSUER_CONSUMER_KEY, DEMO_MERCHANT_CONSUMER_KEY } from '../../app/mastercard-side.js';
import { ConfigError, isPushprovError } from '../../core/errors.js';
import { encryptionIdentityFiles } from '../../mastercard/keys/dev-encryption-identity.js';
import { loadDevKeys } from '../../mastercard/keys/generate.js';
import { loadPrivateKey, loadPublicKey } from '../../mastercard/keys/load.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../simulator/token-connect/catalogue.js';
import { MERCHANT_ENCRYPTION_STEM } from '../keys.js';
import type { ConformanceTarget } from './target.js';

/**
 * The file names `--keys DIR` is read with when it is not a development key
 * set: the issuer's OAuth signing key from Mastercard Developers, and
 * Mastercard's encryption certificate for Token Connect. The first that
 * exists is used.
 */
export const KEY_FILES = {
  signingKey: ['signing-key.p12', 'signing-key.pfx', 'signing-key.pem'],
  encryptionCertificate: ['encryption-cert.pem', 'encryption-cert.crt', 'encryption-cert.der'],
} as const;

export interface KeyOptions {
  /** Overrides the development set's; required for a sandbox key directory. */
  consumerKey?: string | undefined;
  /** Of a PKCS#12 signing key (MASTERCARD_SIGNING_KEY_PASSWORD). */
  password?: string | undefined;
  /** Of the key inside a PKCS#12 store (MASTERCARD_SIGNING_KEY_ALIAS). */
  alias?: string | undefined;
}

export type ConformanceKeys = Pick<ConformanceTarget, 'issuer' | 'encryptionKey' | 'tokenRequestor'>;

/**
 * The keys in a directory: a development key set (as `pushprov keys
 * generate` writes it) or, failing that, a sandbox directory laid out as
 * KEY_FILES.
 */
export async function loadConformanceKeys(dir: string, options: KeyOptions = {}): Promise<ConformanceKeys> {
  try {
    return await devConformanceKeys(dir, options);
  } catch (error) {
    if (isPushprovError(error) && error.code === 'KEY_DEV_SET_NOT_FOUND') return sandboxKeys(dir, options);
    throw error;
  }
}

/**
 * A development key set: the issuer's keys as the simulator knows them, and
 * the demo merchant's, which can redeem receipts there.
 */
export async function devConformanceKeys(dir: string, options: KeyOptions = {}): Promise<ConformanceKeys> {
  const dev = await loadDevKeys(dir);
  // The demo merchant's encryption identity, when `pushprov start` has made it: tokenDetail opens with it.
  const merchantFiles = encryptionIdentityFiles(dir, MERCHANT_ENCRYPTION_STEM);
  const decryptionKey =
    existsSync(merchantFiles.privateKey) && existsSync(merchantFiles.certificate)
      ? {
          privateKey: await loadPrivateKey({ path: merchantFiles.privateKey }),
          ...(await loadPublicKey({ path: merchantFiles.certificate })),
        }
      : undefined;
  return {
    issuer: {
      consumerKey: options.consumerKey ?? CONFORMANCE_ISSUER_CONSUMER_KEY,
      signingKey: dev.issuerSigning.privateKey,
    },
    encryptionKey: dev.mastercardEncryption.certificate ?? dev.mastercardEncryption.publicKey,
    tokenRequestor: {
      consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
      signingKey: dev.merchantSigning.privateKey,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      ...(decryptionKey && { decryptionKey }),
    },
  };
}

async function sandboxKeys(dir: string, options: KeyOptions): Promise<ConformanceKeys> {
  const find = (names: readonly string[]) =>
    names.map((name) => join(dir, name)).find((path) => existsSync(path));
  const signingKey = find(KEY_FILES.signingKey);
  const certificate = find(KEY_FILES.encryptionCertificate);
  const problems = [
    ...(signingKey ? [] : [`${dir}: no signing key (${KEY_FILES.signingKey.join(', ')})`]),
    ...(certificate
      ? []
      : [`${dir}: no encryption certificate (${KEY_FILES.encryptionCertificate.join(', ')})`]),
    ...(options.consumerKey
      ? []
      : ['a consumer key is required with sandbox keys (--consumer-key or MASTERCARD_CONSUMER_KEY)']),
  ];
  if (!signingKey || !certificate || !options.consumerKey) throw new ConfigError(problems);
  const { publicKey, certificate: x509 } = await loadPublicKey({ path: certificate });
  return {
    issuer: {
      consumerKey: options.consumerKey,
      signingKey: await loadPrivateKey(
        { path: signingKey },
        {
          ...(options.password === undefined ? {} : { password: options.password }),
          ...(options.alias === undefined ? {} : { alias: options.alias }),
        },
      ),
    },
    encryptionKey: x509 ?? publicKey,
  };
}
