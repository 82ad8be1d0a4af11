import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { lastFour } from '../../core/luhn.js';
import type { PushSigner } from '../../mastercard/token-connect/push-signature.js';
import {
  FundingAccountSchema,
  MAX_RECEIPTS_PER_PUSH,
  PushAccountRequestSchema,
  PushMultipleAccountsRequestSchema,
  PushMultipleFundingAccountSchema,
  RECEIPT_VALIDITY_MINUTES,
} from '../../mastercard/token-connect/schemas.js';
import type {
  EncryptedPayload,
  FundingAccount,
  PushAccountRequest,
  PushAccountResponse,
  PushMultipleAccountsData,
  PushMultipleAccountsRequest,
  PushMultipleAccountsResponse,
  PushMultipleFundingAccount,
} from '../../mastercard/token-connect/types.js';
import type { Client } from '../gateway/clients.js';
import { type Catalogue, type CatalogueEntry, type MdesAccountRange, RECEIPT_PREFIX } from './catalogue.js';
import { assertValid, mdesError, parseJson, TokenConnectFailure } from './failure.js';
import { acceptedHolderData, assertUsable, eligibleRange } from './funding-account.js';
import { signatureClaims } from './signature.js';
import type { McReceiptsTable, SimulatorSchema } from './tables.js';

/** Decrypts a field-level encrypted payload with MDES's private key; CRYPTOGRAPHY_ERROR otherwise. */
export interface PayloadDecrypter {
  decrypt(payload: EncryptedPayload): string;
}

export interface PushDeps {
  db: Kysely<unknown>;
  clock: Clock;
  catalogue: Catalogue;
  decrypter: PayloadDecrypter;
  sealer: DerivedKeySealer;
  signer: PushSigner;
}

type Operation = 'pushMultipleAccounts' | 'pushAccount';

/**
 * MDES's side of pushMultipleAccounts and the deprecated pushAccount: check
 * the request, decrypt the accounts, decide each account's eligibility for
 * the token requestor and issue a receipt per eligible account. The answer
 * is kept by requestId, so a retry of the same request gets the same
 * receipts instead of new ones.
 */
export class PushService {
  readonly #db: Kysely<SimulatorSchema>;

  constructor(private readonly deps: PushDeps) {
    this.#db = deps.db as Kysely<SimulatorSchema>;
  }

  /** The JSON answer to a pushMultipleAccounts request. */
  async pushMultipleAccounts(client: Client, rawBody: Buffer): Promise<string> {
    const request = parseJson(rawBody.toString('utf8'));
    assertValid(PushMultipleAccountsRequestSchema, request);
    const body = request as PushMultipleAccountsRequest;
    // Decrypted once: the clear text both recognises a repeated request and is the request.
    const plaintext = this.deps.decrypter.decrypt(body.pushFundingAccounts.encryptedPayload);
    const fingerprint = this.#fingerprint(body, plaintext);
    return this.#once(client, 'pushMultipleAccounts', body.requestId, fingerprint, async () => {
      const entry = this.#tokenRequestor(body.tokenRequestorId);
      const accounts = this.#accounts(plaintext, entry);
      const minutes = body.pushAccountReceiptsValidityPeriod ?? RECEIPT_VALIDITY_MINUTES.default;
      const wantsDigitizationData =
        body.requestIssuerInitiatedDigitizationData === true &&
        entry.record.supportIssuerInitiatedDigitizationData === true;

      const receipts: McReceiptsTable[] = [];
      const results: PushMultipleAccountsData[] = accounts.map(({ pushAccountId, fundingAccountData }) => {
        const range = eligibleRange(fundingAccountData, entry);
        if (!range) return { pushAccountId, errors: [mdesError('ACCOUNT_INELIGIBLE')] };
        const row = this.#receipt(
          client,
          body.requestId,
          entry,
          range,
          fundingAccountData,
          minutes,
          pushAccountId,
        );
        receipts.push(row);
        return {
          pushAccountId,
          pushAccountReceipt: row.receipt,
          ...(wantsDigitizationData
            ? { issuerInitiatedDigitizationData: digitizationData(row.receipt) }
            : {}),
        };
      });

