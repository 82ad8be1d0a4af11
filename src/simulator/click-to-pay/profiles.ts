import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { newId } from '../../core/ids.js';
import type { AccountHolder } from '../../mastercard/token-connect/types.js';
import type { ConsumerIdentity } from './identity.js';
import { type MaskedConsumer, maskConsumer } from './mask.js';
import type { ClickToPaySchema, McC2pProfilesTable } from './tables.js';

/** A token Click to Pay keeps for the consumer. */
export interface ProfileCard {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  /** Last four digits of the funding card. */
  accountLastFour: string;
  tokenLastFour: string;
}

export interface ProfileView {
  id: string;
  consumer: MaskedConsumer;
  cards: (ProfileCard & { status: string; addedAt: string })[];
  createdAt: string;
  updatedAt: string;
}

const context = (profileId: string) => `click-to-pay-profile:${profileId}`;

/**
 * Click to Pay's consumer profiles: the consumer's details (sealed) and the
 * cards they hold, found by the blind indexes of their email or mobile
 * number. Reads are masked.
 */
export class ProfileStore {
  readonly #db: Kysely<ClickToPaySchema>;

  constructor(
    db: Kysely<unknown>,
    private readonly sealer: DerivedKeySealer,
  ) {
    this.#db = db as Kysely<ClickToPaySchema>;
  }

  /**
   * Creates the consumer's profile, or updates the one their email (first)
   * or mobile number finds with the details just pushed, and adds the card.
   * Index columns always follow the sealed details, except that a mobile
   * number another profile already holds is left with that profile.
   * Resolves the profile id.
   */
  async enrol(
    trx: Transaction<ClickToPaySchema>,
    holder: AccountHolder,
    identity: ConsumerIdentity,
    card: ProfileCard,
    now: Date,
  ): Promise<string> {
    const found =
      (await this.#findBy(trx, 'email_index', identity.emailIndex)) ??
      (await this.#findBy(trx, 'phone_index', identity.phoneIndex));
    const profileId = found?.id ?? newId('c2p');
    if (!found) {
      await trx
        .insertInto('mc_c2p_profiles')
        .values({
          id: profileId,
          email_index: identity.emailIndex ?? null,
          phone_index: identity.phoneIndex ?? null,
          details_sealed: this.sealer.seal(JSON.stringify(holder), context(profileId)),
          created_at: now,
          updated_at: now,
        })
        .execute();
    } else {
      const pushed: AccountHolder = { ...holder };
      let phoneIndex = found.phone_index;
      if (identity.phoneIndex && !sameBytes(identity.phoneIndex, found.phone_index)) {
        const holderOfPhone = await this.#findBy(trx, 'phone_index', identity.phoneIndex);
        if (holderOfPhone) delete pushed.accountHolderMobilePhoneNumber;
        else phoneIndex = identity.phoneIndex;
      }
      const current = JSON.parse(this.sealer.open(found.details_sealed, context(profileId))) as AccountHolder;
      await trx
        .updateTable('mc_c2p_profiles')
        .set({
          // Found by email: the same one. Found by phone: an email no profile holds (it was looked up first).
          email_index: identity.emailIndex ?? found.email_index,
          phone_index: phoneIndex,
          details_sealed: this.sealer.seal(JSON.stringify({ ...current, ...pushed }), context(profileId)),
          updated_at: now,
        })
        .where('id', '=', profileId)
        .execute();
    }
    await trx
      .insertInto('mc_c2p_profile_cards')
      .values({
        token_unique_reference: card.tokenUniqueReference,
        profile_id: profileId,
        token_requestor_id: card.tokenRequestorId,
        account_last_four: card.accountLastFour,
        token_last_four: card.tokenLastFour,
        status: 'ACTIVE',
        added_at: now,
      })
      .onConflict((oc) => oc.column('token_unique_reference').doNothing())
      .execute();
    return profileId;
  }

  /** One profile, masked, with its cards in the order they were added. */
  async view(profileId: string): Promise<ProfileView | undefined> {
    const profile = await this.#db
      .selectFrom('mc_c2p_profiles')
      .selectAll()
      .where('id', '=', profileId)
      .executeTakeFirst();
    if (!profile) return undefined;
    const cards = await this.#db
      .selectFrom('mc_c2p_profile_cards')
      .selectAll()
      .where('profile_id', '=', profileId)
      .orderBy('added_at')
      .orderBy('token_unique_reference')
      .execute();
    const holder = JSON.parse(this.sealer.open(profile.details_sealed, context(profile.id))) as AccountHolder;
    return {
      id: profile.id,
      consumer: maskConsumer(holder),
      cards: cards.map((c) => ({
        tokenUniqueReference: c.token_unique_reference,
        tokenRequestorId: c.token_requestor_id,
        accountLastFour: c.account_last_four,
        tokenLastFour: c.token_last_four,
        status: c.status,
        addedAt: c.added_at.toISOString(),
      })),
      createdAt: profile.created_at.toISOString(),
      updatedAt: profile.updated_at.toISOString(),
    };
  }

  /** The most recently changed profiles' ids, for the demo to find one. */
  async recent(limit = 20): Promise<{ id: string; updatedAt: string }[]> {
    const rows = await this.#db
      .selectFrom('mc_c2p_profiles')
      .select(['id', 'updated_at'])
      .orderBy('updated_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, updatedAt: r.updated_at.toISOString() }));
  }

  // Locked, so two enrolments of one consumer update the profile one after the other.
  async #findBy(
    trx: Transaction<ClickToPaySchema>,
    column: 'email_index' | 'phone_index',
    index: Buffer | undefined,
  ): Promise<Selectable<McC2pProfilesTable> | undefined> {
    if (!index) return undefined;
    return trx
      .selectFrom('mc_c2p_profiles')
      .selectAll()
      .where(column, '=', index)
      .forUpdate()
      .executeTakeFirst();
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array | null): boolean =>
  b !== null && Buffer.from(a).equals(Buffer.from(b));
