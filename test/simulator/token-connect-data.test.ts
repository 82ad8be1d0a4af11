import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/core/luhn.js';
import { parseJsonLosslessly } from '../../src/mastercard/http/json.js';
import {
  GetEligibleTokenRequestorsRequestSchema,
  PushMultipleAccountsRequestSchema,
} from '../../src/mastercard/token-connect/schemas.js';
import {
  accepts,
  Catalogue,
  CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
  enrolledRangeOf,
  MDES_ACCOUNT_RANGES,
} from '../../src/simulator/token-connect/catalogue.js';
import { assertValid, TokenConnectFailure } from '../../src/simulator/token-connect/failure.js';
import { stringifyWithInt64 } from '../../src/simulator/token-connect/json.js';
import { TEST_CARDS } from '../../src/simulator/token-connect/test-cards.js';

const catalogue = new Catalogue({
  merchantUrl: 'http://merchant.test',
  simulatorUrl: 'http://simulator.test',
});
const doc = readFileSync(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
const acceptedBy = (pan: string) => {
  const range = enrolledRangeOf(pan);
  return catalogue.entries.filter((e) => range && accepts(e, range)).map((e) => e.record.tokenRequestorId);
};

describe('test cards', () => {
  it('are Luhn-valid card numbers', () => {
    for (const card of Object.values(TEST_CARDS)) {
      expect(luhnValid(card.pan), card.pan).toBe(true);
      expect(card.pan.length).toBeGreaterThanOrEqual(13);
    }
  });

  it('are listed in docs/simulator.md exactly as in test-cards.ts', () => {
    for (const [name, card] of Object.entries(TEST_CARDS)) {
      expect(doc).toContain(`| ${name} | ${card.pan} | ${card.brand} | ${card.behaviour} |`);
    }
  });

  it('behave as they say', () => {
    const all = catalogue.entries.map((e) => e.record.tokenRequestorId);
    expect(acceptedBy(TEST_CARDS.credit.pan)).toEqual(all);
    expect(acceptedBy(TEST_CARDS.clickToPayOnly.pan)).toEqual([CLICK_TO_PAY_TOKEN_REQUESTOR_ID]);
    expect(acceptedBy(TEST_CARDS.enabledForNone.pan)).toEqual([]);
    expect(enrolledRangeOf(TEST_CARDS.enabledForNone.pan)).toBeDefined();
    expect(enrolledRangeOf(TEST_CARDS.notInMdes.pan)).toBeUndefined();
    expect([TEST_CARDS.credit.product, TEST_CARDS.debit.product, TEST_CARDS.maestro.product]).toEqual([
      'CREDIT',
      'DEBIT',
      'MAESTRO',
    ]);
  });

  it('match the account range table of docs/simulator.md', () => {
    for (const range of MDES_ACCOUNT_RANGES) {
      const names = catalogue.entries
        .filter((e) => accepts(e, range))
        .map((e) => e.record.consumerFacingEntityName);
      const row = doc.split('\n').find((line) => line.startsWith(`| ${range.prefix} |`));
      expect(row, range.prefix).toBeDefined();
      const cell = row!.split('|')[3]!.trim();
      if (names.length === catalogue.entries.length) expect(cell).toBe('every token requestor');
      else if (names.length === 0) expect(cell).toMatch(/^nobody/);
      else for (const name of names) expect(cell).toContain(name.replace(' (the demo merchant)', ''));
    }
  });
});

describe('the catalogue', () => {
  it('builds records that satisfy the wire schema, the demo merchant pushed to <merchantUrl>/push', () => {
    for (const { record } of catalogue.entries) {
      expect(record.tokenRequestorId).toMatch(/^\d{11}$/);
      expect(record.enabledAccountRanges.every((r) => /^\d{19}$/.test(r))).toBe(true);
      for (const method of record.availablePushMethods ?? [])
        expect(method.uri.length).toBeLessThanOrEqual(128);
    }
    expect(catalogue.entries[0]!.record.tokenRequestorId).toBe(CLICK_TO_PAY_TOKEN_REQUESTOR_ID);
    expect(catalogue.find('50182375119')!.record.availablePushMethods).toContainEqual({
      type: 'WEB',
      uri: 'http://merchant.test/push',
    });
  });
});

describe('stringifyWithInt64', () => {
  it('writes 19-digit strings as raw JSON numbers that a lossless parser reads back exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[1-9]\d{18}$/), { maxLength: 5 }),
        fc.string(),
        (ranges, name) => {
          const json = stringifyWithInt64(
            { name, enabledAccountRanges: ranges, other: ranges },
            new Set(['enabledAccountRanges']),
          );
          expect(json).not.toContain('"enabledAccountRanges":["');
          expect(parseJsonLosslessly(json)).toEqual({ name, enabledAccountRanges: ranges, other: ranges });
        },
      ),
    );
  });

  it('refuses a value that is not a decimal integer', () => {
    expect(() =>
      stringifyWithInt64({ enabledAccountRanges: ['12a'] }, new Set(['enabledAccountRanges'])),
    ).toThrow(TypeError);
  });
});

describe('reason codes from schema failures', () => {
  const reasonOf = (schema: Parameters<typeof assertValid>[0], value: unknown) => {
    try {
      assertValid(schema, value);
      return undefined;
    } catch (error) {
      if (!(error instanceof TokenConnectFailure)) throw error;
      return `${error.reasonCode} ${error.field}`;
    }
  };
  const valid = { requestId: 'r', accountRanges: ['555555555'] };

  it('a requestId longer than 64 characters is a length error', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 65, maxLength: 200 }), (requestId) => {
        expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, requestId })).toBe(
          'INVALID_FIELD_LENGTH requestId',
        );
      }),
    );
  });

  it('a range of 9–19 characters with a non-digit is a format error; digits of another length, a length error', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{4,10}[^0-9]\d{4,8}$/), (range) => {
        expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, accountRanges: [range] })).toBe(
          'INVALID_FIELD_FORMAT accountRanges',
        );
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^\d{1,8}$/), fc.stringMatching(/^\d{20,30}$/)), (range) => {
        expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, accountRanges: [range] })).toBe(
          'INVALID_FIELD_LENGTH accountRanges',
        );
      }),
    );
  });

  it('reports the first field in error, missing before malformed', () => {
    expect(reasonOf(PushMultipleAccountsRequestSchema, { tokenRequestorId: 'x' })).toBe(
      'MISSING_REQUIRED_FIELD requestId',
    );
    expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, valid)).toBeUndefined();
    expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, supportsTokenConnect: 'yes' })).toBe(
      'INVALID_FIELD_FORMAT supportsTokenConnect',
    );
  });

  it('takes no number or boolean for text, nor text for a boolean (no coercion)', () => {
    expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, requestId: 12345 })).toBe(
      'INVALID_FIELD_FORMAT requestId',
    );
    expect(reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, requestId: true })).toBe(
      'INVALID_FIELD_FORMAT requestId',
    );
    expect(
      reasonOf(GetEligibleTokenRequestorsRequestSchema, { ...valid, supportsTokenConnect: 'true' }),
    ).toBe('INVALID_FIELD_FORMAT supportsTokenConnect');
  });
});
