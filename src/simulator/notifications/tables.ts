import type { ColumnType, Generated } from 'kysely';
import type { NTU_MESSAGE_TYPE } from '../../mastercard/token-requestor-notifications.js';
import type { SimulatorSchema } from '../token-connect/tables.js';

/** The outbox's messages to issuers' Pre-Digitization web services (migration 0007). */
export const ISSUER_MESSAGE_TYPES = {
  notifyServiceActivated: 'NOTIFY_SERVICE_ACTIVATED',
  notifyTokenUpdated: 'ISSUER_NOTIFY_TOKEN_UPDATED',
  notifySuspiciousEvents: 'NOTIFY_SUSPICIOUS_EVENTS',
} as const;

/** Kysely's view of the notification outbox (migrations 0003 and 0007). */
export interface McNotificationsTable {
  notification_id: string;
  seq: Generated<number>;
  issuer_consumer_key: string;
  /** A notification to an issuer (ISSUER_MESSAGE_TYPES), or a token requestor's Notify Token Updated. */
  message_type: (typeof ISSUER_MESSAGE_TYPES)[keyof typeof ISSUER_MESSAGE_TYPES] | typeof NTU_MESSAGE_TYPE;
  event_key: string;
  token_unique_reference: string;
  body: string;
  /** Card and token numbers of a notification to an issuer, sealed with the notification id as context. */
  payload_sealed: Uint8Array | null;
  state: 'pending' | 'delivered' | 'rejected';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
  /** The delivering worker's claim (migration 0009), and until when it holds. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Only the column of mc_clients the outbox reads: where the issuer wants its notifications. */
interface McClientEndpointsTable {
  consumer_key: string;
  role: 'issuer' | 'token_requestor';
  token_requestor_id: string | null;
  notification_url: string | null;
  pre_digitization_url: string | null;
  encryption_public_key_pem: string | null;
  encryption_certificate_pem: string | null;
}

export interface NotificationsSchema extends Omit<SimulatorSchema, 'mc_clients'> {
  mc_notifications: McNotificationsTable;
  mc_clients: McClientEndpointsTable;
}
