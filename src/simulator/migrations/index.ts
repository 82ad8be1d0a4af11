import type { Migration } from 'kysely';
import * as m0001 from './0001_oauth_nonces.js';
import * as m0002 from './0002_token_connect.js';
import * as m0003 from './0003_click_to_pay_notifications.js';
import * as m0004 from './0004_token_management.js';
import * as m0005 from './0005_tokenization_decisions.js';
import * as m0006 from './0006_customer_service.js';
import * as m0007 from './0007_pre_digitization.js';
import * as m0008 from './0008_digital_enablement.js';
import * as m0009 from './0009_job_leases.js';

/** Mastercard's side of the world; its tables are prefixed `mc_`. */
export const simulatorMigrations: Record<string, Migration> = {
  '0001_oauth_nonces': m0001,
  '0002_token_connect': m0002,
  '0003_click_to_pay_notifications': m0003,
  '0004_token_management': m0004,
  '0005_tokenization_decisions': m0005,
  '0006_customer_service': m0006,
  '0007_pre_digitization': m0007,
  '0008_digital_enablement': m0008,
  '0009_job_leases': m0009,
};

export const SIMULATOR_MIGRATION_TABLE = 'mc_migrations';
