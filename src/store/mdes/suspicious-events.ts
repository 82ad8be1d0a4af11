import type { Kysely, Selectable } from 'kysely';
import type { IssuerSchema, MdesSuspiciousEventsTable } from '../schema.js';

/** ATC lists by their name in the spec (`unusedActive`, `atcNotFound`, …). */
type AtcLists = Readonly<Record<string, readonly string[] | undefined>>;

/** One Notify Suspicious Events as the issuer keeps it. */
export interface SuspiciousEventRecord {
  requestId: string;
  tokenUniqueReference: string;
  /** The issuer's token and its card; undefined for a token the issuer has no record of. */
  tokenId?: string;
  cardId?: string;
  paymentAppInstanceId?: string;
  /** The token's status as MDES gave it. */
  tokenStatus: string;
  eventName: string;
  /** The ATC lists as MDES sent them (counters, no card data). */
  walletAtcStatus?: AtcLists;
  systemAtcStatus?: AtcLists;
  receivedAt: Date;
}

/** The suspicious events MDES reported, one per request (its requestId), newest last. */
export class SuspiciousEventLog {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  /** False when this request was recorded before (MDES sending it again): the first record stands. */
  async record(event: SuspiciousEventRecord): Promise<boolean> {
    const row = await this.db
      .insertInto('mdes_suspicious_events')
      .values({
        request_id: event.requestId,
        token_unique_reference: event.tokenUniqueReference,
        token_id: event.tokenId ?? null,
        card_id: event.cardId ?? null,
        payment_app_instance_id: event.paymentAppInstanceId ?? null,
        token_status: event.tokenStatus,
        event_name: event.eventName,
        wallet_atc_status: event.walletAtcStatus ? JSON.stringify(event.walletAtcStatus) : null,
        system_atc_status: event.systemAtcStatus ? JSON.stringify(event.systemAtcStatus) : null,
        received_at: event.receivedAt,
      })
      .onConflict((oc) => oc.column('request_id').doNothing())
      .returning('request_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** What MDES reported about a token, oldest first. */
  async ofToken(tokenUniqueReference: string): Promise<SuspiciousEventRecord[]> {
    const rows = await this.db
      .selectFrom('mdes_suspicious_events')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference)
      .orderBy('received_at')
      .orderBy('request_id')
      .execute();
    return rows.map(recordOf);
  }
}

const recordOf = (row: Selectable<MdesSuspiciousEventsTable>): SuspiciousEventRecord => ({
  requestId: row.request_id,
  tokenUniqueReference: row.token_unique_reference,
  ...(row.token_id !== null && { tokenId: row.token_id }),
  ...(row.card_id !== null && { cardId: row.card_id }),
  ...(row.payment_app_instance_id !== null && { paymentAppInstanceId: row.payment_app_instance_id }),
  tokenStatus: row.token_status,
  eventName: row.event_name,
  ...(row.wallet_atc_status !== null && {
    walletAtcStatus: JSON.parse(row.wallet_atc_status) as AtcLists,
  }),
  ...(row.system_atc_status !== null && {
    systemAtcStatus: JSON.parse(row.system_atc_status) as AtcLists,
  }),
  receivedAt: row.received_at,
});
