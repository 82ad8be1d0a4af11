import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PushprovError } from '../../core/errors.js';
import type { CustomerServiceClient } from '../../mastercard/customer-service/client.js';
import { CustomerServiceError } from '../../mastercard/customer-service/errors.js';
import type { AuditLog, AuditRecord } from '../../store/audit.js';
import type { TokenFollowUpKind } from '../../store/schema.js';
import type { Token, TokenCount, TokenRepository } from '../../store/tokens/tokens.js';
import { auditInfoOf } from './audit-info.js';

export interface TokenManagementOptions {
  tokens: Pick<TokenRepository, 'listByCard' | 'ofCard' | 'byId' | 'counts' | 'setSuspensionReasons'>;
  cards: {
    /** The card, when it is the cardholder's (CardholderCardRepository.ownedCard). */
    ownedCard(cardholderId: string, cardId: string): Promise<{ status: string } | undefined>;
    /** The card as it is now: its expiry, and its full number from the vault (a card replacement). */
    get(cardId: string): Promise<{ expiryMonth: number; expiryYear: number } | undefined>;
    revealCardData(cardId: string): Promise<{ pan: string }>;
  };
  /** MDES Customer Service; without it (no Customer Service credentials configured) changes are refused. */
  mdes: Pick<CustomerServiceClient, 'suspend' | 'unsuspend' | 'delete' | 'update'> | undefined;
  /** The bank's name, as `AuditInfo.Organization`. */
  organization: string;
  audit: Pick<AuditLog, 'append' | 'history'>;
  clock: Clock;
  /** The logo asset id of a token requestor, when the directory knows it. */
  logoOf?: (tokenRequestorId: string) => Promise<string | undefined>;
}

export interface ListedToken extends Token {
  logoAssetId: string | undefined;
}

export type TokenAction = 'suspend' | 'resume' | 'delete';

/** A card change, as the follow-up job takes it to each of the card's tokens. */
export interface CardChange {
  kind: TokenFollowUpKind;
  cardId: string;
  /** Set when the card number changed (`replaced`): its new last four digits. */
  account: { accountPanSuffix?: string; accountExpiry?: string };
  /** Who asked (`ops:<key id>`, `cli`, `seed`); undefined: the card system through pushprov. */
  requestedBy: string | undefined;
}

type Mdes = NonNullable<TokenManagementOptions['mdes']>;

/**
 * Where a cardholder's card is saved (Click to Pay, each merchant) and the
 * control over it, through MDES Customer Service, one token per call. A
 * change is asked of MDES; the token's status here moves when MDES's
 * notification comes back, so the issuer's record never claims what MDES
 * has not done. MDES records every suspension the issuer asks for as the
 * issuer's (suspender I), so why a token is kept suspended is pushprov's own
 * record: the cardholder paused it, or its card is blocked, or both. It is
 * resumed at MDES only when neither holds. A card or token that is not the
 * cardholder's is as unknown as one that does not exist.
 */
export class TokenManagement {
  readonly #options: TokenManagementOptions;

  constructor(options: TokenManagementOptions) {
    this.#options = options;
  }

  async list(cardholderId: string, cardId: string): Promise<ListedToken[]> {
    await this.#ownCard(cardholderId, cardId);
    const tokens = await this.#options.tokens.listByCard(cardId);
    return Promise.all(
      tokens.map(async (token) => ({
        ...token,
        logoAssetId: await this.#options.logoOf?.(token.tokenRequestorId).catch(() => undefined),
      })),
    );
  }

