import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { newId } from '../../core/ids.js';
import {
  type AuthorizationCardData,
  AuthorizationCardDataSchema,
  type AuthorizationRequest,
  AuthorizationRequestSchema,
  type AuthorizationResponse,
  type DeclineReason,
} from '../../mastercard/digital-enablement/network-authorization.js';
import {
  type TransactData,
  type TransactRequest,
  TransactRequestSchema,
  type TransactResponse,
} from '../../mastercard/digital-enablement/schemas.js';
import type { Client } from '../gateway/clients.js';
import { assertValid, TokenConnectFailure } from '../token-connect/failure.js';
import type { PayloadDecrypter } from '../token-connect/push.js';
import { RESPONSE_HOST } from '../token-management/service.js';
import type { TokenManagementSchema } from '../token-management/tables.js';
import { encrypterFor } from './encryption.js';
import { readTokenRequestorRequest } from './service.js';
import { suspendersOf } from './token-view.js';

/**
 * Paying with a token: MDES's Transact (Digital Enablement API 1.3.3,
 * `POST /remotetransaction/static/1/0/transact`) hands the token requestor a
 * DSRP cryptogram with the token's number, all of it encrypted to the token
 * requestor ("The entire response is encrypted"); the payment then reaches
 * Mastercard's network through the merchant's acquirer, where the token's
 * state decides it. That second leg is ISO 8583 between acquirer and
 * network; the simulator stands in for it with one HTTP JSON call of its
 * own (docs/mastercard/digital-enablement.md, "Authorisation"), the card
 * data in it encrypted to Mastercard's key like any other payload.
 */

/** How long a cryptogram may be presented. **Assumption**: MDES's own limit is not documented. */
const CRYPTOGRAM_VALIDITY_MS = 15 * 60_000;

interface McDsrpCryptogramsTable {
  cryptogram_hash: string;
  token_unique_reference: string;
  request_id: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

interface McAuthorizationsTable {
  id: string;
  token_requestor_id: string;
  request_id: string;
  token_unique_reference: string | null;
  amount: string;
  currency: string;
  decision: 'APPROVED' | 'DECLINED';
  reason: string | null;
  account_last_four: string | null;
  response_json: string;
  created_at: Date;
}

type Schema = TokenManagementSchema & {
  mc_dsrp_cryptograms: McDsrpCryptogramsTable;
  mc_authorizations: McAuthorizationsTable;
};

export interface PaymentsOptions {
  db: Kysely<unknown>;
  clock: Clock;
  sealer: DerivedKeySealer;
  /** Opens the authorisation's card data, encrypted to Mastercard's key. */
  decrypter: PayloadDecrypter;
}

const hash = (cryptogram: string) => createHash('sha256').update(cryptogram.toUpperCase()).digest('hex');

export class Payments {
  readonly #db: Kysely<Schema>;
  readonly #options: PaymentsOptions;

  constructor(options: PaymentsOptions) {
    this.#db = options.db as Kysely<Schema>;
    this.#options = options;
  }

  /**
   * Transact: a fresh UCAF cryptogram for one of the caller's tokens that is
   * not deleted. A suspended token gets one too; the network declines it
   * (**assumption**: the spec does not say whether Transact refuses it).
   * Only the cryptogram's hash is kept, to check it once at authorisation.
   */
  async transact(client: Client, raw: Buffer): Promise<TransactResponse> {
    const request = readTokenRequestorRequest<TransactRequest>(TransactRequestSchema, raw);
    const row = await this.#db
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', request.tokenUniqueReference)
      .where('token_requestor_id', '=', client.tokenRequestorId ?? '')
      .executeTakeFirst();
    if (!row) throw new TokenConnectFailure('INVALID_TOKEN_UNIQUE_REFERENCE');
    if (row.status === 'DELETED') throw new TokenConnectFailure('INVALID_TOKEN_STATUS');
    const encrypter = encrypterFor(client);
    if (!encrypter) throw new TokenConnectFailure('AUTHORIZATION_FAILED');
    const tokenNumber = this.#options.sealer.open(row.token_sealed, row.token_unique_reference);
    const cryptogram = randomBytes(16).toString('hex').toUpperCase();
    const now = this.#options.clock.now();
    await this.#db
      .insertInto('mc_dsrp_cryptograms')
      .values({
        cryptogram_hash: hash(cryptogram),
        token_unique_reference: row.token_unique_reference,
        request_id: request.requestId,
        created_at: now,
        expires_at: new Date(now.getTime() + CRYPTOGRAM_VALIDITY_MS),
        used_at: null,
      })
      .execute();
    const data: TransactData = {
      accountNumber: tokenNumber,
      applicationExpiryDate: applicationExpiryDate(row.token_expiry),
      panSequenceNumber: '00',
      track2Equivalent: track2Equivalent(tokenNumber, row.token_expiry),
      de48se43Data: cryptogram,
    };
    return {
      responseId: request.requestId,
      responseHost: RESPONSE_HOST,
      encryptedPayload: encrypter.encrypt(JSON.stringify(data)),
    };
  }

