import { NotFoundError } from '../../core/errors.js';
import { consentPreview } from '../../domain/account-holder.js';
import { cardEligibility } from '../../domain/eligibility.js';
import type { CardState, DestinationKind } from '../../domain/provisioning.js';
import type { PushMethodType, TokenRequestor } from '../../mastercard/token-connect/types.js';
import type { Provisioning, PushLinks } from '../../store/provisionings.js';
import { maskedCard } from '../cards/cards.js';
import { type CardChecks, sharedElements } from './card-checks.js';
import type { ProvisioningServiceOptions } from './options.js';

export interface ProvisioningView {
  id: string;
  state: Provisioning['state'];
  destination: DestinationKind;
  tokenRequestor: { id: string; name: string };
  cards: { cardId: string; state: CardState; errorCode: string | null; reportedResult: string | null }[];
  /** Where the bank's pages send the cardholder next: the WEB push link, while the receipts are valid. */
  redirectUrl?: string;
  /** Every push method's link, for a bank app to choose by platform (MDESRQ p. 37–38). */
  pushLinks?: { type: PushMethodType; url: string }[];
  receiptsExpireAt: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface DestinationView {
  tokenRequestorId: string;
  name: string;
  kind: DestinationKind;
  logoAssetId: string | null;
  supportsMultipleCards: boolean;
  sharedData: string[];
}

/** The order a bank app is offered the push links in. */
const PUSH_METHOD_ORDER: readonly PushMethodType[] = ['WEB', 'ANDROID', 'IOS'];

/** What the cardholder sees before and after a push: cards, destinations, consent, pushes. */
export class ProvisioningQueries {
  readonly #options: ProvisioningServiceOptions;
  readonly #checks: CardChecks;

  constructor(options: ProvisioningServiceOptions, checks: CardChecks) {
    this.#options = options;
    this.#checks = checks;
  }

  /**
   * The cardholder's cards, each with whether it can be pushed now and
   * whether Click to Pay is among its destinations (for the banner and the
   * "Add to Click to Pay" button at parity with other wallets).
   */
  async cards(cardholderId: string) {
    const { cards, directory, clock } = this.#options;
    const out = [];
    for (const card of await cards.listCards(cardholderId)) {
      const range = await this.#checks.accountRange(card.id);
      const check = cardEligibility({ ...card, accountRange: range }, clock.now());
      const destinations = check.eligible && range ? await directory.forAccountRange(range) : [];
      const saved = await this.#checks.savedAt(card.id);
      out.push({
        ...maskedCard(card),
        eligible: check.eligible && destinations.length > 0,
        refusal: check.eligible ? null : { code: check.code, message: check.message },
        clickToPay: destinations.some((tr) => directory.isClickToPay(tr.tokenRequestorId)),
        inClickToPay: saved.some((id) => directory.isClickToPay(id)),
      });
    }
    return out;
  }

  /** One of the cardholder's cards, masked; CARD_NOT_FOUND for any other. */
  async card(cardholderId: string, cardId: string) {
    return maskedCard(await this.#checks.ownedCard(cardholderId, cardId));
  }

  /** Where this card can go: Click to Pay first, then merchants, or why it cannot go anywhere. */
  async destinations(cardholderId: string, cardId: string) {
    const card = await this.#checks.ownedCard(cardholderId, cardId);
    const range = await this.#checks.accountRange(card.id);
    const check = cardEligibility({ ...card, accountRange: range }, this.#options.clock.now());
    const saved = await this.#checks.savedAt(card.id);
    const destinations =
      check.eligible && range
        ? (await this.#options.directory.forAccountRange(range)).map((tr) => ({
            ...this.#destinationView(tr),
            alreadyAdded: saved.includes(tr.tokenRequestorId),
          }))
        : [];
    return {
      card: maskedCard(card),
      eligible: check.eligible,
      refusal: check.eligible ? null : { code: check.code, message: check.message },
      destinations,
    };
  }

  /** What will be shared with a destination, for review before consent: masked, or whole for the bank's own page. */
  async consent(
    cardholderId: string,
    cardId: string,
    tokenRequestorId: string,
    show: 'masked' | 'own' = 'masked',
  ) {
    const card = await this.#checks.ownedCard(cardholderId, cardId);
    const tr = await this.#options.directory.get(tokenRequestorId);
    await this.#checks.assertEligible(card, tr);
    const profile = await this.#options.cards.profile(cardholderId);
    return {
      card: maskedCard(card),
      destination: this.#destinationView(tr),
      shared: consentPreview(profile, sharedElements(tr), show),
    };
  }

  async view(cardholderId: string, id: string): Promise<ProvisioningView> {
    const { repository } = this.#options;
    const p = await repository.getOwned(cardholderId, id);
    if (!p) throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    return this.viewOf(p, this.#linksShown(p) ? await repository.pushLinks(p.id) : {});
  }

  /** The view of a record already in hand, with its push links (shown only while they can be used). */
  viewOf(p: Provisioning, pushLinksOfRecord: PushLinks): ProvisioningView {
    const links = this.#linksShown(p) ? pushLinksOfRecord : {};
    const pushLinks = PUSH_METHOD_ORDER.flatMap((type) => {
      const url = links[type];
      return url ? [{ type, url }] : [];
    });
    return {
      id: p.id,
      state: p.state,
      destination: p.destination,
      tokenRequestor: { id: p.tokenRequestorId, name: p.tokenRequestorName },
      cards: p.cards.map((c) => ({
        cardId: c.cardId,
        state: c.state,
        errorCode: c.errorCode,
        reportedResult: c.reportedResult,
      })),
      ...(links.WEB && { redirectUrl: links.WEB }),
      ...(pushLinks.length > 0 && { pushLinks }),
      receiptsExpireAt: p.receiptsExpireAt?.toISOString() ?? null,
      error: p.errorCode ? { code: p.errorCode, message: p.errorMessage ?? p.errorCode } : null,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    };
  }

  // Only while the receipts are valid and the token requestor has not answered yet.
  #linksShown(p: Provisioning): boolean {
    return (
      p.state === 'receipt_issued' &&
      (p.receiptsExpireAt?.getTime() ?? 0) > this.#options.clock.now().getTime() &&
      p.cards.every((c) => c.reportedResult === null)
    );
  }

  async list(cardholderId: string): Promise<ProvisioningView[]> {
    const records = await this.#options.repository.listByCardholder(cardholderId);
    return Promise.all(records.map((p) => this.view(cardholderId, p.id)));
  }

  #destinationView(tr: TokenRequestor): DestinationView {
    return {
      tokenRequestorId: tr.tokenRequestorId,
      name: tr.consumerFacingEntityName,
      kind: this.#options.directory.isClickToPay(tr.tokenRequestorId) ? 'click_to_pay' : 'merchant',
      logoAssetId: tr.imageAssetId ?? null,
      supportsMultipleCards: tr.supportsMultiplePushedCards === true,
      sharedData: sharedElements(tr),
    };
  }
}
