import type { KeyObject } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { wireCode } from '../../core/error-codes.js';
import { CryptoError, PushprovError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { type Lease, LeasedTable } from '../../core/jobs/lease.js';
import { eachBounded } from '../../core/jobs/loop.js';
import { pushedCardTokenizeRequest } from '../../mastercard/digital-enablement/tokenize.js';
import type { PayloadEncrypter } from '../../mastercard/token-connect/client.js';
import type { ReceiptResult } from '../../mastercard/token-connect/handover.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { Client } from '../gateway/clients.js';
import { CLICK_TO_PAY_TOKEN_REQUESTOR_ID } from '../token-connect/catalogue.js';
import { TokenConnectFailure } from '../token-connect/failure.js';
import type { TokenizeService } from '../token-connect/tokenize.js';
import { IdentityIndex } from './identity.js';
import { type ProfileCard, ProfileStore } from './profiles.js';
import type { ClickToPaySchema, McC2pEnrolmentsTable } from './tables.js';

export interface ClickToPayOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Seals the consumer's details (the same sealer as the pushed card data). */
  sealer: DerivedKeySealer;
  /** At least 32 bytes keying the email and mobile number indexes. */
  identityKey: Uint8Array;
  tokenize: Pick<TokenizeService, 'tokenize'>;
  /** Stands for Click to Pay's own key at MDES; Click to Pay runs inside Mastercard and signs nothing here. */
  publicKey: KeyObject;
  /** Mastercard's encryption key, to which Click to Pay encrypts `source` like any token requestor. */
  mastercardKey: PayloadEncrypter;
  /** Told how each attempt ended: ids and reason codes only. */
  onOutcome?: (outcome: EnrolmentOutcome) => void;
  /** Delay before the background job tries a pending enrolment again, doubling; default 5 s. */
  retryBaseMs?: number;
  /** How long a claimed enrolment is left to its worker; default 60 s (tokenize waits up to 5 s for the issuer). */
  leaseMs?: number;
}

// Receipts enrolled at once, by a request or the background job.
const ENROL_CONCURRENCY = 4;
const ENROL_BATCH = 16;
// Attempts before an enrolment that keeps failing unexpectedly is given up (`failed`).
const MAX_ATTEMPTS = 5;
// How long a request waits for another worker's enrolment of the same receipt.
const ENROL_WAIT_MS = 10_000;

export interface EnrolmentOutcome {
  state: McC2pEnrolmentsTable['state'];
  attempt: number;
  profileId: string | undefined;
  tokenUniqueReference: string | undefined;
  /** Why the attempt failed: a reason code, never a value. */
  error: string | undefined;
}

type Enrolment = Selectable<McC2pEnrolmentsTable>;

/**
 * An enrolment Click to Pay refuses for good: retrying cannot change the
 * answer. Its code is Click to Pay's outcome, on Mastercard's side of the wire.
 */
class EnrolmentRefused extends PushprovError {
  constructor(code: string, message: string) {
    super(wireCode(code), message);
  }
}

/** What the issuer is told of an enrolment that did not happen (MDESRQ p. 30–33): the decision, else ERROR. */
const REFUSAL_RESULTS: Record<string, ReceiptResult['result']> = {
  TOKENIZATION_DECLINED: 'DECLINED',
};

/**
 * Click to Pay inside the simulated Mastercard, as a token requestor of
 * Token Connect: the issuer sends the cardholder to Click to Pay's push URI
 * (the recorded sandbox exchange gives it a WEB push method), and Click to
 * Pay enrols each receipt while the cardholder is there, then sends them
 * back to the issuer's callback with one result per receipt. An enrolment
 * is recorded `pending` before any work, then creates the token through
 * MDES tokenize and creates or updates the consumer's profile (found by
 * email, else mobile number) with the card. Enrolling the same receipt
 * again (a reload, Back, a crash and a retry) reuses what was done: the
 * token is never created twice, and a final answer is given again.
 */
export class ClickToPay {
  readonly profiles: ProfileStore;
  readonly #db: Kysely<ClickToPaySchema>;
  readonly #index: IdentityIndex;
  readonly #client: Client;
  readonly #options: ClickToPayOptions;
  readonly #leased: LeasedTable<Enrolment>;

