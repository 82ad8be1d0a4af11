import { randomBytes, randomInt } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { lastFour, luhnValid } from '../../core/luhn.js';
import { PUSHED_CARD_SOURCE } from '../../mastercard/digital-enablement/tokenize.js';
import {
  EncryptedPayloadSchema,
  FundingAccountSchema,
  LENGTHS,
} from '../../mastercard/token-connect/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import { encrypterFor } from '../digital-enablement/encryption.js';
import { recordTask, type TaskOutcome } from '../digital-enablement/tasks.js';
import { DSRP_CAPABLE, productConfigOf } from '../digital-enablement/token-view.js';
import type { Client } from '../gateway/clients.js';
import type { TokenizationAuthorizer, TokenizationDecision } from '../pre-digitization/authorize.js';
import { enrolledRangeOf, type Product } from './catalogue.js';
import { assertValid, parseJson, TokenConnectFailure } from './failure.js';
import { assertUsable } from './funding-account.js';
import type { PayloadDecrypter } from './push.js';
import type { McReceiptsTable, SimulatorSchema } from './tables.js';

/**
 * MDES's tokenize for Secure Card on File integrators (MDES Digital
 * Enablement API, POST /mdes/digitization/static/1/0/tokenize), in two
 * forms: with the pushAccountReceipt the token requestor received in the
 * issuer's redirect (Mastercard Checkout Solutions' "Issuer-Initiated Token
 * Creation"), or with card details the cardholder typed in, encrypted to
 * Mastercard's key (`fundingAccountInfo.encryptedPayload`, "card added
 * manually"). Either way MDES first asks the card's issuer (Authorize
 * Service) and creates the token only when it approves, or requires more
 * authentication (then the token waits INACTIVE for its activation).
 */
const TokenizeRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  // "host[:port][/contextRoot]", 11–64 (Digital Enablement API 1.3.3 `Tokenize.responseHost`).
  responseHost: Type.Optional(Type.String({ minLength: 11, maxLength: 64 })),
  tokenType: Type.Literal('CLOUD'),
  tokenRequestorId: Type.String({ minLength: 11, maxLength: 11, pattern: '^[0-9]{11}$' }),
  /** Unique per token requestor; identifies the task in Get Task Status. */
  taskId: Type.String({ minLength: 1, maxLength: 64 }),
  fundingAccountInfo: Type.Union([
    // After a push: the receipt in lieu of the card, and FundingAccountData holding only `source` (MDESRQ p. 25).
    Type.Object({
      pushAccountReceipt: Type.String({
        minLength: LENGTHS.pushAccountReceipt[0],
        maxLength: LENGTHS.pushAccountReceipt[1],
      }),
      encryptedPayload: EncryptedPayloadSchema,
    }),
    Type.Object({ encryptedPayload: EncryptedPayloadSchema }),
  ]),
  consumerLanguage: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
  /** The token requestor's risk data (Digital Enablement API 1.3.3 DecisioningData); all optional. */
  decisioningData: Type.Optional(
    Type.Object({
      recommendation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      recommendationAlgorithmVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
      deviceScore: Type.Optional(Type.String({ pattern: '^[1-5]$' })),
      accountScore: Type.Optional(Type.String({ pattern: '^[1-5]$' })),
      recommendationReasons: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }))),
      deviceCurrentLocation: Type.Optional(Type.String({ minLength: 1, maxLength: 14 })),
      deviceIpAddress: Type.Optional(Type.String({ minLength: 7, maxLength: 15 })),
      mobileNumberSuffix: Type.Optional(Type.String({ minLength: 4, maxLength: 32 })),
    }),
  ),
});
export type TokenizeRequest = Static<typeof TokenizeRequestSchema>;

/** What a later notifier needs to tell the issuer about the new token; never card data. */
export interface TokenCreatedEvent {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  issuerConsumerKey: string;
  /** Absent for a card added manually. */
  pushAccountReceipt: string | undefined;
  /** INACTIVE after REQUIRE_ADDITIONAL_AUTHENTICATION, until activated. */
  status: 'ACTIVE' | 'INACTIVE';
  accountLastFour: string;
  tokenLastFour: string;
  createdAt: Date;
}