  /**
   * The cardholder pauses, resumes or removes a saved card. A pause of a
   * token the bank's block already keeps suspended is recorded without
   * asking MDES; a resume is refused while the card is blocked. Resolves the
   * token as it is until MDES's notification lands.
   */
  async change(cardholderId: string, cardId: string, tokenId: string, action: TokenAction): Promise<Token> {
    const card = await this.#ownCard(cardholderId, cardId);
    const token = await this.#options.tokens.ofCard(cardId, tokenId);
    if (!token) throw new NotFoundError('TOKEN_NOT_FOUND', 'no such saved card');
    // The bank's block outranks the cardholder: its tokens stay suspended until the card is unblocked.
    if (action === 'resume' && card.status !== 'active') {
      throw new ConflictError('CARD_BLOCKED', 'the card is not active, so its saved cards cannot be resumed');
    }
    const actor = `cardholder:${cardholderId}`;
    const ask = { tokenUniqueReference: token.tokenUniqueReference, auditInfo: this.#auditInfo(actor) };
    const mdes = this.#mdes();
    switch (action) {
      case 'suspend':
        if (!token.suspendedForCardBlock)
          await customerServiceCall(() => mdes.suspend({ ...ask, reasonCode: 'Z' }));
        await this.#reasons(token, { pausedByCardholder: true });
        break;
      case 'resume':
        if (!token.suspendedForCardBlock)
          await customerServiceCall(() => mdes.unsuspend({ ...ask, reasonCode: 'Z' }));
        await this.#reasons(token, { pausedByCardholder: false });
        break;
      case 'delete':
        await customerServiceCall(() => mdes.delete({ ...ask, reasonCode: 'Z' }));
        break;
    }
    await this.#options.audit.append({
      actor,
      action: `token.${action}_requested`,
      subject: token.id,
      outcome: 'requested',
      details: { cardId, tokenRequestorId: token.tokenRequestorId },
    });
    return token;
  }

  /**
   * A card change taken to one of the card's tokens, one call to MDES:
   * replaced (the new card number and expiry; the number read from the
   * vault, never stored or logged elsewhere), closed (deleted, reason C
   * account closed), blocked (suspended unless the cardholder's pause
   * already keeps it so), unblocked (resumed unless the cardholder paused
   * it). Asking again after a crash is harmless: MDES leaves a token as it is
   * when it already is as asked. Resolves whether MDES was asked.
   */
  async followCardChange(change: CardChange, tokenId: string): Promise<boolean> {
    const token = await this.#options.tokens.byId(tokenId);
    if (!token || token.cardId !== change.cardId || token.status === 'DELETED') return false;
    const mdes = this.#mdes();
    const ask = {
      tokenUniqueReference: token.tokenUniqueReference,
      auditInfo: this.#auditInfo(change.requestedBy ?? 'job'),
    };
    let asked = true;
    switch (change.kind) {
      case 'replaced':
        await customerServiceCall(async () => mdes.update({ ...ask, ...(await this.#replacement(change)) }));
        break;
      case 'closed':
        await customerServiceCall(() => mdes.delete({ ...ask, reasonCode: 'C' }));
        break;
      case 'blocked':
        asked = !token.pausedByCardholder && !token.suspendedForCardBlock;
        if (asked)
          await customerServiceCall(() =>
            mdes.suspend({ ...ask, reasonCode: 'Z', commentText: 'Card blocked' }),
          );
        await this.#reasons(token, { suspendedForCardBlock: true });
        break;
      case 'unblocked':
        asked = token.suspendedForCardBlock && !token.pausedByCardholder;
        if (asked)
          await customerServiceCall(() =>
            mdes.unsuspend({ ...ask, reasonCode: 'Z', commentText: 'Card unblocked' }),
          );
        await this.#reasons(token, { suspendedForCardBlock: false });
        break;
    }
    await this.#options.audit.append({
      actor: change.requestedBy ?? 'issuer',
      action: `token.card_${change.kind}`,
      subject: token.id,
      outcome: asked ? 'requested' : 'recorded',
      details: { cardId: change.cardId, tokenRequestorId: token.tokenRequestorId },
    });
    return asked;
  }

  /** What MDES's token update needs after a card replacement: the full new number when it changed, the expiry. */
  async #replacement(change: CardChange): Promise<{ newAccountPan?: string; expirationDate?: string }> {
    const card = await this.#options.cards.get(change.cardId);
    if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    const expirationDate = `${String(card.expiryMonth).padStart(2, '0')}${String(card.expiryYear % 100).padStart(2, '0')}`;
    if (change.account.accountPanSuffix === undefined) return { expirationDate };
    const { pan } = await this.#options.cards.revealCardData(change.cardId);
    return { newAccountPan: pan, expirationDate };
  }

  async #reasons(token: Token, reasons: Parameters<TokenRepository['setSuspensionReasons']>[1]) {
    await this.#options.tokens.setSuspensionReasons(token.id, reasons, this.#options.clock.now());
  }

  #auditInfo(actor: string) {
    return auditInfoOf(actor, this.#options.organization);
  }

  #mdes(): Mdes {
    if (!this.#options.mdes) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'token management is not configured', {
        status: 503,
      });
    }
    return this.#options.mdes;
  }

  /** Ops: how many tokens each token requestor holds, by status. */
  counts(): Promise<TokenCount[]> {
    return this.#options.tokens.counts();
  }

  /** Ops: one token's history, from the audit log. */
  async history(tokenId: string): Promise<AuditRecord[]> {
    const entries = await this.#options.audit.history([tokenId]);
    if (entries.length === 0) throw new NotFoundError('TOKEN_NOT_FOUND', 'no such token');
    return entries;
  }

  async #ownCard(cardholderId: string, cardId: string): Promise<{ status: string }> {
    const card = await this.#options.cards.ownedCard(cardholderId, cardId);
    if (!card) throw new NotFoundError('CARD_NOT_FOUND', 'no such card');
    return card;
  }
}

/**
 * One Customer Service call, its failure in pushprov's terms: MDES away
 * (no answer, a timeout, a 5xx) is TOKEN_MANAGEMENT_UNAVAILABLE; a token
 * MDES does not know is TOKEN_NOT_FOUND; any other refusal
 * TOKEN_MANAGEMENT_REFUSED, with MDES's reason code and field in its details.
 */
export async function customerServiceCall<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (!(error instanceof CustomerServiceError)) throw error;
    const details = { reasonCode: error.reasonCode, source: error.source, httpStatus: error.httpStatus };
    if (error.code !== 'CUSTOMER_SERVICE_REJECTED' || (error.httpStatus ?? 0) >= 500) {
      throw new PushprovError('TOKEN_MANAGEMENT_UNAVAILABLE', 'MDES Customer Service did not answer', {
        status: 502,
        cause: error,
        details,
      });
    }
    if (error.httpStatus === 404) {
      throw new PushprovError('TOKEN_NOT_FOUND', 'MDES does not know this token', { status: 404, details });
    }
    throw new PushprovError(
      'TOKEN_MANAGEMENT_REFUSED',
      `MDES Customer Service refused: ${error.reasonCode}`,
      {
        status: 409,
        cause: error,
        details,
      },
    );
  }
}
