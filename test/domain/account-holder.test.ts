import { describe, expect, it } from 'vitest';
import {
  accountHolderDataFor,
  type CardholderProfile,
  consentPreview,
  splitE164,
  tokenConnectLocale,
} from '../../src/domain/account-holder.js';
import { alpha3Of } from '../../src/domain/countries.js';

const profile: CardholderProfile = {
  name: 'Alice Wonderland-Liddell Pleasance',
  email: 'alice@example.com',
  phone: '+447700900123',
  billingAddress: { line1: '1 Rabbit Hole', city: 'Oxford', postalCode: 'OX1 1AA', country: 'GB' },
  locale: 'en-GB',
};

describe('account holder data', () => {
  it('shares only what the token requestor accepts, in Token Connect shapes', () => {
    expect(accountHolderDataFor(profile, ['NAME', 'EMAIL_ADDRESS'])).toEqual({
      accountHolderName: 'ALICE WONDERLAND-LIDDELL PL',
      accountHolderEmailAddress: 'alice@example.com',
    });
    expect(accountHolderDataFor(profile, ['ADDRESS', 'MOBILE_PHONE_NUMBER', 'SOMETHING_NEW'])).toEqual({
      accountHolderAddress: { line1: '1 Rabbit Hole', city: 'Oxford', postalCode: 'OX1 1AA', country: 'GBR' },
      accountHolderMobilePhoneNumber: { countryDialInCode: '44', phoneNumber: '7700900123' },
    });
    expect(accountHolderDataFor(profile, [])).toBeUndefined();
    expect(accountHolderDataFor(profile, undefined)).toBeUndefined();
  });

  it('splits E.164 numbers on the longest dial code and converts countries and locales', () => {
    expect(splitE164('+1 415 555 0100')).toEqual({ countryDialInCode: '1', phoneNumber: '4155550100' });
    expect(splitE164('+971501234567')).toEqual({ countryDialInCode: '971', phoneNumber: '501234567' });
    expect(splitE164('07700 900123')).toBeUndefined();
    expect(alpha3Of('de')).toBe('DEU');
    expect(alpha3Of('XX')).toBeUndefined();
    expect(tokenConnectLocale('en-gb')).toBe('en_GB');
    expect(tokenConnectLocale('en')).toBeUndefined();
  });

  it('previews consent with every value masked', () => {
    const preview = consentPreview(profile, ['NAME', 'EMAIL_ADDRESS', 'MOBILE_PHONE_NUMBER', 'ADDRESS']);
    expect(preview.map((p) => p.element)).toEqual([
      'NAME',
      'EMAIL_ADDRESS',
      'MOBILE_PHONE_NUMBER',
      'ADDRESS',
    ]);
    const text = JSON.stringify(preview);
    for (const secret of ['Alice', 'alice@', '7700900123', 'Rabbit']) expect(text).not.toContain(secret);
    expect(preview[1]?.value).toBe('a••••@example.com');
  });

  it("shows the cardholder's own values whole when asked for the bank's own page", () => {
    const own = consentPreview(profile, ['NAME', 'EMAIL_ADDRESS', 'MOBILE_PHONE_NUMBER', 'ADDRESS'], 'own');
    expect(own.map((p) => p.value)).toEqual([
      profile.name,
      profile.email,
      profile.phone,
      expect.stringContaining(profile.billingAddress.line1),
    ]);
  });
});
