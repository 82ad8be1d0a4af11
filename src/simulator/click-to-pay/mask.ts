import type { AccountHolder } from '../../mastercard/token-connect/types.js';

/**
 * A Click to Pay profile's details as the simulator shows them: enough to
 * tell two demo consumers apart, never a whole value.
 */
export interface MaskedConsumer {
  name: string | null;
  email: string | null;
  mobilePhone: string | null;
  /** Only the country of the address (ISO 3166-1 alpha-3). */
  country: string | null;
}

export function maskConsumer(holder: AccountHolder): MaskedConsumer {
  const phone = holder.accountHolderMobilePhoneNumber;
  return {
    name: holder.accountHolderName === undefined ? null : maskName(holder.accountHolderName),
    email:
      holder.accountHolderEmailAddress === undefined ? null : maskEmail(holder.accountHolderEmailAddress),
    mobilePhone:
      phone === undefined
        ? null
        : `+${phone.countryDialInCode} ${'*'.repeat(6)}${phone.phoneNumber.slice(-2)}`,
    country: holder.accountHolderAddress?.country ?? null,
  };
}

/** First letter of each part: "Alice Liddell" → "A*** L***" (also "LIDDELL/ALICE"). */
const maskName = (name: string): string =>
  name
    .split(/([\s/]+)/)
    .map((part) => (/^[\s/]*$/.test(part) ? part : `${part.slice(0, 1)}***`))
    .join('');

/** First letter of the mailbox and of the domain, and the top-level domain: "a***@e***.com". */
function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email.slice(0, 1)}***@${domain.slice(0, 1)}***${tld}`;
}
