import type { Kysely } from 'kysely';

// What MDES's Notify Token Updated tells the issuer of a token beyond its
// status (Issuer Outbound API 2.0.21, `token`): the token's expiry
// (`tokenExpiry`, MMYY; also the decrypted `tokenData` expiry of Notify
// Service Activated) and who holds it suspended (`suspendedBy`, one or more
// of ISSUER, TOKEN_REQUESTOR, MOBILE_PIN_LOCKED, CARDHOLDER,
// PAYMENT_APP_PROVIDER). Neither is card data: the token's own number stays
// out of the store. Null expiry: MDES has not said; suspenders are
// comma-joined, empty when the token is not suspended.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tokens')
    .addColumn('token_expiry', 'text')
    .addColumn('mdes_suspended_by', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('token_expiry').dropColumn('mdes_suspended_by').execute();
}
