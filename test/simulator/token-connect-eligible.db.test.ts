import { inflateSync } from 'node:zlib';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLosslessly } from '../../src/mastercard/http/json.js';
import { GetEligibleTokenRequestorsResponseSchema } from '../../src/mastercard/token-connect/schemas.js';
import type { GetEligibleTokenRequestorsResponse } from '../../src/mastercard/token-connect/types.js';
import {
  CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
  DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
} from '../../src/simulator/token-connect/catalogue.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';
import {
  firstError,
  type Harness,
  MERCHANT_URL,
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

const eligible = (accountRanges: unknown, extra: Record<string, unknown> = {}) =>
  h.call('POST', PATHS.eligible, { requestId: requestId(), accountRanges, ...extra });

const parsed = (response: { body: string }) =>
  parseJsonLosslessly(response.body) as GetEligibleTokenRequestorsResponse;

describe('getEligibleTokenRequestors', () => {
  it('1: lists the token requestors enabled for the ranges, Click to Pay first, 19-digit ranges as raw JSON numbers', async () => {
    const response = await h.call('POST', PATHS.eligible, {
      requestId: '123456',
      accountRanges: ['555555555', '510510510'],
    });
    expect(response.statusCode).toBe(200);
    // Raw digits, not strings: MDES types them int64.
    expect(response.body).toContain('"enabledAccountRanges":[5555555550000000000');
    const body = parsed(response);
    expect(Value.Check(GetEligibleTokenRequestorsResponseSchema, body)).toBe(true);
    expect(body.responseId).toBe('123456');
    expect(body.errors).toBeUndefined();
    const ids = body.tokenRequestors!.map((t) => t.tokenRequestorId);
    expect(ids[0]).toBe(CLICK_TO_PAY_TOKEN_REQUESTOR_ID);
    expect(ids).toContain(DEMO_MERCHANT_TOKEN_REQUESTOR_ID);
    for (const tr of body.tokenRequestors!) {
      expect(tr.enabledAccountRanges.every((r) => /^\d{19}$/.test(r))).toBe(true);
      expect(tr.supportedPushMethods?.length).toBeGreaterThan(0);
    }
    const demo = body.tokenRequestors!.find((t) => t.tokenRequestorId === DEMO_MERCHANT_TOKEN_REQUESTOR_ID)!;
    expect(demo.availablePushMethods).toContainEqual({ type: 'WEB', uri: `${MERCHANT_URL}/push` });
    expect(demo.enabledAccountRanges).toEqual(['5555555550000000000', '5105105100000000000']);
    // Northwind accepts only the first of the two ranges.
    const northwind = body.tokenRequestors!.find((t) => t.tokenRequestorId === '50161234563')!;
    expect(northwind.enabledAccountRanges).toEqual(['5555555550000000000']);
  });

  it('lists Click to Pay as a wallet, with every account holder data element', async () => {
    const body = parsed(await eligible(['555555555']));
    const c2p = body.tokenRequestors!.find((t) => t.tokenRequestorId === CLICK_TO_PAY_TOKEN_REQUESTOR_ID)!;
    expect(c2p).toMatchObject({ consumerFacingEntityName: 'Click to Pay', tokenRequestorType: 'WALLET' });
    expect(c2p.supportedAccountHolderData).toEqual([
      'NAME',
      'ADDRESS',
      'EMAIL_ADDRESS',
      'MOBILE_PHONE_NUMBER',
    ]);
  });

  it('2: zero-pads a short range to 19 digits before matching', async () => {
    const body = parsed(await eligible(['5412346789']));
    expect(body.tokenRequestors!.length).toBeGreaterThan(0);
    for (const tr of body.tokenRequestors!) expect(tr.enabledAccountRanges).toEqual(['5412346789000000000']);
  });

  it('3: answers [] for a range in MDES that no token requestor accepts', async () => {
    const body = parsed(await eligible([TEST_CARDS.enabledForNone.pan.slice(0, 9)]));
    expect(body.tokenRequestors).toEqual([]);
    expect(body.errors).toBeUndefined();
  });

  it('4: reports a range not in MDES as ACCOUNT_INELIGIBLE in a 200', async () => {
    const response = await eligible([TEST_CARDS.notInMdes.pan.slice(0, 9)]);
    expect(response.statusCode).toBe(200);
    expect(parsed(response).tokenRequestors).toBeUndefined();
    expect(firstError(response)).toEqual(
      expect.objectContaining({ source: 'MDES', reasonCode: 'ACCOUNT_INELIGIBLE', recoverable: false }),
    );
  });

  it('answers known ranges and flags the unknown one in the same answer', async () => {
    const body = parsed(await eligible(['555555555', TEST_CARDS.notInMdes.pan.slice(0, 9)]));
    expect(body.tokenRequestors!.length).toBeGreaterThan(0);
    expect(body.errors?.[0]?.reasonCode).toBe('ACCOUNT_INELIGIBLE');
  });

  const refusals: [string, unknown, string, string][] = [
    ['5: requestId missing', { accountRanges: ['555555555'] }, 'MISSING_REQUIRED_FIELD', 'requestId'],
    ['6: accountRanges missing', { requestId: 'r-6' }, 'MISSING_REQUIRED_FIELD', 'accountRanges'],
    [
      '7: 26 ranges',
      { requestId: 'r-7', accountRanges: Array(26).fill('555555555') },
      'INVALID_FIELD_LENGTH',
      'accountRanges',
    ],
    [
      '8: an 8-digit range',
      { requestId: 'r-8a', accountRanges: ['55555555'] },
      'INVALID_FIELD_LENGTH',
      'accountRanges',
    ],
    [
      '8: a 20-digit range',
      { requestId: 'r-8b', accountRanges: ['5'.repeat(20)] },
      'INVALID_FIELD_LENGTH',
      'accountRanges',
    ],
    [
      '9: a non-numeric range',
      { requestId: 'r-9', accountRanges: ['5555A5555'] },
      'INVALID_FIELD_FORMAT',
      'accountRanges',
    ],
    [
      '10: a 65-character requestId',
      { requestId: 'r'.repeat(65), accountRanges: ['555555555'] },
      'INVALID_FIELD_LENGTH',
      'requestId',
    ],
    [
      'a numeric requestId',
      { requestId: 6, accountRanges: ['555555555'] },
      'INVALID_FIELD_FORMAT',
      'requestId',
    ],
  ];
  for (const [name, body, reasonCode, field] of refusals) {
    it(`${name} → ${reasonCode} (${field})`, async () => {
      const response = await h.call('POST', PATHS.eligible, body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        ...(typeof (body as { requestId?: unknown }).requestId === 'string' &&
        (body as { requestId: string }).requestId.length <= 64
          ? { responseId: (body as { requestId: string }).requestId }
          : {}),
        errors: [
          {
            source: 'INPUT',
            reasonCode,
            description: expect.stringMatching(new RegExp(` - ${field}$`)),
            recoverable: false,
          },
        ],
      });
    });
  }

  it('11: answers a body that is not JSON with INVALID_JSON', async () => {
    const response = await h.call('POST', PATHS.eligible, undefined, { raw: '{"requestId": "x", ' });
    expect(response.statusCode).toBe(400);
    expect(firstError(response)).toMatchObject({ reasonCode: 'INVALID_JSON', description: 'Invalid JSON' });
  });
});

