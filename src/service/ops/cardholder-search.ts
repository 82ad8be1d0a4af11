import { ValidationError } from '../../core/errors.js';
import { maskEmail } from '../../domain/account-holder.js';
import type { AuditLog } from '../../store/audit.js';
import type { CardholderRepository } from '../../store/cards/cardholders.js';
import type { OpsRepository } from '../../store/ops.js';

/**
 * Ops look a cardholder up the way a support agent hears them: a name, a
 * username, an email address, the last four digits of a card, or pushprov's
 * own `chd_…` id; words combine ("martin 4444" is a Martin with a card
 * ending 4444). An email is found through its blind index and a username by
 * equality. Names are sealed with the rest of the profile and have no index,
 * so a name is matched by opening profiles: only the candidates of the other
 * words when there are any, else at most SCAN_LIMIT cardholders, newest
 * first, and the answer says when there were more (narrow it with the last
 * four). The query is PII: it is never logged or audited, only that a search
 * was made and how many it found.
 */
export interface CardholderMatch {
  cardholderId: string;
  name: string;
  /** Masked: ops confirm an address the caller reads out, they do not need to read it. */
  email: string;
  usernames: string[];
  cards: { id: string; lastFour: string; status: string }[];
}

export interface CardholderSearchResult {
  cardholders: CardholderMatch[];
  /** More cardholders than were looked at by name: add the last four to narrow. */
  truncated: boolean;
}

const SCAN_LIMIT = 2000;
const MAX_RESULTS = 20;

/** Lower case, accents and spacing folded, so "Élodie  Dupont" matches "elodie dupont". */
const fold = (text: string): string =>
  text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();

export class CardholderSearch {
  constructor(
    private readonly reads: OpsRepository,
    private readonly cardholders: Pick<CardholderRepository, 'findByEmail' | 'profile'>,
    private readonly audit: Pick<AuditLog, 'append'>,
  ) {}

  async search(query: string, actor: string): Promise<CardholderSearchResult> {
    const words = query.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0 || query.length > 200) {
      throw new ValidationError(
        'SEARCH_INVALID',
        'give a name, username, email, last four digits or chd_ id',
      );
    }
    const email = words.find((w) => w.includes('@'));
    const lastFour = words.find((w) => /^\d{4}$/.test(w));
    const id = words.find((w) => /^chd_[a-z0-9]{8,40}$/.test(w));
    const text = fold(words.filter((w) => w !== email && w !== lastFour && w !== id).join(' '));

    // Candidates from what is indexed; undefined: no such word, anyone may match.
    let candidates: Set<string> | undefined;
    const narrow = (ids: string[]) => {
      candidates = new Set(candidates ? ids.filter((c) => candidates?.has(c)) : ids);
    };
    if (id) narrow([id]);
    if (email) narrow((await this.cardholders.findByEmail(email)).map((c) => c.id));
    if (lastFour) {
      narrow(await this.reads.cardholdersWithLastFour(lastFour));
    }

    let truncated = false;
    let matches: string[];
    if (!text) {
      matches = [...(candidates ?? [])];
    } else {
      // The text is a username, or part of a name.
      const byUsername = await this.reads.cardholdersWithUsername(text);
      let pool = candidates ? [...candidates] : undefined;
      if (!pool) {
        const newest = await this.reads.newestCardholders(SCAN_LIMIT + 1);
        truncated = newest.length > SCAN_LIMIT;
        pool = newest.slice(0, SCAN_LIMIT);
      }
      const byName: string[] = [];
      for (const cardholderId of pool) {
        if (fold((await this.cardholders.profile(cardholderId)).name).includes(text))
          byName.push(cardholderId);
      }
      matches = [...new Set([...byUsername.filter((c) => !candidates || candidates.has(c)), ...byName])];
    }

    const found = await Promise.all(matches.slice(0, MAX_RESULTS).map((c) => this.#describe(c)));
    const cardholders = found.filter((m): m is CardholderMatch => m !== undefined);
    await this.audit.append({
      actor,
      action: 'ops.cardholder_search',
      outcome: 'ok',
      details: { found: cardholders.length },
    });
    return { cardholders, truncated: truncated || matches.length > MAX_RESULTS };
  }

  async #describe(cardholderId: string): Promise<CardholderMatch | undefined> {
    if (!(await this.reads.cardholderExists(cardholderId))) return undefined;
    const [profile, usernames, cards] = await Promise.all([
      this.cardholders.profile(cardholderId),
      this.reads.usernamesOf(cardholderId),
      this.reads.cardsOf(cardholderId),
    ]);
    return {
      cardholderId,
      name: profile.name,
      email: maskEmail(profile.email),
      usernames,
      cards: cards.map((c) => ({ id: c.id, lastFour: c.last_four, status: c.status })),
    };
  }
}
