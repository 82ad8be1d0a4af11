import { CryptoError, PushprovError } from '../../core/errors.js';
import {
  type CompiledResource,
  compileKeys,
  compileResources,
  dataEncoding,
  type FieldLevelConfig,
  fieldName,
  type JweConfig,
  oaepDigest,
  Problems,
  requireObject,
} from './config.js';
import { decryptFieldLevel, encryptFieldLevel, type FieldLevelOptions } from './field-level.js';
import { cloneJson, getAt, isJsonObject, placeAt, pruneEmpty, removeAt } from './json-path.js';
import { decryptJwe, encryptJwe } from './jwe.js';

/**
 * Encryption of the configured parts of request and response payloads, as
 * mastercard-client-encryption's JweEncryption and FieldLevelEncryption do
 * it. Payloads are plain JSON values; the caller's value is never changed,
 * the result is a fresh copy.
 *
 * Where this differs from that library (its behaviour looks accidental):
 * - a value is encrypted as JSON text, so a string comes back a string (the
 *   library encrypts a string bare and may return `"1234"` as a number);
 *   bare strings it encrypted still decrypt, as it would read them;
 * - null, false, 0 and "" are encrypted like any value (the library skips
 *   them); an absent value is skipped;
 * - decrypting removes only the ciphertext members, then the objects left
 *   empty by that, so a decrypt undoes its encrypt (the library drops the
 *   whole object the ciphertext was in, or the whole payload for `$`, and
 *   leaves empty parents); an object result is merged into an object
 *   already at `obj`, also at `$` (the library replaces the payload there).
 */

/** HTTP headers as a request's or a response's header map holds them. */
export type EncryptionHeaders = Record<string, string | string[] | undefined>;

export interface PayloadEncryption {
  /**
   * Encrypts what the first path matching `resourcePath` lists in
   * `toEncrypt`. In the field-level header variant, the encryption
   * parameters are set in `headers`, the outgoing request's header map.
   */
  encrypt(resourcePath: string, payload: unknown, headers?: EncryptionHeaders): unknown;
  /** Decrypts what the first path matching `resourcePath` lists in `toDecrypt`. */
  decrypt(resourcePath: string, payload: unknown, headers?: EncryptionHeaders): unknown;
}

/** One scheme, as the engine sees it. */
interface Codec {
  /** The member holding the ciphertext. */
  readonly valueField: string;
  /** Every member `seal` writes, removed again on decryption. */
  readonly fields: readonly string[];
  seal(json: string, headers: EncryptionHeaders | undefined): Record<string, string>;
  open(node: unknown, headers: EncryptionHeaders | undefined): string;
}

export function createJweEncryption(config: JweConfig): PayloadEncryption {
  requireObject(config, 'JWE encryption config');
  const problems = new Problems();
  const valueField = fieldName(config.encryptedValueFieldName, 'encryptedValueFieldName', problems) ?? '';
  const resources = compileResources(
    config.paths,
    valueField,
    { bareAllowed: true, singleMapping: false },
    problems,
  );
  const encoding =
    config.dataEncoding === undefined ? 'hex' : dataEncoding(config.dataEncoding, 'dataEncoding', problems);
  const keys = compileKeys(config, resources, encoding, problems);
  problems.throwIfAny();
  // compileKeys has proven a key present wherever a mapping will use it.
  const { encryptionKey, decryptionKey, fingerprint = '' } = keys;

  return engine(resources, {
    valueField,
    fields: [valueField],
    seal: (json) => ({ [valueField]: encryptJwe(json, encryptionKey!, fingerprint) }),
    open(node) {
      const compact = isJsonObject(node) ? node[valueField] : node;
      if (typeof compact !== 'string') throw new CryptoError('JWE_MALFORMED', `no JWE at ${valueField}`);
      return decryptJwe(compact, decryptionKey!);
    },
  });
}

