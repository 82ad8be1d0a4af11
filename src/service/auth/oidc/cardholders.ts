import type { Kysely } from 'kysely';
import { ForbiddenError } from '../../../core/errors.js';
import { cardholderIdByExternalRef } from '../../../store/auth/cardholder-refs.js';
import type { IssuerSchema } from '../../../store/schema.js';

/**
 * The cardholder a provider's token stands for: the configured claim holds
 * the external reference the card import gave the cardholder. A sign-in of
 * someone the bank has imported no cards for is refused, plainly.
 */
export class CardholderOfClaims {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly claim: string,
  ) {}

  async cardholderId(claims: Record<string, unknown>): Promise<string> {
    const reference = claims[this.claim];
    const id =
      typeof reference === 'string' && reference !== ''
        ? await cardholderIdByExternalRef(this.db, reference)
        : undefined;
    if (id === undefined) {
      throw new ForbiddenError(
        'CARDHOLDER_UNKNOWN',
        `this sign-in names no cardholder of the bank (claim ${this.claim})`,
      );
    }
    return id;
  }
}
