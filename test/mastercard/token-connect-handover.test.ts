import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  callbackWithResults,
  type Handover,
  HandoverError,
  pushUrl,
  readHandover,
  readResults,
  TOKENIZATION_RESULTS,
} from '../../src/mastercard/token-connect/handover.js';
import {
  keyFromAsset,
  PushSignatureKeys,
  PushSigner,
} from '../../src/mastercard/token-connect/push-signature.js';

// MDESRQ (Dec 2021) p. 47, 50, 52–53: the examples, character for character.
const R1 = 'MCC-C307F0AE-298E-48EB-AA43-A7C40B32DDDE';
const R2 = 'MSI-1E8GTJ94-9D5T-96MO-WV36-56AZN95Y8DUL';
const R3 = 'DMC-9H2T37SH-RB3O-PI14-QQ9R-321UGR5ZI07A';
const TUR = 'DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45';
const query = (url: string) => new URL(url).searchParams;
const problemOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (error) {
    return error instanceof HandoverError ? error.problem : 'NOT_A_HANDOVER_ERROR';
  }
  return undefined;
};

describe('the handover to the token requestor (MDESRQ p. 47–50)', () => {
  it("builds MDESRQ's unsigned example exactly: comma-separated receipts, URL-encoded callback, flags, locale", () => {
    const handover: Handover = {
      pushAccountReceipts: [R1, R2, R3],
      callbackURL: 'moonbank://pushcallback',
      callbackRequired: false,
      completeIssuerAppActivation: false,
      completeWebsiteActivation: false,
      locale: 'en_US',
    };
    expect(pushUrl('https://www.mywallet.com/pushAccount', handover)).toBe(
      `https://www.mywallet.com/pushAccount?pushAccountReceipts=${R1},${R2},${R3}&callbackURL=moonbank%3A%2F%2Fpushcallback&callbackRequired=false&completeIssuerAppActivation=false&completeWebsiteActivation=false&locale=en_US`,
    );
    expect(readHandover(query(pushUrl('https://www.mywallet.com/pushAccount', handover)))).toEqual({
      form: 'unsigned',
      handover,
    });
  });

  it('reads booleans in any case, ignores parameters it does not know, and keeps the push URI query', () => {
    const read = readHandover(
      query(
        `https://tr.example/p?pushAccountReceipts=${R1}&callbackRequired=FALSE&utm=x&accountHolderDataSupplied=True`,
      ),
    );
    expect(read).toEqual({
      form: 'unsigned',
      handover: { pushAccountReceipts: [R1], callbackRequired: false, accountHolderDataSupplied: true },
    });
    expect(pushUrl('https://tr.example/p?src=bank', { jws: 'a.b.c' })).toBe(
      'https://tr.example/p?src=bank&pushAccountData=a.b.c',
    );
  });

  it('sends the signed form as pushAccountData alone (p. 41)', () => {
    const url = pushUrl('https://myTR.com/pushAccount', { jws: 'ew0K.ew0K.ZEJq' });
    expect(url).toBe('https://myTR.com/pushAccount?pushAccountData=ew0K.ew0K.ZEJq');
    expect(readHandover(query(url))).toEqual({ form: 'signed', jws: 'ew0K.ew0K.ZEJq' });
  });

  it.each([
    ['no receipt', '?callbackURL=https%3A%2F%2Fbank.example%2F', 'RECEIPT_MISSING'],
    ['a receipt of no product', '?pushAccountReceipts=ABC-1', 'RECEIPT_INVALID'],
    ['a receipt over 64 characters', `?pushAccountReceipts=MCC-${'A'.repeat(61)}`, 'RECEIPT_INVALID'],
    [
      'a script as callback',
      `?pushAccountReceipts=${R1}&callbackURL=javascript%3Aalert(1)`,
      'CALLBACK_INVALID',
    ],
    ['a relative callback', `?pushAccountReceipts=${R1}&callbackURL=%2Fcb`, 'CALLBACK_INVALID'],
    ['a flag that is not a boolean', `?pushAccountReceipts=${R1}&callbackRequired=yes`, 'FLAG_INVALID'],
    ['a locale with a hyphen', `?pushAccountReceipts=${R1}&locale=en-US`, 'LOCALE_INVALID'],
    ['signed data that is not a JWS', '?pushAccountData=not-a-jws', 'SIGNED_DATA_INVALID'],
  ])('refuses %s', (_name, search, problem) => {
    expect(problemOf(() => readHandover(new URLSearchParams(search)))).toBe(problem);
  });

  it('reads back whatever it builds (property)', () => {
    const receipt = fc.stringMatching(/^(MCC|DMC|MSI|PVL)-[A-Za-z0-9-]{1,40}$/);
    fc.assert(
      fc.property(
        fc.array(receipt, { minLength: 1, maxLength: 5 }),
        fc.option(fc.webUrl({ withQueryParameters: true }), { nil: undefined }),
        fc.option(fc.boolean(), { nil: undefined }),
        (receipts, callbackURL, flag) => {
          const handover: Handover = {
            pushAccountReceipts: receipts,
            ...(callbackURL !== undefined && callbackURL.length <= 256 && { callbackURL }),
            ...(flag !== undefined && { completeWebsiteActivation: flag }),
          };
          expect(readHandover(query(pushUrl('https://tr.example/push', handover)))).toEqual({
            form: 'unsigned',
            handover,
          });
        },
      ),
    );
  });
});