  constructor(options: ClickToPayOptions) {
    this.#options = options;
    this.#db = options.db as Kysely<ClickToPaySchema>;
    this.#leased = new LeasedTable(options.db, {
      table: 'mc_c2p_enrolments',
      key: 'receipt',
      leaseMs: options.leaseMs ?? 60_000,
    });
    this.#index = new IdentityIndex(options.identityKey);
    this.profiles = new ProfileStore(options.db, options.sealer);
    this.#client = {
      consumerKey: 'mastercard-click-to-pay',
      role: 'token_requestor',
      tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
      publicKey: options.publicKey,
      encryptionPublicKey: undefined,
      encryptionCertificate: undefined,
      displayName: 'Click to Pay',
    };
  }

  /** Enrols one receipt pushed to Click to Pay, or gives again the result of an earlier enrolment of it. */
  async enrol(receipt: string): Promise<ReceiptResult> {
    const [result] = await this.enrolAll([receipt]);
    return result ?? { receipt, result: 'ERROR' };
  }

  /**
   * Enrols the receipts of one push, several at once, or gives again the
   * result of an earlier enrolment of each. Each is recorded `pending` and
   * claimed by this worker first: a receipt another worker is enrolling (a
   * second tab, the background job) is waited for, never enrolled twice.
   */
  async enrolAll(receipts: readonly string[]): Promise<ReceiptResult[]> {
    if (receipts.length === 0) return [];
    const now = this.#options.clock.now();
    await this.#db
      .insertInto('mc_c2p_enrolments')
      .values(
        receipts.map((receipt) => ({
          receipt,
          state: 'pending' as const,
          attempts: 0,
          // The background job takes it only if this request does not finish it.
          next_attempt_at: new Date(now.getTime() + this.#retryBaseMs()),
          last_error: null,
          profile_id: null,
          token_unique_reference: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('receipt').doNothing())
      .execute();
    const { lease, rows } = await this.#leased.claim({
      now,
      due: sql`t.state = 'pending' and t.receipt in (${sql.join([...receipts])})`,
      limit: receipts.length,
      also: sql`attempts = attempts + 1, updated_at = ${now}`,
    });
    const outcomes = new Map<string, EnrolmentOutcome>();
    await eachBounded(rows, ENROL_CONCURRENCY, async (row) => {
      const outcome = await this.#attempt(row, lease);
      if (outcome) outcomes.set(row.receipt, outcome);
    });
    return Promise.all(
      receipts.map(async (receipt) => {
        const outcome = outcomes.get(receipt);
        if (outcome) return resultOf(receipt, outcome.state, outcome.tokenUniqueReference, outcome.error);
        const row = await this.#settled(receipt);
        return resultOf(
          receipt,
          row?.state ?? 'pending',
          row?.token_unique_reference ?? undefined,
          row?.last_error ?? undefined,
        );
      }),
    );
  }

  /**
   * The background job: enrolments left pending (an unexpected failure, a
   * worker that died) claimed and tried again, several at once, with backoff,
   * until they end; resolves how many it claimed.
   */
  async step(): Promise<number> {
    const now = this.#options.clock.now();
    const { lease, rows } = await this.#leased.claim({
      now,
      due: sql`t.state = 'pending' and t.next_attempt_at <= ${now}`,
      order: sql`t.next_attempt_at`,
      limit: ENROL_BATCH,
      also: sql`attempts = attempts + 1, updated_at = ${now}`,
    });
    await eachBounded(rows, ENROL_CONCURRENCY, async (row) => {
      await this.#attempt(row, lease);
    });
    return rows.length;
  }

  /** One claimed enrolment tried; undefined when the claim was lost to another worker meanwhile. */
  async #attempt(enrolment: Enrolment, lease: Lease): Promise<EnrolmentOutcome | undefined> {
    let outcome: EnrolmentOutcome | undefined;
    try {
      outcome = await this.#enrol(enrolment, lease);
    } catch (error) {
      outcome = await this.#failed(enrolment, lease, error);
    }
    if (outcome) this.#options.onOutcome?.(outcome);
    return outcome;
  }

  /** The enrolment as it is once no worker holds it (or after a while, still held). */
  async #settled(receipt: string): Promise<Enrolment | undefined> {
    const deadline = Date.now() + ENROL_WAIT_MS;
    for (;;) {
      const row = await this.#db
        .selectFrom('mc_c2p_enrolments')
        .selectAll()
        .where('receipt', '=', receipt)
        .executeTakeFirst();
      const held = row?.state === 'pending' && row.claimed_by !== null;
      if (!held || Date.now() > deadline) return row;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #enrol(enrolment: Enrolment, lease: Lease): Promise<EnrolmentOutcome | undefined> {
    const receipt = await this.#db
      .selectFrom('mc_receipts')
      .select('account_sealed')
      .where('receipt', '=', enrolment.receipt)
      .executeTakeFirstOrThrow();
    const account = JSON.parse(
      this.#options.sealer.open(receipt.account_sealed, enrolment.receipt),
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
    const now = this.#options.clock.now();
    const profileId = await this.#db
      .transaction()
      .execute(async (trx) => {
        const id = await this.profiles.enrol(trx, holder, identity, card, now);
        const settled = await this.#leased.settle(
          enrolment.receipt,
          lease,
          {
            state: 'enrolled',
            profile_id: id,
            token_unique_reference: card.tokenUniqueReference,
            last_error: null,
            updated_at: now,
          },
          { executor: trx },
        );
        // Another worker took the enrolment over: the profile change rolls back, the token is its to use.
        if (!settled) throw new ClaimLost();
        return id;
      })
      .catch((error: unknown) => {
        if (error instanceof ClaimLost) return undefined;
        throw error;
      });
    if (profileId === undefined) return undefined;
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
    const request = pushedCardTokenizeRequest({
      requestId: newId('c2p'),
      taskId: newId('task'),
      tokenRequestorId: CLICK_TO_PAY_TOKEN_REQUESTOR_ID,
      receipt,
      encrypter: this.#options.mastercardKey,
    });
    const answer = await this.#options.tokenize.tokenize(
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

  /**
   * A refusal is final; anything unexpected leaves the enrolment pending, to
   * be tried again by the background job (with backoff, a bounded number of
   * times) or on the cardholder's retry.
   */
  async #failed(enrolment: Enrolment, lease: Lease, error: unknown): Promise<EnrolmentOutcome | undefined> {
    // MDES refusing the receipt (expired, unknown) and sealed data that does not open are final.
    const final =
      error instanceof EnrolmentRefused ||
      error instanceof TokenConnectFailure ||
      error instanceof CryptoError ||
      enrolment.attempts >= MAX_ATTEMPTS;
    const code = error instanceof PushprovError ? error.code : 'UNEXPECTED_ERROR';
    const now = this.#options.clock.now();
    const settled = await this.#leased.settle(enrolment.receipt, lease, {
      last_error: code,
      updated_at: now,
      ...(final
        ? { state: 'failed' }
        : {
            next_attempt_at: new Date(
              now.getTime() + retryDelay(enrolment.attempts, this.#retryBaseMs(), 3_600_000),
            ),
          }),
    });
    if (!settled) return undefined;
    return {
      state: final ? 'failed' : 'pending',
      attempt: enrolment.attempts,
      profileId: undefined,
      tokenUniqueReference: undefined,
      error: code,
    };
  }

  #retryBaseMs(): number {
    return this.#options.retryBaseMs ?? 5_000;
  }
}

/** Thrown inside the enrolment's transaction to roll it back when its claim was lost. */
class ClaimLost extends Error {}

function resultOf(
  receipt: string,
  state: Enrolment['state'],
  tokenUniqueReference: string | undefined,
  error: string | undefined,
): ReceiptResult {
  if (state === 'enrolled' && tokenUniqueReference)
    return { receipt, result: 'APPROVED', tokenUniqueReference };
  return { receipt, result: REFUSAL_RESULTS[error ?? ''] ?? 'ERROR' };
}
