import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeDecrypter } from '../../src/mastercard/encryption/envelope-decrypter.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { TokenCreationError } from '../../src/merchant/app.js';
import { MdesCallError } from '../../src/merchant/payments.js';
import { MdesTokenClient } from '../../src/merchant/token-client.js';
import { mastercardEncrypter, registerClient } from '../../src/simulator/app.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  account,
  type Harness,
  KEYS,
  MERCHANT_KEY,
  PATHS,
  pushBody,
  SIMULATOR_KEYS,
  startSimulator,
} from '../simulator/token-connect-harness.js';

/**
 * The demo shop's own MDES client against the simulator over HTTP: it opens
 * what MDES encrypted to it with its private key, and refuses what it
 * cannot open or what names another token, rather than saving a token it
 * could never use.
 */
let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startSimulator({ background: false });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => h?.close());

const client = (decryptionKey = KEYS.merchantEncryption.privateKey) =>
  new MdesTokenClient({
    baseUrl: `${base}/mdes`,
    networkUrl: base,
    tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    signer: new OAuthSigner({
      consumerKey: MERCHANT_KEY,
      signingKey: KEYS.merchantSigning.privateKey,
      clock: h.clock,
    }),
    mastercardKey: mastercardEncrypter(SIMULATOR_KEYS),
    decrypter: new EnvelopeDecrypter([{ privateKey: decryptionKey }]),
  });

async function receipt(): Promise<string> {
  const push = await h.call(
    'POST',
    PATHS.push,
    pushBody([account(`pa-${Date.now()}`, TEST_CARDS.credit.pan)]),
  );
  return (push.json() as PushMultipleAccountsResponse).pushAccountReceipts?.[0]?.pushAccountReceipt ?? '';
}

describe("the demo shop's MDES client", () => {
  it('opens tokenDetail with its key, pays, and deletes through MDES', async () => {
    const shop = client();
    const token = await shop.createToken(await receipt());
    expect(token.token.tokenNumber).toMatch(/^5399990\d{9}$/);
    expect(token.lastFour).toBe('4444');
    const credentials = await shop.transact(token.tokenUniqueReference);
    expect(credentials.accountNumber).toBe(token.token.tokenNumber);
    const paid = await shop.authorize({
      requestId: `pay-${Date.now()}`,
      amount: '12.50',
      currency: 'EUR',
      accountNumber: token.token.tokenNumber,
      de48se43Data: credentials.de48se43Data,
    });
    expect(paid).toMatchObject({ decision: 'APPROVED', accountPanSuffix: '4444' });
    expect(await shop.deleteToken(token.tokenUniqueReference)).toMatchObject({ status: 'DEACTIVATED' });
    // A deleted token cannot transact: MDES's reason code comes back.
    await expect(shop.transact(token.tokenUniqueReference)).rejects.toMatchObject({
      reason: 'INVALID_TOKEN_STATUS',
    });
  });

  it('counts a token whose details it cannot open as an error for the bank, and Transact answers it cannot open', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const error = await client(stranger)
      .createToken(await receipt())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenCreationError);
    expect(error).toMatchObject({ reason: 'TOKEN_DETAIL_UNREADABLE', result: 'ERROR' });
    const token = await client().createToken(await receipt());
    const unreadable = await client(stranger)
      .transact(token.tokenUniqueReference)
      .catch((e: unknown) => e);
    expect(unreadable).toBeInstanceOf(MdesCallError);
    expect(unreadable).toMatchObject({ reason: 'TRANSACT_PAYLOAD_UNREADABLE' });
  });

  it('is refused by MDES once registered without its key: no token requestor is answered in clear', async () => {
    await expect(
      registerClient(h.database.db, {
        consumerKey: MERCHANT_KEY,
        role: 'token_requestor',
        tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
        publicKey: KEYS.merchantSigning.publicKey,
        displayName: 'Demo Shop',
      }),
    ).rejects.toMatchObject({ code: 'MC_CLIENT_INVALID' });
    // The registration it had is untouched: the shop still gets its token, encrypted to it.
    expect((await client().createToken(await receipt())).token.tokenNumber).toMatch(/^\d{16}$/);
  });
});