  /**
   * The network's decision on a DSRP payment: the cryptogram must be one
   * Transact gave for this very token number, unused and in time; then an
   * ACTIVE token pays, a SUSPENDED or deleted one is declined, saying
   * whether the issuer suspended it. Each cryptogram is spent by its first
   * authorisation, approved or not. The same requestId from the same token
   * requestor gets the same answer again.
   */
  async authorize(client: Client, raw: Buffer): Promise<AuthorizationResponse> {
    const request = readTokenRequestorRequest<AuthorizationRequest>(AuthorizationRequestSchema, raw);
    const trid = client.tokenRequestorId ?? '';
    const earlier = await this.#answered(trid, request.requestId);
    if (earlier) return earlier;
    const card = this.#cardData(request);
    const now = this.#options.clock.now();
    const answer = await this.#db.transaction().execute(async (tx) => {
      const issued = await tx
        .selectFrom('mc_dsrp_cryptograms')
        .selectAll()
        .where('cryptogram_hash', '=', hash(card.de48se43Data))
        .forUpdate()
        .executeTakeFirst();
      const token = issued
        ? await tx
            .selectFrom('mc_tokens')
            .selectAll()
            .where('token_unique_reference', '=', issued.token_unique_reference)
            .where('token_requestor_id', '=', trid)
            .forUpdate()
            .executeTakeFirst()
        : undefined;
      const decide = (reasonCode?: DeclineReason): AuthorizationResponse => ({
        responseId: request.requestId,
        decision: reasonCode ? 'DECLINED' : 'APPROVED',
        ...(reasonCode && { reasonCode }),
        ...(token && !reasonCode && { accountPanSuffix: token.account_last_four }),
      });
      let result: AuthorizationResponse;
      if (!issued || !token) result = decide('INVALID_CRYPTOGRAM');
      else if (
        this.#options.sealer.open(token.token_sealed, token.token_unique_reference) !== card.accountNumber
      )
        result = decide('INVALID_ACCOUNT');
      else if (issued.used_at !== null || issued.expires_at.getTime() <= now.getTime())
        result = decide('INVALID_CRYPTOGRAM');
      else if (token.status === 'DELETED') result = decide('TOKEN_DEACTIVATED');
      else if (token.status === 'SUSPENDED')
        result = decide(suspendersOf(token).includes('I') ? 'TOKEN_SUSPENDED_BY_ISSUER' : 'TOKEN_SUSPENDED');
      else result = decide();
      if (issued && issued.used_at === null) {
        await tx
          .updateTable('mc_dsrp_cryptograms')
          .set({ used_at: now })
          .where('cryptogram_hash', '=', issued.cryptogram_hash)
          .execute();
      }
      await tx
        .insertInto('mc_authorizations')
        .values({
          id: newId('auth'),
          token_requestor_id: trid,
          request_id: request.requestId,
          token_unique_reference: token?.token_unique_reference ?? null,
          amount: request.amount,
          currency: request.currency,
          decision: result.decision,
          reason: result.reasonCode ?? null,
          account_last_four: token?.account_last_four ?? null,
          response_json: JSON.stringify(result),
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['token_requestor_id', 'request_id']).doNothing())
        .execute();
      return result;
    });
    // A concurrent twin may have answered first; its answer is the one kept.
    return (await this.#answered(trid, request.requestId)) ?? answer;
  }

  async #answered(trid: string, requestId: string): Promise<AuthorizationResponse | undefined> {
    const row = await this.#db
      .selectFrom('mc_authorizations')
      .select('response_json')
      .where('token_requestor_id', '=', trid)
      .where('request_id', '=', requestId)
      .executeTakeFirst();
    return row && (JSON.parse(row.response_json) as AuthorizationResponse);
  }

  #cardData(request: AuthorizationRequest): AuthorizationCardData {
    let data: unknown;
    try {
      data = JSON.parse(this.#options.decrypter.decrypt(request.encryptedPayload));
    } catch (error) {
      throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
    }
    assertValid(AuthorizationCardDataSchema, data);
    return data as AuthorizationCardData;
  }
}

/** YYMMDD: the last day of the token's expiry month (MMYY). */
function applicationExpiryDate(mmyy: string): string {
  const month = Number(mmyy.slice(0, 2));
  const year = 2000 + Number(mmyy.slice(2));
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${mmyy.slice(2)}${mmyy.slice(0, 2)}${String(lastDay).padStart(2, '0')}`;
}

/**
 * ISO/IEC 7813 track 2 without sentinels and LRC, as the spec describes
 * `track2Equivalent`: number, separator D, YYMM, service code 201, zeros as
 * discretionary data, padded with F to whole bytes.
 */
function track2Equivalent(tokenNumber: string, mmyy: string): string {
  const body = `${tokenNumber}D${mmyy.slice(2)}${mmyy.slice(0, 2)}201${'0'.repeat(13)}`;
  return body.length % 2 === 0 ? body : `${body}F`;
}
