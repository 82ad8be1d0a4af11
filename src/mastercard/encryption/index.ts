export type {
  FieldLevelConfig,
  FingerprintType,
  JweConfig,
  PathMapping,
  ResourceEncryption,
} from './config.js';
export type { DataEncoding } from './encoding.js';
export {
  decryptFieldLevel,
  encryptFieldLevel,
  type FieldLevelCiphertext,
  type FieldLevelInput,
  type FieldLevelOptions,
  type OaepHashingAlgorithm,
  parseOaepHashingAlgorithm,
} from './field-level.js';
export { decryptJwe, encryptJwe } from './jwe.js';
export {
  createFieldLevelEncryption,
  createJweEncryption,
  type EncryptionHeaders,
  type PayloadEncryption,
} from './payload.js';
