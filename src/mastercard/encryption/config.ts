import { KeyObject, X509Certificate } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';
import { certificateFingerprint, publicKeyFingerprint } from '../keys/fingerprint.js';
import type { DataEncoding } from './encoding.js';
import { type OaepHashingAlgorithm, parseOaepHashingAlgorithm } from './field-level.js';
import { type JsonPath, parseJsonPath } from './json-path.js';

/**
 * Configuration of payload encryption, in the shape and with the member
 * names of mastercard-client-encryption's config objects, except that keys
 * arrive parsed (see src/mastercard/keys) instead of as file paths. Every
 * problem is found once, when the encryption is created.
 */

/** Where a value is taken from (`element`) and where its result goes (`obj`); dot paths, `$` for the whole payload. */
export interface PathMapping {
  element: string;
  obj: string;
}

export interface ResourceEncryption {
  /** Regular expression searched for in the resource path (query string ignored); the first match applies. */
  path: string | RegExp;
  /** Request parts to encrypt: the value at `element` is removed and its ciphertext written at `obj`. */
  toEncrypt?: readonly PathMapping[];
  /** Response parts to decrypt: the ciphertext at `element` is removed and its plaintext written at `obj`. */
  toDecrypt?: readonly PathMapping[];
}

export type FingerprintType = 'publicKey' | 'certificate';

interface CommonConfig extends KeySettings {
  paths: readonly ResourceEncryption[];
  /** The member holding the ciphertext. */
  encryptedValueFieldName: string;
}

interface KeySettings {
  /** The recipient's RSA public key; or give `encryptionCertificate`. Needed to encrypt. */
  encryptionKey?: KeyObject;
  encryptionCertificate?: X509Certificate;
  /** Our RSA private key. Needed to decrypt. */
  decryptionKey?: KeyObject;
  /** What the JWE `kid` or the `publicKeyFingerprint` names: SHA-256 of the public key (default, hex) or of the certificate. */
  publicKeyFingerprintType?: FingerprintType;
  /** A fixed fingerprint instead of a computed one. */
  publicKeyFingerprint?: string;
}

export interface JweConfig extends CommonConfig {
  /** Encoding of a certificate fingerprint; hex by default. */
  dataEncoding?: DataEncoding;
}

export interface FieldLevelConfig extends CommonConfig {
  /** Encoding of ciphertext, wrapped key and IV (and of a certificate fingerprint). */
  dataEncoding: DataEncoding;
  /** `SHA-256`, `SHA256`, `SHA-512` or `SHA512`. */
  oaepPaddingDigestAlgorithm: string;
  /** Members written beside the ciphertext; a member left out is not written. */
  encryptedKeyFieldName?: string;
  /** Default `iv`. */
  ivFieldName?: string;
  publicKeyFingerprintFieldName?: string;
  oaepHashingAlgorithmFieldName?: string;
  /**
   * The header variant: with both `ivHeaderName` and `encryptedKeyHeaderName`,
   * the encryption parameters travel in HTTP headers and only the ciphertext
   * stays in the body.
   */
  ivHeaderName?: string;
  encryptedKeyHeaderName?: string;
  oaepHashingAlgorithmHeaderName?: string;
  publicKeyFingerprintHeaderName?: string;
}

export interface CompiledMapping {
  element: JsonPath;
  obj: JsonPath;
  /** Encrypting to an `obj` that names the ciphertext member itself: the ciphertext is written there bare. */
  bare: boolean;
}

export interface CompiledResource {
  pattern: RegExp;
  toEncrypt: readonly CompiledMapping[];
  toDecrypt: readonly CompiledMapping[];
}

export interface CompiledKeys {
  encryptionKey: KeyObject | undefined;
  decryptionKey: KeyObject | undefined;
  fingerprint: string | undefined;
}

/** Problems are collected, then thrown together as one ConfigError. */
export class Problems {
  readonly #found: string[] = [];
  add(problem: string): void {
    this.#found.push(problem);
  }
  throwIfAny(): void {
    if (this.#found.length > 0) throw new ConfigError(this.#found);
  }
}

export function requireObject(config: unknown, name: string): asserts config is Record<string, unknown> {
  if (typeof config !== 'object' || config === null) throw new ConfigError([`${name} must be an object`]);
}

/** A member name: a non-empty string without dots. */
export function fieldName(value: unknown, name: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.includes('.')) {
    problems.add(`${name} must be a non-empty name without dots`);
    return undefined;
  }
  return value;
}

export function dataEncoding(value: unknown, name: string, problems: Problems): DataEncoding {
  if (value === 'hex' || value === 'base64') return value;
  problems.add(`${name} must be 'hex' or 'base64'`);
  return 'hex';
}

export function oaepDigest(value: unknown, problems: Problems): OaepHashingAlgorithm {
  const digest = parseOaepHashingAlgorithm(value);
  if (digest === undefined) problems.add('oaepPaddingDigestAlgorithm must be SHA-256 or SHA-512');
  return digest ?? 'SHA256';
}

export function compileResources(
  paths: unknown,
  valueField: string,
  options: { bareAllowed: boolean; singleMapping: boolean },
  problems: Problems,
): CompiledResource[] {
  if (!Array.isArray(paths) || paths.length === 0) {
    problems.add('paths must be a non-empty array');
    return [];
  }
  return paths.map((resource: unknown, i) => {
    const where = `paths[${i}]`;
    if (typeof resource !== 'object' || resource === null) {
      problems.add(`${where} must be an object`);
      return { pattern: /$^/, toEncrypt: [], toDecrypt: [] };
    }
    const { path, toEncrypt, toDecrypt } = resource as Record<string, unknown>;
    return {
      pattern: pattern(path, `${where}.path`, problems),
      toEncrypt: mappings(toEncrypt, `${where}.toEncrypt`, valueField, options, problems),
      toDecrypt: mappings(toDecrypt, `${where}.toDecrypt`, undefined, options, problems),
    };
  });
}

