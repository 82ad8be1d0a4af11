import type { Migration } from 'kysely';
import * as m0001 from './0001_saved_cards.js';
import * as m0002 from './0002_saved_card_status.js';
import * as m0003 from './0003_push_results.js';
import * as m0004 from './0004_tokens_and_payments.js';

/** The demo merchant's own tables, prefixed `merchant_`. */
export const merchantMigrations: Record<string, Migration> = {
  '0001_saved_cards': m0001,
  '0002_saved_card_status': m0002,
  '0003_push_results': m0003,
  '0004_tokens_and_payments': m0004,
};

export const MERCHANT_MIGRATION_TABLE = 'merchant_migrations';
