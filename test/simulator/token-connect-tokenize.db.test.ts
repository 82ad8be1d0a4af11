import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { luhnValid } from '../../src/core/luhn.js';
import { selfSignedCertificate } from '../../src/mastercard/keys/certificate.js';
import { certificateFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import type { PushMultipleAccountsResponse } from '../../src/mastercard/token-connect/types.js';
import { registerClient } from '../../src/simulator/app.js';
import {
  DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
  PRODUCT_CONFIGS,
} from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import { TOKEN_ACCOUNT_RANGE } from '../../src/simulator/token-connect/tokenize.js';
import { captureStream } from '../support/capture.js';
import {
  account,
  firstError,
  type Harness,
  ISSUER_KEY,
  KEYS,
  MERCHANT_KEY,
  OTHER_MERCHANT_TRID,
  openForTokenRequestor,
  PATHS,
  pushBody,
  START,
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

async function receiptFor(pan: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await h.call('POST', PATHS.push, pushBody([account('a', pan)], extra));
  return (response.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!.pushAccountReceipt!;
}

interface Token {
  responseId: string;
  decision: string;
  tokenUniqueReference: string;
  productConfig: Record<string, unknown>;
  tokenInfo: Record<string, unknown>;
  tokenDetail: {
    tokenUniqueReference: string;
    encryptedData: unknown;
    publicKeyFingerprint?: string;
    encryptedKey?: string;
    iv?: string;
  };
}

describe('tokenize with a push account receipt (Secure Card on File)', () => {
  it('creates a token for the pushed card and tells onTokenCreated', async () => {
    const receipt = await receiptFor(TEST_CARDS.credit.pan);
    const request = tokenizeBody(receipt);
    const response = await h.call('POST', PATHS.tokenize, request, { as: 'merchant' });
    expect(response.statusCode).toBe(200);
    const token = response.json() as Token;
    expect(token).toMatchObject({ responseId: request.requestId, decision: 'APPROVED' });
    expect(token.tokenUniqueReference).toMatch(/^DWSPMC[0-9a-f]{42}$/);
    expect(token.tokenInfo).toMatchObject({
      accountPanSuffix: TEST_CARDS.credit.pan.slice(-4),
      accountPanExpiry: '1229',
      productCategory: 'CREDIT',
    });
    expect(token.productConfig).toMatchObject({
      cardBackgroundCombinedAssetId: PRODUCT_CONFIGS.CREDIT.cardArtAssetId,
    });
    // Field types as the spec writes them: dsrpCapable is the string "true".
    expect(token.tokenInfo.dsrpCapable).toBe('true');
    expect(token.productConfig.isCoBranded).toBe(false);
    expect((token as unknown as Record<string, unknown>).supportsAuthentication).toBe(false);
    expect(typeof token.tokenDetail.encryptedData).toBe('string');
    const detail = openForTokenRequestor<{ tokenNumber: string; expiryMonth: string; expiryYear: string }>(
      token.tokenDetail,
    );
    expect(detail.tokenNumber.startsWith(TOKEN_ACCOUNT_RANGE)).toBe(true);
    expect(luhnValid(detail.tokenNumber)).toBe(true);
    expect(token.tokenInfo.tokenPanSuffix).toBe(detail.tokenNumber.slice(-4));
    expect(token.tokenInfo.tokenExpiry).toBe(`${detail.expiryMonth}${detail.expiryYear}`);
    expect(h.events.at(-1)).toEqual({
      tokenUniqueReference: token.tokenUniqueReference,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      issuerConsumerKey: ISSUER_KEY,
      pushAccountReceipt: receipt,
      status: 'ACTIVE',
      accountLastFour: TEST_CARDS.credit.pan.slice(-4),
      tokenLastFour: detail.tokenNumber.slice(-4),
      createdAt: h.clock.now(),
    });
    // The card art it names is served to token requestors.
    const art = await h.call(
      'GET',
      `/mdes/assets/static/1/0/asset/${PRODUCT_CONFIGS.CREDIT.cardArtAssetId}`,
      undefined,
      {
        as: 'merchant',
      },
    );
    expect(art.statusCode).toBe(200);
  });

  it('refuses a receipt pushed to another token requestor, and leaves it redeemable by its own', async () => {
    const receipt = await receiptFor(TEST_CARDS.credit.pan);
    const response = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt, OTHER_MERCHANT_TRID), {
      as: 'otherMerchant',
    });
    expect(response.statusCode).toBe(400);
    expect(firstError(response)).toMatchObject({
      reasonCode: 'PUSH_ACCOUNT_RECEIPT_TOKEN_REQUESTOR_MISMATCH',
    });
    expect((await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' })).statusCode).toBe(
      200,
    );
  });

  it('refuses a TRID other than the one the credentials belong to', async () => {
    const receipt = await receiptFor(TEST_CARDS.credit.pan);
    const response = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt, OTHER_MERCHANT_TRID), {
      as: 'merchant',
    });
    expect(firstError(response)).toMatchObject({ reasonCode: 'AUTHORIZATION_FAILED' });
  });

  it('refuses an unknown receipt and a request without one', async () => {
    const unknown = await h.call(
      'POST',
      PATHS.tokenize,
      tokenizeBody('MCC-00000000-0000-0000-0000-000000000000'),
      {
        as: 'merchant',
      },
    );
    expect(firstError(unknown)).toMatchObject({
      reasonCode: 'INVALID_FIELD_VALUE',
      description: 'Invalid Field Value - pushAccountReceipt',
    });
    const { fundingAccountInfo: _, ...missing } = tokenizeBody('x');
    const response = await h.call('POST', PATHS.tokenize, missing, { as: 'merchant' });
    expect(firstError(response)).toMatchObject({ reasonCode: 'MISSING_REQUIRED_FIELD' });
  });

  it('refuses an expired receipt', async () => {
    const receipt = await receiptFor(TEST_CARDS.debit.pan, { pushAccountReceiptsValidityPeriod: 5 });
    h.clock.advance(5 * 60_000);
    const response = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
    expect(firstError(response)).toMatchObject({ reasonCode: 'PUSH_ACCOUNT_RECEIPT_EXPIRED' });
  });

  it('spends a receipt once when two redemptions race', async () => {
    const receipt = await receiptFor(TEST_CARDS.credit.pan);
    const answers = await Promise.all(
      [1, 2, 3].map(() => h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 400, 400]);
  });

  it('keeps receipts and tokens across a restart', async () => {
    const receipt = await receiptFor(TEST_CARDS.maestro.pan);
    await h.restart();
    const response = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
    expect(response.statusCode).toBe(200);
    expect((response.json() as Token).tokenInfo.productCategory).toBe('DEBIT');
    await h.restart();
    const again = await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
    expect(firstError(again)).toMatchObject({ reasonCode: 'PUSH_ACCOUNT_RECEIPT_ALREADY_USED' });
  });

  it('encrypts the token details to the token requestor, named by its certificate when it registered one', async () => {
    const certificate = selfSignedCertificate(KEYS.merchantEncryption, {
      commonName: 'Demo Shop encryption',
      usage: 'encryption',
      notBefore: new Date(START - 3_600_000),
      notAfter: new Date(START + 86_400_000 * 365),
    });
    const registration = {
      consumerKey: MERCHANT_KEY,
      role: 'token_requestor' as const,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      publicKey: KEYS.merchantSigning.publicKey,
      displayName: 'Demo Shop',
    };
    await registerClient(h.database.db, { ...registration, encryptionPublicKey: certificate });
    try {
      const receipt = await receiptFor(TEST_CARDS.credit.pan);
      const token = (
        await h.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' })
      ).json() as Token;
      // Mastercard's MDES presets: the certificate's SHA-256, OAEP with SHA-512, hex.
      expect(token.tokenDetail).toMatchObject({
        tokenUniqueReference: token.tokenUniqueReference,
        publicKeyFingerprint: certificateFingerprint(certificate),
        oaepHashingAlgorithm: 'SHA512',
      });
      expect(token.tokenDetail.iv).toMatch(/^[0-9a-f]{32}$/);
      expect(token.tokenDetail.encryptedData).toMatch(/^[0-9a-f]+$/);
      const detail = openForTokenRequestor<{ tokenNumber: string }>(
        token.tokenDetail,
        KEYS.merchantEncryption.privateKey,
        certificate,
      );
      expect(detail.tokenNumber.slice(-4)).toBe(token.tokenInfo.tokenPanSuffix);
      // Another key cannot open it.
      expect(() =>
        openForTokenRequestor(token.tokenDetail, KEYS.otherMerchantEncryption.privateKey),
      ).toThrow();
    } finally {
      await registerClient(h.database.db, {
        ...registration,
        encryptionPublicKey: KEYS.merchantEncryption.publicKey,
      });
    }
  });

  it('refuses to register a token requestor without an encryption key, and changes nothing', async () => {
    const before = await h.database.db
      .selectFrom('mc_clients' as never)
      .selectAll()
      .execute();
    await expect(
      registerClient(h.database.db, {
        consumerKey: 'keyless-merchant',
        role: 'token_requestor',
        tokenRequestorId: '50170451220',
        publicKey: KEYS.merchantSigning.publicKey,
        displayName: 'Contoso Travel',
      }),
    ).rejects.toMatchObject({
      code: 'MC_CLIENT_INVALID',
      message: expect.stringContaining('encryption key'),
    });
    expect(
      await h.database.db
        .selectFrom('mc_clients' as never)
        .selectAll()
        .execute(),
    ).toEqual(before);
  });

  it('still answers when the onTokenCreated hook fails', async () => {
    const failing = await startSimulator({
      onTokenCreated: () => {
        throw new Error('notifier down');
      },
    });
    try {
      const push = await failing.call('POST', PATHS.push, pushBody([account('a', TEST_CARDS.credit.pan)]));
      const receipt = (push.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!
        .pushAccountReceipt!;
      expect(
        (await failing.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' })).statusCode,
      ).toBe(200);
    } finally {
      await failing.close();
    }
  });
});

describe('card data at rest', () => {
  it('stores no PAN, token PAN or account holder data in clear, hex or base64 in any simulator table', async () => {
    const secrets = [TEST_CARDS.credit.pan, TEST_CARDS.debit.pan, 'jane@example.com', 'DOE/JANE'];
    const holder = { accountHolderName: 'DOE/JANE', accountHolderEmailAddress: 'jane@example.com' };
    for (const pan of [TEST_CARDS.credit.pan, TEST_CARDS.debit.pan]) {
      const receipt = await receiptFor(pan);
      const push = await h.call(
        'POST',
        PATHS.push,
        pushBody([account('p', pan, { accountHolderData: holder })]),
      );
      const second = (push.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!
        .pushAccountReceipt!;
      for (const r of [receipt, second]) {
        const token = (
          await h.call('POST', PATHS.tokenize, tokenizeBody(r), { as: 'merchant' })
        ).json() as Token;
        secrets.push(openForTokenRequestor<{ tokenNumber: string }>(token.tokenDetail).tokenNumber);
      }
    }
    const forms = secrets.flatMap((s) => [
      s,
      Buffer.from(s).toString('hex'),
      Buffer.from(s).toString('base64'),
    ]);
    for (const table of ['mc_receipts', 'mc_tokens', 'mc_push_requests', 'mc_clients', 'mc_oauth_nonces']) {
      const rows = await h.database.db
        .selectFrom(table as never)
        .selectAll()
        .execute();
      expect(rows.length, table).toBeGreaterThan(0);
      const dump = JSON.stringify(rows, (_key, value: unknown) =>
        value instanceof Uint8Array ||
        (value && typeof value === 'object' && 'type' in value && value.type === 'Buffer')
          ? Buffer.from(value as Uint8Array).toString('hex') +
            Buffer.from(value as Uint8Array).toString('base64')
          : value,
      );
      for (const form of forms) expect(dump.includes(form), `${table} holds a secret`).toBe(false);
    }
  });
});

describe('logs', () => {
  it('carry no PAN, token PAN or account holder data, also when a request fails', async () => {
    const capture = captureStream();
    const logged = await startSimulator({
      logger: createLogger({ level: 'trace', format: 'json', destination: capture.stream }),
    });
    try {
      const holder = { accountHolderEmailAddress: 'jane@example.com' };
      const push = await logged.call(
        'POST',
        PATHS.push,
        pushBody([account('a', TEST_CARDS.credit.pan, { accountHolderData: holder })]),
      );
      const receipt = (push.json() as PushMultipleAccountsResponse).pushAccountReceipts![0]!
        .pushAccountReceipt!;
      const token = (
        await logged.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' })
      ).json() as Token;
      await logged.call('POST', PATHS.tokenize, tokenizeBody(receipt), { as: 'merchant' });
      await logged.call(
        'POST',
        PATHS.push,
        pushBody([account('a', TEST_CARDS.debit.pan)], { tokenRequestorId: '5' }),
      );
      const text = capture.text();
      expect(text.length).toBeGreaterThan(0);
      const tokenNumber = openForTokenRequestor<{ tokenNumber: string }>(token.tokenDetail).tokenNumber;
      for (const secret of [TEST_CARDS.credit.pan, TEST_CARDS.debit.pan, tokenNumber, 'jane@example.com']) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await logged.close();
    }
  });
});