describe('getAsset', () => {
  const CLICK_TO_PAY_LOGO = '3f0c7a52-1d2e-4b8a-9c61-2a7f5e0d9b14';

  it('13: returns a token requestor logo as SVG and as PNG with its size', async () => {
    const response = await h.call('GET', PATHS.asset(CLICK_TO_PAY_LOGO));
    expect(response.statusCode).toBe(200);
    const { mediaContents } = response.json() as { mediaContents: Record<string, string>[] };
    expect(mediaContents.map((m) => m.type)).toEqual(['image/svg+xml', 'image/png']);
    const [svg, png] = mediaContents as [Record<string, string>, Record<string, string>];
    expect(Buffer.from(svg.data!, 'base64').toString('utf8')).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
    expect(png).toMatchObject({ height: '120', width: '120' });
    const bytes = Buffer.from(png.data!, 'base64');
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(120);
    // The pixel data decompresses to 120 rows of 1 + 120 × 3 bytes.
    const idat = bytes.indexOf('IDAT');
    const length = bytes.readUInt32BE(idat - 4);
    expect(inflateSync(bytes.subarray(idat + 4, idat + 4 + length))).toHaveLength(120 * 361);
  });

  it('14: answers an unknown asset ID with 404 INVALID_FIELD_VALUE', async () => {
    const response = await h.call('GET', PATHS.asset('00000000-0000-0000-0000-000000000000'));
    expect(response.statusCode).toBe(404);
    expect(firstError(response)).toMatchObject({
      reasonCode: 'INVALID_FIELD_VALUE',
      description: 'Invalid Field Value - AssetId',
    });
  });

  it('15: answers a malformed asset ID with INVALID_FIELD_FORMAT', async () => {
    for (const id of ['not_an_id!', 'a'.repeat(65)]) {
      const response = await h.call('GET', PATHS.asset(encodeURIComponent(id)));
      expect(response.statusCode).toBe(400);
      expect(firstError(response)).toMatchObject({ reasonCode: 'INVALID_FIELD_FORMAT' });
    }
  });

  it('17: gives the same content for the same ID, also after a restart', async () => {
    const first = (await h.call('GET', PATHS.asset(CLICK_TO_PAY_LOGO))).body;
    expect((await h.call('GET', PATHS.asset(CLICK_TO_PAY_LOGO))).body).toBe(first);
    await h.restart();
    expect((await h.call('GET', PATHS.asset(CLICK_TO_PAY_LOGO))).body).toBe(first);
  });

  it('serves every logo the catalogue names', async () => {
    const body = parsed(await eligible(['555555555']));
    for (const tr of body.tokenRequestors!) {
      expect((await h.call('GET', PATHS.asset(tr.imageAssetId!))).statusCode).toBe(200);
    }
  });
});

describe('the pages of the simulated token requestors', () => {
  it('answer at every push URI of theirs, in plain text, with the way back to the bank and CANCELLED', async () => {
    const body = parsed(await eligible(['555555555']));
    const uris = body
      .tokenRequestors!.flatMap((t) => t.availablePushMethods ?? [])
      .map((m) => m.uri)
      .filter((uri) => uri.startsWith('http://simulator.test/token-requestors/'));
    expect(uris.length).toBeGreaterThan(5);
    for (const uri of uris) {
      const path = new URL(uri).pathname;
      const query = '?pushAccountReceipts=MCC-1,MCC-2&callbackURL=https%3A%2F%2Fbank.example%2Fcb';
      const response = await h.app.inject({ method: 'GET', url: `${path}${query}` });
      expect(response.statusCode, uri).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body).toContain(
        'Return to your bank: https://bank.example/cb?results%5BMCC-1%5D=CANCELLED&results%5BMCC-2%5D=CANCELLED',
      );
    }
    expect(
      (await h.app.inject({ method: 'GET', url: '/token-requestors/99999999999/push' })).statusCode,
    ).toBe(404);
  });
});
