import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { lastFour } from '../../core/luhn.js';
import type { CardholderProfile } from '../../domain/account-holder.js';
import type { AuditLog } from '../../store/audit.js';
import type { CardholderCardRepository } from '../../store/cards/cardholder-cards.js';
import type { Card, CardPatch } from '../../store/cards/cards.js';
import type { IssuerSchema, TokenFollowUpKind } from '../../store/schema.js';
import { type TokenFollowUp, TokenFollowUpRepository } from '../../store/tokens/follow-ups.js';
import { type ImportCard, type ImportCardholder, type ImportProblem, validateImport } from './validate.js';

/**
 * Cards from the issuer's card system into pushprov: a batch import that is
 * all-or-nothing and idempotent (upserts by the issuer's external
 * references, so importing the same file twice changes nothing), and the
 * masked card list the ops API shows. A card replaced or reissued under
 * its reference (new number or expiry), blocked, unblocked or closed, has its
 * tokens at MDES follow: the change and its follow-up commit together, and a
 * job takes the follow-up to MDES (src/service/tokens/follow-ups.ts).
 */
export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportSummary {
  cardholders: Counts;
  cards: Counts;
  /**
   * Cards whose tokens MDES is to update (replaced or reissued), suspend
   * (blocked), resume (unblocked) or delete (closed).
   */
  tokenFollowUps: Record<TokenFollowUpKind, number>;
}

export interface ImportOptions {
  /** Who asked, for the audit trail (an ops user id, `cli`, `seed`). */
  actor?: string;
  /** Called after each cardholder with how many of how many are done. */
  onProgress?: (done: number, total: number) => void;
}

/** A card as any response shows it: never more of the PAN than its last four digits. */
export interface MaskedCard {
  id: string;
  lastFour: string;
  expiryMonth: number;
  expiryYear: number;
  country: string;
  status: Card['status'];
  productName: string;
}

/** The displayable part of a card (never the PAN beyond its last four digits). */
export const maskedCard = (card: MaskedCard): MaskedCard => ({
  id: card.id,
  lastFour: card.lastFour,
  expiryMonth: card.expiryMonth,
  expiryYear: card.expiryYear,
  country: card.country,
  status: card.status,
  productName: card.productName,
});

export interface CardServiceOptions {
  db: Kysely<IssuerSchema>;
  store: CardholderCardRepository;
  audit: AuditLog;
  clock: Clock;
  /** Where a card's change to its tokens is queued, in the import's transaction; `token_follow_ups` by default. */
  followUps?: Pick<TokenFollowUpRepository, 'add'>;
  /** Told after an import queued follow-ups, to take them to MDES now rather than at the next run. */
  onFollowUps?: () => void;
}

type Tx = Transaction<IssuerSchema>;

const counts = (): Counts => ({ created: 0, updated: 0, unchanged: 0 });

export class CardService {
  readonly #options: CardServiceOptions;
  readonly #followUps: Pick<TokenFollowUpRepository, 'add'>;

  constructor(options: CardServiceOptions) {
    this.#options = options;
    this.#followUps = options.followUps ?? new TokenFollowUpRepository(options.db);
  }

