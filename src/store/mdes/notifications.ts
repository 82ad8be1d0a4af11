import type { Kysely } from 'kysely';
import { ConflictError } from '../../core/errors.js';
import type { IssuerSchema } from '../schema.js';

/** One notification from MDES as the issuer recorded it. */
export interface ReceivedNotification {
  notificationId: string;
  messageType: string;
  tokenUniqueReference: string;
  tokenRequestorId: string;
  outcome: string;
  /** Why, for a Tokenization Authorization Request's decision. */
  reasonCode?: string;
  occurredAt: Date;
  receivedAt: Date;
}

/** The messages MDES sent (notifications and authorization requests), each once by its id. */
export class MdesNotificationLog {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  /**
   * The message recorded under this id, when it is of `messageType`; an id MDES
   * already used for another kind of message is a conflict (MDES_MESSAGE_ID_REUSED).
   */
  async seen(notificationId: string, messageType: string): Promise<ReceivedNotification | undefined> {
    const found = await this.find(notificationId);
    if (found && found.messageType !== messageType) {
      throw new ConflictError(
        'MDES_MESSAGE_ID_REUSED',
        'this message id was used for another kind of message',
      );
    }
    return found;
  }

  async find(notificationId: string): Promise<ReceivedNotification | undefined> {
    const row = await this.db
      .selectFrom('mdes_notifications')
      .selectAll()
      .where('notification_id', '=', notificationId)
      .executeTakeFirst();
    return (
      row && {
        notificationId: row.notification_id,
        messageType: row.message_type,
        tokenUniqueReference: row.token_unique_reference,
        tokenRequestorId: row.token_requestor_id,
        outcome: row.outcome,
        ...(row.reason_code !== null && { reasonCode: row.reason_code }),
        occurredAt: row.occurred_at,
        receivedAt: row.received_at,
      }
    );
  }

  /** Records a notification; false when one with its id was recorded first (a concurrent redelivery). */
  async record(notification: ReceivedNotification): Promise<boolean> {
    const row = await this.db
      .insertInto('mdes_notifications')
      .values({
        notification_id: notification.notificationId,
        message_type: notification.messageType,
        token_unique_reference: notification.tokenUniqueReference,
        token_requestor_id: notification.tokenRequestorId,
        outcome: notification.outcome,
        reason_code: notification.reasonCode ?? null,
        occurred_at: notification.occurredAt,
        received_at: notification.receivedAt,
      })
      .onConflict((oc) => oc.column('notification_id').doNothing())
      .returning('notification_id')
      .executeTakeFirst();
    return row !== undefined;
  }
}
