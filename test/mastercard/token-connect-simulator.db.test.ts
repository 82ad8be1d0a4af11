import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConnectClient } from '../../src/mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import { TokenConnectError } from '../../src/mastercard/token-connect/errors.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { type Harness, MASTERCARD_ENCRYPTION, startSimulator } from '../simulator/token-connect-harness.js';

/**
 * The client against pushprov's Mastercard simulator over real HTTP: the
 * simulator's gateway checks the OAuth signature, its MDES decrypts the
 * accounts, and its answers must parse into the client's types.
 */

let h: Harness;
let client: TokenConnectClient;

beforeAll(async () => {
  h = await startSimulator();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  client = new TokenConnectClient({
    environment: { baseUrl: `http://127.0.0.1:${port}/mdes` },
    signer: h.signers.issuer,
    encrypter: new FieldLevelPayloadEncrypter({ encryptionKey: MASTERCARD_ENCRYPTION.certificate }),
    retry: { maxAttempts: 1 },
  });
});
afterAll(async () => {
  await h.close();
});

const card = (pushAccountId: string, accountNumber: string) => ({
  pushAccountId,
  fundingAccountData: { cardAccountData: { accountNumber, expiryMonth: '12', expiryYear: '29' } },
});

describe('TokenConnectClient against the simulator', () => {
  it('lists token requestors, with 19-digit ranges intact, and fetches a logo', async () => {
    const eligible = await client.getEligibleTokenRequestors({ accountRanges: ['555555555'] });
    const demo = eligible.tokenRequestors?.find(
      (t) => t.tokenRequestorId === DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    );
    expect(demo?.enabledAccountRanges).toContain('5555555550000000000');
    expect(demo?.imageAssetId).toBeDefined();

    const asset = await client.getAsset(demo?.imageAssetId ?? '');
    expect(asset.mediaContents?.map((m) => m.type)).toEqual(
      expect.arrayContaining(['image/png', 'image/svg+xml']),
    );
  });

  it('pushes two encrypted cards and gets a receipt for each', async () => {
    const result = await client.pushMultipleAccounts({
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      accounts: [card('CA-1', TEST_CARDS.credit.pan), card('CA-2', TEST_CARDS.credit2.pan)],
      signatureData: { callbackURL: 'https://bank.example/back', locale: 'en_GB' },
    });
    expect(result.pushAccountReceipts?.map((r) => r.pushAccountId)).toEqual(['CA-1', 'CA-2']);
    for (const r of result.pushAccountReceipts ?? []) expect(r.pushAccountReceipt).toMatch(/^MCC-/);
  });

  it("turns the simulator's error envelope into a TokenConnectError", async () => {
    const error = await client
      .pushMultipleAccounts({
        tokenRequestorId: '59999999999',
        accounts: [card('CA-1', TEST_CARDS.credit.pan)],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenConnectError);
    expect(error).toMatchObject({ code: 'TOKEN_CONNECT_REJECTED', recoverable: false, attempts: 1 });
    expect((error as TokenConnectError).reasonCode).toMatch(/^[A-Z_]+$/);
  });
});
