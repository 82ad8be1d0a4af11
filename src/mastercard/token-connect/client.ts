import { randomUUID } from 'node:crypto';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValidationError } from '../../core/errors.js';
import type { RetryPolicy } from '../http/retry.js';
import { type FailureKind, type RequestSigner, SignedJsonTransport } from '../http/transport.js';
import { baseUrlOf, TOKEN_CONNECT_PATHS, type TokenConnectEnvironment } from './endpoints.js';
import { TokenConnectError, type TokenConnectErrorCode } from './errors.js';
import {
  FundingAccountSchema,
  GetEligibleTokenRequestorsRequestSchema,
  LENGTHS,
  PushAccountRequestSchema,
  PushMultipleAccountsRequestSchema,
  PushMultipleFundingAccountsSchema,
} from './schemas.js';
import type {
  AssetResponse,
  EncryptedPayload,
  FundingAccount,
  GetEligibleTokenRequestorsRequest,
  GetEligibleTokenRequestorsResponse,
  PushAccountRequest,
  PushAccountResponse,
  PushMultipleAccountsRequest,
  PushMultipleAccountsResponse,
  PushMultipleFundingAccount,
  TokenConnectOperation,
} from './types.js';

export type { RequestSigner };

/**
 * Encrypts a JSON plaintext (card data and PII) into Mastercard's field-level
 * envelope with Mastercard's public key.
 */
export interface PayloadEncrypter {
  encrypt(plaintext: string): EncryptedPayload | Promise<EncryptedPayload>;
}

/** Log-safe facts about one attempt: never a body, a URL query or a header. */
export interface AttemptStarted {
  operation: TokenConnectOperation;
  /** The call's requestId, the same on every attempt; absent for getAsset. */
  requestId: string | undefined;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface AttemptFinished extends AttemptStarted {
  durationMs: number;
  /** Mastercard's HTTP status; absent when no response arrived. */
  status: number | undefined;
  outcome: 'ok' | TokenConnectErrorCode;
  reasonCode: string | undefined;
  /** Whether the client will try again. */
  retrying: boolean;
}

/** For logs and metrics; a hook that throws is ignored, it never fails a call. */
interface TokenConnectHooks {
  onRequest?(event: AttemptStarted): void;
  onResponse?(event: AttemptFinished): void;
}

export interface TokenConnectClientOptions {
  environment: TokenConnectEnvironment;
  signer: RequestSigner;
  encrypter: PayloadEncrypter;
  /** Per attempt, from sending the request to the end of the response body. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  hooks?: TokenConnectHooks;
}

export interface CallOptions {
  /** Cancels the call, retries included. */
  signal?: AbortSignal;
}

/** Inputs take the plaintext accounts; the client encrypts them. requestId defaults to a UUID. */
export type GetEligibleTokenRequestorsInput = Omit<GetEligibleTokenRequestorsRequest, 'requestId'> & {
  requestId?: string;
};

export type PushMultipleAccountsInput = Omit<
  PushMultipleAccountsRequest,
  'requestId' | 'pushFundingAccounts'
> & {
  requestId?: string;
  accounts: PushMultipleFundingAccount[];
};

/** @deprecated pushAccount is deprecated by Mastercard; use pushMultipleAccounts. */
export type PushAccountInput = Omit<PushAccountRequest, 'requestId' | 'pushFundingAccount'> & {
  requestId?: string;
  account: FundingAccount;
};

// The clear-text parts of the push requests; the encrypted part is checked in plaintext.
const PushMultipleAccountsClearSchema = Type.Omit(PushMultipleAccountsRequestSchema, ['pushFundingAccounts']);
const PushAccountClearSchema = Type.Omit(PushAccountRequestSchema, ['pushFundingAccount']);
const AssetIdSchema = Type.String({
  minLength: LENGTHS.imageAssetId[0],
  maxLength: LENGTHS.imageAssetId[1],
  pattern: '^[A-Za-z0-9-]+$',
});

/**
 * The issuer's client for MDES Token Connect. Each call is validated against
 * the published schema before anything leaves the process, card data and PII
 * are encrypted, every attempt is signed, and failures come back as
 * TokenConnectError. Network failures and errors Mastercard marks recoverable
 * (and 5xx/429) are retried with backoff, with the same requestId and body,
 * so that a request MDES did receive is not processed twice.
 */
export class TokenConnectClient {
  readonly #baseUrl: string;
  readonly #encrypter: PayloadEncrypter;
  readonly #transport: SignedJsonTransport;

