import type { ColumnType } from 'kysely';
import type { SimulatorSchema } from '../token-connect/tables.js';

/** Kysely's view of Click to Pay's tables (migration 0003). */
export interface McC2pProfilesTable {
  /** `c2p_…`, opaque. */
  id: string;
  /** HMAC-SHA-256 of the normalised email under the simulator's index key. */
  email_index: Uint8Array | null;
  /** HMAC-SHA-256 of the E.164 mobile number under the same key. */
  phone_index: Uint8Array | null;
  /** Name, email, mobile number and address (Token Connect's AccountHolder), sealed with the profile id. */
  details_sealed: Uint8Array;
  created_at: Date;
  updated_at: Date;
}

interface McC2pProfileCardsTable {
  token_unique_reference: string;
  profile_id: string;
  token_requestor_id: string;
  account_last_four: string;
  token_last_four: string;
  status: 'ACTIVE';
  added_at: Date;
}

export interface McC2pEnrolmentsTable {
  /** The Click to Pay receipt the enrolment consumes. */
  receipt: string;
  state: 'pending' | 'enrolled' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  /** A reason code, never a value. */
  last_error: string | null;
  profile_id: string | null;
  token_unique_reference: string | null;
  created_at: Date;
  updated_at: Date;
  /** The enrolling worker's claim (migration 0009), and until when it holds. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ClickToPaySchema extends SimulatorSchema {
  mc_c2p_profiles: McC2pProfilesTable;
  mc_c2p_profile_cards: McC2pProfileCardsTable;
  mc_c2p_enrolments: McC2pEnrolmentsTable;
}
