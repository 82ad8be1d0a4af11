import { constants, type KeyObject, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import {
  createFieldLevelEncryption,
  createJweEncryption,
  type PayloadEncryption,
} from '../../src/mastercard/encryption/index.js';
import { type MastercardEncryption, mastercard, recipient } from '../../test/fixtures/encryption/keys.js';
import type { BenchCase } from '../harness.js';

/**
 * Payload encryption, pushprov against mastercard-client-encryption, on the
 * same card payload, keys and path configuration. Groups: "JWE encrypt",
 * "JWE decrypt", "field-level encrypt", "field-level decrypt", each with a
 * "pushprov" and a "mastercard-client-encryption" case; and the floors, one
 * RSA-2048 OAEP operation on a parsed key: "raw RSA-2048 OAEP public
 * encrypt" and "raw RSA-2048 OAEP private decrypt" (case "node:crypto").
 *
 * Mastercard's library changes the body it is given, so every case, both
 * libraries alike, works on a fresh copy made inside the timed call.
 */

const RESOURCE = '/mdes/digitization/1/0/pushaccount';
const paths = [
  {
    path: 'pushaccount$',
    toEncrypt: [
      {
        element: 'fundingAccountInfo.encryptedPayload.encryptedData',
        obj: 'fundingAccountInfo.encryptedPayload',
      },
    ],
    toDecrypt: [
      {
        element: 'fundingAccountInfo.encryptedPayload',
        obj: 'fundingAccountInfo.encryptedPayload.encryptedData',
      },
    ],
  },
];

/** A push-provisioning request with its card data, about 300 bytes of JSON. */
function cardPayload(): unknown {
  return {
    requestId: '123456789',
    tokenRequestorId: '50123456789',
    fundingAccountInfo: {
      encryptedPayload: {
        encryptedData: {
          accountNumber: '5123456789012345',
          expiryMonth: '09',
          expiryYear: '29',
          securityCode: '123',
          cardholderName: 'Zoë Example-Müller',
        },
      },
    },
  };
}

const fieldLevelNames = {
  encryptedValueFieldName: 'encryptedData',
  encryptedKeyFieldName: 'encryptedKey',
  ivFieldName: 'iv',
  publicKeyFingerprintFieldName: 'publicKeyFingerprint',
  oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
  oaepPaddingDigestAlgorithm: 'SHA-256',
  dataEncoding: 'hex',
  publicKeyFingerprintType: 'publicKey',
} as const;

function pair(scheme: string, ours: PayloadEncryption, theirs: MastercardEncryption): BenchCase[] {
  const encrypted = ours.encrypt(RESOURCE, cardPayload());
  const json = JSON.stringify(encrypted);
  return [
    { group: `${scheme} encrypt`, name: 'pushprov', fn: () => ours.encrypt(RESOURCE, cardPayload()) },
    {
      group: `${scheme} encrypt`,
      name: 'mastercard-client-encryption',
      fn: () => theirs.encrypt(RESOURCE, {}, cardPayload()),
    },
    { group: `${scheme} decrypt`, name: 'pushprov', fn: () => ours.decrypt(RESOURCE, JSON.parse(json)) },
    {
      group: `${scheme} decrypt`,
      name: 'mastercard-client-encryption',
      fn: () => theirs.decrypt({ request: { url: RESOURCE }, body: JSON.parse(json) }),
    },
  ];
}

function floors(publicKey: KeyObject, privateKey: KeyObject): BenchCase[] {
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
  const sessionKey = randomBytes(32);
  const wrapped = publicEncrypt({ key: publicKey, ...oaep }, sessionKey);
  return [
    {
      group: 'raw RSA-2048 OAEP public encrypt',
      name: 'node:crypto',
      fn: () => publicEncrypt({ key: publicKey, ...oaep }, sessionKey),
    },
    {
      group: 'raw RSA-2048 OAEP private decrypt',
      name: 'node:crypto',
      fn: () => privateDecrypt({ key: privateKey, ...oaep }, wrapped),
    },
  ];
}

export function encryptionCases(): BenchCase[] {
  const keys = { encryptionCertificate: recipient.certificate, decryptionKey: recipient.privateKey };
  const { files } = recipient;
  return [
    ...pair(
      'JWE',
      createJweEncryption({ paths, encryptedValueFieldName: 'encryptedData', ...keys }),
      new mastercard.JweEncryption({ paths, encryptedValueFieldName: 'encryptedData', ...files }),
    ),
    ...pair(
      'field-level',
      createFieldLevelEncryption({ paths, ...fieldLevelNames, ...keys }),
      new mastercard.FieldLevelEncryption({ paths, ...fieldLevelNames, ...files }),
    ),
    ...floors(recipient.publicKey, recipient.privateKey),
  ];
}
