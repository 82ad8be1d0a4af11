import type { Clock } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import { padRange } from '../domain/account-ranges.js';
import type { TokenConnectClient } from '../mastercard/token-connect/client.js';
import type { MediaContent, TokenRequestor } from '../mastercard/token-connect/types.js';

/**
 * The issuer's view of the token requestors it may push to: fetched from
 * Token Connect for all the issuer's account ranges, kept for `refreshMs`
 * (Mastercard suggests refreshing regularly rather than per cardholder), and
 * served stale if a refresh fails rather than taking the push buttons away.
 * Click to Pay always comes first, as Mastercard's issuer guidance asks.
 */
export interface TokenRequestorDirectoryOptions {
  client: Pick<TokenConnectClient, 'getEligibleTokenRequestors' | 'getAsset'>;
  /** The issuer's MDES account ranges (9–19 digit prefixes). */
  accountRanges: readonly string[];
  clickToPayTokenRequestorId: string;
  clock: Clock;
  refreshMs?: number;
  onRefreshError?: (error: unknown) => void;
}

/** getEligibleTokenRequestors takes at most 25 account ranges per call. */
const RANGES_PER_CALL = 25;

export class TokenRequestorDirectory {
  readonly #options: TokenRequestorDirectoryOptions;
  #cache: { at: number; list: TokenRequestor[] } | undefined;
  #inflight: Promise<TokenRequestor[]> | undefined;
  // An asset id's content never changes (getAsset), so assets are kept for good.
  readonly #assets = new Map<string, Promise<MediaContent[]>>();

  constructor(options: TokenRequestorDirectoryOptions) {
    this.#options = options;
  }

  isClickToPay(tokenRequestorId: string): boolean {
    return tokenRequestorId === this.#options.clickToPayTokenRequestorId;
  }

  async all(): Promise<TokenRequestor[]> {
    const refreshMs = this.#options.refreshMs ?? 60 * 60 * 1000;
    const now = this.#options.clock.now().getTime();
    if (this.#cache && now - this.#cache.at < refreshMs) return this.#cache.list;
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    try {
      return await this.#inflight;
    } catch (error) {
      if (!this.#cache) throw error;
      this.#options.onRefreshError?.(error);
      return this.#cache.list;
    }
  }

  /** Token requestors accepting an account range, Click to Pay first. */
  async forAccountRange(accountRange: string): Promise<TokenRequestor[]> {
    const padded = padRange(accountRange);
    return (await this.all()).filter((tr) => tr.enabledAccountRanges.includes(padded));
  }

  async get(tokenRequestorId: string): Promise<TokenRequestor> {
    const found = (await this.all()).find((tr) => tr.tokenRequestorId === tokenRequestorId);
    if (!found)
      throw new NotFoundError('TOKEN_REQUESTOR_NOT_FOUND', 'no such token requestor for this issuer');
    return found;
  }

  async asset(assetId: string): Promise<MediaContent[]> {
    let pending = this.#assets.get(assetId);
    if (!pending) {
      pending = this.#options.client.getAsset(assetId).then((r) => r.mediaContents ?? []);
      this.#assets.set(assetId, pending);
      // A failed fetch must not be remembered.
      pending.catch(() => this.#assets.delete(assetId));
    }
    return pending;
  }

  async #refresh(): Promise<TokenRequestor[]> {
    const ranges = [...new Set(this.#options.accountRanges)];
    const byId = new Map<string, TokenRequestor>();
    for (let i = 0; i < ranges.length; i += RANGES_PER_CALL) {
      const response = await this.#options.client.getEligibleTokenRequestors({
        accountRanges: ranges.slice(i, i + RANGES_PER_CALL),
      });
      for (const tr of response.tokenRequestors ?? []) {
        const known = byId.get(tr.tokenRequestorId);
        byId.set(
          tr.tokenRequestorId,
          known
            ? {
                ...known,
                enabledAccountRanges: [
                  ...new Set([...known.enabledAccountRanges, ...tr.enabledAccountRanges]),
                ],
              }
            : tr,
        );
      }
    }
    const list = [...byId.values()].sort((a, b) => {
      const c2p =
        Number(this.isClickToPay(b.tokenRequestorId)) - Number(this.isClickToPay(a.tokenRequestorId));
      return c2p !== 0 ? c2p : a.consumerFacingEntityName.localeCompare(b.consumerFacingEntityName);
    });
    this.#cache = { at: this.#options.clock.now().getTime(), list };
    return list;
  }
}
