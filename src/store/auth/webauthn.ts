import type { Kysely, Selectable } from 'kysely';
import type { AuthWebauthnCredentialsTable, IssuerSchema } from '../schema.js';

/** Registered passkeys: public keys only, with the signature counter used to spot cloned authenticators. */
export interface PasskeyRecord {
  /** The credential id, base64url, as WebAuthn reports it. */
  id: string;
  cardholderId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const toRecord = (row: Selectable<AuthWebauthnCredentialsTable>): PasskeyRecord => ({
  id: row.id,
  cardholderId: row.cardholder_id,
  publicKey: Buffer.from(row.public_key),
  counter: row.counter,
  transports: row.transports,
  deviceType: row.device_type,
  backedUp: row.backed_up,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

export class PasskeyStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  /** False when a passkey with this credential id is already registered (to anyone). */
  async add(record: Omit<PasskeyRecord, 'lastUsedAt'>): Promise<boolean> {
    const row = await this.db
      .insertInto('auth_webauthn_credentials')
      .values({
        id: record.id,
        cardholder_id: record.cardholderId,
        public_key: Buffer.from(record.publicKey),
        counter: record.counter,
        transports: JSON.stringify(record.transports),
        device_type: record.deviceType,
        backed_up: record.backedUp,
        created_at: record.createdAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async listFor(cardholderId: string): Promise<PasskeyRecord[]> {
    const rows = await this.db
      .selectFrom('auth_webauthn_credentials')
      .selectAll()
      .where('cardholder_id', '=', cardholderId)
      .orderBy('created_at')
      .execute();
    return rows.map(toRecord);
  }

  async find(cardholderId: string, id: string): Promise<PasskeyRecord | undefined> {
    const row = await this.db
      .selectFrom('auth_webauthn_credentials')
      .selectAll()
      .where('cardholder_id', '=', cardholderId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Moves the counter from the value the assertion was checked against to the
   * new one; false when another assertion moved it first (a replay race).
   */
  async advanceCounter(id: string, from: number, to: number, now: Date): Promise<boolean> {
    const row = await this.db
      .updateTable('auth_webauthn_credentials')
      .set({ counter: to, last_used_at: now })
      .where('id', '=', id)
      .where('counter', '=', from)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Forgets one of the cardholder's passkeys; false when they have none by that id. */
  async remove(cardholderId: string, id: string): Promise<boolean> {
    const row = await this.db
      .deleteFrom('auth_webauthn_credentials')
      .where('cardholder_id', '=', cardholderId)
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }
}
