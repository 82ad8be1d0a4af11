import type { Kysely, Selectable, Transaction } from 'kysely';
import { NotFoundError } from '../../core/errors.js';
import type { CardholderProfile } from '../../domain/account-holder.js';
import type { CardholdersTable, IssuerSchema } from '../schema.js';
import { type CardVault, INDEX } from './blind-index.js';
import { normaliseEmail, normalisePhone } from './normalise.js';

/**
 * Cardholders. The profile (name, email, phone, billing address, locale) is
 * one vault blob, opened only by `profile()`; email and phone are findable
 * through blind indexes of their normalised forms.
 */
export interface Cardholder {
  id: string;
  /** The issuer's own reference for this person (its customer number, say). */
  externalRef: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCardholder {
  id: string;
  externalRef: string;
  profile: CardholderProfile;
  now: Date;
}

type Db = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

const SUMMARY = ['id', 'external_ref', 'created_at', 'updated_at'] as const;

const toCardholder = (row: Pick<Selectable<CardholdersTable>, (typeof SUMMARY)[number]>): Cardholder => ({
  id: row.id,
  externalRef: row.external_ref,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const profileContext = (id: string): string => `cardholder:${id}:profile`;

export class CardholderRepository {
  constructor(
    readonly db: Kysely<IssuerSchema>,
    private readonly vault: CardVault,
  ) {}

  async create(c: NewCardholder, tx: Db = this.db): Promise<Cardholder> {
    const row = await tx
      .insertInto('cardholders')
      .values({
        id: c.id,
        external_ref: c.externalRef,
        ...this.#sealedProfile(c.id, c.profile),
        created_at: c.now,
        updated_at: c.now,
      })
      .returning(SUMMARY)
      .executeTakeFirstOrThrow();
    return toCardholder(row);
  }

  async updateProfile(id: string, profile: CardholderProfile, now: Date, tx: Db = this.db): Promise<void> {
    const result = await tx
      .updateTable('cardholders')
      .set({ ...this.#sealedProfile(id, profile), updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound();
  }

  async get(id: string, tx: Db = this.db): Promise<Cardholder | undefined> {
    const row = await tx.selectFrom('cardholders').select(SUMMARY).where('id', '=', id).executeTakeFirst();
    return row && toCardholder(row);
  }

  /** Pass `forUpdate` inside a transaction that will change the cardholder. */
  async findByExternalRef(
    externalRef: string,
    tx: Db = this.db,
    forUpdate = false,
  ): Promise<Cardholder | undefined> {
    let query = tx.selectFrom('cardholders').select(SUMMARY).where('external_ref', '=', externalRef);
    if (forUpdate) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && toCardholder(row);
  }

  async findByEmail(email: string): Promise<Cardholder[]> {
    const index = this.vault.blindIndex(INDEX.email, normaliseEmail(email));
    const rows = await this.db
      .selectFrom('cardholders')
      .select(SUMMARY)
      .where('email_index', '=', index)
      .orderBy('created_at')
      .execute();
    return rows.map(toCardholder);
  }

  async findByPhone(phone: string): Promise<Cardholder[]> {
    const index = this.vault.blindIndex(INDEX.phone, normalisePhone(phone));
    const rows = await this.db
      .selectFrom('cardholders')
      .select(SUMMARY)
      .where('phone_index', '=', index)
      .orderBy('created_at')
      .execute();
    return rows.map(toCardholder);
  }

  /** The cardholder's details in clear: an explicit call, for consent screens and pushes only. */
  async profile(id: string, tx: Db = this.db): Promise<CardholderProfile> {
    const row = await tx
      .selectFrom('cardholders')
      .select('profile_sealed')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound();
    return this.openProfile(id, row.profile_sealed);
  }

  /** The profile from its sealed column, read along with other rows (a push reads it with the cards). */
  openProfile(id: string, sealed: Uint8Array): CardholderProfile {
    return JSON.parse(this.vault.open(sealed, profileContext(id)).toString('utf8')) as CardholderProfile;
  }

  #sealedProfile(id: string, profile: CardholderProfile) {
    return {
      profile_sealed: this.vault.seal(JSON.stringify(profile), profileContext(id)),
      email_index: this.vault.blindIndex(INDEX.email, normaliseEmail(profile.email)),
      phone_index: this.vault.blindIndex(INDEX.phone, normalisePhone(profile.phone)),
    };
  }
}

const notFound = () => new NotFoundError('CARDHOLDER_NOT_FOUND', 'no such cardholder');
