import { randomBytes, randomInt } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { lastFour, luhnValid } from '../../core/luhn.js';
import { encryptFieldLevel } from '../../mastercard/encryption/field-level.js';
import { publicKeyFingerprint } from '../../mastercard/keys/fingerprint.js';
import { LENGTHS } from '../../mastercard/token-connect/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { Client } from '../gateway/clients.js';
import { ISSUER, PRODUCT_CONFIGS, type Product } from './catalogue.js';
import { assertValid, parseJson, TokenConnectFailure } from './failure.js';
import type { Sealer } from './sealing.js';
import type { McReceiptsTable, SimulatorSchema } from './tables.js';

/**
 * MDES's tokenize for Secure Card on File integrators, as Mastercard
 * Checkout Solutions' "Issuer-Initiated Token Creation" uses it: the token
 * requestor sends the pushAccountReceipt it received in the issuer's
 * redirect (`fundingAccountInfo.pushAccountReceipt`) and gets a token for
 * the pushed card. Only that receipt-based form is simulated.
 * POST /mdes/digitization/static/1/0/tokenize (MDES Digital Enablement API).
 */
export const TOKENIZE_PATH = '/digitization/static/1/0/tokenize';

export const TokenizeRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  responseHost: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  tokenType: Type.Literal('CLOUD'),
  tokenRequestorId: Type.String({ minLength: 11, maxLength: 11, pattern: '^[0-9]{11}$' }),
  /** Unique per token requestor; identifies the task in Get Task Status. */
  taskId: Type.String({ minLength: 1, maxLength: 64 }),
  fundingAccountInfo: Type.Object({
    pushAccountReceipt: Type.String({
      minLength: LENGTHS.pushAccountReceipt[0],
      maxLength: LENGTHS.pushAccountReceipt[1],
    }),
  }),
  consumerLanguage: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
});
export type TokenizeRequest = Static<typeof TokenizeRequestSchema>;

/** What a later notifier needs to tell the issuer about the new token; never card data. */
export interface TokenCreatedEvent {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  issuerConsumerKey: string;
  pushAccountReceipt: string;
  pushAccountId: string | undefined;
  accountLastFour: string;
  tokenLastFour: string;
  product: Product;
  createdAt: Date;
}

export interface TokenizeDeps {
  db: Kysely<unknown>;
  clock: Clock;
  sealer: Sealer;
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

