import type { Generated } from 'kysely';
import type { NotificationType } from '../../mastercard/mdes/messages.js';
import type { NTU_MESSAGE_TYPE } from '../../mastercard/token-requestor-notifications.js';
import type { SimulatorSchema } from '../token-connect/tables.js';

/** Kysely's view of the notification outbox (migration 0003). */
export interface McNotificationsTable {
  notification_id: string;
  seq: Generated<number>;
  issuer_consumer_key: string;
  /** An issuer notification's type, or a token requestor's Notify Token Updated. */
  message_type: NotificationType | typeof NTU_MESSAGE_TYPE;
  event_key: string;
  token_unique_reference: string;
  body: string;
  state: 'pending' | 'delivered' | 'rejected';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

/** Only the column of mc_clients the outbox reads: where the issuer wants its notifications. */
interface McClientEndpointsTable {
  consumer_key: string;
  role: 'issuer' | 'token_requestor';
  token_requestor_id: string | null;
  notification_url: string | null;
  encryption_public_key_pem: string | null;
  encryption_certificate_pem: string | null;
}

export interface NotificationsSchema extends Omit<SimulatorSchema, 'mc_clients'> {
  mc_notifications: McNotificationsTable;
  mc_clients: McClientEndpointsTable;
}
