import type { Migration } from 'kysely';
import * as m0001 from './0001_audit_log.js';
import * as m0002 from './0002_cardholders_cards.js';
import * as m0003 from './0003_auth.js';
import * as m0004 from './0004_audit_append_only.js';
import * as m0005 from './0005_provisionings.js';
import * as m0006 from './0006_mdes_notifications.js';
import * as m0007 from './0007_tokens.js';
import * as m0008 from './0008_tokenization_decisions.js';
import * as m0009 from './0009_token_follow_ups.js';
import * as m0010 from './0010_token_follow_ups_block.js';
import * as m0011 from './0011_handover.js';
import * as m0012 from './0012_token_suspensions.js';
import * as m0013 from './0013_drop_card_cvc.js';
import * as m0014 from './0014_pre_digitization.js';
import * as m0015 from './0015_provisionings_created.js';
import * as m0016 from './0016_audit_seals.js';
import * as m0017 from './0017_sca_method_oidc.js';
import * as m0018 from './0018_oidc_step_up_challenges.js';
import * as m0019 from './0019_token_expiry_suspenders.js';
import * as m0020 from './0020_growth_indexes.js';
import * as m0021 from './0021_job_leases.js';
import * as m0022 from './0022_mdes_suspicious_events.js';

/** The issuer's schema, in order. Names sort lexically; never rename one that shipped. */
export const issuerMigrations: Record<string, Migration> = {
  '0001_audit_log': m0001,
  '0002_cardholders_cards': m0002,
  '0003_auth': m0003,
  '0004_audit_append_only': m0004,
  '0005_provisionings': m0005,
  '0006_mdes_notifications': m0006,
  '0007_tokens': m0007,
  '0008_tokenization_decisions': m0008,
  '0009_token_follow_ups': m0009,
  '0010_token_follow_ups_block': m0010,
  '0011_handover': m0011,
  '0012_token_suspensions': m0012,
  '0013_drop_card_cvc': m0013,
  '0014_pre_digitization': m0014,
  '0015_provisionings_created': m0015,
  '0016_audit_seals': m0016,
  '0017_sca_method_oidc': m0017,
  '0018_oidc_step_up_challenges': m0018,
  '0019_token_expiry_suspenders': m0019,
  '0020_growth_indexes': m0020,
  '0021_job_leases': m0021,
  '0022_mdes_suspicious_events': m0022,
};

export const ISSUER_MIGRATION_TABLE = 'pushprov_migrations';