export interface TokenizeDeps {
  db: Kysely<unknown>;
  clock: Clock;
  sealer: DerivedKeySealer;
  /** Opens card details a token requestor encrypted to Mastercard's key. */
  decrypter: PayloadDecrypter;
  /** Asks the card's issuer before a token is created. */
  authorizer: Pick<TokenizationAuthorizer, 'authorize'>;
  /** The token requestor's consumer-facing name, for the issuer. */
  tokenRequestorName: (tokenRequestorId: string) => string | undefined;
  /** Told after the token is stored; a failure here does not undo the token. */
  onTokenCreated: (event: TokenCreatedEvent) => void | Promise<void>;
  onHookError: (error: unknown) => void;
}

/** The simulator's token account range (not a real BIN); token PANs are 16 digits in it. */
export const TOKEN_ACCOUNT_RANGE = '5399990';
const TOKEN_VALIDITY_YEARS = 3;

export class TokenizeService {
  readonly #db: Kysely<SimulatorSchema>;

  constructor(private readonly deps: TokenizeDeps) {
    this.#db = deps.db as Kysely<SimulatorSchema>;
  }

  /**
   * The JSON answer to a tokenize request. Its outcome is kept under the
   * token requestor's `taskId` for Get Task Status: COMPLETED with a token,
   * FAILED for a decision other than APPROVED or a refusal; the first
   * outcome of a taskId stays.
   */
  async tokenize(client: Client, rawBody: Buffer): Promise<Record<string, unknown>> {
    const seen: { task?: { tokenRequestorId: string; taskId: string } } = {};
    const record = (outcome: TaskOutcome) =>
      seen.task ? recordTask(this.#db, seen.task, outcome, this.deps.clock.now()) : Promise.resolve();
    let answer: Record<string, unknown>;
    try {
      answer = await this.#tokenize(client, rawBody, seen);
    } catch (error) {
      if (error instanceof TokenConnectFailure) await record({ status: 'FAILED' });
      throw error;
    }
    const token = answer.decision === 'APPROVED' ? answer.tokenUniqueReference : undefined;
    await record(
      typeof token === 'string' ? { status: 'COMPLETED', tokenUniqueReference: token } : { status: 'FAILED' },
    );
    return answer;
  }

  async #tokenize(
    client: Client,
    rawBody: Buffer,
    seen: { task?: { tokenRequestorId: string; taskId: string } },
  ): Promise<Record<string, unknown>> {
    const request = parseJson(rawBody.toString('utf8'));
    assertValid(TokenizeRequestSchema, request);
    const body = request as TokenizeRequest;
    // A token requestor's credentials tokenize for its own TRID only.
    if (client.tokenRequestorId !== body.tokenRequestorId)
      throw new TokenConnectFailure('AUTHORIZATION_FAILED');
    seen.task = { tokenRequestorId: body.tokenRequestorId, taskId: body.taskId };
    const now = this.deps.clock.now();
    const info = body.fundingAccountInfo;
    const funding =
      'pushAccountReceipt' in info
        ? await this.#pushed(info.pushAccountReceipt, info.encryptedPayload, body.tokenRequestorId, now)
        : await this.#typedIn(info.encryptedPayload);
    const tokenUniqueReference = `DWSPMC00000000${randomBytes(17).toString('hex')}`;
    const tokenPan = tokenAccountNumber();
    const expiry = new Date(Date.UTC(now.getUTCFullYear() + TOKEN_VALIDITY_YEARS, now.getUTCMonth(), 1));
    const tokenExpiry = {
      month: String(expiry.getUTCMonth() + 1).padStart(2, '0'),
      year: String(expiry.getUTCFullYear() % 100).padStart(2, '0'),
    };

    const panUniqueReference = `FWSPMC00000000${randomBytes(17).toString('hex')}`;
    const decision = await this.deps.authorizer.authorize({
      issuerConsumerKey: funding.issuerConsumerKey,
      tokenUniqueReference,
      panUniqueReference,
      tokenRequestorId: body.tokenRequestorId,
      tokenRequestorName: this.deps.tokenRequestorName(body.tokenRequestorId),
      tokenType: body.tokenType,
      account: funding.account,
      // A receipt is a card the issuer pushed from its app (MDESRQ p. 25); otherwise the cardholder typed it in.
      source: funding.receipt ? 'ACCOUNT_ADDED_VIA_APPLICATION' : 'ACCOUNT_ADDED_MANUALLY',
      receipt: funding.receipt?.receipt,
      decisioningData: body.decisioningData,
    });
    if (decision.decision === 'DECLINED') return notApproved(body.requestId, decision);
    const status = decision.decision === 'APPROVED' ? 'ACTIVE' : 'INACTIVE';

    // Claiming the receipt and storing the token commit together: a receipt
    // is spent exactly once, even when two redemptions race.
    await this.#db.transaction().execute(async (trx) => {
      if (funding.receipt) {
        const row = await trx
          .selectFrom('mc_receipts')
          .selectAll()
          .where('receipt', '=', funding.receipt.receipt)
          .forUpdate()
          .executeTakeFirst();
        assertRedeemable(row, body.tokenRequestorId, this.deps.clock.now());
        await trx
          .updateTable('mc_receipts')
          .set({ redeemed_at: now })
          .where('receipt', '=', row.receipt)
          .execute();
      }
      await trx
        .insertInto('mc_tokens')
        .values({
          token_unique_reference: tokenUniqueReference,
          token_requestor_id: body.tokenRequestorId,
          issuer_consumer_key: funding.issuerConsumerKey,
          receipt: funding.receipt?.receipt ?? null,
          account_last_four: funding.accountLastFour,
          account_sealed: this.deps.sealer.seal(JSON.stringify(funding.account), tokenUniqueReference),
          token_last_four: lastFour(tokenPan),
          token_sealed: this.deps.sealer.seal(tokenPan, tokenUniqueReference),
          token_expiry: `${tokenExpiry.month}${tokenExpiry.year}`,
          status,
          created_at: now,
          correlation_id: decision.correlationId,
          pan_unique_reference: panUniqueReference,
          decided_by: decision.decidedBy,
          // Kept for Customer Service's activation methods; null for a token active from the start.
          activation_methods: status === 'INACTIVE' ? JSON.stringify(decision.activationMethods) : null,
        })
        .execute();
    });
    await this.#announce({
      tokenUniqueReference,
      tokenRequestorId: body.tokenRequestorId,
      issuerConsumerKey: funding.issuerConsumerKey,
      pushAccountReceipt: funding.receipt?.receipt,
      status,
      accountLastFour: funding.accountLastFour,
      tokenLastFour: lastFour(tokenPan),
      createdAt: now,
    });

    if (status === 'INACTIVE') {
      // The token exists, awaiting activation ("authenticationMethods not currently used for MDES for Merchants").
      return {
        responseId: body.requestId,
        decision: decision.decision,
        tokenUniqueReference,
        panUniqueReference,
      };
    }
    const card = funding.account.cardAccountData;
    const detail = {
      tokenNumber: tokenPan,
      expiryMonth: tokenExpiry.month,
      expiryYear: tokenExpiry.year,
      ...(funding.account.accountHolderData ? { accountHolderData: funding.account.accountHolderData } : {}),
    };
    return {
      responseId: body.requestId,
      decision: 'APPROVED',
      tokenUniqueReference,
      panUniqueReference,
      productConfig: productConfigOf(funding.product),
      tokenInfo: {
        tokenPanSuffix: lastFour(tokenPan),
        accountPanSuffix: funding.accountLastFour,
        tokenExpiry: `${tokenExpiry.month}${tokenExpiry.year}`,
        ...(card?.expiryMonth && card.expiryYear
          ? { accountPanExpiry: `${card.expiryMonth}${card.expiryYear}` }
          : {}),
        dsrpCapable: DSRP_CAPABLE,
        tokenAssuranceLevel: 1,
        productCategory: funding.product === 'CREDIT' ? 'CREDIT' : 'DEBIT',
      },
      ...tokenDetail(tokenUniqueReference, detail, client),
      // A JSON boolean, "(required)" in the spec; post-tokenization authentication is not simulated.
      supportsAuthentication: false,
    };
  }

  /**
   * A pushed card: the receipt must be this token requestor's, unspent and
   * valid, and the token requestor must say the issuer's app or website
   * started it (`source`, MDESRQ p. 25); the issuer is the pusher.
   */
  async #pushed(
    receiptId: string,
    payload: TokenizeEncryptedPayload,
    tokenRequestorId: string,
    now: Date,
  ): Promise<Funding> {
    const declared = this.#open(payload) as { source?: unknown; cardAccountData?: unknown } | null;
    // With a receipt, the account comes from the issuer's push, never from the token requestor.
    if (declared?.source !== PUSHED_CARD_SOURCE || declared.cardAccountData !== undefined) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'source');
    }
    const row = await this.#db
      .selectFrom('mc_receipts')
      .selectAll()
      .where('receipt', '=', receiptId)
      .executeTakeFirst();
    assertRedeemable(row, tokenRequestorId, now);
    return {
      issuerConsumerKey: row.issuer_consumer_key,
      account: JSON.parse(this.deps.sealer.open(row.account_sealed, row.receipt)) as FundingAccount,
      accountLastFour: row.account_last_four,
      product: row.product,
      receipt: row,
    };
  }

  /**
   * A card the cardholder typed in at the token requestor. Its issuer is
   * the one MDES knows for the account range: the simulated MDES has one
   * issuer of its ranges, the first registered.
   */
  async #typedIn(payload: TokenizeEncryptedPayload): Promise<Funding> {
    const account = this.#open(payload);
    assertValid(FundingAccountSchema, account);
    const funding = account as FundingAccount;
    assertUsable(funding, this.deps.clock);
    const pan = funding.cardAccountData?.accountNumber ?? '';
    const range = enrolledRangeOf(pan);
    const issuer = await this.#db
      .selectFrom('mc_clients')
      .select('consumer_key')
      .where('role', '=', 'issuer')
      .orderBy('created_at')
      .orderBy('consumer_key')
      .executeTakeFirst();
    if (!range || !issuer) throw new TokenConnectFailure('ACCOUNT_INELIGIBLE');
    return {
      issuerConsumerKey: issuer.consumer_key,
      account: funding,
      accountLastFour: lastFour(pan),
      product: range.product,
      receipt: undefined,
    };
  }

  #open(payload: TokenizeEncryptedPayload): unknown {
    try {
      return JSON.parse(this.deps.decrypter.decrypt(payload));
    } catch (error) {
      throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
    }
  }

  async #announce(event: TokenCreatedEvent): Promise<void> {
    try {
      await this.deps.onTokenCreated(event);
    } catch (error) {
      this.deps.onHookError(error);
    }
  }
}

