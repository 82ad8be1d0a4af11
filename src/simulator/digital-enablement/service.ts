import type { TSchema } from '@sinclair/typebox';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import {
  DeleteRequestSchema,
  type FieldLevelEnvelope,
  type GetTaskStatusRequest,
  GetTaskStatusRequestSchema,
  type GetTokenRequest,
  GetTokenRequestSchema,
  type GetTokenResponse,
  type LifecycleRequest,
  type LifecycleResponse,
  type SearchTokensRequest,
  SearchTokensRequestSchema,
  type SearchTokensResponse,
  SuspendRequestSchema,
  UnsuspendRequestSchema,
} from '../../mastercard/digital-enablement/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { Client } from '../gateway/clients.js';
import { assertValid, parseJson, TokenConnectFailure } from '../token-connect/failure.js';
import type { PayloadDecrypter } from '../token-connect/push.js';
import { RESPONSE_HOST } from '../token-management/service.js';
import { changeTokenStatus } from '../token-management/status-history.js';
import type { McTokenStatus, TokenManagementSchema } from '../token-management/tables.js';
import { encrypterFor } from './encryption.js';
import { taskStatus } from './tasks.js';
import {
  fullToken,
  lifecycleToken,
  productConfigOf,
  productOf,
  type SealedAccount,
  SUSPENDER_OF_CAUSE,
  statusOf,
  suspendedByOf,
  suspendersOf,
  type TokenRow,
  tokenInfoOf,
} from './token-view.js';

/**
 * The token requestor's own operations on its tokens (Mastercard Digital
 * Enablement API 1.3.3): getToken, searchTokens, getTaskStatus, and
 * suspend / unsuspend / delete. A token requestor sees and changes only
 * the tokens of its own TRID; any other reference is as unknown as a
 * made-up one. Suspensions follow MDES's suspenders: a token requestor adds
 * and removes only the suspension it asked for (W for itself, C for its
 * cardholder), so a token the issuer suspended stays SUSPENDED when the
 * token requestor lifts its own. Each change is written with its Token
 * Event Notification to the issuer in one transaction.
 */

type Row = TokenRow & { push_account_id: string | null };
type Db = Kysely<TokenManagementSchema>;
type Tx = Transaction<TokenManagementSchema>;

export type LifecycleChange = 'suspend' | 'unsuspend' | 'delete';

const SCHEMAS: Record<LifecycleChange, TSchema> = {
  suspend: SuspendRequestSchema,
  unsuspend: UnsuspendRequestSchema,
  delete: DeleteRequestSchema,
};

export interface TokenRequestorServiceOptions {
  db: Kysely<unknown>;
  clock: Clock;
  sealer: DerivedKeySealer;
  /** Opens a card number a token requestor searches by, encrypted to Mastercard's key. */
  decrypter: PayloadDecrypter;
  /**
   * Tells the token's issuer of a status change the token requestor made, in
   * the transaction that made it (Notify Token Updated, wired in app.ts).
   */
  announceToIssuer: (change: IssuerAnnouncement, trx: Kysely<unknown>) => Promise<void>;
  /** Told after a change is committed, to deliver its notifications promptly. */
  onChange?: () => void;
}

/** A status change of one of an issuer's tokens, made by its token requestor: the token says the rest. */
interface IssuerAnnouncement {
  tokenUniqueReference: string;
}

export class TokenRequestorService {
  readonly #db: Db;
  readonly #options: TokenRequestorServiceOptions;

  constructor(options: TokenRequestorServiceOptions) {
    this.#db = options.db as Db;
    this.#options = options;
  }

