import {
  constants,
  createCipheriv,
  generateKeyPairSync,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  type X509Certificate,
} from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { certificateFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { PreDigitizationError } from '../../src/mastercard/pre-digitization/errors.js';
import {
  DEFAULT_CONTEXT_ROOT,
  PRE_DIGITIZATION_PATHS,
  parseContextRoot,
  preDigitizationPath,
} from '../../src/mastercard/pre-digitization/paths.js';
import { PreDigitizationPayloads } from '../../src/mastercard/pre-digitization/payload.js';
import { parseRequestBody, readRequest } from '../../src/mastercard/pre-digitization/requests.js';
import {
  AuthorizeServiceResponseDataSchema,
  AuthorizeServiceResponseSchema,
  DeliverActivationCodeResponseSchema,
  EncryptedPayloadSchema,
  ErrorsResponseSchema,
  type ImplementedOperation,
  NotifyServiceActivatedResponseSchema,
  NotifyTokenUpdatedResponseSchema,
  OPERATION_SCHEMAS,
  RequestActivationMethodsResponseSchema,
} from '../../src/mastercard/pre-digitization/schemas.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { mastercard, other, recipient } from '../fixtures/encryption/keys.js';
import {
  AUTHORIZE_SERVICE_REQUEST,
  AUTHORIZE_SERVICE_RESPONSE,
  AUTHORIZE_SERVICE_RESPONSE_DATA,
  type ClearMessage,
  DELIVER_ACTIVATION_CODE_REQUEST,
  EXAMPLES_VALID_UNTIL,
  FUNDING_ACCOUNT_DATA,
  NOTIFY_SERVICE_ACTIVATED_REQUEST,
  NOTIFY_TOKEN_UPDATED_EXAMPLES,
  REQUEST_ACTIVATION_METHODS_REQUEST,
} from './pre-digitization-vectors.js';

/**
 * The Pre-Digitization messages with the spec's examples as vectors: MDES
 * (here Mastercard's own mastercard-client-encryption, configured as its
 * MDES presets are) encrypts a request's payload to the issuer's key, and
 * pushprov decrypts and checks it; pushprov encrypts its answer to
 * Mastercard's key, and Mastercard's library decrypts it. The issuer's key
 * is the `recipient` fixture, Mastercard's the `other`.
 */

const issuer = recipient;
const mastercardSide = other;
const clock = new ManualClock(EXAMPLES_VALID_UNTIL - 10 * 60_000);

const payloads = new PreDigitizationPayloads({
  decryptionKeys: [{ privateKey: issuer.privateKey, certificate: issuer.certificate }],
  encrypter: new FieldLevelPayloadEncrypter({ encryptionKey: mastercardSide.certificate }),
  clock,
});

/** MDES's side: Mastercard's library, hex, OAEP SHA-512, the certificate's fingerprint (its MDES presets). */
const mdes = new mastercard.FieldLevelEncryption({
  paths: [
    {
      path: 'envelope$',
      toEncrypt: [{ element: 'encryptedPayload.encryptedData', obj: 'encryptedPayload' }],
      toDecrypt: [{ element: 'encryptedPayload', obj: 'encryptedPayload.encryptedData' }],
    },
  ],
  encryptedValueFieldName: 'encryptedData',
  encryptedKeyFieldName: 'encryptedKey',
  ivFieldName: 'iv',
  publicKeyFingerprintFieldName: 'publicKeyFingerprint',
  oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
  publicKeyFingerprintType: 'certificate',
  dataEncoding: 'hex',
  oaepPaddingDigestAlgorithm: 'SHA-512',
  encryptionCertificate: issuer.files.encryptionCertificate,
  privateKey: mastercardSide.files.privateKey,
});

type Envelope = Record<string, unknown>;
type Seal = (clear: object) => Envelope;

const sealedByMastercard: Seal = (clear) =>
  (
    mdes.encrypt('/envelope', {}, { encryptedPayload: { encryptedData: clear } }).body as {
      encryptedPayload: Envelope;
    }
  ).encryptedPayload;

/** A copy of `message` whose every `encryptedPayload` holding a clear `encryptedData` is encrypted by `seal`. */
function encrypted(message: ClearMessage, seal: Seal = sealedByMastercard): ClearMessage {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        const data = (value as { encryptedData?: unknown } | undefined)?.encryptedData;
        if (key === 'encryptedPayload' && typeof data === 'object' && data !== null) return [key, seal(data)];
        return [key, walk(value)];
      }),
    );
  };
  return walk(message) as ClearMessage;
}

