import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Kysely's view of the issuer tables; one interface per table, named as in SQL. */
interface AuditLogTable {
  seq: Generated<number>;
  at: ColumnType<Date, Date | undefined, never>;
  actor: string;
  action: string;
  subject: string | null;
  outcome: string;
  details: JSONColumnType<Record<string, unknown>>;
  /** The former design's chain; null on entries chained by a seal. */
  prev_hash: string | null;
  hash: string | null;
}

interface AuditSealsTable {
  position: Generated<number>;
  seq: number;
  hash: string;
}

interface AuditUnsealedTable {
  seq: number;
}

export interface ProvisioningsTable {
  id: string;
  cardholder_id: string;
  destination: 'click_to_pay' | 'merchant';
  token_requestor_id: string;
  token_requestor_name: string;
  state: string;
  request_id: string;
  receipt_validity_minutes: number;
  receipts_expire_at: Date | null;
  callback_token_sealed: Uint8Array | null;
  push_links_sealed: Uint8Array | null;
  error_code: string | null;
  error_message: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  /** The background job's claim on the push (migration 0021), and until when it holds. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface ProvisioningCardsTable {
  provisioning_id: string;
  card_id: string;
  push_account_id: string;
  state: string;
  receipt_sealed: Uint8Array | null;
  token_unique_reference: string | null;
  error_code: string | null;
  reported_result: string | null;
  reported_token_unique_reference: string | null;
}

export interface CardholdersTable {
  id: string;
  external_ref: string;
  profile_sealed: Uint8Array;
  email_index: Uint8Array;
  phone_index: Uint8Array;
  created_at: Date;
  updated_at: Date;
}

export interface CardsTable {
  id: string;
  cardholder_id: string;
  external_ref: string;
  pan_sealed: Uint8Array;
  pan_fingerprint: Uint8Array;
  last_four: string;
  pan_prefix: string;
  expiry_month: number;
  expiry_year: number;
  country: string;
  status: 'active' | 'blocked' | 'closed';
  product_name: string;
  card_art_ref: string | null;
  created_at: Date;
  updated_at: Date;
}

interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  created_at: Date;
  expires_at: Date;
}

interface AuthPasswordsTable {
  username: string;
  cardholder_id: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

interface AuthAttemptsTable {
  key: string;
  failures: number;
  locked_until: Date | null;
  updated_at: Date;
}

export interface AuthSessionsTable {
  id: string;
  token_hash: string;
  cardholder_id: string;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
}

export interface AuthGrantsTable {
  id: string;
  token_hash: string;
  cardholder_id: string;
  session_id: string;
  /** totp and webauthn: pushprov's own step-up; oidc: the bank's identity provider's. */
  method: 'totp' | 'webauthn' | 'oidc';
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface AuthChallengesTable {
  challenge: string;
  cardholder_id: string;
  session_id: string;
  /** webauthn.*: a passkey ceremony's challenge; oidc.step-up: a step-up at the bank's provider, pending. */
  purpose: 'webauthn.registration' | 'webauthn.authentication' | 'oidc.step-up';
  created_at: Date;
  expires_at: Date;
}

interface AuthTotpTable {
  cardholder_id: string;
  secret_sealed: Uint8Array;
  last_time_step: number | null;
  confirmed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AuthWebauthnCredentialsTable {
  id: string;
  cardholder_id: string;
  public_key: Uint8Array;
  counter: number;
  transports: JSONColumnType<string[]>;
  device_type: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

/** An activation code MDES asked the issuer to deliver (migration 0014): never the code itself. */
/** What MDES reported with Notify Suspicious Events, one row per request. */
export interface MdesSuspiciousEventsTable {
  request_id: string;
  token_unique_reference: string;
  /** The issuer's token and card, when it has a record of the token. */
  token_id: string | null;
  card_id: string | null;
  payment_app_instance_id: string | null;
  /** The token's status as MDES gave it (INACTIVE, ACTIVE, SUSPENDED, DEACTIVATED, …). */
  token_status: string;
  event_name: string;
  /** JSON of `walletAtcStatus` / `systemAtcStatus`, as MDES sent them. */
  wallet_atc_status: string | null;
  system_atc_status: string | null;
  received_at: Date;
}

interface ActivationCodesTable {
  token_unique_reference: string;
  card_id: string;
  /** The vault's keyed fingerprint of the code. */
  code_fingerprint: Uint8Array;
  method_type: string;
  /** Where it went, masked as the cardholder is shown it. */
  sent_to: string;
  expires_at: Date;
  failed_attempts: Generated<number>;
  created_at: Date;
}

export interface MdesNotificationsTable {
  notification_id: string;
  message_type: string;
  token_unique_reference: string;
  token_requestor_id: string;
  /**
   * What the issuer made of it: `matched` (one of its pushes) or `unmatched`
   * for a notification; the decision for a Tokenization Authorization Request.
   */
  outcome: string;
  /** Why, for a decision (migration 0008). */
  reason_code: string | null;
  /** For an Authorize Service decision: the card it was about and the push that explains it (migration 0014). */
  card_id: string | null;
  provisioning_id: string | null;
  occurred_at: Date;
  received_at: Date;
}

export type TokenStatus = 'ACTIVE' | 'SUSPENDED' | 'DELETED';

export type TokenFollowUpKind = 'replaced' | 'closed' | 'blocked' | 'unblocked';

/** A card's change still to reach its tokens at MDES (migrations 0009, 0010). */
export interface TokenFollowUpsTable {
  id: string;
  card_id: string;
  kind: TokenFollowUpKind;
  /** The order follow-ups were queued in (bigserial). */
  seq: Generated<string>;
  account_pan_suffix: string | null;
  /** MMYY. */
  account_expiry: string | null;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  /** Who asked for the change: an ops user (`ops:<key id>`), `cli`, `seed` (migration 0012). */
  requested_by: string | null;
  /** The job's claim on the follow-up (migration 0021), and until when it holds. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** The tokens of the issuer's cards, as MDES's notifications report them (migration 0007). */
export interface TokensTable {
  id: string;
  token_unique_reference: string;
  card_id: string;
  token_requestor_id: string;
  token_requestor_name: string;
  destination: 'click_to_pay' | 'merchant';
  token_pan_suffix: string;
  status: TokenStatus;
  last_event: string;
  last_event_at: Date;
  created_at: Date;
  updated_at: Date;
  /** Why pushprov keeps the token suspended at MDES (migration 0012): the cardholder paused it… */
  paused_by_cardholder: Generated<boolean>;
  /** …and/or its card is blocked. */
  suspended_for_card_block: Generated<boolean>;
  /** The token's expiry as MDES last reported it, MMYY (migration 0019); null until it does. */
  token_expiry: string | null;
  /** MDES's `suspendedBy` of the token, comma-joined; empty when not suspended (migration 0019). */
  mdes_suspended_by: Generated<string>;
}

/** Each token a card change is taken to, and whether MDES has taken it yet (migration 0012). */
interface TokenFollowUpTokensTable {
  follow_up_id: string;
  token_id: string;
  state: 'pending' | 'done';
  attempts: number;
  last_error: string | null;
  updated_at: Date;
}

export interface IssuerSchema {
  audit_log: AuditLogTable;
  audit_seals: AuditSealsTable;
  audit_unsealed: AuditUnsealedTable;
  cardholders: CardholdersTable;
  cards: CardsTable;
  provisionings: ProvisioningsTable;
  provisioning_cards: ProvisioningCardsTable;
  idempotency_keys: IdempotencyKeysTable;
  auth_passwords: AuthPasswordsTable;
  auth_attempts: AuthAttemptsTable;
  auth_sessions: AuthSessionsTable;
  auth_grants: AuthGrantsTable;
  auth_challenges: AuthChallengesTable;
  auth_totp: AuthTotpTable;
  auth_webauthn_credentials: AuthWebauthnCredentialsTable;
  activation_codes: ActivationCodesTable;
  mdes_notifications: MdesNotificationsTable;
  mdes_suspicious_events: MdesSuspiciousEventsTable;
  tokens: TokensTable;
  token_follow_ups: TokenFollowUpsTable;
  token_follow_up_tokens: TokenFollowUpTokensTable;
}
