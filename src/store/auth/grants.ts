import type { Kysely, Selectable } from 'kysely';
import type { AuthGrantsTable, IssuerSchema } from '../schema.js';

/** SCA grants: proof that a cardholder completed a step-up in one session, for a short while. */
export type ScaMethod = AuthGrantsTable['method'];

export interface GrantRecord {
  id: string;
  cardholderId: string;
  sessionId: string;
  method: ScaMethod;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

const toRecord = (row: Selectable<AuthGrantsTable>): GrantRecord => ({
  id: row.id,
  cardholderId: row.cardholder_id,
  sessionId: row.session_id,
  method: row.method,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export class GrantStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  async create(record: Omit<GrantRecord, 'revokedAt'> & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('auth_grants')
      .values({
        id: record.id,
        token_hash: record.tokenHash,
        cardholder_id: record.cardholderId,
        session_id: record.sessionId,
        method: record.method,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
      })
      .execute();
  }

  async findByTokenHash(tokenHash: string): Promise<GrantRecord | undefined> {
    const row = await this.db
      .selectFrom('auth_grants')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async revokeSession(sessionId: string, now: Date): Promise<void> {
    await this.db
      .updateTable('auth_grants')
      .set({ revoked_at: now })
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Deletes grants expired for more than a day (kept that long so a late caller hears SCA_EXPIRED). */
  async purge(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('auth_grants')
      .where('expires_at', '<', new Date(now.getTime() - 24 * 60 * 60 * 1000))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