  /**
   * Validates the whole batch, then applies it in one transaction; any
   * problem (in the input, or against what is stored) refuses all of it with
   * `IMPORT_INVALID` and the list of problems by path.
   */
  async importCards(input: unknown, options: ImportOptions = {}): Promise<ImportSummary> {
    const validated = validateImport(input);
    if ('problems' in validated) throw invalid(validated.problems);
    const { cardholders } = validated.batch;
    try {
      const result = await this.#options.store.transaction(async (tx) => {
        const summary: ImportSummary = {
          cardholders: counts(),
          cards: counts(),
          tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
        };
        const actor = options.actor ?? 'system';
        const problems: ImportProblem[] = [];
        for (const [i, holder] of cardholders.entries()) {
          const cardholderId = await this.#upsertCardholder(tx, holder, summary.cardholders);
          for (const [j, card] of holder.cards.entries()) {
            const path = `cardholders[${i}].cards[${j}]`;
            await this.#upsertCard(tx, { cardholderId, card, path, actor }, summary, problems);
          }
          options.onProgress?.(i + 1, cardholders.length);
        }
        if (problems.length > 0) throw invalid(problems);
        if (
          summary.cardholders.created +
            summary.cardholders.updated +
            summary.cards.created +
            summary.cards.updated ===
          0
        ) {
          return summary;
        }
        await this.#options.audit.append(
          {
            actor,
            action: 'cards.imported',
            outcome: 'ok',
            details: {
              cardholders: summary.cardholders,
              cards: summary.cards,
              tokenFollowUps: summary.tokenFollowUps,
            },
          },
          tx,
        );
        return summary;
      });
      if (Object.values(result.tokenFollowUps).some((n) => n > 0)) this.#options.onFollowUps?.();
      return result;
    } catch (error) {
      // Two imports racing on the same new references: one wins, the other may simply run again.
      if ((error as { code?: unknown }).code === '23505') {
        throw new ConflictError(
          'IMPORT_CONFLICT',
          'a concurrent import changed the same records; run it again',
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  /** The cardholder's cards, masked; CARDHOLDER_NOT_FOUND for an unknown id. */
  async listCards(cardholderId: string): Promise<MaskedCard[]> {
    const holder = await this.#options.store.cardholders.get(cardholderId);
    if (!holder) throw new NotFoundError('CARDHOLDER_NOT_FOUND', 'no such cardholder');
    return (await this.#options.store.cards.listByCardholder(cardholderId)).map(maskedCard);
  }

  async #upsertCardholder(tx: Tx, holder: ImportCardholder, tally: Counts): Promise<string> {
    const { cardholders } = this.#options.store;
    const now = this.#options.clock.now();
    const existing = await cardholders.findByExternalRef(holder.externalRef, tx, true);
    if (!existing) {
      const id = newId('chd');
      await cardholders.create({ id, externalRef: holder.externalRef, profile: holder.profile, now }, tx);
      tally.created++;
      return id;
    }
    if (sameProfile(await cardholders.profile(existing.id, tx), holder.profile)) tally.unchanged++;
    else {
      await cardholders.updateProfile(existing.id, holder.profile, now, tx);
      tally.updated++;
    }
    return existing.id;
  }

  async #upsertCard(
    tx: Tx,
    {
      cardholderId,
      card,
      path,
      actor,
    }: { cardholderId: string; card: ImportCard; path: string; actor: string },
    summary: ImportSummary,
    problems: ImportProblem[],
  ): Promise<void> {
    const { cards } = this.#options.store;
    const tally = summary.cards;
    const now = this.#options.clock.now();
    const existing = await cards.findByExternalRef(card.externalRef, tx, true);
    const samePan = await cards.findByPan(card.pan, tx);
    if (samePan && samePan.externalRef !== card.externalRef) {
      problems.push({
        path: `${path}.pan`,
        code: 'PAN_DUPLICATE',
        message: 'another card already has this card number',
      });
      return;
    }
    if (!existing) {
      await cards.create({ id: newId('crd'), cardholderId, ...card, now }, tx);
      tally.created++;
      return;
    }
    if (existing.cardholderId !== cardholderId) {
      problems.push({
        path: `${path}.externalRef`,
        code: 'CARD_OF_OTHER_CARDHOLDER',
        message: 'a card with this externalRef belongs to another cardholder',
      });
      return;
    }
    // A different number under the same reference: the card was replaced (lost, stolen, reissued).
    const replaced = !samePan;
    if (existing.status === 'closed' && (replaced || card.status !== 'closed')) {
      problems.push({
        path: `${path}.status`,
        code: 'CARD_CLOSED',
        message: 'this card is closed and stays closed; import its successor under a new externalRef',
      });
      return;
    }
    const patch: CardPatch = { ...changes(existing, card), ...(replaced && { pan: card.pan }) };
    if (Object.keys(patch).length === 0) {
      tally.unchanged++;
      return;
    }
    await cards.update(existing.id, patch, now, tx);
    tally.updated++;

    const queue = (kind: TokenFollowUpKind, account: TokenFollowUp['account'] = {}) => {
      summary.tokenFollowUps[kind]++;
      return this.#followUp(tx, { cardId: existing.id, kind, account }, actor, now);
    };
    if (patch.status === 'closed') return queue('closed');
    const expiryChanged = patch.expiryMonth !== undefined || patch.expiryYear !== undefined;
    if (replaced || expiryChanged) {
      await queue('replaced', {
        ...(replaced && { accountPanSuffix: lastFour(card.pan) }),
        ...(expiryChanged && {
          accountExpiry: `${String(card.expiryMonth).padStart(2, '0')}${String(card.expiryYear % 100).padStart(2, '0')}`,
        }),
      });
    }
    // Blocking suspends the card's tokens; unblocking resumes those the issuer suspended.
    if (patch.status === 'blocked') await queue('blocked');
    else if (patch.status === 'active' && existing.status === 'blocked') await queue('unblocked');
  }

  async #followUp(
    tx: Tx,
    followUp: Parameters<TokenFollowUpRepository['add']>[0],
    actor: string,
    now: Date,
  ): Promise<void> {
    await this.#followUps.add({ ...followUp, requestedBy: actor }, now, tx);
    await this.#options.audit.append(
      {
        actor,
        action: `card.${followUp.kind}`,
        subject: followUp.cardId,
        outcome: 'tokens_to_follow',
        details: followUp.account,
      },
      tx,
    );
  }
}

function changes(current: Card, wanted: ImportCard): CardPatch {
  const patch: CardPatch = {};
  if (current.expiryMonth !== wanted.expiryMonth) patch.expiryMonth = wanted.expiryMonth;
  if (current.expiryYear !== wanted.expiryYear) patch.expiryYear = wanted.expiryYear;
  if (current.country !== wanted.country) patch.country = wanted.country;
  if (current.status !== wanted.status) patch.status = wanted.status;
  if (current.productName !== wanted.productName) patch.productName = wanted.productName;
  if (current.cardArtRef !== (wanted.cardArtRef ?? null)) patch.cardArtRef = wanted.cardArtRef ?? null;
  return patch;
}

function sameProfile(a: CardholderProfile, b: CardholderProfile): boolean {
  const { billingAddress: x, ...restA } = a;
  const { billingAddress: y, ...restB } = b;
  return sameFields(restA, restB) && sameFields(x, y);
}

const sameFields = (a: object, b: object): boolean => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
};

const invalid = (problems: ImportProblem[]) =>
  new ValidationError(
    'IMPORT_INVALID',
    `import refused, nothing was changed: ${problems.length} problem(s)`,
    {
      details: { problems },
    },
  );