describe('the return to the issuer (MDESRQ p. 51–53)', () => {
  it("writes MDESRQ's example 1 exactly: [, ] and | URL-encoded", () => {
    const url = callbackWithResults('moonbank://pushcallback', [
      { receipt: R1, result: 'APPROVED', tokenUniqueReference: TUR },
    ]);
    expect(url).toBe(`moonbank://pushcallback?results%5B${R1}%5D=APPROVED%7C${TUR}`);
  });

  it("keeps the issuer's own query and appends with & (example 2), and reads the three results back", () => {
    const raa = 'DWSPMC00000000032d72d4ffcb2f4136a0532d32d72d4fcb';
    const url = callbackWithResults('https://www.moonbank.com/pushcallback?session_id=789456123', [
      { receipt: R1, result: 'APPROVED', tokenUniqueReference: TUR },
      { receipt: R2, result: 'REQUIRE_ADDITIONAL_AUTHENTICATION', tokenUniqueReference: raa },
      { receipt: R3, result: 'CANCELLED' },
    ]);
    expect(url).toBe(
      `https://www.moonbank.com/pushcallback?session_id=789456123&results%5B${R1}%5D=APPROVED%7C${TUR}&results%5B${R2}%5D=REQUIRE_ADDITIONAL_AUTHENTICATION%7C${raa}&results%5B${R3}%5D=CANCELLED`,
    );
    expect(readResults(query(url))).toEqual([
      { receipt: R1, result: 'APPROVED', tokenUniqueReference: TUR },
      { receipt: R2, result: 'REQUIRE_ADDITIONAL_AUTHENTICATION', tokenUniqueReference: raa },
      { receipt: R3, result: 'CANCELLED' },
    ]);
  });

  it('reads the raw form too, and the post-tokenization authentication results (p. 40)', () => {
    const raw = new URLSearchParams(
      `session_id=1&results[${R1}]=AUTHENTICATED|${TUR}&results[${R2}]=DELETED|${TUR}`,
    );
    expect(readResults(raw)).toEqual([
      { receipt: R1, result: 'AUTHENTICATED', tokenUniqueReference: TUR },
      { receipt: R2, result: 'DELETED', tokenUniqueReference: TUR },
    ]);
    expect(readResults(new URLSearchParams('session_id=1'))).toEqual([]);
  });

  it.each([
    ['a result MDESRQ does not define', `results[${R1}]=MAYBE`],
    ['APPROVED without its token', `results[${R1}]=APPROVED`],
    [
      'REQUIRE_ADDITIONAL_AUTHENTICATION without its token',
      `results[${R1}]=REQUIRE_ADDITIONAL_AUTHENTICATION`,
    ],
    ['a token on a result that names none', `results[${R1}]=DECLINED|${TUR}`],
    ['a malformed token', `results[${R1}]=APPROVED|short`],
    ['a second value', `results[${R1}]=APPROVED|${TUR}|x`],
    ['a key that is no receipt', `results[x]=CANCELLED`],
    ['the same receipt twice', `results[${R1}]=CANCELLED&results[${R1}]=CANCELLED`],
  ])('refuses %s', (_name, search) => {
    expect(problemOf(() => readResults(new URLSearchParams(search)))).toBe('RESULTS_INVALID');
  });

  it('reads back whatever it writes (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^MCC-[A-Z0-9-]{1,30}$/), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...TOKENIZATION_RESULTS),
        (receipts, result) => {
          const results = receipts.map((receipt) => ({
            receipt,
            result,
            ...(['APPROVED', 'REQUIRE_ADDITIONAL_AUTHENTICATION', 'AUTHENTICATED', 'DELETED'].includes(
              result,
            ) && {
              tokenUniqueReference: TUR,
            }),
          }));
          expect(readResults(query(callbackWithResults('https://bank.example/cb?state=s', results)))).toEqual(
            results,
          );
        },
      ),
    );
  });
});

