import { randomUUID } from 'node:crypto';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValidationError } from '../../core/errors.js';
import { baseUrlOf, TOKEN_CONNECT_PATHS, type TokenConnectEnvironment } from './endpoints.js';
import { TokenConnectError, type TokenConnectErrorCode } from './errors.js';
import { parseJsonLosslessly } from './json.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isTransientNetworkError,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
} from './retry.js';
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
  MdesError,
  PushAccountRequest,
  PushAccountResponse,
  PushMultipleAccountsRequest,
  PushMultipleAccountsResponse,
  PushMultipleFundingAccount,
  TokenConnectOperation,
} from './types.js';

/**
 * Signs a request with OAuth 1.0a (RSA-SHA256 with a body hash), returning the
 * Authorization header. pushprov's OAuthSigner satisfies it; so would any
 * other signer, which is why the client asks for this shape and not a class.
 * GET requests are signed with an empty body.
 */
export interface RequestSigner {
  authorizationHeader(method: string, url: string, body: string): string;
}

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
export interface TokenConnectHooks {
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

const DEFAULT_TIMEOUT_MS = 10_000;

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
  readonly #signer: RequestSigner;
  readonly #encrypter: PayloadEncrypter;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #fetch: typeof globalThis.fetch;
  readonly #hooks: TokenConnectHooks;

  constructor(options: TokenConnectClientOptions) {
    this.#baseUrl = baseUrlOf(options.environment);
    this.#signer = options.signer;
    this.#encrypter = options.encrypter;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#hooks = options.hooks ?? {};
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
    const url = this.#baseUrl + path;
    for (let attempt = 1; ; attempt++) {
      const started = { operation, requestId, attempt };
      this.#emit('onRequest', started);
      const t0 = performance.now();
      let outcome: Outcome<T>;
      try {
        outcome = await this.#attempt<T>(method, url, body, resultKey, options.signal);
      } catch (error) {
        // The caller cancelled: stop without retrying, with the caller's reason.
        if (options.signal?.aborted) throw options.signal.reason;
        outcome = networkFailure(error);
      }
      const retrying = outcome.kind === 'failure' && outcome.recoverable && attempt < this.#retry.maxAttempts;
      this.#emit('onResponse', {
        ...started,
        durationMs: Math.round(performance.now() - t0),
        status: outcome.status,
        outcome: outcome.kind === 'ok' ? 'ok' : outcome.code,
        reasonCode: outcome.kind === 'ok' ? undefined : outcome.errors?.[0]?.reasonCode,
        retrying,
      });
      if (outcome.kind === 'ok') return outcome.value;
      if (!retrying) {
        throw new TokenConnectError(outcome.code, {
          operation,
          requestId,
          attempts: attempt,
          recoverable: outcome.recoverable,
          httpStatus: outcome.status,
          errors: outcome.errors,
          responseId: outcome.responseId,
          correlationId: outcome.correlationId,
          cause: outcome.cause,
        });
      }
      await abortable(sleep(backoffDelay(attempt, this.#retry, outcome.retryAfterMs)), options.signal);
    }
  }

  async #attempt<T>(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    resultKey: string,
    callerSignal: AbortSignal | undefined,
  ): Promise<Outcome<T>> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: this.#signer.authorizationHeader(method, url, body ?? ''),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(url, { method, headers, body, signal });
    // The body is read under the same timeout: a stalled body is a timeout too.
    const parsed = parseBody(await response.text());
    return classify<T>(response, parsed, resultKey);
  }

  #emit<K extends keyof TokenConnectHooks>(
    hook: K,
    event: Parameters<NonNullable<TokenConnectHooks[K]>>[0],
  ): void {
    try {
      (this.#hooks[hook] as ((e: typeof event) => void) | undefined)?.(event);
    } catch {
      // Observability must not change the outcome of a push.
    }
  }
}

type Outcome<T> =
  | { kind: 'ok'; value: T; status: number }
  | {
      kind: 'failure';
      code: TokenConnectErrorCode;
      recoverable: boolean;
      status: number | undefined;
      errors?: MdesError[];
      responseId?: string;
      correlationId?: string;
      retryAfterMs?: number;
      cause?: unknown;
    };

function classify<T>(response: Response, parsed: unknown, resultKey: string): Outcome<T> {
  const status = response.status;
  const errors = errorsOf(parsed);
  const flagged = errors.some((e) => e.recoverable === true);
  const failure = {
    kind: 'failure' as const,
    status,
    errors,
    responseId: isRecord(parsed) && typeof parsed.responseId === 'string' ? parsed.responseId : undefined,
    correlationId: response.headers.get('correlation-id') ?? undefined,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  };
  if (response.ok) {
    if (!isRecord(parsed))
      return { ...failure, code: 'TOKEN_CONNECT_UNEXPECTED_RESPONSE', recoverable: false };
    // MDES answers 200 to an accepted call and reports processing errors in the payload.
    if (errors.length > 0 && parsed[resultKey] === undefined) {
      return { ...failure, code: 'TOKEN_CONNECT_REJECTED', recoverable: flagged };
    }
    return { kind: 'ok', value: parsed as T, status };
  }
  const recoverable = flagged || status >= 500 || status === 429;
  const code = errors.length > 0 ? 'TOKEN_CONNECT_REJECTED' : 'TOKEN_CONNECT_UNEXPECTED_RESPONSE';
  return { ...failure, code, recoverable };
}

function networkFailure(error: unknown): Outcome<never> {
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return {
    kind: 'failure',
    code: timedOut ? 'TOKEN_CONNECT_TIMEOUT' : 'TOKEN_CONNECT_UNREACHABLE',
    recoverable: timedOut || isTransientNetworkError(error),
    status: undefined,
    cause: error,
  };
}

/**
 * The errors of either envelope: MDES's `{ errors: [...] }` or the API
 * gateway's `{ Errors: { Error: [...] } }`, the latter mapped to MDES's names.
 */
function errorsOf(body: unknown): MdesError[] {
  if (!isRecord(body)) return [];
  if (Array.isArray(body.errors)) return body.errors.flatMap(toMdesError);
  const gateway = isRecord(body.Errors) ? body.Errors.Error : undefined;
  if (!Array.isArray(gateway)) return [];
  return gateway.flatMap((e) =>
    isRecord(e)
      ? toMdesError({
          source: e.Source,
          reasonCode: e.ReasonCode,
          description: e.Description,
          recoverable: e.Recoverable,
        })
      : [],
  );
}

function toMdesError(e: unknown): MdesError[] {
  if (!isRecord(e) || typeof e.reasonCode !== 'string') return [];
  return [
    {
      source: typeof e.source === 'string' ? e.source : 'UNKNOWN',
      reasonCode: e.reasonCode,
      ...(typeof e.description === 'string' && { description: e.description }),
      ...(typeof e.errorCode === 'string' && { errorCode: e.errorCode }),
      ...(typeof e.recoverable === 'boolean' && { recoverable: e.recoverable }),
    },
  ];
}

function parseBody(text: string): unknown {
  try {
    return parseJsonLosslessly(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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

function abortable(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
