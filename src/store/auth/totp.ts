import type { Kysely } from 'kysely';
import type { IssuerSchema } from '../schema.js';
import type { Sealer } from '../vault/sealer.js';

/**
 * TOTP enrolments, one per cardholder, the secret sealed by the vault and
 * bound to its cardholder (a sealed secret copied to another row does not
 * open). An enrolment is pending until a first code proves the cardholder's
 * authenticator holds the secret.
 */
export interface TotpEnrolment {
  cardholderId: string;
  secret: string;
  lastTimeStep: number | null;
  confirmedAt: Date | null;
}

const context = (cardholderId: string) => `auth:totp:${cardholderId}`;

export class TotpStore {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly sealer: Sealer,
  ) {}

  async find(cardholderId: string): Promise<TotpEnrolment | undefined> {
    const row = await this.db
      .selectFrom('auth_totp')
      .selectAll()
      .where('cardholder_id', '=', cardholderId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      cardholderId,
      secret: this.sealer.open(Buffer.from(row.secret_sealed), context(cardholderId)).toString('utf8'),
      lastTimeStep: row.last_time_step,
      confirmedAt: row.confirmed_at,
    };
  }

  async isConfirmed(cardholderId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('auth_totp')
      .select('cardholder_id')
      .where('cardholder_id', '=', cardholderId)
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Stores a secret, replacing any previous one; pending unless `confirmedAt` is given. */
  async put(cardholderId: string, secret: string, now: Date, confirmedAt: Date | null = null): Promise<void> {
    const sealed = this.sealer.seal(secret, context(cardholderId));
    await this.db
      .insertInto('auth_totp')
      .values({
        cardholder_id: cardholderId,
        secret_sealed: sealed,
        last_time_step: null,
        confirmed_at: confirmedAt,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('cardholder_id').doUpdateSet({
          secret_sealed: sealed,
          last_time_step: null,
          confirmed_at: confirmedAt,
          updated_at: now,
        }),
      )
      .execute();
  }

  /**
   * Records that a code of `timeStep` was accepted (confirming a pending
   * enrolment). False when a code of this or a later step was already
   * accepted: the compare-and-set is what refuses a replay racing the first use.
   */
  async acceptTimeStep(cardholderId: string, timeStep: number, now: Date): Promise<boolean> {
    const row = await this.db
      .updateTable('auth_totp')
      .set((eb) => ({
        last_time_step: timeStep,
        confirmed_at: eb.fn.coalesce('confirmed_at', eb.val(now)),
        updated_at: now,
      }))
      .where('cardholder_id', '=', cardholderId)
      .where((eb) => eb.or([eb('last_time_step', 'is', null), eb('last_time_step', '<', timeStep)]))
      .returning('cardholder_id')
      .executeTakeFirst();
    return row !== undefined;
  }
}