/** What `readRequest` throws, which must be a PreDigitizationError. */
function refusal(operation: ImplementedOperation, body: unknown, using = payloads): PreDigitizationError {
  try {
    readRequest(operation, body, using);
  } catch (error) {
    expect(error).toBeInstanceOf(PreDigitizationError);
    return error as PreDigitizationError;
  }
  throw new Error('the request was accepted');
}

const clone = <T>(value: T): T => structuredClone(value);

describe('paths', () => {
  it('puts each operation under the context root, by its name in the spec', () => {
    expect(DEFAULT_CONTEXT_ROOT).toBe('/issuerServices/1/0');
    expect(preDigitizationPath(DEFAULT_CONTEXT_ROOT, 'authorizeService')).toBe(
      '/issuerServices/1/0/authorizeService',
    );
    expect(preDigitizationPath('/', 'notifyTokenUpdated')).toBe('/notifyTokenUpdated');
    expect(Object.values(PRE_DIGITIZATION_PATHS)).toEqual([
      '/authorizeService',
      '/requestActivationMethods',
      '/deliverActivationCode',
      '/notifyServiceActivated',
      '/notifyTokenUpdated',
      '/validateActivationCode',
      '/getAccountInformation',
      '/notifySuspiciousEvents',
    ]);
  });

  it('reads a context root as a path, without its trailing slash, and refuses what is not one', () => {
    expect(parseContextRoot('/issuerServices/1/0/')).toBe('/issuerServices/1/0');
    expect(parseContextRoot(' /mdes ')).toBe('/mdes');
    expect(parseContextRoot('/')).toBe('/');
    for (const bad of ['', 'issuerServices', '/a//b', '/a/../b', '/a/./b', '/a b', '/a?b', '/a#b', '/a%2F'])
      expect(parseContextRoot(bad), bad).toBeUndefined();
  });
});

describe('the spec’s NotifyTokenUpdated examples, decrypted then validated', () => {
  it.each(Object.entries(NOTIFY_TOKEN_UPDATED_EXAMPLES))('%s', (_name, example) => {
    const wire = encrypted(example);
    expect(Value.Check(OPERATION_SCHEMAS.notifyTokenUpdated.request, wire)).toBe(true);
    const opened = readRequest('notifyTokenUpdated', wire, payloads);
    const tokens = example.tokens as {
      fundingAccountInfo?: { encryptedPayload: { encryptedData: object } };
    }[];
    expect(opened.request.reasonCode).toBe(example.reasonCode);
    expect(opened.tokens.map((t) => t.fundingAccount)).toEqual(
      tokens.map((t) => t.fundingAccountInfo?.encryptedPayload.encryptedData),
    );
    expect(opened.tokens.map((t) => t.token.tokenUniqueReference)).toEqual(
      (example.tokens as { tokenUniqueReference: string }[]).map((t) => t.tokenUniqueReference),
    );
  });
});