  /** The JSON answer to a tokenize request with a receipt. */
  async tokenize(client: Client, rawBody: Buffer): Promise<Record<string, unknown>> {
    const request = parseJson(rawBody.toString('utf8'));
    assertValid(TokenizeRequestSchema, request);
    const body = request as TokenizeRequest;
    // A token requestor's credentials tokenize for its own TRID only.
    if (client.tokenRequestorId !== body.tokenRequestorId)
      throw new TokenConnectFailure('AUTHORIZATION_FAILED');
    const receiptId = body.fundingAccountInfo.pushAccountReceipt;
    const now = this.deps.clock.now();
    const tokenUniqueReference = `DWSPMC00000000${randomBytes(17).toString('hex')}`;
    const tokenPan = tokenAccountNumber();
    const expiry = new Date(Date.UTC(now.getUTCFullYear() + TOKEN_VALIDITY_YEARS, now.getUTCMonth(), 1));
    const tokenExpiry = {
      month: String(expiry.getUTCMonth() + 1).padStart(2, '0'),
      year: String(expiry.getUTCFullYear() % 100).padStart(2, '0'),
    };

    // Claiming the receipt and storing the token commit together: a receipt
    // is spent exactly once, even when two redemptions race.
    const receipt = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('mc_receipts')
        .selectAll()
        .where('receipt', '=', receiptId)
        .forUpdate()
        .executeTakeFirst();
      assertRedeemable(row, body.tokenRequestorId, now);
      await trx
        .updateTable('mc_receipts')
        .set({ redeemed_at: now })
        .where('receipt', '=', row.receipt)
        .execute();
      const account = this.deps.sealer.open(row.account_sealed, row.receipt);
      await trx
        .insertInto('mc_tokens')
        .values({
          token_unique_reference: tokenUniqueReference,
          token_requestor_id: row.token_requestor_id,
          issuer_consumer_key: row.issuer_consumer_key,
          receipt: row.receipt,
          account_last_four: row.account_last_four,
          account_sealed: this.deps.sealer.seal(account, tokenUniqueReference),
          token_last_four: lastFour(tokenPan),
          token_sealed: this.deps.sealer.seal(tokenPan, tokenUniqueReference),
          token_expiry: `${tokenExpiry.month}${tokenExpiry.year}`,
          status: 'ACTIVE',
          created_at: now,
        })
        .execute();
      return { row, account: JSON.parse(account) as FundingAccount };
    });

    await this.#announce({
      tokenUniqueReference,
      tokenRequestorId: receipt.row.token_requestor_id,
      issuerConsumerKey: receipt.row.issuer_consumer_key,
      pushAccountReceipt: receipt.row.receipt,
      pushAccountId: receipt.row.push_account_id ?? undefined,
      accountLastFour: receipt.row.account_last_four,
      tokenLastFour: lastFour(tokenPan),
      product: receipt.row.product,
      createdAt: now,
    });

    const card = receipt.account.cardAccountData;
    const product = PRODUCT_CONFIGS[receipt.row.product];
    const detail = {
      tokenNumber: tokenPan,
      expiryMonth: tokenExpiry.month,
      expiryYear: tokenExpiry.year,
      ...(receipt.account.accountHolderData ? { accountHolderData: receipt.account.accountHolderData } : {}),
    };
    return {
      responseId: body.requestId,
      decision: 'APPROVED',
      tokenUniqueReference,
      panUniqueReference: `FWSPMC00000000${randomBytes(17).toString('hex')}`,
      productConfig: {
        brandLogoAssetId: ISSUER.brandLogoAssetId,
        issuerLogoAssetId: ISSUER.logoAssetId,
        isCoBranded: false,
        cardBackgroundCombinedAssetId: product.cardArtAssetId,
        iconAssetId: ISSUER.brandLogoAssetId,
        foregroundColor: 'ffffff',
        issuerName: ISSUER.name,
        shortDescription: product.shortDescription,
      },
      tokenInfo: {
        tokenPanSuffix: lastFour(tokenPan),
        accountPanSuffix: receipt.row.account_last_four,
        tokenExpiry: `${tokenExpiry.month}${tokenExpiry.year}`,
        ...(card?.expiryMonth && card.expiryYear
          ? { accountPanExpiry: `${card.expiryMonth}${card.expiryYear}` }
          : {}),
        dsrpCapable: true,
        tokenAssuranceLevel: 1,
        productCategory: receipt.row.product === 'CREDIT' ? 'CREDIT' : 'DEBIT',
      },
      tokenDetail: tokenDetail(tokenUniqueReference, detail, client),
    };
  }

  async #announce(event: TokenCreatedEvent): Promise<void> {
    try {
      await this.deps.onTokenCreated(event);
    } catch (error) {
      this.deps.onHookError(error);
    }
  }
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
 * The token details, encrypted to the token requestor's registered
 * encryption key as MDES does; a client that registered none gets them in
 * clear (a development convenience of the simulator, see docs/simulator.md).
 */
function tokenDetail(tokenUniqueReference: string, detail: Record<string, unknown>, client: Client) {
  const key = client.encryptionPublicKey;
  if (!key) return { tokenUniqueReference, encryptedData: detail };
  const sealed = encryptFieldLevel(JSON.stringify(detail), key, {
    encoding: 'hex',
    oaepHashingAlgorithm: 'SHA256',
  });
  return {
    tokenUniqueReference,
    publicKeyFingerprint: publicKeyFingerprint(key),
    encryptedKey: sealed.encryptedKey,
    oaepHashingAlgorithm: sealed.oaepHashingAlgorithm,
    iv: sealed.iv,
    encryptedData: sealed.encryptedValue,
  };
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