type TokenizeEncryptedPayload = Extract<
  TokenizeRequest['fundingAccountInfo'],
  { encryptedPayload: unknown }
>['encryptedPayload'];

/** The card a tokenize request is for, and who issued it. */
interface Funding {
  issuerConsumerKey: string;
  account: FundingAccount;
  accountLastFour: string;
  product: Product;
  /** The receipt redeemed; absent for a card added manually. */
  receipt: McReceiptsTable | undefined;
}

/** The answer when the issuer (or MDES standing in) declined: no token. */
function notApproved(requestId: string, decision: TokenizationDecision): Record<string, unknown> {
  return { responseId: requestId, decision: decision.decision };
}

function assertRedeemable(
  row: McReceiptsTable | undefined,
  tokenRequestorId: string,
  now: Date,
): asserts row is McReceiptsTable {
  if (!row) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'pushAccountReceipt');
  if (row.token_requestor_id !== tokenRequestorId) {
    throw new TokenConnectFailure('PUSH_ACCOUNT_RECEIPT_TOKEN_REQUESTOR_MISMATCH');
  }
  if (row.redeemed_at !== null) throw new TokenConnectFailure('PUSH_ACCOUNT_RECEIPT_ALREADY_USED');
  if (row.expires_at.getTime() <= now.getTime())
    throw new TokenConnectFailure('PUSH_ACCOUNT_RECEIPT_EXPIRED');
}

/**
 * The token details (`tokenDetail`), always encrypted to the token
 * requestor's registered key as MDES does (Digital Enablement API 1.3.3
 * `tokenDetail`). Click to Pay, which runs inside Mastercard and has no key,
 * gets none: it never needs the token number.
 */
function tokenDetail(tokenUniqueReference: string, detail: Record<string, unknown>, client: Client) {
  const encrypter = encrypterFor(client);
  if (!encrypter) return {};
  return { tokenDetail: { tokenUniqueReference, ...encrypter.encrypt(JSON.stringify(detail)) } };
}

/** A 16-digit, Luhn-valid number in the simulator's token range. */
function tokenAccountNumber(): string {
  let body = TOKEN_ACCOUNT_RANGE;
  while (body.length < 15) body += String(randomInt(10));
  for (let check = 0; check < 10; check++) {
    if (luhnValid(`${body}${check}`)) return `${body}${check}`;
  }
  throw new Error('unreachable: one check digit always fits');
}