describe('requests assembled from the spec’s field examples, decrypted then validated', () => {
  it('authorizeService: the request as sent, and the card and account holder data it carried', () => {
    const opened = readRequest('authorizeService', encrypted(AUTHORIZE_SERVICE_REQUEST), payloads);
    expect(opened.fundingAccount).toEqual(FUNDING_ACCOUNT_DATA);
    expect(opened.request.tokenRequestorId).toBe('12345678901');
    expect(opened.request.fundingAccountInfo.tokenUniqueReference).toBe(
      'DWSPMC000000000fcb2f4136b2f4136a0532d2f4136a0532',
    );
    expect(opened.request.correlationId).toBe('D98765432104');
  });

  it('requestActivationMethods', () => {
    const opened = readRequest(
      'requestActivationMethods',
      encrypted(REQUEST_ACTIVATION_METHODS_REQUEST),
      payloads,
    );
    expect(opened.fundingAccount).toEqual(FUNDING_ACCOUNT_DATA);
    expect(opened.request.reasonCodes).toEqual(['ADD_CARD']);
  });

  it('deliverActivationCode (nothing encrypted)', () => {
    const opened = readRequest('deliverActivationCode', clone(DELIVER_ACTIVATION_CODE_REQUEST), payloads);
    expect(opened.request.activationMethod).toEqual({
      type: 'CARDHOLDER_TO_CALL_AUTOMATED_NUMBER',
      value: '1-800-BANK-NUMBER',
    });
  });

  it('notifyServiceActivated, whose payload carries the token', () => {
    const opened = readRequest(
      'notifyServiceActivated',
      encrypted(NOTIFY_SERVICE_ACTIVATED_REQUEST),
      payloads,
    );
    expect(opened.fundingAccount.tokenData).toEqual({
      token: '5345678901234521',
      expiryMonth: '10',
      expiryYear: '26',
      sequenceNumber: '17',
    });
    expect(opened.request.numberOfActiveTokens).toBe(2);
  });

  it('tolerates members the spec does not name (new optional elements)', () => {
    const wire = encrypted({
      ...clone(AUTHORIZE_SERVICE_REQUEST),
      somethingNew: { added: 'later' },
      fundingAccountInfo: {
        ...clone(AUTHORIZE_SERVICE_REQUEST.fundingAccountInfo as object),
        encryptedPayload: { encryptedData: { ...FUNDING_ACCOUNT_DATA, newPlaintextMember: true } },
      },
    });
    expect(readRequest('authorizeService', wire, payloads).fundingAccount).toMatchObject(
      FUNDING_ACCOUNT_DATA,
    );
  });

  it('the spec’s example answers and refusal follow their schemas', () => {
    expect(Value.Check(AuthorizeServiceResponseSchema, AUTHORIZE_SERVICE_RESPONSE)).toBe(true);
    expect(Value.Check(AuthorizeServiceResponseDataSchema, AUTHORIZE_SERVICE_RESPONSE_DATA)).toBe(true);
    for (const schema of [
      RequestActivationMethodsResponseSchema,
      DeliverActivationCodeResponseSchema,
      NotifyServiceActivatedResponseSchema,
      NotifyTokenUpdatedResponseSchema,
    ])
      expect(Value.Check(schema, { responseId: '123456' })).toBe(true);
    expect(
      Value.Check(ErrorsResponseSchema, {
        responseId: '123456',
        errorCode: 'INVALID_JSON',
        errorDescription: 'Invalid JSON',
      }),
    ).toBe(true);
  });
});

