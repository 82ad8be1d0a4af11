import type { KeyObject } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import { CryptoError, PushprovError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { Client } from '../gateway/clients.js';
import { CLICK_TO_PAY_TOKEN_REQUESTOR_ID } from '../token-connect/catalogue.js';
import { TokenConnectFailure } from '../token-connect/failure.js';
import type { Sealer } from '../token-connect/sealing.js';
import type { TokenizeService } from '../token-connect/tokenize.js';
import { IdentityIndex } from './identity.js';
import { type ProfileCard, ProfileStore } from './profiles.js';
import type { ClickToPaySchema, McC2pEnrolmentsTable } from './tables.js';

export interface ClickToPayOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Seals the consumer's details (the same sealer as the pushed card data). */
  sealer: Sealer;
  /** At least 32 bytes keying the email and mobile number indexes. */
  identityKey: Uint8Array;
  tokenize: Pick<TokenizeService, 'tokenize'>;
  /** Stands for Click to Pay's own key at MDES; Click to Pay runs inside Mastercard and signs nothing here. */
  publicKey: KeyObject;
  /** Told how each attempt ended: ids and reason codes only. */
  onOutcome?: (outcome: EnrolmentOutcome) => void;
  /** Attempts before an enrolment that keeps failing for an unexpected reason is given up; default 8. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
}

export interface EnrolmentOutcome {
  state: McC2pEnrolmentsTable['state'];
  attempt: number;
  profileId: string | undefined;
  tokenUniqueReference: string | undefined;
  /** Why the attempt failed: a reason code, never a value. */
  error: string | undefined;
}

type Enrolment = Selectable<McC2pEnrolmentsTable>;

/** An enrolment Click to Pay refuses for good: retrying cannot change the answer. */
class EnrolmentRefused extends PushprovError {}

const BATCH = 10;
// Longer than an enrolment takes (a tokenize and a profile write, all local).
const LEASE_MS = 60_000;

/**
 * Click to Pay inside the simulated Mastercard, enrolling consumers from
 * Token Connect pushes, as Mastercard's "Enroll User to Click to Pay" via
 * Token Connect has it: the cardholder stays in the bank's app, and Click
 * to Pay consumes each receipt pushed to it server-side. Every receipt
 * pushed to Click to Pay is first recorded as a `pending` enrolment; the
 * enrolment then creates the token through MDES tokenize and creates or
 * updates the consumer's profile (found by email, else mobile number) with
 * the card. A crash anywhere leaves a pending enrolment that the next run
 * finishes; a token already created for the receipt is reused, not created
 * twice.
 */
export class ClickToPay {
  readonly profiles: ProfileStore;
  readonly #db: Kysely<ClickToPaySchema>;
  readonly #index: IdentityIndex;
  readonly #client: Client;
  readonly #o: ClickToPayOptions;