export function createFieldLevelEncryption(config: FieldLevelConfig): PayloadEncryption {
  requireObject(config, 'field-level encryption config');
  const problems = new Problems();
  const name = (member: keyof FieldLevelConfig) => fieldName(config[member], member, problems);
  const valueField = name('encryptedValueFieldName') ?? '';
  const ivHeader = name('ivHeaderName');
  const keyHeader = name('encryptedKeyHeaderName');
  const oaepHeader = name('oaepHashingAlgorithmHeaderName');
  const fingerprintHeader = name('publicKeyFingerprintHeaderName');
  const withHeaders = ivHeader !== undefined || keyHeader !== undefined;
  if (withHeaders && (ivHeader === undefined || keyHeader === undefined)) {
    problems.add('the header variant needs both ivHeaderName and encryptedKeyHeaderName');
  }
  const members = {
    iv: name('ivFieldName') ?? 'iv',
    encryptedKey: name('encryptedKeyFieldName'),
    publicKeyFingerprint: name('publicKeyFingerprintFieldName'),
    oaepHashingAlgorithm: name('oaepHashingAlgorithmFieldName'),
  };
  if (!withHeaders && members.encryptedKey === undefined) {
    problems.add('encryptedKeyFieldName is required unless the header variant is configured');
  }
  const options: FieldLevelOptions = {
    encoding: dataEncoding(config.dataEncoding, 'dataEncoding', problems),
    oaepHashingAlgorithm: oaepDigest(config.oaepPaddingDigestAlgorithm, problems),
  };
  const resources = compileResources(
    config.paths,
    valueField,
    { bareAllowed: withHeaders, singleMapping: withHeaders },
    problems,
  );
  const keys = compileKeys(config, resources, options.encoding, problems);
  // compileKeys has proven a key present wherever a mapping will use it.
  const { encryptionKey, decryptionKey, fingerprint } = keys;

  if (withHeaders) {
    problems.throwIfAny();
    return engine(resources, {
      valueField,
      fields: [valueField],
      seal(json, headers) {
        const out = headersOf(headers);
        const sealed = encryptFieldLevel(json, encryptionKey!, options);
        out[ivHeader!] = sealed.iv;
        out[keyHeader!] = sealed.encryptedKey;
        if (oaepHeader) out[oaepHeader] = sealed.oaepHashingAlgorithm;
        if (fingerprintHeader && fingerprint) out[fingerprintHeader] = fingerprint;
        return { [valueField]: sealed.encryptedValue };
      },
      open(node, headers) {
        const value = isJsonObject(node) ? node[valueField] : node;
        const header = (headerName: string | undefined) =>
          headerName === undefined ? undefined : headerValue(headersOf(headers), headerName);
        return decryptFieldLevel(
          {
            encryptedValue: value,
            iv: header(ivHeader),
            encryptedKey: header(keyHeader),
            oaepHashingAlgorithm: header(oaepHeader),
            publicKeyFingerprint: header(fingerprintHeader),
          },
          decryptionKey!,
          options,
        );
      },
    });
  }

  const fields = [valueField, ...Object.values(members).filter((f) => f !== undefined)];
  if (new Set(fields).size !== fields.length) problems.add('the field names must differ from each other');
  problems.throwIfAny();
  const keyField = members.encryptedKey!;
  return engine(resources, {
    valueField,
    fields,
    seal(json) {
      const sealed = encryptFieldLevel(json, encryptionKey!, options);
      const out: Record<string, string> = {
        [valueField]: sealed.encryptedValue,
        [members.iv]: sealed.iv,
        [keyField]: sealed.encryptedKey,
      };
      if (members.publicKeyFingerprint && fingerprint) out[members.publicKeyFingerprint] = fingerprint;
      if (members.oaepHashingAlgorithm) out[members.oaepHashingAlgorithm] = sealed.oaepHashingAlgorithm;
      return out;
    },
    open(node) {
      if (!isJsonObject(node)) throw new CryptoError('FLE_MALFORMED', 'the encrypted value is not an object');
      return decryptFieldLevel(
        {
          encryptedValue: node[valueField],
          iv: node[members.iv],
          encryptedKey: node[keyField],
          oaepHashingAlgorithm: members.oaepHashingAlgorithm && node[members.oaepHashingAlgorithm],
          publicKeyFingerprint: members.publicKeyFingerprint && node[members.publicKeyFingerprint],
        },
        decryptionKey!,
        options,
      );
    },
  });
}

function engine(resources: readonly CompiledResource[], codec: Codec): PayloadEncryption {
  const find = (resourcePath: string) => {
    const end = resourcePath.search(/[?#]/);
    const path = end < 0 ? resourcePath : resourcePath.slice(0, end);
    return resources.find((r) => r.pattern.test(path));
  };
  return {
    encrypt(resourcePath, payload, headers) {
      let root = cloneJson(payload);
      for (const { element, obj, bare } of find(resourcePath)?.toEncrypt ?? []) {
        const value = getAt(root, element);
        if (value === undefined) continue;
        const sealed = codec.seal(JSON.stringify(value), headers);
        if (element.length === 0) root = {};
        else removeAt(root, element);
        root = placeAt(root, obj, bare ? sealed[codec.valueField] : sealed);
      }
      return root;
    },
    decrypt(resourcePath, payload, headers) {
      let root = cloneJson(payload);
      for (const { element, obj } of find(resourcePath)?.toDecrypt ?? []) {
        const node = getAt(root, element);
        if (node === undefined || node === null) continue;
        const plaintext = parseJsonOrText(codec.open(node, headers));
        // The ciphertext goes, and with it the objects that only held it.
        if (isJsonObject(node)) {
          for (const field of codec.fields) delete node[field];
          pruneEmpty(root, element);
        } else if (element.length === 0) {
          root = {};
        } else {
          removeAt(root, element);
          pruneEmpty(root, element.slice(0, -1));
        }
        root = placeAt(root, obj, plaintext);
      }
      return root;
    },
  };
}

/** As the library reads a plaintext: JSON if it parses, else the text itself. */
function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headerValue(headers: EncryptionHeaders, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function headersOf(headers: EncryptionHeaders | undefined): EncryptionHeaders {
  if (headers === undefined) {
    throw new PushprovError(
      'ENCRYPTION_HEADERS_REQUIRED',
      'the field-level header variant needs the HTTP headers',
    );
  }
  return headers;
}
