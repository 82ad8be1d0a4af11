import type { Kysely } from 'kysely';
import type { IssuerSchema } from '../schema.js';

/** Username and password credentials of the demo identity (usernames normalised by the caller). */
export interface PasswordCredential {
  username: string;
  cardholderId: string;
  passwordHash: string;
}

export class PasswordStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  async find(username: string): Promise<PasswordCredential | undefined> {
    const row = await this.db
      .selectFrom('auth_passwords')
      .select(['username', 'cardholder_id', 'password_hash'])
      .where('username', '=', username)
      .executeTakeFirst();
    return (
      row && { username: row.username, cardholderId: row.cardholder_id, passwordHash: row.password_hash }
    );
  }

  /**
   * Sets the one credential of a cardholder: creates it, or replaces the hash
   * (and cardholder) of an existing username; a previous username of the same
   * cardholder is dropped.
   */
  async put(credential: PasswordCredential, now: Date): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('auth_passwords')
        .where('cardholder_id', '=', credential.cardholderId)
        .where('username', '!=', credential.username)
        .execute();
      await tx
        .insertInto('auth_passwords')
        .values({
          username: credential.username,
          cardholder_id: credential.cardholderId,
          password_hash: credential.passwordHash,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column('username').doUpdateSet({
            cardholder_id: credential.cardholderId,
            password_hash: credential.passwordHash,
            updated_at: now,
          }),
        )
        .execute();
    });
  }
}
