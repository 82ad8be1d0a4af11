import type { Kysely } from 'kysely';
import type { IssuerSchema } from './schema.js';

/** One push as the ops dashboard counts it. */
export interface PushSummary {
  id: string;
  destination: string;
  token_requestor_id: string;
  token_requestor_name: string;
  state: string;
  error_code: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The ops dashboard's reads across the issuer's tables: pushes to count, and
 * what a support agent looks a cardholder up by (all but the sealed profile,
 * which CardholderRepository opens).
 */
export class OpsReads {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  /** Pushes created since `since`, newest first, at most `limit`. */
  pushesSince(since: Date, limit: number): Promise<PushSummary[]> {
    return this.db
      .selectFrom('provisionings')
      .select([
        'id',
        'destination',
        'token_requestor_id',
        'token_requestor_name',
        'state',
        'error_code',
        'created_at',
        'updated_at',
      ])
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** Whether MDES sent the issuer a `messageType` request about a card of the push while the push was open. */
  async askedDuring(push: PushSummary, messageType: string): Promise<boolean> {
    const asked = await this.db
      .selectFrom('mdes_notifications as n')
      .innerJoin('provisioning_cards as c', 'c.card_id', 'n.card_id')
      .select('n.notification_id')
      .where('c.provisioning_id', '=', push.id)
      .where('n.message_type', '=', messageType)
      .where('n.token_requestor_id', '=', push.token_requestor_id)
      .where('n.received_at', '>=', push.created_at)
      .where('n.received_at', '<=', push.updated_at)
      .limit(1)
      .executeTakeFirst();
    return asked !== undefined;
  }

  /** The cardholders with a card ending in `lastFour`. */
  async cardholdersWithLastFour(lastFour: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cards')
      .select('cardholder_id')
      .distinct()
      .where('last_four', '=', lastFour)
      .execute();
    return rows.map((r) => r.cardholder_id);
  }

  /** The cardholders signing in as `username`. */
  async cardholdersWithUsername(username: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('auth_passwords')
      .select('cardholder_id')
      .where('username', '=', username)
      .execute();
    return rows.map((r) => r.cardholder_id);
  }

  /** The newest cardholders' ids, at most `limit`. */
  async newestCardholders(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cardholders')
      .select('id')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async cardholderExists(cardholderId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('cardholders')
      .select('id')
      .where('id', '=', cardholderId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async usernamesOf(cardholderId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('auth_passwords')
      .select('username')
      .where('cardholder_id', '=', cardholderId)
      .execute();
    return rows.map((r) => r.username);
  }

  /** The cardholder's cards as ops list them, oldest first. */
  cardsOf(cardholderId: string): Promise<{ id: string; last_four: string; status: string }[]> {
    return this.db
      .selectFrom('cards')
      .select(['id', 'last_four', 'status'])
      .where('cardholder_id', '=', cardholderId)
      .orderBy('created_at')
      .execute();
  }
}
