import type { Kysely } from 'kysely';
import type { IssuerSchema } from '../schema.js';

/** The `chd_…` id of the cardholder imported with this external reference, if any. */
export async function cardholderIdByExternalRef(
  db: Kysely<IssuerSchema>,
  externalRef: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('cardholders')
    .select('id')
    .where('external_ref', '=', externalRef)
    .executeTakeFirst();
  return row?.id;
}
