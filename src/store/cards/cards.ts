import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { NotFoundError } from '../../core/errors.js';
import { lastFour } from '../../core/luhn.js';
import type { CardsTable, IssuerSchema } from '../schema.js';
import { type CardVault, INDEX } from './blind-index.js';
import { normalisePan } from './normalise.js';

/**
 * Cards. Rows are read masked: nothing here loads the PAN except
 * `revealCardData`, so card data cannot reach a response or a log by a
 * careless `select *`. Duplicates are found by a keyed PAN fingerprint.
 * Card verification codes are not kept at all: no push needs one, and PCI
 * DSS 3.3 forbids keeping them after authorisation (migration 0012 dropped them).
 */
type CardStatus = 'active' | 'blocked' | 'closed';

export interface Card {
  id: string;
  cardholderId: string;
  externalRef: string;
  lastFour: string;
  /** The first 8 digits (6 for PANs shorter than 16): the BIN / account range, as PCI DSS allows. */
  panPrefix: string;
  expiryMonth: number;
  expiryYear: number;
  /** ISO 3166-1 alpha-2 country of issue. */
  country: string;
  status: CardStatus;
  productName: string;
  cardArtRef: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCard {
  id: string;
  cardholderId: string;
  externalRef: string;
  pan: string;
  expiryMonth: number;
  expiryYear: number;
  country: string;
  status: CardStatus;
  productName: string;
  cardArtRef?: string;
  now: Date;
}

/** What may change on a card once issued; the PAN never does (a reissued PAN is a new card). */
export interface CardPatch {
  /** A replacement card under the same reference: a new number. */
  pan?: string;
  expiryMonth?: number;
  expiryYear?: number;
  country?: string;
  status?: CardStatus;
  productName?: string;
  cardArtRef?: string | null;
}

type Db = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

const MASKED = [
  'id',
  'cardholder_id',
  'external_ref',
  'last_four',
  'pan_prefix',
  'expiry_month',
  'expiry_year',
  'country',
  'status',
  'product_name',
  'card_art_ref',
  'created_at',
  'updated_at',
] as const;

/** The masked columns, for a query that joins cards to other tables. */
export const MASKED_CARD_COLUMNS = MASKED;

export const toCard = (row: Pick<Selectable<CardsTable>, (typeof MASKED)[number]>): Card => ({
  id: row.id,
  cardholderId: row.cardholder_id,
  externalRef: row.external_ref,
  lastFour: row.last_four,
  panPrefix: row.pan_prefix,
  expiryMonth: row.expiry_month,
  expiryYear: row.expiry_year,
  country: row.country,
  status: row.status,
  productName: row.product_name,
  cardArtRef: row.card_art_ref,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** PCI DSS: at most the first eight digits of a 16–19 digit PAN, six of a shorter one. */
export const panPrefixOf = (pan: string): string => pan.slice(0, pan.length >= 16 ? 8 : 6);

const panContext = (id: string): string => `card:${id}:pan`;

export class CardRepository {
  constructor(
    readonly db: Kysely<IssuerSchema>,
    private readonly vault: CardVault,
  ) {}

  /** The keyed fingerprint a PAN is stored under; equal PANs give equal fingerprints. */
  fingerprint(pan: string): Buffer {
    return this.vault.blindIndex(INDEX.pan, normalisePan(pan));
  }

  async create(c: NewCard, tx: Db = this.db): Promise<Card> {
    const pan = normalisePan(c.pan);
    const row = await tx
      .insertInto('cards')
      .values({
        id: c.id,
        cardholder_id: c.cardholderId,
        external_ref: c.externalRef,
        pan_sealed: this.vault.seal(pan, panContext(c.id)),
        pan_fingerprint: this.fingerprint(pan),
        last_four: lastFour(pan),
        pan_prefix: panPrefixOf(pan),
        expiry_month: c.expiryMonth,
        expiry_year: c.expiryYear,
        country: c.country,
        status: c.status,
        product_name: c.productName,
        card_art_ref: c.cardArtRef ?? null,
        created_at: c.now,
        updated_at: c.now,
      })
      .returning(MASKED)
      .executeTakeFirstOrThrow();
    return toCard(row);
  }

  async update(id: string, patch: CardPatch, now: Date, tx: Db = this.db): Promise<Card> {
    const set: Updateable<CardsTable> = { updated_at: now };
    if (patch.pan !== undefined) {
      const pan = normalisePan(patch.pan);
      set.pan_sealed = this.vault.seal(pan, panContext(id));
      set.pan_fingerprint = this.fingerprint(pan);
      set.last_four = lastFour(pan);
      set.pan_prefix = panPrefixOf(pan);
    }
    if (patch.expiryMonth !== undefined) set.expiry_month = patch.expiryMonth;
    if (patch.expiryYear !== undefined) set.expiry_year = patch.expiryYear;
    if (patch.country !== undefined) set.country = patch.country;
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.productName !== undefined) set.product_name = patch.productName;
    if (patch.cardArtRef !== undefined) set.card_art_ref = patch.cardArtRef;
    const row = await tx
      .updateTable('cards')
      .set(set)
      .where('id', '=', id)
      .returning(MASKED)
      .executeTakeFirst();
    if (!row) throw notFound();
    return toCard(row);
  }

  async get(id: string, tx: Db = this.db): Promise<Card | undefined> {
    const row = await tx.selectFrom('cards').select(MASKED).where('id', '=', id).executeTakeFirst();
    return row && toCard(row);
  }

  /** Pass `forUpdate` inside a transaction that will change the card. */
  async findByExternalRef(
    externalRef: string,
    tx: Db = this.db,
    forUpdate = false,
  ): Promise<Card | undefined> {
    let query = tx.selectFrom('cards').select(MASKED).where('external_ref', '=', externalRef);
    if (forUpdate) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toCard(row);
  }

  async findByPan(pan: string, tx: Db = this.db): Promise<Card | undefined> {
    const row = await tx
      .selectFrom('cards')
      .select(MASKED)
      .where('pan_fingerprint', '=', this.fingerprint(pan))
      .executeTakeFirst();
    return row && toCard(row);
  }

  async listByCardholder(cardholderId: string, tx: Db = this.db): Promise<Card[]> {
    const rows = await tx
      .selectFrom('cards')
      .select(MASKED)
      .where('cardholder_id', '=', cardholderId)
      .orderBy('created_at')
      .orderBy('external_ref')
      .execute();
    return rows.map(toCard);
  }

  /** The card if it belongs to this cardholder; undefined otherwise, so others' cards do not exist for them. */
  async ownedCard(cardholderId: string, cardId: string): Promise<Card | undefined> {
    const row = await this.db
      .selectFrom('cards')
      .select(MASKED)
      .where('id', '=', cardId)
      .where('cardholder_id', '=', cardholderId)
      .executeTakeFirst();
    return row && toCard(row);
  }

  /**
   * The PAN in clear, for the instant it is handed to Token Connect (or
   * compared on import). The only way card data leaves the store.
   */
  async revealCardData(cardId: string, tx: Db = this.db): Promise<{ pan: string }> {
    const row = await tx.selectFrom('cards').select('pan_sealed').where('id', '=', cardId).executeTakeFirst();
    if (!row) throw notFound();
    return this.openCardData(cardId, row.pan_sealed);
  }

  /** The PAN from its sealed column, read along with other rows (a push reads it with the card). */
  openCardData(cardId: string, sealed: Uint8Array): { pan: string } {
    return { pan: this.vault.open(sealed, panContext(cardId)).toString('utf8') };
  }
}

const notFound = () => new NotFoundError('CARD_NOT_FOUND', 'no such card');
