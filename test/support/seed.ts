import { type Kysely, sql } from 'kysely';

/**
 * Seeds the issuer's growing tables in the database itself (generate_series,
 * no row crosses to Node), so 10⁶ rows take seconds: `n` provisionings (one
 * card each) spread over `days` days, n/10 cardholders, n/5 cards, n/2
 * tokens, 2n audit entries, n/2 MDES notifications and n idempotency keys (of the last day).
 * Seeded pushes are settled (completed, failed, expired), so no job picks
 * them up; sealed columns hold placeholder bytes that are never opened, and
 * the seeded audit entries are outside the seal chain (a seeded database's
 * audit trail does not verify). Rows get ids with a `seed` infix, apart from
 * anything the application writes. Runs VACUUM ANALYZE after, as autovacuum would.
 */
export async function seedGrowingTables(db: Kysely<unknown>, n: number, days = 365): Promise<void> {
  const holders = Math.max(1, Math.floor(n / 10));
  const cards = Math.max(1, Math.floor(n / 5));
  const at = sql`now() - ((i % ${days}) * interval '1 day') - ((i % 86400) * interval '1 second')`;
  await sql`insert into cardholders (id, external_ref, profile_sealed, email_index, phone_index, created_at, updated_at)
    select 'chd_seed' || i, 'seed-h-' || i, '\\x00'::bytea, sha256(('e' || i)::bytea), sha256(('p' || i)::bytea),
      ${at}, ${at}
    from generate_series(1, ${holders}::int) i`.execute(db);
  await sql`insert into cards (id, cardholder_id, external_ref, pan_sealed, pan_fingerprint, last_four, pan_prefix,
      expiry_month, expiry_year, country, status, product_name, card_art_ref, created_at, updated_at)
    select 'crd_seed' || i, 'chd_seed' || (1 + i % ${holders}::int), 'seed-c-' || i, '\\x00'::bytea,
      sha256(('f' || i)::bytea), lpad((i % 10000)::text, 4, '0'), '52047400', 12, 2031, 'GB', 'active', 'Seed',
      null, ${at}, ${at}
    from generate_series(1, ${cards}::int) i`.execute(db);
  const state = sql`case when i % 25 = 0 then 'expired' when i % 8 = 0 then 'failed' else 'completed' end`;
  await sql`insert into provisionings (id, cardholder_id, destination, token_requestor_id, token_requestor_name, state,
      request_id, receipt_validity_minutes, receipts_expire_at, callback_token_sealed, push_links_sealed,
      error_code, error_message, attempts, created_at, updated_at, completed_at)
    select 'prv_seed' || i, 'chd_seed' || (1 + (i % ${cards}::int) % ${holders}::int),
      case when i % 2 = 0 then 'click_to_pay' else 'merchant' end,
      case when i % 2 = 0 then '50123197928' else '50182375119' end, 'Seeded',
      ${state}, 'seed-' || i, 15, ${at} + interval '15 minutes', '\\x00'::bytea, null,
      case when i % 25 = 0 then 'RECEIPT_EXPIRED' when i % 8 = 0 then 'CARDHOLDER_CANCELLED' end, null, 1,
      ${at}, ${at} + ((i % 60) * interval '1 second'),
      case when i % 25 <> 0 and i % 8 <> 0 then ${at} + ((i % 60) * interval '1 second') end
    from generate_series(1, ${n}::int) i`.execute(db);
  await sql`insert into provisioning_cards (provisioning_id, card_id, push_account_id, state, receipt_sealed,
      token_unique_reference, error_code, reported_result, reported_token_unique_reference)
    select 'prv_seed' || i, 'crd_seed' || (1 + i % ${cards}::int), 'seed-pa-' || i,
      case when i % 25 = 0 or i % 8 = 0 then 'failed' else 'completed' end, null,
      case when i % 25 <> 0 and i % 8 <> 0 then 'DSEED' || i end, null, null, null
    from generate_series(1, ${n}::int) i`.execute(db);
  await sql`insert into tokens (id, token_unique_reference, card_id, token_requestor_id, token_requestor_name,
      destination, token_pan_suffix, status, last_event, last_event_at, created_at, updated_at)
    select 'tok_seed' || i, 'DSEED' || i, 'crd_seed' || (1 + i % ${cards}::int),
      case when i % 2 = 0 then '50123197928' else '50182375119' end, 'Seeded',
      case when i % 2 = 0 then 'click_to_pay' else 'merchant' end, '0000',
      case when i % 10 = 0 then 'DELETED' else 'ACTIVE' end, 'seeded', ${at}, ${at}, ${at}
    from generate_series(1, ${Math.floor(n / 2)}::int) i`.execute(db);
  await sql`insert into audit_log (at, actor, action, subject, outcome, details)
    select ${at}, case when i % 2 = 0 then 'system' else 'chd_seed' || (1 + i % ${holders}::int) end,
      case when i % 2 = 0 then 'provisioning.pushed' else 'provisioning.requested' end,
      'prv_seed' || (1 + i / 2), 'seeded', '{}'::jsonb
    from generate_series(1, ${2 * n}::int) i`.execute(db);
  await sql`insert into mdes_notifications (notification_id, message_type, token_unique_reference, token_requestor_id,
      outcome, reason_code, card_id, provisioning_id, occurred_at, received_at)
    select 'seed-n-' || i, case when i % 3 = 0 then 'AUTHORIZE' else 'TOKEN_CREATED' end, 'DSEED' || i,
      case when i % 2 = 0 then '50123197928' else '50182375119' end, 'seeded', null,
      'crd_seed' || (1 + i % ${cards}::int), 'prv_seed' || i, ${at}, ${at}
    from generate_series(1, ${Math.floor(n / 2)}::int) i`.execute(db);
  // Keys live a day and are purged as they expire: the table holds about a day of pushes.
  const keyAt = sql`now() - ((i % 86400) * interval '1 second')`;
  await sql`insert into idempotency_keys (scope, key, request_hash, response_status, response_body, created_at, expires_at)
    select 'chd_seed' || (1 + i % ${holders}::int), 'seed-key-' || i, 'seed', 201, '{}'::jsonb, ${keyAt},
      ${keyAt} + interval '1 day'
    from generate_series(1, ${n}::int) i`.execute(db);
  // Vacuumed as well as analysed now, so autovacuum does not do it in the middle of a measurement.
  await sql`vacuum analyze`.execute(db);
}
