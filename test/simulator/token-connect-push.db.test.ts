import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFromAsset, PushSignatureKeys } from '../../src/mastercard/token-connect/push-signature.js';
import type { MediaContent, PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import {
  CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
  DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
} from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  account,
  encrypt,
  encryptText,
  firstError,
  type Harness,
  MASTERCARD_ENCRYPTION,
  MERCHANT_URL,
  OTHER_MERCHANT_TRID,
  openForTokenRequestor,
  PATHS,
  pushBody,
  requestId,
  startSimulator,
  tokenizeBody,
} from './token-connect-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(async () => {
  await h.close();
});

const MINUTE = 60_000;
const RECEIPT = /^(MCC|DMC|MSI)-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

async function push(accounts: unknown[], extra: Record<string, unknown> = {}) {
  const response = await h.call('POST', PATHS.push, pushBody(accounts, extra));
  return { response, body: response.json() as PushMultipleAccountsResponse };
}

const receiptsOf = (body: PushMultipleAccountsResponse) =>
  body.pushAccountReceipts!.map((r) => r.pushAccountReceipt!);

const redeem = (receipt: string, as: 'merchant' | 'otherMerchant' = 'merchant') =>
  h.call(
    'POST',
    PATHS.tokenize,
    tokenizeBody(receipt, as === 'merchant' ? DEMO_MERCHANT_TOKEN_REQUESTOR_ID : OTHER_MERCHANT_TRID),
    { as },
  );

async function expectRefusal(body: unknown, reasonCode: string, field?: string) {
  const response = await h.call('POST', PATHS.push, body);
  expect(response.statusCode).toBe(reasonCode === 'ACCOUNT_INELIGIBLE' ? 200 : 400);
  expect(firstError(response)).toMatchObject({
    reasonCode,
    ...(field ? { description: expect.stringMatching(new RegExp(` - ${field}$`)) } : {}),
  });
}