function pattern(path: unknown, where: string, problems: Problems): RegExp {
  // A global or sticky RegExp remembers where it last matched; test() must not.
  if (path instanceof RegExp) return new RegExp(path.source, path.flags.replace(/[gy]/g, ''));
  if (typeof path === 'string' && path !== '') {
    try {
      return new RegExp(path);
    } catch {
      problems.add(`${where} is not a valid regular expression`);
    }
  } else {
    problems.add(`${where} must be a regular expression or its source`);
  }
  return /$^/;
}

function mappings(
  list: unknown,
  where: string,
  /** When encrypting: the ciphertext member, which `obj` may name. */
  valueField: string | undefined,
  options: { bareAllowed: boolean; singleMapping: boolean },
  problems: Problems,
): CompiledMapping[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.add(`${where} must be an array`);
    return [];
  }
  if (options.singleMapping && list.length > 1) {
    problems.add(`${where}: the header variant shares one key and IV, so it takes one entry`);
  }
  const compiled = list.map((mapping: unknown, j): CompiledMapping => {
    const at = `${where}[${j}]`;
    const { element, obj } = (typeof mapping === 'object' && mapping !== null ? mapping : {}) as Record<
      string,
      unknown
    >;
    const paths = {
      element: path(element, `${at}.element`, problems),
      obj: path(obj, `${at}.obj`, problems),
    };
    const bare = paths.obj.length > 0 && paths.obj[paths.obj.length - 1] === valueField;
    if (bare && !options.bareAllowed) {
      problems.add(`${at}.obj names ${valueField} itself, leaving no place for the key and IV`);
    }
    return { ...paths, bare };
  });
  if (compiled.length > 1 && compiled.some((m) => m.element.length === 0 || m.obj.length === 0)) {
    problems.add(`${where}: a whole-payload ($) entry must be the only one`);
  }
  return compiled;
}

function path(text: unknown, where: string, problems: Problems): JsonPath {
  try {
    return parseJsonPath(text as string);
  } catch (error) {
    problems.add(`${where} ${(error as Error).message}`);
    return [];
  }
}

/**
 * Checks the keys against what the resources need and works out the
 * fingerprint, as mastercard-client-encryption does: a public key's is hex,
 * a certificate's is in `encoding`.
 */
export function compileKeys(
  config: KeySettings,
  resources: readonly CompiledResource[],
  encoding: DataEncoding,
  problems: Problems,
): CompiledKeys {
  const {
    encryptionKey,
    encryptionCertificate,
    decryptionKey,
    publicKeyFingerprintType,
    publicKeyFingerprint: fixed,
  } = config;
  let publicKey: KeyObject | undefined;
  let certificate: X509Certificate | undefined;
  if (encryptionCertificate !== undefined) {
    if (encryptionCertificate instanceof X509Certificate) {
      certificate = encryptionCertificate;
      publicKey = rsaKey(certificate.publicKey, 'public', 'encryptionCertificate', problems);
    } else {
      problems.add('encryptionCertificate must be an X509Certificate');
    }
  }
  if (encryptionKey !== undefined) {
    const key = rsaKey(encryptionKey, 'public', 'encryptionKey', problems);
    if (key && publicKey && !key.equals(publicKey)) {
      problems.add('encryptionKey is not the key of encryptionCertificate');
    }
    publicKey ??= key;
  }
  const privateKey =
    decryptionKey === undefined ? undefined : rsaKey(decryptionKey, 'private', 'decryptionKey', problems);

  if (publicKey === undefined && resources.some((r) => r.toEncrypt.length > 0)) {
    problems.add('toEncrypt needs encryptionKey or encryptionCertificate');
  }
  if (privateKey === undefined && resources.some((r) => r.toDecrypt.length > 0)) {
    problems.add('toDecrypt needs decryptionKey');
  }

  let fingerprint: string | undefined;
  if (fixed !== undefined) {
    if (typeof fixed === 'string' && fixed !== '') fingerprint = fixed;
    else problems.add('publicKeyFingerprint must be a non-empty string');
  } else if (publicKeyFingerprintType === 'certificate') {
    if (certificate) fingerprint = Buffer.from(certificateFingerprint(certificate), 'hex').toString(encoding);
    else problems.add("publicKeyFingerprintType 'certificate' needs encryptionCertificate");
  } else if (publicKeyFingerprintType === undefined || publicKeyFingerprintType === 'publicKey') {
    fingerprint = publicKey && publicKeyFingerprint(publicKey);
  } else {
    problems.add("publicKeyFingerprintType must be 'publicKey' or 'certificate'");
  }
  return { encryptionKey: publicKey, decryptionKey: privateKey, fingerprint };
}

function rsaKey(
  key: unknown,
  type: 'public' | 'private',
  name: string,
  problems: Problems,
): KeyObject | undefined {
  if (!(key instanceof KeyObject) || key.type !== type) {
    problems.add(`${name} must be a ${type} KeyObject`);
    return undefined;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
    problems.add(`${name} must be an RSA key of at least 2048 bits`);
    return undefined;
  }
  return key;
}