describe("MDES's push signature and its key asset (MDESRQ p. 41–45)", () => {
  const key = (assetId: string) => ({ assetId, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) });
  const recorded = {
    pushAccountReceipts: ['MCC-STL-43233098-64B2-4930-A2D1-3D778894B02B'],
    callbackURL: 'https://sandbox.src.mastercard.com/provision',
    completeWebsiteActivation: false,
    accountHolderDataSupplied: true,
    locale: 'en_US',
  };

  it('verifies a JWS with the claims of the recorded sandbox exchange, by the kid of a downloaded key asset', async () => {
    const mdes = new PushSigner([key('20210927091340-MDES-token-connect-mtf')]);
    const keys = new PushSignatureKeys(async (id) => (await mdes.asset(id)) ?? []);
    await keys.load([mdes.kid]);
    expect(keys.kids).toEqual(['20210927091340-MDES-token-connect-mtf']);
    expect(await keys.verify(await mdes.sign(recorded))).toEqual(recorded);
  });

  it('follows a rotation only once the new asset is downloaded, and never fetches while verifying', async () => {
    const old = key('20210927091340-MDES-token-connect-mtf');
    const next = key('20241101000000-MDES-token-connect-mtf');
    const fetched: string[] = [];
    const served = new PushSigner([next, old]);
    const keys = new PushSignatureKeys(async (id) => {
      fetched.push(id);
      return (await served.asset(id)) ?? [];
    });
    await keys.load([old.assetId]);
    const jws = await served.sign(recorded);
    await expect(keys.verify(jws)).rejects.toMatchObject({ problem: 'SIGNED_DATA_INVALID' });
    expect(fetched).toEqual([old.assetId]);
    await keys.load([next.assetId]);
    expect(await keys.verify(jws)).toEqual(recorded);
  });

  it('refuses an asset whose key names another kid, another algorithm, and claims that are no handover', async () => {
    const mdes = new PushSigner([key('k-1')]);
    await expect(keyFromAsset('k-2', (await mdes.asset('k-1')) ?? [])).rejects.toMatchObject({
      problem: 'SIGNED_DATA_INVALID',
    });
    const keys = new PushSignatureKeys(async (id) => (await mdes.asset(id)) ?? []);
    await keys.load(['k-1']);
    const hs = await new CompactSign(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'HS256', kid: 'k-1' })
      .sign(new Uint8Array(32));
    await expect(keys.verify(hs)).rejects.toMatchObject({ problem: 'SIGNED_DATA_INVALID' });
    await expect(keys.verify(await mdes.sign({ pushAccountReceipt: 'MCC-1' }))).rejects.toMatchObject({
      problem: 'SIGNED_DATA_INVALID',
    });
  });
});