describe('what the spec says of an envelope’s absent members', () => {
  /** Encrypts as a sender that leaves out `iv` (an IV of zero) and/or `oaepHashingAlgorithm` (PKCS #1 v1.5). */
  const sealedBare =
    (
      leaveOut: { iv?: boolean; oaep?: boolean },
      fingerprint = certificateFingerprint(issuer.certificate),
    ): Seal =>
    (clear) => {
      const key = randomBytes(16);
      const iv = leaveOut.iv ? Buffer.alloc(16) : randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', key, iv);
      const data = Buffer.concat([cipher.update(JSON.stringify(clear)), cipher.final()]);
      const wrapped = publicEncrypt(
        leaveOut.oaep
          ? { key: issuer.publicKey, padding: constants.RSA_PKCS1_PADDING }
          : { key: issuer.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' },
        key,
      );
      return {
        encryptedData: data.toString('hex').toUpperCase(),
        encryptedKey: wrapped.toString('hex'),
        publicKeyFingerprint: fingerprint,
        ...(leaveOut.iv ? {} : { iv: iv.toString('hex') }),
        ...(leaveOut.oaep ? {} : { oaepHashingAlgorithm: 'SHA512' }),
      };
    };

  it('no iv: an IV of zero', () => {
    const wire = encrypted(AUTHORIZE_SERVICE_REQUEST, sealedBare({ iv: true }));
    expect(readRequest('authorizeService', wire, payloads).fundingAccount).toEqual(FUNDING_ACCOUNT_DATA);
  });

  it('no oaepHashingAlgorithm: the key wrapped with RSA PKCS #1 v1.5', () => {
    const wire = encrypted(AUTHORIZE_SERVICE_REQUEST, sealedBare({ oaep: true, iv: true }));
    expect(readRequest('authorizeService', wire, payloads).fundingAccount).toEqual(FUNDING_ACCOUNT_DATA);
  });

  it('finds the key by a 40-digit (SHA-1) fingerprint, the length of the spec’s example, of the certificate or the key', async () => {
    const { createHash, createPublicKey } = await import('node:crypto');
    const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
    for (const fingerprint of [
      sha1(issuer.certificate.raw),
      sha1(createPublicKey(issuer.privateKey).export({ type: 'spki', format: 'der' })),
    ]) {
      const wire = encrypted(AUTHORIZE_SERVICE_REQUEST, sealedBare({}, fingerprint));
      expect(readRequest('authorizeService', wire, payloads).fundingAccount).toEqual(FUNDING_ACCOUNT_DATA);
    }
  });
});

describe('the answer’s encrypted payload: encrypt then decrypt', () => {
  it('pushprov encrypts to Mastercard’s key; Mastercard’s library decrypts it', () => {
    const sealed = payloads.seal(AUTHORIZE_SERVICE_RESPONSE_DATA);
    expect(Value.Check(EncryptedPayloadSchema, sealed)).toBe(true);
    expect(sealed).toMatchObject({
      publicKeyFingerprint: certificateFingerprint(mastercardSide.certificate),
      oaepHashingAlgorithm: 'SHA512',
    });
    const answer = { ...AUTHORIZE_SERVICE_RESPONSE, encryptedPayload: sealed };
    expect(Value.Check(AuthorizeServiceResponseSchema, answer)).toBe(true);
    const opened = mdes.decrypt({ request: { url: '/envelope' }, body: { encryptedPayload: sealed } }) as {
      encryptedPayload: { encryptedData: unknown };
    };
    expect(opened.encryptedPayload.encryptedData).toEqual(AUTHORIZE_SERVICE_RESPONSE_DATA);
  });

  it('round-trips through pushprov’s own decrypter holding Mastercard’s key (the simulated MDES’s side)', () => {
    const atMastercard = new PreDigitizationPayloads({
      decryptionKeys: [{ privateKey: mastercardSide.privateKey, certificate: mastercardSide.certificate }],
      clock,
    });
    const sealed = payloads.seal(AUTHORIZE_SERVICE_RESPONSE_DATA);
    expect(atMastercard.open(sealed, AuthorizeServiceResponseDataSchema, '/encryptedPayload')).toEqual(
      AUTHORIZE_SERVICE_RESPONSE_DATA,
    );
    // The issuer cannot read what it sealed for Mastercard.
    expect(() => payloads.open(sealed, AuthorizeServiceResponseDataSchema, '/encryptedPayload')).toThrow(
      'Cryptography Error',
    );
  });

  it('refuses to seal data the spec would refuse (pushprov’s bug, not MDES’s)', () => {
    expect(() =>
      payloads.seal({
        externalToken: { token: '5345678901234521', expiryMonth: '10', expiryYear: '26' },
      } as never),
    ).toThrow(/PRE_DIGITIZATION_ANSWER_INVALID|does not follow the spec/);
    const noKey = new PreDigitizationPayloads({ decryptionKeys: [] });
    expect(() => noKey.seal({})).toThrow("no key to encrypt to Mastercard's");
  });
});

describe('refusals, by field', () => {
  let stranger: { privateKey: KeyObject; certificate?: X509Certificate };
  beforeAll(() => {
    stranger = { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
  });

  const as = () => encrypted(AUTHORIZE_SERVICE_REQUEST);
  const envelopeOf = (message: ClearMessage) =>
    (message.fundingAccountInfo as { encryptedPayload: Envelope }).encryptedPayload;
  const withPlaintext = (data: object) =>
    encrypted({
      ...clone(AUTHORIZE_SERVICE_REQUEST),
      fundingAccountInfo: { encryptedPayload: { encryptedData: data } },
    });

  it.each<[string, (m: ClearMessage) => void, string, string, string]>([
    ['requestId missing', (m) => delete m.requestId, 'MISSING_REQUIRED_FIELD', 'requestId', '/requestId'],
    ['services missing', (m) => delete m.services, 'MISSING_REQUIRED_FIELD', 'services', '/services'],
    ['tokenType missing', (m) => delete m.tokenType, 'MISSING_REQUIRED_FIELD', 'tokenType', '/tokenType'],
    [
      'correlationId of 15 characters',
      (m) => {
        m.correlationId = 'D987654321040000';
      },
      'INVALID_FIELD_LENGTH',
      'correlationId',
      '/correlationId',
    ],
    [
      'tokenRequestorId not numeric',
      (m) => {
        m.tokenRequestorId = '1234567890a';
      },
      'INVALID_FIELD_FORMAT',
      'tokenRequestorId',
      '/tokenRequestorId',
    ],
    [
      'tokenRequestorId of 10 digits',
      (m) => {
        m.tokenRequestorId = '1234567890';
      },
      'INVALID_FIELD_LENGTH',
      'tokenRequestorId',
      '/tokenRequestorId',
    ],
    [
      'services not an array',
      (m) => {
        m.services = 'DIGITIZATION';
      },
      'INVALID_FIELD_FORMAT',
      'services',
      '/services',
    ],
    [
      'encryptedPayload missing',
      (m) => {
        delete (m.fundingAccountInfo as Record<string, unknown>).encryptedPayload;
      },
      'MISSING_REQUIRED_FIELD',
      'encryptedPayload',
      '/fundingAccountInfo/encryptedPayload',
    ],
    [
      'encryptedKey missing',
      (m) => {
        delete envelopeOf(m).encryptedKey;
      },
      'MISSING_REQUIRED_FIELD',
      'encryptedKey',
      '/fundingAccountInfo/encryptedPayload/encryptedKey',
    ],
    [
      'iv of 15 bytes',
      (m) => {
        envelopeOf(m).iv = '00'.repeat(15);
      },
      'INVALID_FIELD_LENGTH',
      'iv',
      '/fundingAccountInfo/encryptedPayload/iv',
    ],
    [
      'iv not hex',
      (m) => {
        envelopeOf(m).iv = 'zz'.repeat(16);
      },
      'INVALID_FIELD_FORMAT',
      'iv',
      '/fundingAccountInfo/encryptedPayload/iv',
    ],
    [
      'oaepHashingAlgorithm SHA384',
      (m) => {
        envelopeOf(m).oaepHashingAlgorithm = 'SHA384';
      },
      'INVALID_FIELD_VALUE',
      'oaepHashingAlgorithm',
      '/fundingAccountInfo/encryptedPayload/oaepHashingAlgorithm',
    ],
    [
      'publicKeyFingerprint of 31 characters',
      (m) => {
        envelopeOf(m).publicKeyFingerprint = 'a'.repeat(31);
      },
      'INVALID_FIELD_LENGTH',
      'publicKeyFingerprint',
      '/fundingAccountInfo/encryptedPayload/publicKeyFingerprint',
    ],
  ])('%s: %s', (_name, spoil, code, field, path) => {
    const message = as();
    spoil(message);
    const error = refusal('authorizeService', message);
    expect({ code: error.code, field: error.field, path: error.details?.path }).toEqual({
      code,
      field,
      path,
    });
    expect(error.status).toBe(400);
  });

  it.each<[string, object, string, string]>([
    [
      'cardAccountData missing',
      { source: 'ACCOUNT_ON_FILE' },
      'MISSING_REQUIRED_FIELD',
      '/fundingAccountInfo/encryptedPayload/encryptedData/cardAccountData',
    ],
    [
      'accountNumber of 8 digits',
      { cardAccountData: { accountNumber: '51234567' } },
      'INVALID_FIELD_LENGTH',
      '/fundingAccountInfo/encryptedPayload/encryptedData/cardAccountData/accountNumber',
    ],
    [
      'securityCode of 4 digits',
      { cardAccountData: { accountNumber: '5123456789012345', securityCode: '1234' } },
      'INVALID_FIELD_LENGTH',
      '/fundingAccountInfo/encryptedPayload/encryptedData/cardAccountData/securityCode',
    ],
    [
      'accountHolderName of 28 characters',
      {
        cardAccountData: { accountNumber: '5123456789012345' },
        accountHolderData: { accountHolderName: 'J'.repeat(28) },
      },
      'INVALID_FIELD_LENGTH',
      '/fundingAccountInfo/encryptedPayload/encryptedData/accountHolderData/accountHolderName',
    ],
    [
      'dataValidUntilTimestamp not ISO 8601',
      {
        cardAccountData: { accountNumber: '5123456789012345' },
        dataValidUntilTimestamp: '04/07/2026 19:09:56 UTC',
      },
      'INVALID_FIELD_FORMAT',
      '/fundingAccountInfo/encryptedPayload/encryptedData/dataValidUntilTimestamp',
    ],
    [
      'dataValidUntilTimestamp passed',
      {
        cardAccountData: { accountNumber: '5123456789012345' },
        dataValidUntilTimestamp: '2026-07-04T18:00:00Z',
      },
      'INVALID_FIELD_VALUE',
      '/fundingAccountInfo/encryptedPayload/encryptedData/dataValidUntilTimestamp',
    ],
    [
      'dataValidUntilTimestamp more than 30 days ahead',
      {
        cardAccountData: { accountNumber: '5123456789012345' },
        dataValidUntilTimestamp: '2026-08-04T19:00:00Z',
      },
      'INVALID_FIELD_VALUE',
      '/fundingAccountInfo/encryptedPayload/encryptedData/dataValidUntilTimestamp',
    ],
  ])('inside the encrypted payload, %s', (_name, plaintext, code, path) => {
    const error = refusal('authorizeService', withPlaintext(plaintext));
    expect({ code: error.code, path: error.details?.path }).toEqual({ code, path });
  });

  it('never puts a value in a refusal: the field’s name only', () => {
    const pan = '5123456789012345';
    const error = refusal(
      'authorizeService',
      withPlaintext({ cardAccountData: { accountNumber: pan, expiryMonth: '1x' } }),
    );
    expect(error.message).toBe('Invalid Field Format - expiryMonth');
    const everything = JSON.stringify({ error, details: error.details, body: error.toErrorsResponse('r-1') });
    expect(everything).not.toContain(pan);
    expect(everything).not.toContain('1x');
    expect(error.toErrorsResponse('r-1')).toEqual({
      responseId: 'r-1',
      errorCode: 'INVALID_FIELD_FORMAT',
      errorDescription: 'Invalid Field Format - expiryMonth',
    });
    expect(Value.Check(ErrorsResponseSchema, error.toErrorsResponse('r-1'))).toBe(true);
  });

  it('answers every failure to open the payload with the one CRYPTOGRAPHY_ERROR', () => {
    const variants: [string, (e: Envelope) => void][] = [
      [
        'a fingerprint of no key held',
        (e) => {
          e.publicKeyFingerprint = 'ab'.repeat(32);
        },
      ],
      [
        'a tampered ciphertext',
        (e) => {
          e.encryptedData = flipLastByte(e.encryptedData as string);
        },
      ],
      [
        'a tampered wrapped key',
        (e) => {
          e.encryptedKey = flipLastByte(e.encryptedKey as string);
        },
      ],
      [
        'a wrong digest',
        (e) => {
          e.oaepHashingAlgorithm = 'SHA256';
        },
      ],
      [
        'a ciphertext that is not whole blocks',
        (e) => {
          e.encryptedData = (e.encryptedData as string).slice(2);
        },
      ],
    ];
    const answers = variants.map(([name, spoil]) => {
      const message = as();
      spoil(envelopeOf(message));
      const error = refusal('authorizeService', message);
      return [name, error.code, error.message, error.details];
    });
    expect(answers).toEqual(
      variants.map(([name]) => [name, 'CRYPTOGRAPHY_ERROR', 'Cryptography Error', undefined]),
    );
  });

  it('CRYPTOGRAPHY_ERROR too for a payload encrypted to another key, or whose plaintext is not JSON', () => {
    const withStranger = new PreDigitizationPayloads({ decryptionKeys: [stranger], clock });
    expect(refusal('authorizeService', as(), withStranger).code).toBe('CRYPTOGRAPHY_ERROR');
    const notJson = encrypted(AUTHORIZE_SERVICE_REQUEST, sealedNotJson);
    expect(refusal('authorizeService', notJson).code).toBe('CRYPTOGRAPHY_ERROR');
  });

  it('NotifyTokenUpdated: the members the spec makes conditional on the reason code and the status', () => {
    const ntu = (reasonCode: string, token: object) =>
      encrypted({ requestId: '1', reasonCode, tokens: [{ tokenUniqueReference: 'DWSPMC0001', ...token }] });
    const cases: [ClearMessage, string, string][] = [
      [ntu('STATUS_UPDATE', {}), 'status', '/tokens/0/status'],
      [ntu('STATUS_UPDATE', { status: 'SUSPENDED' }), 'suspendedBy', '/tokens/0/suspendedBy'],
      [ntu('REDIGITIZATION_COMPLETE', {}), 'tokenExpiry', '/tokens/0/tokenExpiry'],
      [
        ntu('REDIGITIZATION_COMPLETE', { tokenExpiry: '0726' }),
        'fundingAccountInfo',
        '/tokens/0/fundingAccountInfo',
      ],
    ];
    for (const [message, field, path] of cases) {
      const error = refusal('notifyTokenUpdated', message);
      expect({ code: error.code, field: error.field, path: error.details?.path }).toEqual({
        code: 'MISSING_REQUIRED_FIELD',
        field,
        path,
      });
    }
    // The token's plaintext is checked where it sits.
    const bad = ntu('FUNDING_ACCOUNT_UPDATE', {
      fundingAccountInfo: {
        encryptedPayload: {
          encryptedData: { tokenData: { token: '5345', expiryMonth: '07', expiryYear: '26' } },
        },
      },
    });
    expect(refusal('notifyTokenUpdated', bad).details?.path).toBe(
      '/tokens/0/fundingAccountInfo/encryptedPayload/encryptedData/tokenData/token',
    );
  });

  it('a body that is not JSON, holds U+0000 or nests past 32 levels is INVALID_JSON', () => {
    // Deep but small: a member of the right name holding nested arrays, refused before it is parsed.
    const deep = `{"requestId":${'['.repeat(40)}${']'.repeat(40)}}`;
    for (const text of ['{', '', 'not json', JSON.stringify({ requestId: 'a\u0000b' }), deep]) {
      let code: string | undefined;
      try {
        parseRequestBody(text);
      } catch (error) {
        code = (error as PreDigitizationError).code;
      }
      expect(code, text).toBe('INVALID_JSON');
    }
    expect(parseRequestBody('{"requestId":"1"}')).toEqual({ requestId: '1' });
    expect(refusal('authorizeService', [1, 2]).code).toBe('INVALID_FIELD_FORMAT');
  });
});

function flipLastByte(hex: string): string {
  const last = Number.parseInt(hex.slice(-2), 16) ^ 0x01;
  return hex.slice(0, -2) + last.toString(16).padStart(2, '0');
}

/** An envelope to the issuer's key whose plaintext is not JSON. */
function sealedNotJson(): Envelope {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const data = Buffer.concat([cipher.update('card 5123456789012345, not JSON'), cipher.final()]);
  return {
    encryptedData: data.toString('hex'),
    encryptedKey: publicEncrypt(
      { key: issuer.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' },
      key,
    ).toString('hex'),
    publicKeyFingerprint: certificateFingerprint(issuer.certificate),
    oaepHashingAlgorithm: 'SHA512',
    iv: iv.toString('hex'),
  };
}