  constructor(options: TokenConnectClientOptions) {
    this.#baseUrl = baseUrlOf(options.environment);
    this.#encrypter = options.encrypter;
    const hooks = options.hooks ?? {};
    this.#transport = new SignedJsonTransport({
      signer: options.signer,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.retry && { retry: options.retry }),
      ...(options.fetch && { fetch: options.fetch }),
      hooks: {
        onRequest: (event) =>
          hooks.onRequest?.({ ...event, operation: event.operation as TokenConnectOperation }),
        onResponse: ({ failure, ...event }) =>
          hooks.onResponse?.({
            ...event,
            operation: event.operation as TokenConnectOperation,
            outcome: failure === undefined ? 'ok' : ERROR_CODES[failure],
          }),
      },
    });
  }

  /** Token requestors enabled for the issuer's account ranges (at most 25 ranges). */
  async getEligibleTokenRequestors(
    input: GetEligibleTokenRequestorsInput,
    options: CallOptions = {},
  ): Promise<GetEligibleTokenRequestorsResponse> {
    const request: GetEligibleTokenRequestorsRequest = {
      ...input,
      requestId: input.requestId ?? randomUUID(),
    };
    check('getEligibleTokenRequestors', GetEligibleTokenRequestorsRequestSchema, request);
    return this.#call('getEligibleTokenRequestors', request.requestId, request, 'tokenRequestors', options);
  }

  /** A static asset such as a token requestor's logo; an asset ID's content never changes. */
  async getAsset(assetId: string, options: CallOptions = {}): Promise<AssetResponse> {
    check('getAsset', AssetIdSchema, assetId);
    const path = TOKEN_CONNECT_PATHS.getAsset.replace('{AssetId}', encodeURIComponent(assetId));
    return this.#send('getAsset', undefined, 'GET', path, undefined, 'mediaContents', options);
  }

  /**
   * Pushes one or more accounts (at most 5, and only one unless the token
   * requestor supportsMultiplePushedCards) to a token requestor. Per-account
   * failures come back in `pushAccountReceipts[].errors`, not as an exception.
   */
  async pushMultipleAccounts(
    input: PushMultipleAccountsInput,
    options: CallOptions = {},
  ): Promise<PushMultipleAccountsResponse> {
    const { accounts, ...clear } = input;
    const requestId = input.requestId ?? randomUUID();
    check('pushMultipleAccounts', PushMultipleAccountsClearSchema, { ...clear, requestId });
    check('pushMultipleAccounts', PushMultipleFundingAccountsSchema, accounts, '/accounts');
    const ids = accounts.map((a) => a.pushAccountId);
    if (new Set(ids).size !== ids.length) {
      throw invalid('pushMultipleAccounts', '/accounts/pushAccountId', 'must be unique within the request');
    }
    const encryptedPayload = await this.#encrypter.encrypt(JSON.stringify(accounts));
    const request: PushMultipleAccountsRequest = {
      ...clear,
      requestId,
      pushFundingAccounts: { encryptedPayload },
    };
    return this.#call('pushMultipleAccounts', requestId, request, 'pushAccountReceipts', options);
  }

  /** @deprecated Mastercard deprecated pushAccount for pushMultipleAccounts (Token Connect 2.04). */
  async pushAccount(input: PushAccountInput, options: CallOptions = {}): Promise<PushAccountResponse> {
    const { account, ...clear } = input;
    const requestId = input.requestId ?? randomUUID();
    check('pushAccount', PushAccountClearSchema, { ...clear, requestId });
    check('pushAccount', FundingAccountSchema, account, '/account');
    const encryptedPayload = await this.#encrypter.encrypt(JSON.stringify(account));
    const request: PushAccountRequest = { ...clear, requestId, pushFundingAccount: { encryptedPayload } };
    return this.#call('pushAccount', requestId, request, 'pushAccountReceipt', options);
  }

  #call<T>(
    operation: Exclude<TokenConnectOperation, 'getAsset'>,
    requestId: string,
    request: unknown,
    resultKey: string,
    options: CallOptions,
  ): Promise<T> {
    // Serialised once: every attempt sends the very same bytes.
    const body = JSON.stringify(request);
    return this.#send(operation, requestId, 'POST', TOKEN_CONNECT_PATHS[operation], body, resultKey, options);
  }

  async #send<T>(
    operation: TokenConnectOperation,
    requestId: string | undefined,
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    resultKey: string,
    options: CallOptions,
  ): Promise<T> {
    const result = await this.#transport.send({
      operation,
      requestId,
      method,
      url: this.#baseUrl + path,
      body,
      // MDES answers 200 to an accepted call and reports processing errors in the payload.
      holdsResult: (answer) => answer[resultKey] !== undefined,
      signal: options.signal,
    });
    if (result.ok) return result.value as T;
    throw new TokenConnectError(ERROR_CODES[result.kind], {
      operation,
      requestId,
      attempts: result.attempts,
      recoverable: result.recoverable,
      httpStatus: result.status,
      errors: result.errors,
      responseId: result.responseId,
      correlationId: result.correlationId,
      cause: result.cause,
    });
  }
}

const ERROR_CODES: Record<FailureKind, TokenConnectErrorCode> = {
  rejected: 'TOKEN_CONNECT_REJECTED',
  unexpected: 'TOKEN_CONNECT_UNEXPECTED_RESPONSE',
  unreachable: 'TOKEN_CONNECT_UNREACHABLE',
  timeout: 'TOKEN_CONNECT_TIMEOUT',
};

/** Refuses a request before it is sent; the message names the field, never its value. */
function check(operation: TokenConnectOperation, schema: TSchema, value: unknown, prefix = ''): void {
  const first = Value.Errors(schema, value).First();
  if (first) throw invalid(operation, prefix + first.path, first.message);
}

const invalid = (operation: TokenConnectOperation, path: string, problem: string) =>
  new ValidationError(
    'TOKEN_CONNECT_INVALID_REQUEST',
    `${operation} request is invalid at ${path || '/'}: ${problem}`,
    {
      details: { operation, path },
    },
  );