describe('pushMultipleAccounts', () => {
  it('18: pushes two credit cards, one MCC- receipt per pushAccountId, with the push methods', async () => {
    const { response, body } = await push([
      account('a1', TEST_CARDS.credit.pan),
      account('a2', TEST_CARDS.credit2.pan),
    ]);
    expect(response.statusCode).toBe(200);
    expect(body.pushAccountReceipts!.map((r) => r.pushAccountId)).toEqual(['a1', 'a2']);
    const receipts = receiptsOf(body);
    for (const receipt of receipts) expect(receipt).toMatch(/^MCC-/);
    expect(receipts.every((r) => RECEIPT.test(r))).toBe(true);
    expect(new Set(receipts).size).toBe(2);
    expect(body.availablePushMethods).toContainEqual({ type: 'WEB', uri: `${MERCHANT_URL}/push` });
    expect(body.responseId).toEqual(expect.any(String));
  });

  it('19: signs the answer with RS256 under a kid that is a key asset the token requestor downloads (MDESRQ p. 43–45)', async () => {
    const callbackURL = 'https://bank.example/push/callback?state=abc';
    const { body } = await push([account('a1', TEST_CARDS.credit.pan), account('a2', TEST_CARDS.debit.pan)], {
      signatureData: {
        callbackURL,
        accountHolderDataSupplied: false,
        completeIssuerAppActivation: true,
        locale: 'en_GB',
      },
    });
    expect(body.tokenRequestorSignatureSupport).toBe(true);
    const { kid, alg } = decodeProtectedHeader(body.signature!);
    expect(alg).toBe('RS256');
    // The key is an asset of type application/jwk+json behind the token requestor's own getAsset.
    const asset = await h.call('GET', PATHS.staticAsset(kid!), undefined, { as: 'merchant' });
    expect(asset.statusCode).toBe(200);
    const media = (asset.json() as { mediaContents: MediaContent[] }).mediaContents;
    expect(media.map((m) => m.type)).toEqual(['application/jwk+json']);
    const jwk = JSON.parse(Buffer.from(media[0]!.data, 'base64').toString('utf8'));
    expect(jwk).toMatchObject({ kty: 'RSA', kid, alg: 'RS256', use: 'sig', key_ops: ['verify'] });
    expect(jwk).not.toHaveProperty('d');
    const keys = new PushSignatureKeys(async (id) => (id === kid ? media : []));
    await keys.load([kid!]);
    // The claims as the recorded sandbox exchange has them: no completeIssuerAppActivation, no callbackRequired.
    const { payload } = await compactVerify(body.signature!, await keyFromAsset(kid!, media));
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
      pushAccountReceipts: receiptsOf(body),
      callbackURL,
      completeWebsiteActivation: true,
      accountHolderDataSupplied: false,
      locale: 'en_GB',
    });
    expect(await keys.verify(body.signature!)).toMatchObject({
      pushAccountReceipts: receiptsOf(body),
      callbackURL,
    });
  });

  it('20: returns issuerInitiatedDigitizationData naming each receipt when asked', async () => {
    const { body } = await push(
      [account('a1', TEST_CARDS.credit.pan), account('a2', TEST_CARDS.maestro.pan)],
      {
        requestIssuerInitiatedDigitizationData: true,
      },
    );
    for (const result of body.pushAccountReceipts!) {
      const decoded = JSON.parse(
        Buffer.from(result.issuerInitiatedDigitizationData!, 'base64').toString('utf8'),
      );
      expect(decoded).toEqual({ fundingAccountInfo: { pushAccountReceipt: result.pushAccountReceipt } });
    }
  });

  it('does not return issuerInitiatedDigitizationData unless asked', async () => {
    const { body } = await push([account('a1', TEST_CARDS.credit.pan)]);
    expect(body.pushAccountReceipts![0]).not.toHaveProperty('issuerInitiatedDigitizationData');
  });

  it('22: prefixes a debit receipt DMC- and a Maestro receipt MSI-', async () => {
    const { body } = await push([account('d', TEST_CARDS.debit.pan), account('m', TEST_CARDS.maestro.pan)]);
    const [debit, maestro] = receiptsOf(body);
    expect(debit).toMatch(/^DMC-/);
    expect(maestro).toMatch(/^MSI-/);
  });

  it('23: keeps a receipt redeemable for the validity asked (10 minutes), and 15 by default', async () => {
    const ten = receiptsOf(
      (await push([account('a', TEST_CARDS.credit.pan)], { pushAccountReceiptsValidityPeriod: 10 })).body,
    );
    const tenLater = receiptsOf(
      (await push([account('a', TEST_CARDS.credit.pan)], { pushAccountReceiptsValidityPeriod: 10 })).body,
    );
    const fifteen = receiptsOf((await push([account('a', TEST_CARDS.credit.pan)])).body);
    h.clock.advance(10 * MINUTE - 1000);
    expect((await redeem(ten[0]!)).statusCode).toBe(200);
    h.clock.advance(1000);
    const late = await redeem(tenLater[0]!);
    expect(late.statusCode).toBe(400);
    expect(firstError(late)).toMatchObject({ reasonCode: 'PUSH_ACCOUNT_RECEIPT_EXPIRED' });
    h.clock.advance(5 * MINUTE - 1000);
    expect((await redeem(fifteen[0]!)).statusCode).toBe(200);
  });

  it('24: refuses a validity period of 4 or 16 minutes', async () => {
    for (const minutes of [4, 16]) {
      await expectRefusal(
        pushBody([account('a', TEST_CARDS.credit.pan)], { pushAccountReceiptsValidityPeriod: minutes }),
        'INVALID_FIELD_VALUE',
        'pushAccountReceiptsValidityPeriod',
      );
    }
  });

  it('25: refuses a second redemption of the same receipt', async () => {
    const [receipt] = receiptsOf((await push([account('a', TEST_CARDS.credit.pan)])).body);
    expect((await redeem(receipt!)).statusCode).toBe(200);
    const again = await redeem(receipt!);
    expect(again.statusCode).toBe(400);
    expect(firstError(again)).toMatchObject({ reasonCode: 'PUSH_ACCOUNT_RECEIPT_ALREADY_USED' });
  });

  it('26: gives no signature for a token requestor without signature support', async () => {
    const { response, body } = await push([account('a', TEST_CARDS.credit.pan)], {
      tokenRequestorId: OTHER_MERCHANT_TRID,
      signatureData: { callbackURL: 'https://bank.example/cb' },
    });
    expect(response.statusCode).toBe(200);
    expect(body.tokenRequestorSignatureSupport).toBe(false);
    expect(body).not.toHaveProperty('signature');
    expect(receiptsOf(body)[0]).toMatch(/^MCC-/);
  });

  it('27: refuses a 10-digit tokenRequestorId (length) and one with letters (format)', async () => {
    const accounts = [account('a', TEST_CARDS.credit.pan)];
    await expectRefusal(
      pushBody(accounts, { tokenRequestorId: '5018237511' }),
      'INVALID_FIELD_LENGTH',
      'tokenRequestorId',
    );
    await expectRefusal(
      pushBody(accounts, { tokenRequestorId: '5018237511X' }),
      'INVALID_FIELD_FORMAT',
      'tokenRequestorId',
    );
    await expectRefusal(
      pushBody(accounts, { tokenRequestorId: '99999999999' }),
      'INVALID_FIELD_VALUE',
      'tokenRequestorId',
    );
  });

  it('28: answers ACCOUNT_INELIGIBLE for the account the token requestor does not accept, receipts for the rest', async () => {
    const { response, body } = await push([
      account('ok', TEST_CARDS.credit.pan),
      account('no', TEST_CARDS.clickToPayOnly.pan),
    ]);
    expect(response.statusCode).toBe(200);
    const [ok, no] = body.pushAccountReceipts!;
    expect(ok!.pushAccountReceipt).toMatch(/^MCC-/);
    expect(no).toEqual({
      pushAccountId: 'no',
      errors: [
        {
          source: 'MDES',
          reasonCode: 'ACCOUNT_INELIGIBLE',
          description: expect.any(String),
          recoverable: false,
        },
      ],
    });
    // The same card is accepted by Click to Pay.
    const c2p = await push([account('c', TEST_CARDS.clickToPayOnly.pan)], {
      tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
    });
    expect(receiptsOf(c2p.body)[0]).toMatch(/^MCC-/);
  });

  it('29: answers ACCOUNT_INELIGIBLE for a card whose range is not in MDES, and no signature without receipts', async () => {
    const { response, body } = await push([account('x', TEST_CARDS.notInMdes.pan)]);
    expect(response.statusCode).toBe(200);
    expect(body.pushAccountReceipts![0]!.errors![0]!.reasonCode).toBe('ACCOUNT_INELIGIBLE');
    expect(body).not.toHaveProperty('signature');
    expect(body).not.toHaveProperty('availablePushMethods');
  });

  it('30: refuses six accounts, and two to a token requestor taking one', async () => {
    const six = Array.from({ length: 6 }, (_, i) => account(`a${i}`, TEST_CARDS.credit.pan));
    await expectRefusal(pushBody(six), 'INVALID_FIELD_VALUE', 'pushFundingAccounts');
    const two = [account('a', TEST_CARDS.credit.pan), account('b', TEST_CARDS.debit.pan)];
    await expectRefusal(
      pushBody(two, { tokenRequestorId: OTHER_MERCHANT_TRID }),
      'INVALID_FIELD_VALUE',
      'pushFundingAccounts',
    );
    await expectRefusal(pushBody([]), 'INVALID_FIELD_VALUE', 'pushFundingAccounts');
  });

  it('31: refuses two accounts with the same pushAccountId', async () => {
    await expectRefusal(
      pushBody([account('same', TEST_CARDS.credit.pan), account('same', TEST_CARDS.debit.pan)]),
      'INVALID_FIELD_VALUE',
      'pushAccountId',
    );
  });

  it('32: answers CRYPTOGRAPHY_ERROR for an unknown key fingerprint, a tampered ciphertext or wrapped key', async () => {
    const base = () => pushBody([account('a', TEST_CARDS.credit.pan)]);
    const unknown = base();
    unknown.pushFundingAccounts.encryptedPayload.publicKeyFingerprint = 'ab'.repeat(32);
    await expectRefusal(unknown, 'CRYPTOGRAPHY_ERROR');

    const tampered = base();
    const data = tampered.pushFundingAccounts.encryptedPayload.encryptedData;
    tampered.pushFundingAccounts.encryptedPayload.encryptedData =
      (data[0] === '0' ? '1' : '0') + data.slice(1);
    await expectRefusal(tampered, 'CRYPTOGRAPHY_ERROR');

    const wrapped = base();
    const key = wrapped.pushFundingAccounts.encryptedPayload.encryptedKey;
    wrapped.pushFundingAccounts.encryptedPayload.encryptedKey =
      key.slice(0, -2) + (key.endsWith('00') ? '01' : '00');
    await expectRefusal(wrapped, 'CRYPTOGRAPHY_ERROR');

    // Plaintext that is not JSON is no different: a distinct code would be a padding oracle.
    const notJson = base();
    notJson.pushFundingAccounts.encryptedPayload = encryptText('[{"pushAccountId"');
    await expectRefusal(notJson, 'CRYPTOGRAPHY_ERROR');
  });

  it('decrypts as the spec defines absent fields: no oaepHashingAlgorithm is PKCS #1 v1.5, no iv an IV of zero', async () => {
    const sessionKey = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', sessionKey, Buffer.alloc(16));
    const plaintext = JSON.stringify([account('a1', TEST_CARDS.credit.pan)]);
    const body = pushBody([account('unused', TEST_CARDS.credit.pan)]);
    body.pushFundingAccounts.encryptedPayload = {
      encryptedData: Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('hex'),
      encryptedKey: publicEncrypt(
        { key: MASTERCARD_ENCRYPTION.certificate.publicKey, padding: constants.RSA_PKCS1_PADDING },
        sessionKey,
      ).toString('hex'),
      publicKeyFingerprint: encrypt({}).publicKeyFingerprint,
    };
    const response = await h.call('POST', PATHS.push, body);
    expect(response.statusCode).toBe(200);
    expect((response.json() as PushMultipleAccountsResponse).pushAccountReceipts).toMatchObject([
      { pushAccountId: 'a1', pushAccountReceipt: expect.stringMatching(RECEIPT) },
    ]);
  });

  it('33: refuses a dataValidUntilTimestamp in the past or more than 30 days ahead', async () => {
    const now = h.clock.now().getTime();
    for (const at of [now - 1000, now + 31 * 24 * 60 * MINUTE]) {
      const when = new Date(at).toISOString();
      await expectRefusal(
        pushBody([account('a', TEST_CARDS.credit.pan, { dataValidUntilTimestamp: when })]),
        'INVALID_FIELD_VALUE',
        'dataValidUntilTimestamp',
      );
    }
    const soon = new Date(now + 30 * MINUTE).toISOString();
    const { response } = await push([account('a', TEST_CARDS.credit.pan, { dataValidUntilTimestamp: soon })]);
    expect(response.statusCode).toBe(200);
  });

  it('34: refuses a card whose expiry date has passed', async () => {
    const expired = {
      pushAccountId: 'old',
      fundingAccountData: {
        cardAccountData: { accountNumber: TEST_CARDS.credit.pan, expiryMonth: '12', expiryYear: '25' },
      },
    };
    await expectRefusal(pushBody([expired]), 'INVALID_FIELD_VALUE', 'expiryYear');
  });

  it('refuses a PAN that fails Luhn, and half an expiry date', async () => {
    const bad = TEST_CARDS.credit.pan.slice(0, -1) + ((Number(TEST_CARDS.credit.pan.at(-1)) + 1) % 10);
    await expectRefusal(pushBody([account('a', bad)]), 'INVALID_FIELD_VALUE', 'accountNumber');
    const half = {
      pushAccountId: 'h',
      fundingAccountData: { cardAccountData: { accountNumber: TEST_CARDS.credit.pan, expiryMonth: '12' } },
    };
    await expectRefusal(pushBody([half]), 'MISSING_REQUIRED_FIELD', 'expiryYear');
  });

  it('35: refuses a request without pushFundingAccounts', async () => {
    const { pushFundingAccounts: _, ...body } = pushBody([account('a', TEST_CARDS.credit.pan)]);
    await expectRefusal(body, 'MISSING_REQUIRED_FIELD', 'pushFundingAccounts');
  });

  it('36: refuses a locale written en-US and a callbackURL of 257 characters', async () => {
    const accounts = [account('a', TEST_CARDS.credit.pan)];
    await expectRefusal(
      pushBody(accounts, { signatureData: { locale: 'en-US' } }),
      'INVALID_FIELD_FORMAT',
      'locale',
    );
    const long = `https://bank.example/${'x'.repeat(257 - 'https://bank.example/'.length)}`;
    expect(long).toHaveLength(257);
    await expectRefusal(
      pushBody(accounts, { signatureData: { callbackURL: long } }),
      'INVALID_FIELD_LENGTH',
      'callbackURL',
    );
  });

  it('37: passes on only the account holder data the token requestor accepts', async () => {
    const holder = {
      accountHolderName: 'DOE/JANE',
      accountHolderEmailAddress: 'jane@example.com',
      accountHolderAddress: { line1: '1 High Street', city: 'London', postalCode: 'N1 1AA', country: 'GBR' },
      accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
    };
    const { response, body } = await push(
      [account('a', TEST_CARDS.credit.pan, { accountHolderData: holder })],
      {
        signatureData: { accountHolderDataSupplied: true },
      },
    );
    expect(response.statusCode).toBe(200);
    const token = (await redeem(receiptsOf(body)[0]!)).json() as { tokenDetail: unknown };
    // Account holder data travel encrypted to the token requestor, in tokenDetail.
    expect(openForTokenRequestor(token.tokenDetail).accountHolderData).toEqual({
      accountHolderName: 'DOE/JANE',
      accountHolderEmailAddress: 'jane@example.com',
    });
  });

  it('38: answers the same request sent twice with the same receipts, also after a restart', async () => {
    const body = pushBody([account('a', TEST_CARDS.credit.pan)], {
      signatureData: { callbackURL: 'https://bank.example/cb' },
    });
    const first = await h.call('POST', PATHS.push, body);
    const second = await h.call('POST', PATHS.push, body);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    await h.restart();
    expect((await h.call('POST', PATHS.push, body)).body).toBe(first.body);
    const count = await h.database.db
      .selectFrom('mc_receipts' as never)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('request_id' as never, '=', body.requestId as never)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('38: answers concurrent twins of one request with one set of receipts', async () => {
    const body = pushBody([account('a', TEST_CARDS.credit.pan), account('b', TEST_CARDS.debit.pan)]);
    const answers = await Promise.all([1, 2, 3].map(() => h.call('POST', PATHS.push, body)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });

  it('refuses a used requestId with another body', async () => {
    const body = pushBody([account('a', TEST_CARDS.credit.pan)]);
    expect((await h.call('POST', PATHS.push, body)).statusCode).toBe(200);
    const changed = {
      ...body,
      pushFundingAccounts: { encryptedPayload: encrypt([account('b', TEST_CARDS.debit.pan)]) },
    };
    await expectRefusal(changed, 'INVALID_FIELD_VALUE', 'requestId');
  });
});

describe('pushAccount (deprecated)', () => {
  it('39: pushes one card and answers one receipt with the push methods', async () => {
    const body = {
      requestId: requestId(),
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      pushFundingAccount: {
        encryptedPayload: encrypt(account('x', TEST_CARDS.debit.pan).fundingAccountData),
      },
    };
    const response = await h.call('POST', PATHS.pushAccount, body);
    expect(response.statusCode).toBe(200);
    const answer = response.json() as {
      responseId: string;
      pushAccountReceipt: string;
      availablePushMethods: unknown[];
    };
    expect(answer.responseId).toBe(body.requestId);
    expect(answer.pushAccountReceipt).toMatch(/^DMC-/);
    expect(answer.availablePushMethods.length).toBeGreaterThan(0);
    expect((await redeem(answer.pushAccountReceipt)).statusCode).toBe(200);
  });

  it('answers an ineligible card with ACCOUNT_INELIGIBLE in the 200 payload', async () => {
    const response = await h.call('POST', PATHS.pushAccount, {
      requestId: requestId(),
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      pushFundingAccount: {
        encryptedPayload: encrypt(account('x', TEST_CARDS.notInMdes.pan).fundingAccountData),
      },
    });
    expect(response.statusCode).toBe(200);
    expect(firstError(response)).toMatchObject({ reasonCode: 'ACCOUNT_INELIGIBLE' });
  });
});
