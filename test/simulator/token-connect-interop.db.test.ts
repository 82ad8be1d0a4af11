import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConnectClient } from '../../src/mastercard/token-connect/client.js';
import { TokenConnectError } from '../../src/mastercard/token-connect/errors.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import {
  CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
  DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
} from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  account,
  encrypt,
  type Harness,
  MASTERCARD_ENCRYPTION,
  PATHS,
  requestId,
  startSimulator,
} from './token-connect-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
});

/** fetch over app.inject, so the real client talks to the simulator without a socket. */
const injectFetch: typeof globalThis.fetch = async (input, init) => {
  const response = await h.app.inject({
    method: (init?.method ?? 'GET') as 'GET' | 'POST',
    url: String(input),
    headers: init?.headers as Record<string, string>,
    ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
  });
  return new Response(response.body, {
    status: response.statusCode,
    headers: response.headers as Record<string, string>,
  });
};

const client = () =>
  new TokenConnectClient({
    environment: { baseUrl: 'http://localhost/mdes' },
    signer: h.signers.issuer,
    encrypter: { encrypt: (plaintext) => encrypt(JSON.parse(plaintext)) },
    fetch: injectFetch,
    retry: { maxAttempts: 1 },
  });

describe("pushprov's Token Connect client against the simulator", () => {
  it('gets eligible token requestors with exact 19-digit ranges, their logos, and pushes', async () => {
    const { tokenRequestors } = await client().getEligibleTokenRequestors({
      accountRanges: ['555555555', '5412346789'],
    });
    const c2p = tokenRequestors!.find((t) => t.tokenRequestorId === CLICK_TO_PAY_TOKEN_REQUESTOR_ID)!;
    expect(c2p.enabledAccountRanges).toEqual(['5555555550000000000', '5412346789000000000']);
    const logo = await client().getAsset(c2p.imageAssetId!);
    expect(logo.mediaContents?.map((m) => m.type)).toEqual(['image/svg+xml', 'image/png']);

    const answer = await client().pushMultipleAccounts({
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      accounts: [account('one', TEST_CARDS.credit.pan), account('two', TEST_CARDS.notInMdes.pan)],
      signatureData: { callbackURL: 'https://bank.example/cb' },
    });
    expect(answer.pushAccountReceipts![0]!.pushAccountReceipt).toMatch(/^MCC-/);
    expect(answer.pushAccountReceipts![1]!.errors![0]!.reasonCode).toBe('ACCOUNT_INELIGIBLE');
    expect(answer.signature).toBeDefined();
  });

  it('surfaces MDES refusals as TokenConnectError with the reason code', async () => {
    const error = await client()
      .pushMultipleAccounts({
        tokenRequestorId: '99999999999',
        accounts: [account('a', TEST_CARDS.credit.pan)],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenConnectError);
    expect(error).toMatchObject({ reasonCode: 'INVALID_FIELD_VALUE', httpStatus: 400, recoverable: false });
  });
});

// Mastercard's own Node.js library, the interoperability reference for the payload encryption.
const require = createRequire(import.meta.url);
const { FieldLevelEncryption } = require('mastercard-client-encryption') as {
  FieldLevelEncryption: new (
    config: object,
  ) => { encrypt(endpoint: string, header: object, body: object): { body: Record<string, unknown> } };
};

describe("payloads encrypted by Mastercard's mastercard-client-encryption", () => {
  for (const publicKeyFingerprintType of ['publicKey', 'certificate']) {
    it(`decrypt in the simulator (fingerprint of the ${publicKeyFingerprintType})`, async () => {
      const encryption = new FieldLevelEncryption({
        paths: [
          {
            path: '/connect/1/0/pushMultipleAccounts',
            toEncrypt: [
              {
                element: 'pushFundingAccounts.encryptedPayload.encryptedData',
                obj: 'pushFundingAccounts.encryptedPayload',
              },
            ],
            toDecrypt: [],
          },
        ],
        encryptionCertificate: MASTERCARD_ENCRYPTION.files.encryptionCertificate,
        publicKeyFingerprintType,
        oaepPaddingDigestAlgorithm: 'SHA-256',
        dataEncoding: 'hex',
        ivFieldName: 'iv',
        encryptedKeyFieldName: 'encryptedKey',
        encryptedValueFieldName: 'encryptedData',
        publicKeyFingerprintFieldName: 'publicKeyFingerprint',
        oaepHashingAlgorithmFieldName: 'oaepHashingAlgorithm',
      });
      const { body } = encryption.encrypt(
        PATHS.push,
        {},
        {
          requestId: requestId(),
          tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
          pushFundingAccounts: {
            encryptedPayload: { encryptedData: [account('lib', TEST_CARDS.debit.pan)] },
          },
        },
      );
      const response = await h.call('POST', PATHS.push, body);
      expect(response.statusCode).toBe(200);
      expect(
        (response.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!.pushAccountReceipt,
      ).toMatch(/^DMC-/);
    });
  }
});
