import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnValid } from '../../src/core/luhn.js';
import { ImportCardFormat } from '../../src/service/cards/import-format.js';
import { type ImportInput, panProblem, validateImport } from '../../src/service/cards/validate.js';
import { importCard, importHolder } from '../support/card-import.js';

const card = importCard;
const holder = importHolder;

function problems(input: unknown) {
  const result = validateImport(input);
  if (!('problems' in result)) throw new Error('expected problems');
  return result.problems;
}

/** Luhn check digit for a payload, so the property below builds valid numbers. */
function withCheckDigit(payload: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${payload}${d}`)) return `${payload}${d}`;
  throw new Error('unreachable');
}

describe('import validation', () => {
  it('accepts a well-formed batch and normalises what it stores', () => {
    const input: ImportInput = {
      cardholders: [
        {
          ...holder(),
          email: '  Alice@Example.COM',
          phone: '+44 7700 900-123',
          locale: 'en_gb',
          name: '  Alice   Martin ',
          cards: [
            card({ pan: '5555 5555 5555 4444', country: 'gb' }),
          ] as ImportInput['cardholders'][0]['cards'],
        },
      ],
    };
    const result = validateImport(input);
    expect(result).toEqual({
      batch: {
        cardholders: [
          {
            externalRef: 'h-1',
            profile: {
              name: 'Alice Martin',
              email: 'alice@example.com',
              phone: '+447700900123',
              billingAddress: {
                line1: '12 Example Street',
                city: 'London',
                postalCode: 'SW1A 1AA',
                country: 'GB',
              },
              locale: 'en-GB',
            },
            cards: [{ ...card(), pan: '5555555555554444', country: 'GB' }],
          },
        ],
      },
    });
  });

  it('reports every problem by path and code, never with the value', () => {
    const bad = {
      cardholders: [
        holder({
          email: 'not-an-email',
          phone: '07700 900123',
          locale: 'english',
          nickname: 'Al',
          billingAddress: { line1: '', city: 'London', postalCode: 'SW1A 1AA', country: 'XX' },
          cards: [
            card({ pan: '5555555555554443' }),
            card({ externalRef: 'c-2', pan: '4111111111111111' }),
            card({ externalRef: 'c-3', pan: '55555555555' }),
            card({ externalRef: 'c-4', pan: '5555-5555-5555-444a' }),
            card({ externalRef: 'c-5', pan: '510510510510510' }),
            card({ externalRef: 'c-6', expiryMonth: 13, expiryYear: 1999, status: 'frozen' }),
            card({ externalRef: 'c-7', pan: 5555555555554444, country: 'ZZ', productName: undefined }),
          ],
        }),
      ],
    };
    const found = problems(bad);
    expect(found.map((p) => `${p.path} ${p.code}`)).toEqual([
      'cardholders[0].nickname UNKNOWN_FIELD',
      'cardholders[0].email EMAIL_FORMAT',
      'cardholders[0].phone PHONE_FORMAT',
      'cardholders[0].locale LOCALE_FORMAT',
      'cardholders[0].billingAddress.line1 REQUIRED',
      'cardholders[0].billingAddress.country COUNTRY_UNKNOWN',
      'cardholders[0].cards[0].pan PAN_LUHN',
      'cardholders[0].cards[1].pan PAN_BRAND',
      'cardholders[0].cards[2].pan PAN_LENGTH',
      'cardholders[0].cards[3].pan PAN_FORMAT',
      'cardholders[0].cards[4].pan PAN_LENGTH',
      'cardholders[0].cards[5].expiryMonth EXPIRY_MONTH',
      'cardholders[0].cards[5].expiryYear EXPIRY_YEAR',
      'cardholders[0].cards[5].status STATUS_UNKNOWN',
      'cardholders[0].cards[6].pan TYPE',
      'cardholders[0].cards[6].country COUNTRY_UNKNOWN',
      'cardholders[0].cards[6].productName REQUIRED',
    ]);
    const text = JSON.stringify(found);
    for (const value of [
      'not-an-email',
      '07700 900123',
      '5555555555554443',
      '4111111111111111',
      'frozen',
      'Al',
    ]) {
      expect(text).not.toContain(value);
    }
  });

  it('refuses duplicate references and card numbers within one batch', () => {
    const found = problems({
      cardholders: [
        holder({ cards: [card(), card({ externalRef: 'c-2', pan: '5105105105105100' })] }),
        holder({
          cards: [card({ externalRef: 'c-2', pan: '5200828282828210' }), card({ externalRef: 'c-3' })],
        }),
      ],
    });
    expect(found.map((p) => `${p.path} ${p.code}`)).toEqual([
      'cardholders[1].externalRef DUPLICATE_REF',
      'cardholders[1].cards[0].externalRef DUPLICATE_REF',
      'cardholders[1].cards[1].pan PAN_DUPLICATE',
    ]);
    expect(found[2]?.message).toBe('same card number as cardholders[0].cards[0].pan');
  });

  it('refuses a card verification code by name, under any of its usual names, and never echoes it', () => {
    const found = problems({
      cardholders: [
        holder({
          cards: [
            card({ cvc: '123' }),
            card({ externalRef: 'c-2', pan: '5105105105105100', cvv: '456', securityCode: '789' }),
          ],
        }),
      ],
    });
    expect(found.map((p) => `${p.path} ${p.code}`)).toEqual([
      'cardholders[0].cards[0].cvc CVC_NOT_ACCEPTED',
      'cardholders[0].cards[1].cvv CVC_NOT_ACCEPTED',
      'cardholders[0].cards[1].securityCode CVC_NOT_ACCEPTED',
    ]);
    expect(found[0]?.message).toMatch(
      /card verification codes are not taken.*PCI DSS 3\.3.*remove the field/,
    );
    for (const value of ['123', '456', '789']) expect(JSON.stringify(found)).not.toContain(value);
  });

  it('names fields that shadow Object.prototype (constructor, toString) as unknown, without tripping on them', () => {
    const found = problems(
      JSON.parse(
        '{"cardholders":[{"externalRef":"h-1","constructor":"","cards":[{"toString":1}]}],"constructor":""}',
      ),
    );
    expect(found.map((p) => `${p.path} ${p.code}`)).toEqual(
      expect.arrayContaining([
        '$.constructor UNKNOWN_FIELD',
        'cardholders[0].constructor UNKNOWN_FIELD',
        'cardholders[0].cards[0].toString UNKNOWN_FIELD',
      ]),
    );
  });

  it('ignores a demo sign-in next to a cardholder (the demo fixture is an import file)', () => {
    const result = validateImport({ cardholders: [holder({ demo: { username: 'alice' } })] });
    expect('batch' in result && result.batch.cardholders[0]).toMatchObject({ externalRef: 'h-1' });
    expect(JSON.stringify(result)).not.toContain('username');
  });

  it('takes lengths and optional fields from the format (import-format.ts), the one description of the file', () => {
    const limit = ImportCardFormat.properties.productName.maxLength ?? 0;
    const found = problems({
      cardholders: [holder({ cards: [card({ productName: 'P'.repeat(limit + 1), cardArtRef: '  ' })] })],
    });
    expect(found).toEqual([
      {
        path: 'cardholders[0].cards[0].productName',
        code: 'TOO_LONG',
        message: `expected at most ${limit} characters`,
      },
    ]);
    expect(
      'batch' in validateImport({ cardholders: [holder({ cards: [card({ cardArtRef: '  ' })] })] }),
    ).toBe(true);
  });

  it('refuses what is not a batch', () => {
    expect(problems(null)).toEqual([{ path: '$', code: 'TYPE', message: 'expected an object' }]);
    expect(problems({ cardholders: {} })[0]).toMatchObject({ path: 'cardholders', code: 'TYPE' });
    expect(problems({ cardholders: [42] })[0]).toMatchObject({ path: 'cardholders[0]', code: 'TYPE' });
  });

  it('caps the problem list so a broken file does not produce a huge error', () => {
    const many = {
      cardholders: Array.from({ length: 200 }, (_, i) => holder({ externalRef: `h-${i}`, email: 'x' })),
    };
    expect(problems(many)).toHaveLength(100);
  });

  it('accepts Mastercard and Maestro test numbers and refuses other brands', () => {
    for (const pan of ['5555555555554444', '2223003122003222', '6799990100000000019', '5200828282828210']) {
      expect(panProblem(pan)).toBeUndefined();
    }
    expect(panProblem('4111111111111111')?.[0]).toBe('PAN_BRAND');
    expect(panProblem('378282246310005')?.[0]).toBe('PAN_BRAND');
  });

  it('accepts any Luhn-valid Mastercard number and refuses it with any one digit changed (property)', () => {
    const mastercard = fc
      .tuple(
        fc.constantFrom('51', '52', '53', '54', '55', '2221', '2720'),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 13, maxLength: 13 }),
      )
      .map(([prefix, rest]) => withCheckDigit(`${prefix}${rest}`.slice(0, 15)));
    fc.assert(
      fc.property(mastercard, fc.nat({ max: 15 }), fc.integer({ min: 1, max: 9 }), (pan, at, delta) => {
        expect(panProblem(pan)).toBeUndefined();
        const changed = `${pan.slice(0, at)}${(Number(pan[at]) + delta) % 10}${pan.slice(at + 1)}`;
        // A change in the brand digits may also leave the Mastercard ranges; either way it is refused.
        expect(panProblem(changed)).toBeDefined();
      }),
    );
  });
});
