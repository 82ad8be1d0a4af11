import { createHmac, hkdfSync } from 'node:crypto';
import type { AccountHolder } from '../../mastercard/token-connect/types.js';

/**
 * How Click to Pay recognises a consumer: by email address, else by mobile
 * number. Both are looked up through keyed blind indexes (HMAC-SHA-256 under
 * a simulator key, one purpose per field), so the database can find a
 * profile without holding either value in clear.
 */
export interface ConsumerIdentity {
  emailIndex: Buffer | undefined;
  phoneIndex: Buffer | undefined;
}

export class IdentityIndex {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new RangeError('the blind index key must be at least 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** The indexes of the pushed account holder's email and mobile number, as far as they were sent. */
  of(holder: AccountHolder | undefined): ConsumerIdentity {
    const email = holder?.accountHolderEmailAddress;
    const phone = holder?.accountHolderMobilePhoneNumber;
    return {
      emailIndex: email === undefined ? undefined : this.#index('email', normaliseEmail(email)),
      phoneIndex:
        phone === undefined
          ? undefined
          : this.#index('phone', `+${phone.countryDialInCode}${phone.phoneNumber}`.replace(/[^\d+]/g, '')),
    };
  }

  #index(purpose: string, value: string): Buffer {
    return createHmac('sha256', this.#key).update(`${purpose}\0${value}`, 'utf8').digest();
  }
}

const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * The blind index key, derived (HKDF-SHA-256) from the simulator's sealing
 * key: one secret to keep, and a different key for each use of it.
 */
export const deriveIdentityKey = (sealingKey: Uint8Array): Buffer =>
  Buffer.from(hkdfSync('sha256', sealingKey, 'pushprov-simulator', 'mc click to pay blind index v1', 32));
