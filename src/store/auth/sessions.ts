import type { Kysely, Selectable } from 'kysely';
import type { AuthSessionsTable, IssuerSchema } from '../schema.js';

/** Server-side cardholder sessions, found by the digest of their token. */
export interface SessionRecord {
  id: string;
  cardholderId: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
}

const toRecord = (row: Selectable<AuthSessionsTable>): SessionRecord => ({
  id: row.id,
  cardholderId: row.cardholder_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  idleExpiresAt: row.idle_expires_at,
  absoluteExpiresAt: row.absolute_expires_at,
  revokedAt: row.revoked_at,
});

export class SessionStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  async create(record: Omit<SessionRecord, 'revokedAt'> & { tokenHash: string }): Promise<void> {
    await this.db
      .insertInto('auth_sessions')
      .values({
        id: record.id,
        token_hash: record.tokenHash,
        cardholder_id: record.cardholderId,
        created_at: record.createdAt,
        last_seen_at: record.lastSeenAt,
        idle_expires_at: record.idleExpiresAt,
        absolute_expires_at: record.absoluteExpiresAt,
      })
      .execute();
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const row = await this.db
      .selectFrom('auth_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Records activity; never moves the idle expiry past the absolute one, nor revives a revoked session. */
  async touch(id: string, now: Date, idleExpiresAt: Date): Promise<void> {
    await this.db
      .updateTable('auth_sessions')
      .set({ last_seen_at: now, idle_expires_at: idleExpiresAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revoke(id: string, now: Date): Promise<void> {
    await this.db
      .updateTable('auth_sessions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Deletes sessions that can no longer be used. */
  async purge(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('auth_sessions')
      .where((eb) =>
        eb.or([
          eb('absolute_expires_at', '<', now),
          eb('idle_expires_at', '<', now),
          eb('revoked_at', 'is not', null),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