      const issued = receipts.map((r) => r.receipt);
      const response: PushMultipleAccountsResponse = {
        responseId: body.requestId,
        pushAccountReceipts: results,
        ...(issued.length > 0 ? { availablePushMethods: entry.record.availablePushMethods ?? [] } : {}),
        ...(entry.signatureSupport && issued.length > 0
          ? { signature: await this.deps.signer.sign(signatureClaims(issued, body.signatureData)) }
          : {}),
        tokenRequestorSignatureSupport: entry.signatureSupport,
      };
      return { response, receipts };
    });
  }

  /** @deprecated by Mastercard in favour of pushMultipleAccounts; still answered. */
  async pushAccount(client: Client, rawBody: Buffer): Promise<string> {
    const request = parseJson(rawBody.toString('utf8'));
    assertValid(PushAccountRequestSchema, request);
    const body = request as PushAccountRequest;
    const plaintext = this.deps.decrypter.decrypt(body.pushFundingAccount.encryptedPayload);
    const fingerprint = this.#fingerprint(body, plaintext);
    return this.#once(client, 'pushAccount', body.requestId, fingerprint, async () => {
      const entry = this.#tokenRequestor(body.tokenRequestorId);
      const account = parsePayload(plaintext);
      assertValid(FundingAccountSchema, account);
      const fundingAccount = account as FundingAccount;
      assertUsable(fundingAccount, this.deps.clock);
      const range = eligibleRange(fundingAccount, entry);
      if (!range) {
        // Token Connect reports processing errors of pushAccount in the 200 payload.
        const response: PushAccountResponse = {
          responseId: body.requestId,
          errors: [mdesError('ACCOUNT_INELIGIBLE')],
        };
        return { response, receipts: [] };
      }
      const row = this.#receipt(
        client,
        body.requestId,
        entry,
        range,
        fundingAccount,
        RECEIPT_VALIDITY_MINUTES.default,
        null,
      );
      const response: PushAccountResponse = {
        responseId: body.requestId,
        pushAccountReceipt: row.receipt,
        availablePushMethods: entry.record.availablePushMethods ?? [],
      };
      return { response, receipts: [row] };
    });
  }

  /**
   * Runs a push once per (issuer, requestId): the same body again gets the
   * stored answer; another body under a used requestId is refused. The
   * answer and its receipts are written in one transaction, so a concurrent
   * twin either sees both or neither.
   */
  async #once(
    client: Client,
    operation: Operation,
    requestId: string,
    requestHash: string,
    run: () => Promise<{
      response: PushMultipleAccountsResponse | PushAccountResponse;
      receipts: McReceiptsTable[];
    }>,
  ): Promise<string> {
    const stored = await this.#stored(client, requestId, operation, requestHash);
    if (stored !== undefined) return stored;

    const { response, receipts } = await run();
    const json = JSON.stringify(response);
    const written = await this.#db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto('mc_push_requests')
        .values({
          issuer_consumer_key: client.consumerKey,
          request_id: requestId,
          operation,
          request_hash: requestHash,
          response_json: json,
          created_at: this.deps.clock.now(),
        })
        .onConflict((oc) => oc.columns(['issuer_consumer_key', 'request_id']).doNothing())
        .returning('request_id')
        .executeTakeFirst();
      if (!claimed) return false;
      if (receipts.length > 0) await trx.insertInto('mc_receipts').values(receipts).execute();
      return true;
    });
    if (written) return json;
    // A concurrent twin got there first: its answer is the answer.
    return (await this.#stored(client, requestId, operation, requestHash)) ?? json;
  }

  async #stored(
    client: Client,
    requestId: string,
    operation: Operation,
    requestHash: string,
  ): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('mc_push_requests')
      .select(['operation', 'request_hash', 'response_json'])
      .where('issuer_consumer_key', '=', client.consumerKey)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.operation !== operation || row.request_hash !== requestHash) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'requestId');
    }
    return row.response_json;
  }

  /**
   * What a replay must match: the request with its accounts decrypted. Each
   * encryption of the same accounts differs (fresh key and IV), so an issuer
   * asking again about a push after a restart cannot send the same bytes.
   */
  #fingerprint(body: object, plaintext: string): string {
    const canonical = JSON.stringify(body, (key, value) => (key === 'encryptedPayload' ? plaintext : value));
    return createHash('sha256').update(canonical).digest('hex');
  }

  #tokenRequestor(tokenRequestorId: string): CatalogueEntry {
    const entry = this.deps.catalogue.find(tokenRequestorId);
    if (!entry) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'tokenRequestorId');
    return entry;
  }

  // Plaintext that is not JSON is a CRYPTOGRAPHY_ERROR too: a distinct
  // answer would tell the sender its padding was right (see decrypt.ts).

  /** The decrypted accounts, checked: 1 to 5 (1 unless the token requestor takes several), unique ids. */
  #accounts(plaintext: string, entry: CatalogueEntry): PushMultipleFundingAccount[] {
    const accounts = parsePayload(plaintext);
    if (!Array.isArray(accounts))
      throw new TokenConnectFailure('INVALID_FIELD_FORMAT', 'pushFundingAccounts');
    const most = entry.record.supportsMultiplePushedCards ? MAX_RECEIPTS_PER_PUSH : 1;
    if (accounts.length === 0 || accounts.length > most) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'pushFundingAccounts');
    }
    assertValid(Type.Array(PushMultipleFundingAccountSchema), accounts);
    const valid = accounts as PushMultipleFundingAccount[];
    if (new Set(valid.map((a) => a.pushAccountId)).size !== valid.length) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'pushAccountId');
    }
    for (const account of valid) assertUsable(account.fundingAccountData, this.deps.clock);
    return valid;
  }

  #receipt(
    client: Client,
    requestId: string,
    entry: CatalogueEntry,
    range: MdesAccountRange,
    account: FundingAccount,
    validityMinutes: number,
    pushAccountId: string | null,
  ): McReceiptsTable {
    const card = account.cardAccountData!;
    const receipt = `${RECEIPT_PREFIX[range.product]}-${randomUUID().toUpperCase()}`;
    const now = this.deps.clock.now();
    const holder = acceptedHolderData(account.accountHolderData, entry);
    const sealed: FundingAccount = {
      cardAccountData: card,
      ...(holder ? { accountHolderData: holder } : {}),
    };
    return {
      receipt,
      push_account_id: pushAccountId,
      request_id: requestId,
      issuer_consumer_key: client.consumerKey,
      token_requestor_id: entry.record.tokenRequestorId,
      product: range.product,
      account_last_four: lastFour(card.accountNumber),
      account_sealed: this.deps.sealer.seal(JSON.stringify(sealed), receipt),
      expires_at: new Date(now.getTime() + validityMinutes * 60_000),
      created_at: now,
      redeemed_at: null,
    };
  }
}

/** Base64 of {"fundingAccountInfo":{"pushAccountReceipt":…}}, for the token requestor's own channel. */
const digitizationData = (receipt: string): string =>
  Buffer.from(JSON.stringify({ fundingAccountInfo: { pushAccountReceipt: receipt } }), 'utf8').toString(
    'base64',
  );

/** A decrypted payload that is not JSON was not encrypted by whom it claims. */
function parsePayload(plaintext: string): unknown {
  try {
    return JSON.parse(plaintext);
  } catch (error) {
    throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
  }
}
