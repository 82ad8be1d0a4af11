import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { BlindIndexer } from '../cards/blind-index.js';
import type { IssuerSchema } from '../schema.js';
import type { StoreTransaction } from '../transaction.js';

/** Keyed fingerprints of activation codes: one purpose of the vault's blind index. */
const CODE_INDEX = 'mdes.activation-code';
/** The codes the issuer makes, from their request: another purpose, so no fingerprint is ever a code. */
const ISSUED_CODE_INDEX = 'mdes.activation-code.issued';

export interface DeliveredCode {
  tokenUniqueReference: string;
  cardId: string;
  methodType: string;
  /** Masked, as the cardholder is shown where the code went. */
  sentTo: string;
  expiresAt: Date;
}

/** What checking a code the cardholder typed found. */
export type CodeCheck = 'valid' | 'wrong' | 'expired' | 'none' | 'locked';

/**
 * The activation codes MDES asked the issuer to deliver (Deliver Activation
 * Code), one per token, the latest replacing any earlier. Only a keyed
 * fingerprint of a code is kept (the vault's blind index: without the
 * vault's key a stolen table does not even allow guessing a 6-digit code
 * offline); a wrong guess is counted in the same statement that checks the
 * limit, so concurrent guesses cannot exceed it.
 */
export class ActivationCodeStore {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly vault: BlindIndexer,
  ) {}

  async record(code: string, delivered: DeliveredCode, now: Date): Promise<void> {
    const row = {
      token_unique_reference: delivered.tokenUniqueReference,
      card_id: delivered.cardId,
      code_fingerprint: this.#fingerprint(delivered.tokenUniqueReference, code),
      method_type: delivered.methodType,
      sent_to: delivered.sentTo,
      expires_at: delivered.expiresAt,
      failed_attempts: 0,
      created_at: now,
    };
    const { token_unique_reference: _key, ...replace } = row;
    await this.db
      .insertInto('activation_codes')
      .values(row)
      .onConflict((oc) => oc.column('token_unique_reference').doUpdateSet(replace))
      .execute();
  }

  /** The code delivered for a token, without the code. */
  async delivered(tokenUniqueReference: string): Promise<DeliveredCode | undefined> {
    const row = await this.db
      .selectFrom('activation_codes')
      .select(['token_unique_reference', 'card_id', 'method_type', 'sent_to', 'expires_at'])
      .where('token_unique_reference', '=', tokenUniqueReference)
      .executeTakeFirst();
    return (
      row && {
        tokenUniqueReference: row.token_unique_reference,
        cardId: row.card_id,
        methodType: row.method_type,
        sentTo: row.sent_to,
        expiresAt: row.expires_at,
      }
    );
  }

  /**
   * Checks a code typed by the cardholder. A right one is spent (removed); a
   * wrong one counts against `maxFailures`, after which none is accepted.
   */
  async check(
    tokenUniqueReference: string,
    code: string,
    now: Date,
    maxFailures: number,
  ): Promise<CodeCheck> {
    return (await this.attempt(tokenUniqueReference, code, now, maxFailures)).check;
  }

  /**
   * The same, also saying how many wrong tries the code has had, counted in
   * the same transaction: whether this wrong try was the last one allowed
   * (Validate Activation Code tells MDES so).
   */
  async attempt(
    tokenUniqueReference: string,
    code: string,
    now: Date,
    maxFailures: number,
    /** The caller's transaction, which then holds the code's row lock until it ends. */
    transaction?: StoreTransaction,
  ): Promise<{ check: CodeCheck; failedAttempts: number }> {
    const work = async (tx: StoreTransaction): Promise<{ check: CodeCheck; failedAttempts: number }> => {
      const row = await tx
        .selectFrom('activation_codes')
        .select(['code_fingerprint', 'expires_at', 'failed_attempts'])
        .where('token_unique_reference', '=', tokenUniqueReference)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { check: 'none', failedAttempts: 0 };
      const failedAttempts = row.failed_attempts;
      if (failedAttempts >= maxFailures) return { check: 'locked', failedAttempts };
      if (row.expires_at.getTime() <= now.getTime()) return { check: 'expired', failedAttempts };
      const given = this.#fingerprint(tokenUniqueReference, code);
      const kept = Buffer.from(row.code_fingerprint);
      if (given.length === kept.length && timingSafeEqual(given, kept)) {
        await tx
          .deleteFrom('activation_codes')
          .where('token_unique_reference', '=', tokenUniqueReference)
          .execute();
        return { check: 'valid', failedAttempts };
      }
      await tx
        .updateTable('activation_codes')
        .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
        .where('token_unique_reference', '=', tokenUniqueReference)
        .execute();
      return { check: 'wrong', failedAttempts: failedAttempts + 1 };
    };
    return transaction ? work(transaction) : this.db.transaction().execute(work);
  }

  async forget(tokenUniqueReference: string): Promise<void> {
    await this.db
      .deleteFrom('activation_codes')
      .where('token_unique_reference', '=', tokenUniqueReference)
      .execute();
  }

  /**
   * The 6-digit code the issuer makes for a Deliver Activation Code request
   * that brings none: a keyed digest of its requestId, so copies of one
   * request (MDES asking again, or twice at once) deliver the same code and
   * none replaces another, while each new request gets a new code. Without
   * the vault's key it cannot be told from the requestId.
   */
  issuerCode(requestId: string): string {
    // 64 bits reduced to 6 digits: a bias of 10⁶/2⁶⁴, none to speak of.
    const digest = this.vault.blindIndex(ISSUED_CODE_INDEX, requestId);
    return String(digest.readBigUInt64BE(0) % 1_000_000n).padStart(6, '0');
  }

  // Bound to its token, so the same code for two tokens gives two fingerprints.
  #fingerprint(tokenUniqueReference: string, code: string): Buffer {
    return this.vault.blindIndex(CODE_INDEX, `${tokenUniqueReference}:${code}`);
  }
}
