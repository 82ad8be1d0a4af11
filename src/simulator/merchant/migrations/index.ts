import type { Migration } from 'kysely';
import * as m0001 from './0001_saved_cards.js';

/** The demo merchant's own tables, prefixed `merchant_`. */
export const merchantMigrations: Record<string, Migration> = {
  '0001_saved_cards': m0001,
};

export const MERCHANT_MIGRATION_TABLE = 'merchant_migrations';