  /** getToken: one token's state; with `includeTokenDetail: "true"` its number too, encrypted to the caller. */
  async getToken(client: Client, raw: Buffer): Promise<GetTokenResponse> {
    const request = readTokenRequestorRequest<GetTokenRequest>(GetTokenRequestSchema, raw);
    const [row] = await this.#own(this.#db, client, [request.tokenUniqueReference]);
    if (!row) throw new TokenConnectFailure('INVALID_TOKEN_UNIQUE_REFERENCE');
    const account = this.#account(row);
    const encrypter = encrypterFor(client);
    // A deleted token has no number left to give.
    const detail =
      request.includeTokenDetail === 'true' && row.status !== 'DELETED' && encrypter
        ? {
            tokenDetail: {
              tokenUniqueReference: row.token_unique_reference,
              ...encrypter.encrypt(
                JSON.stringify({
                  tokenNumber: this.#options.sealer.open(row.token_sealed, row.token_unique_reference),
                  expiryMonth: row.token_expiry.slice(0, 2),
                  expiryYear: row.token_expiry.slice(2),
                }),
              ),
            },
          }
        : {};
    return { responseId: request.requestId, token: fullToken(row, account), ...detail };
  }

  /**
   * searchTokens: the caller's tokens, deleted ones left out ("Deactivated
   * tokens are not returned"), optionally only those of one funding
   * account, named by one of its tokens or by its card number (encrypted to
   * Mastercard's key).
   */
  async searchTokens(client: Client, raw: Buffer): Promise<SearchTokensResponse> {
    const request = readTokenRequestorRequest<SearchTokensRequest>(SearchTokensRequestSchema, raw);
    if (request.tokenRequestorId !== undefined && request.tokenRequestorId !== client.tokenRequestorId) {
      throw new TokenConnectFailure('AUTHORIZATION_FAILED');
    }
    const funding = request.fundingAccountInfo;
    if (funding?.panUniqueReference !== undefined) {
      // MDES's PAN references are not kept by the simulator (docs/mastercard/digital-enablement.md).
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'panUniqueReference');
    }
    let rows = (await this.#own(this.#db, client)).filter((row) => row.status !== 'DELETED');
    let pan: string | undefined;
    if (funding?.tokenUniqueReference !== undefined) {
      const [named] = await this.#own(this.#db, client, [funding.tokenUniqueReference]);
      if (!named) throw new TokenConnectFailure('INVALID_TOKEN_UNIQUE_REFERENCE');
      pan = this.#account(named).cardAccountData?.accountNumber;
    } else if (funding?.encryptedPayload) {
      pan = this.#typedInPan(funding.encryptedPayload);
    }
    if (funding?.tokenUniqueReference !== undefined || funding?.encryptedPayload !== undefined) {
      rows = rows.filter((row) => this.#account(row).cardAccountData?.accountNumber === pan);
    }
    return {
      responseHost: RESPONSE_HOST,
      responseId: request.requestId,
      tokens: rows.map((row) => {
        const account = this.#account(row);
        const suspendedBy = suspendedByOf(row);
        return {
          tokenUniqueReference: row.token_unique_reference,
          status: statusOf(row),
          ...(suspendedBy && { suspendedBy }),
          statusTimestamp: (row.status_updated_at ?? row.created_at).toISOString(),
          productConfig: productConfigOf(productOf(account)),
          tokenInfo: tokenInfoOf(row, account),
        };
      }),
    };
  }

  /** getTaskStatus: what became of one of the caller's tokenize tasks. */
  async getTaskStatus(client: Client, raw: Buffer): Promise<Record<string, unknown>> {
    const request = readTokenRequestorRequest<GetTaskStatusRequest>(GetTaskStatusRequestSchema, raw);
    if (request.tokenRequestorId !== client.tokenRequestorId)
      throw new TokenConnectFailure('AUTHORIZATION_FAILED');
    const status = await taskStatus(this.#db as unknown as Kysely<unknown>, request);
    if (!status) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'taskId');
    return { responseId: request.requestId, responseHost: RESPONSE_HOST, status };
  }

  /**
   * suspend, unsuspend or delete up to ten of the caller's tokens, all or
   * none: an unknown reference, or a deleted token asked to suspend or
   * unsuspend, refuses the whole request and changes nothing. Asking for
   * what is already so changes nothing and notifies no one.
   */
  async change(client: Client, change: LifecycleChange, raw: Buffer): Promise<LifecycleResponse> {
    const request = readTokenRequestorRequest<LifecycleRequest>(SCHEMAS[change], raw);
    const references = [...new Set(request.tokenUniqueReferences)];
    const suspender = SUSPENDER_OF_CAUSE[request.causedBy];
    const now = this.#options.clock.now();
    let changed = false;
    const tokens = await this.#db.transaction().execute(async (tx) => {
      const rows = await this.#own(tx, client, references, { lock: true });
      if (rows.length !== references.length) throw new TokenConnectFailure('INVALID_TOKEN_UNIQUE_REFERENCE');
      const after: Row[] = [];
      for (const row of rows) {
        if (row.status === 'DELETED') {
          if (change !== 'delete') throw new TokenConnectFailure('INVALID_TOKEN_STATUS');
          after.push(row);
          continue;
        }
        // A token awaiting activation can only be deleted.
        if (row.status === 'INACTIVE' && change !== 'delete') {
          throw new TokenConnectFailure('INVALID_TOKEN_STATUS');
        }
        const suspenders = new Set(suspendersOf(row));
        if (change === 'suspend') suspenders.add(suspender);
        if (change === 'unsuspend') suspenders.delete(suspender);
        const status: McTokenStatus =
          change === 'delete' ? 'DELETED' : suspenders.size > 0 ? 'SUSPENDED' : 'ACTIVE';
        const next = status === 'DELETED' ? '' : [...suspenders].sort().join(',');
        if (status === row.status && next === row.suspenders) {
          after.push(row);
          continue;
        }
        await changeTokenStatus(tx, {
          reference: row.token_unique_reference,
          status,
          suspenders: next,
          at: now,
          initiator: suspender,
          reasonCode: request.reasonCode,
        });
        const updated: Row = { ...row, status, suspenders: next, status_updated_at: now };
        if (status !== row.status) {
          await this.#options.announceToIssuer(
            { tokenUniqueReference: row.token_unique_reference },
            tx as unknown as Kysely<unknown>,
          );
          changed = true;
        }
        after.push(updated);
      }
      return after.map(lifecycleToken);
    });
    if (changed) this.#options.onChange?.();
    return { responseHost: RESPONSE_HOST, responseId: request.requestId, tokens };
  }

  /** The caller's tokens (all, or those named), oldest first, with the push each came from. */
  async #own(
    db: Db | Tx,
    client: Client,
    references?: readonly string[],
    options: { lock?: boolean } = {},
  ): Promise<Row[]> {
    if (references?.length === 0) return [];
    let query = db
      .selectFrom('mc_tokens as t')
      .leftJoin('mc_receipts as r', 'r.receipt', 't.receipt')
      .selectAll('t')
      .select('r.push_account_id')
      .where('t.token_requestor_id', '=', client.tokenRequestorId ?? '')
      .orderBy('t.created_at')
      .orderBy('t.token_unique_reference');
    if (references) query = query.where('t.token_unique_reference', 'in', [...references]);
    if (options.lock) query = query.forUpdate('t');
    return (await query.execute()) as Row[];
  }

  #account(row: Selectable<TokenRow>): SealedAccount {
    return JSON.parse(
      this.#options.sealer.open(row.account_sealed, row.token_unique_reference),
    ) as SealedAccount;
  }

  /** The card number of a searchTokens' encrypted FundingAccountData; any failure is the one CRYPTOGRAPHY_ERROR. */
  #typedInPan(payload: FieldLevelEnvelope): string {
    let account: FundingAccount | null;
    try {
      account = JSON.parse(this.#options.decrypter.decrypt(payload)) as FundingAccount | null;
    } catch (error) {
      throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
    }
    const pan = account?.cardAccountData?.accountNumber;
    if (typeof pan !== 'string') throw new TokenConnectFailure('MISSING_REQUIRED_FIELD', 'accountNumber');
    return pan;
  }
}

/** Parses and checks a request body; the first field in error is MDES's reason code, naming the field. */
export function readTokenRequestorRequest<T>(schema: TSchema, raw: Buffer): T {
  const body = parseJson(raw.toString('utf8'));
  assertValid(schema, body);
  return body as T;
}
