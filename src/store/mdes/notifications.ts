import type { Selectable } from 'kysely';
import { ConflictError } from '../../core/errors.js';
import type { MdesNotificationsTable } from '../schema.js';
import { IssuerRepository, type StoreTransaction } from '../transaction.js';

/** One notification from MDES as the issuer recorded it. */
export interface ReceivedNotification {
  notificationId: string;
  messageType: string;
  tokenUniqueReference: string;
  tokenRequestorId: string;
  outcome: string;
  /** Why, for an Authorize Service decision. */
  reasonCode?: string;
  /** For an Authorize Service decision: the issuer's card it was about, and the push that explains it. */
  cardId?: string;
  provisioningId?: string;
  occurredAt: Date;
  receivedAt: Date;
}

/**
 * The requests MDES sent to the issuer's Pre-Digitization services, each
 * once by its requestId (the column keeps its first name, notification_id).
 */
export class MdesNotificationLog extends IssuerRepository {
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
    return row && received(row);
  }

  /**
   * The latest decision of `messageType` (Authorize Service) about a token,
   * by MDES's token unique reference: how a later message about the token
   * finds the card and the push the decision was about.
   */
  async decisionFor(
    tokenUniqueReference: string,
    messageType: string,
  ): Promise<ReceivedNotification | undefined> {
    const row = await this.db
      .selectFrom('mdes_notifications')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference)
      .where('message_type', '=', messageType)
      .orderBy('received_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && received(row);
  }

  /**
   * Decisions that asked for more authentication about these cards, newest
   * first, whose token the issuer has no record of yet (MDES keeps such a
   * token inactive until it is activated) and that were made after `since`.
   */
  async awaitingActivation(
    cardIds: readonly string[],
    messageType: string,
    since: Date,
  ): Promise<ReceivedNotification[]> {
    if (cardIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('mdes_notifications as n')
      .selectAll('n')
      .where('n.message_type', '=', messageType)
      .where('n.outcome', '=', 'REQUIRE_ADDITIONAL_AUTHENTICATION')
      .where('n.card_id', 'in', cardIds)
      .where('n.received_at', '>', since)
      .where('n.token_unique_reference', '!=', '')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('tokens as t')
              .select('t.id')
              .whereRef('t.token_unique_reference', '=', 'n.token_unique_reference'),
          ),
        ),
      )
      .orderBy('n.received_at', 'desc')
      .execute();
    return rows.map(received);
  }

  /** Records a notification; false when one with its id was recorded first (a concurrent redelivery). */
  async record(notification: ReceivedNotification, tx?: StoreTransaction): Promise<boolean> {
    const row = await (tx ?? this.db)
      .insertInto('mdes_notifications')
      .values({
        notification_id: notification.notificationId,
        message_type: notification.messageType,
        token_unique_reference: notification.tokenUniqueReference,
        token_requestor_id: notification.tokenRequestorId,
        outcome: notification.outcome,
        reason_code: notification.reasonCode ?? null,
        card_id: notification.cardId ?? null,
        provisioning_id: notification.provisioningId ?? null,
        occurred_at: notification.occurredAt,
        received_at: notification.receivedAt,
      })
      .onConflict((oc) => oc.column('notification_id').doNothing())
      .returning('notification_id')
      .executeTakeFirst();
    return row !== undefined;
  }
}

const received = (row: Selectable<MdesNotificationsTable>): ReceivedNotification => ({
  notificationId: row.notification_id,
  messageType: row.message_type,
  tokenUniqueReference: row.token_unique_reference,
  tokenRequestorId: row.token_requestor_id,
  outcome: row.outcome,
  ...(row.reason_code !== null && { reasonCode: row.reason_code }),
  ...(row.card_id !== null && { cardId: row.card_id }),
  ...(row.provisioning_id !== null && { provisioningId: row.provisioning_id }),
  occurredAt: row.occurred_at,
  receivedAt: row.received_at,
});