  constructor(options: ClickToPayOptions) {
    this.#o = options;
    this.#db = options.db as Kysely<ClickToPaySchema>;
    this.#index = new IdentityIndex(options.identityKey);
    this.profiles = new ProfileStore(options.db, options.sealer);
    this.#client = {
      consumerKey: 'mastercard-click-to-pay',
      role: 'token_requestor',
      tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
      publicKey: options.publicKey,
      encryptionPublicKey: undefined,
      displayName: 'Click to Pay',
    };
  }

  /** Records an enrolment for every receipt pushed to Click to Pay that has none yet; resolves how many. */
  async record(): Promise<number> {
    const receipts = await this.#db
      .selectFrom('mc_receipts as r')
      .select('r.receipt')
      .where('r.token_requestor_id', '=', CLICK_TO_PAY_TOKEN_REQUESTOR_ID)
      .where('r.redeemed_at', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('mc_c2p_enrolments as e').select('e.receipt').whereRef('e.receipt', '=', 'r.receipt'),
          ),
        ),
      )
      .orderBy('r.created_at')
      .limit(100)
      .execute();
    if (receipts.length === 0) return 0;
    const now = this.#o.clock.now();
    const recorded = await this.#db
      .insertInto('mc_c2p_enrolments')
      .values(
        receipts.map(({ receipt }) => ({
          receipt,
          state: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          last_error: null,
          profile_id: null,
          token_unique_reference: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('receipt').doNothing())
      .returning('receipt')
      .execute();
    return recorded.length;
  }

  /** Records new enrolments and works on those due; resolves how many it worked on. */
  async step(): Promise<number> {
    await this.record();
    let worked = 0;
    for (; worked < BATCH; worked++) {
      const enrolment = await this.#claim();
      if (!enrolment) break;
      await this.#attempt(enrolment);
    }
    return worked;
  }

  /** Works until nothing is due; for tests and tools. */
  async drain(): Promise<number> {
    let total = 0;
    for (let worked = await this.step(); worked > 0; worked = await this.step()) total += worked;
    return total;
  }

  async #claim(): Promise<Enrolment | undefined> {
    const now = this.#o.clock.now();
    return this.#db
      .updateTable('mc_c2p_enrolments')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: new Date(now.getTime() + LEASE_MS),
        updated_at: now,
      }))
      .where('receipt', '=', (eb) =>
        eb
          .selectFrom('mc_c2p_enrolments as e')
          .select('e.receipt')
          .where('e.state', '=', 'pending')
          .where('e.next_attempt_at', '<=', now)
          .orderBy('e.created_at')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async #attempt(enrolment: Enrolment): Promise<void> {
    let outcome: EnrolmentOutcome;
    try {
      outcome = await this.#enrol(enrolment);
    } catch (error) {
      outcome = await this.#failed(enrolment, error);
    }
    this.#o.onOutcome?.(outcome);
  }

  async #enrol(enrolment: Enrolment): Promise<EnrolmentOutcome> {
    const receipt = await this.#db
      .selectFrom('mc_receipts')
      .select('account_sealed')
      .where('receipt', '=', enrolment.receipt)
      .executeTakeFirstOrThrow();
    const account = JSON.parse(
      this.#o.sealer.open(receipt.account_sealed, enrolment.receipt),
    ) as FundingAccount;
    const holder = account.accountHolderData;
    const identity = this.#index.of(holder);
    // Click to Pay knows a consumer by email or mobile number; without either there is no one to enrol.
    if (!holder || (!identity.emailIndex && !identity.phoneIndex)) {
      throw new EnrolmentRefused(
        'CONSUMER_IDENTITY_MISSING',
        'the push carried neither an email address nor a mobile number',
      );
    }
    const card = await this.#token(enrolment.receipt);
    const now = this.#o.clock.now();
    const profileId = await this.#db.transaction().execute(async (trx) => {
      const id = await this.profiles.enrol(trx, holder, identity, card, now);
      await trx
        .updateTable('mc_c2p_enrolments')
        .set({
          state: 'enrolled',
          profile_id: id,
          token_unique_reference: card.tokenUniqueReference,
          last_error: null,
          updated_at: now,
        })
        .where('receipt', '=', enrolment.receipt)
        .where('state', '=', 'pending')
        .execute();
      return id;
    });
    return {
      state: 'enrolled',
      attempt: enrolment.attempts,
      profileId,
      tokenUniqueReference: card.tokenUniqueReference,
      error: undefined,
    };
  }

  /** The token of the receipt: the one an earlier attempt created, or a new one from MDES tokenize. */
  async #token(receipt: string): Promise<ProfileCard> {
    const existing = await this.#tokenOf(receipt);
    if (existing) return existing;
    const request = {
      requestId: newId('c2p'),
      tokenType: 'CLOUD',
      tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
      taskId: newId('task'),
      fundingAccountInfo: { pushAccountReceipt: receipt },
    };
    const answer = await this.#o.tokenize.tokenize(
      this.#client,
      Buffer.from(JSON.stringify(request), 'utf8'),
    );
    // The issuer (or MDES standing in for it) did not approve: there is no card to enrol.
    if (answer.decision !== 'APPROVED') {
      throw new EnrolmentRefused(
        `TOKENIZATION_${String(answer.decision)}`,
        'the tokenization was not approved',
      );
    }
    const created = await this.#tokenOf(receipt);
    if (!created) throw new PushprovError('C2P_TOKEN_MISSING', 'tokenize answered but stored no token');
    return created;
  }

  async #tokenOf(receipt: string): Promise<ProfileCard | undefined> {
    const row = await this.#db
      .selectFrom('mc_tokens')
      .select(['token_unique_reference', 'token_requestor_id', 'account_last_four', 'token_last_four'])
      .where('receipt', '=', receipt)
      .executeTakeFirst();
    return (
      row && {
        tokenUniqueReference: row.token_unique_reference,
        tokenRequestorId: row.token_requestor_id,
        accountLastFour: row.account_last_four,
        tokenLastFour: row.token_last_four,
      }
    );
  }

  async #failed(enrolment: Enrolment, error: unknown): Promise<EnrolmentOutcome> {
    // MDES refusing the receipt (expired, unknown) and sealed data that does not open are final.
    const final =
      error instanceof EnrolmentRefused ||
      error instanceof TokenConnectFailure ||
      error instanceof CryptoError;
    const code = error instanceof PushprovError ? error.code : 'UNEXPECTED_ERROR';
    const gaveUp = final || enrolment.attempts >= (this.#o.maxAttempts ?? 8);
    const now = this.#o.clock.now();
    const delay = retryDelay(enrolment.attempts, this.#o.retryBaseMs ?? 2_000, this.#o.retryCapMs ?? 300_000);
    await this.#db
      .updateTable('mc_c2p_enrolments')
      .set({
        last_error: code,
        updated_at: now,
        ...(gaveUp ? { state: 'failed' } : { next_attempt_at: new Date(now.getTime() + delay) }),
      })
      .where('receipt', '=', enrolment.receipt)
      .where('state', '=', 'pending')
      .where('attempts', '=', enrolment.attempts)
      .execute();
    return {
      state: gaveUp ? 'failed' : 'pending',
      attempt: enrolment.attempts,
      profileId: undefined,
      tokenUniqueReference: undefined,
      error: code,
    };
  }
}
