import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parseJsonLosslessly } from '../../src/mastercard/http/json.js';
import {
  describeReasonCode,
  isReasonCode,
  REASON_CODES,
} from '../../src/mastercard/token-connect/reason-codes.js';
import {
  GetEligibleTokenRequestorsRequestSchema,
  PushMultipleAccountsRequestSchema,
  PushMultipleFundingAccountsSchema,
} from '../../src/mastercard/token-connect/schemas.js';

const envelope = {
  encryptedData: 'ab'.repeat(40),
  publicKeyFingerprint: 'f'.repeat(64),
  encryptedKey: '0'.repeat(512),
  oaepHashingAlgorithm: 'SHA256',
  iv: '1'.repeat(32),
};

describe('Token Connect schemas', () => {
  it('accept the spec example of getEligibleTokenRequestors', () => {
    const body = { requestId: '123456', accountRanges: ['5412346789', '5412345678901234567'] };
    expect(Value.Check(GetEligibleTokenRequestorsRequestSchema, body)).toBe(true);
  });

  it('refuse account ranges outside 9-19 digits and more than 25 ranges', () => {
    const check = (accountRanges: string[]) =>
      Value.Check(GetEligibleTokenRequestorsRequestSchema, { requestId: '1', accountRanges });
    expect(check(['54123467'])).toBe(false);
    expect(check(['54123456789012345678'])).toBe(false);
    expect(check(['54123456a'])).toBe(false);
    expect(check(Array.from({ length: 26 }, () => '541234567'))).toBe(false);
    expect(check(Array.from({ length: 25 }, () => '541234567'))).toBe(true);
  });

  it('hold the receipt validity period to 5-15 whole minutes', () => {
    const base = {
      requestId: 'r1',
      tokenRequestorId: '50123456789',
      pushFundingAccounts: { encryptedPayload: envelope },
    };
    expect(Value.Check(PushMultipleAccountsRequestSchema, base)).toBe(true);
    for (const minutes of [5, 10, 15]) {
      expect(
        Value.Check(PushMultipleAccountsRequestSchema, {
          ...base,
          pushAccountReceiptsValidityPeriod: minutes,
        }),
      ).toBe(true);
    }
    for (const minutes of [4, 16, 7.5]) {
      expect(
        Value.Check(PushMultipleAccountsRequestSchema, {
          ...base,
          pushAccountReceiptsValidityPeriod: minutes,
        }),
      ).toBe(false);
    }
  });

  it('validate the decrypted funding accounts, at most five', () => {
    const account = (id: string) => ({
      pushAccountId: id,
      fundingAccountData: {
        cardAccountData: { accountNumber: '5412345678901232', expiryMonth: '12', expiryYear: '30' },
        accountHolderData: {
          accountHolderName: 'Jane Doe',
          accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
        },
        dataValidUntilTimestamp: '2026-01-01T00:30:00.000Z',
      },
    });
    expect(Value.Check(PushMultipleFundingAccountsSchema, [account('CA-1'), account('CA-2')])).toBe(true);
    expect(Value.Check(PushMultipleFundingAccountsSchema, ['1', '2', '3', '4', '5', '6'].map(account))).toBe(
      false,
    );
  });
});

describe('reason codes', () => {
  it('fill in the field name and know their own names', () => {
    expect(describeReasonCode('INVALID_FIELD_LENGTH', 'requestId')).toBe('Invalid Field Length - requestId');
    expect(isReasonCode('ACCOUNT_INELIGIBLE')).toBe(true);
    expect(isReasonCode('toString')).toBe(false);
    expect(REASON_CODES.INTERNAL_SERVICE_FAILURE.recoverable).toBe(true);
  });
});

describe('parseJsonLosslessly', () => {
  it('keeps 19-digit account ranges exact and leaves everything else alone', () => {
    const text =
      '{"a":[5412346789000000001, 12, -3.5e2, 9007199254740991],"s":"x,5412346789000000001]\\"","n":-9007199254740993}';
    expect(parseJsonLosslessly(text)).toEqual({
      a: ['5412346789000000001', 12, -350, 9007199254740991],
      s: 'x,5412346789000000001]"',
      n: '-9007199254740993',
    });
  });
});
