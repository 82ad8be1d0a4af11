import { constants, type KeyObject, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { EnvelopeDecrypter } from '../../src/mastercard/encryption/envelope-decrypter.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { mastercard, recipient } from '../../test/fixtures/encryption/keys.js';
import type { BenchCase } from '../harness.js';

/**
 * Field-level payload encryption, pushprov's shipped paths (the Token Connect
 * envelope encrypter, the envelope decrypter) against
 * mastercard-client-encryption, on the same card data, keys and settings
 * (hex, OAEP SHA-256, the public key's fingerprint). Groups: "field-level
 * encrypt" and "field-level decrypt", each with a "pushprov" and a
 * "mastercard-client-encryption" case; and the floors, one RSA-2048 OAEP
 * operation on a parsed key: "raw RSA-2048 OAEP public encrypt" and "raw
 * RSA-2048 OAEP private decrypt" (case "node:crypto").
 *
 * Mastercard's library works on a whole request body and changes the body it
 * is given, so its cases work on a fresh copy made inside the timed call;
 * pushprov's serialise and parse the card data inside theirs.
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
function cardPayload() {
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

function fieldLevel(): BenchCase[] {
  const theirs = new mastercard.FieldLevelEncryption({ paths, ...fieldLevelNames, ...recipient.files });
  const ours = new FieldLevelPayloadEncrypter({
    encryptionKey: recipient.publicKey,
    oaepHashingAlgorithm: 'SHA256',
    fingerprintOf: 'publicKey',
  });
  const decrypter = new EnvelopeDecrypter([recipient]);
  const data = () => cardPayload().fundingAccountInfo.encryptedPayload.encryptedData;
  const envelope = ours.encrypt(JSON.stringify(data()));
  const body = JSON.stringify({ ...cardPayload(), fundingAccountInfo: { encryptedPayload: envelope } });
  return [
    { group: 'field-level encrypt', name: 'pushprov', fn: () => ours.encrypt(JSON.stringify(data())) },
    {
      group: 'field-level encrypt',
      name: 'mastercard-client-encryption',
      fn: () => theirs.encrypt(RESOURCE, {}, cardPayload()),
    },
    { group: 'field-level decrypt', name: 'pushprov', fn: () => JSON.parse(decrypter.decrypt(envelope)) },
    {
      group: 'field-level decrypt',
      name: 'mastercard-client-encryption',
      fn: () => theirs.decrypt({ request: { url: RESOURCE }, body: JSON.parse(body) }),
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
  return [...fieldLevel(), ...floors(recipient.publicKey, recipient.privateKey)];
}
