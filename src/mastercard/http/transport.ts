import type { MdesError } from '../token-connect/types.js';
import { parseJsonLosslessly } from './json.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isTransientNetworkError,
  parseRetryAfter,
  type RetryPolicy,
  sleep,
} from './retry.js';

/**
 * Signs a request with OAuth 1.0a (RSA-SHA256 with a body hash), returning the
 * Authorization header. pushprov's OAuthSigner satisfies it; so would any
 * other signer, which is why the clients ask for this shape and not a class.
 * GET requests are signed with an empty body. What a signer throws (an HSM
 * gone: HSM_UNAVAILABLE) reaches the caller as it is, never as a network failure.
 */
export interface RequestSigner {
  authorizationHeader(method: string, url: string, body: string): string;
}

/**
 * Why a call failed, whatever the API:
 * - rejected: Mastercard (the API or its gateway) answered with an error.
 * - unexpected: the answer was not the API's format (a proxy page, say).
 * - unreachable: no answer: connection refused or reset, DNS, TLS.
 * - timeout: no complete answer within the per-request timeout.
 */
export type FailureKind = 'rejected' | 'unexpected' | 'unreachable' | 'timeout';

/** Log-safe facts about one attempt: never a body, a URL query or a header. */
interface Attempt {
  operation: string;
  requestId: string | undefined;
  /** 1 for the first attempt. */
  attempt: number;
}

interface AttemptOutcome extends Attempt {
  durationMs: number;
  status: number | undefined;
  failure: FailureKind | undefined;
  reasonCode: string | undefined;
  retrying: boolean;
}

export interface TransportHooks {
  onRequest?(event: Attempt): void;
  onResponse?(event: AttemptOutcome): void;
}

export interface TransportOptions {
  signer: RequestSigner;
  /** Per attempt, from sending the request to the end of the response body. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  hooks?: TransportHooks;
}

export interface SignedRequest {
  operation: string;
  /** The call's own id, the same on every attempt, for logs; absent where the API has none. */
  requestId?: string | undefined;
  method: 'GET' | 'POST';
  url: string;
  /** Serialised once by the caller: every attempt sends the very same bytes. */
  body?: string | undefined;
  /**
   * Whether a 2xx answer holds the result. Some Mastercard APIs answer 200
   * and report a refusal in the error envelope; such an answer is a failure.
   */
  holdsResult(answer: Record<string, unknown>): boolean;
  signal?: AbortSignal | undefined;
}

/** A failed call, with Mastercard's own account of why. */
interface TransportFailure {
  kind: FailureKind;
  recoverable: boolean;
  attempts: number;
  status: number | undefined;
  errors: MdesError[];
  /** `responseId` of an error answer, when the API gives one. */
  responseId: string | undefined;
  /** The gateway's `correlation-id` response header, when present. */
  correlationId: string | undefined;
  cause: unknown;
}

export type TransportResult =
  | { ok: true; value: Record<string, unknown>; status: number; attempts: number }
  | ({ ok: false } & TransportFailure);

const DEFAULT_TIMEOUT_MS = 10_000;

type Outcome =
  | { ok: true; value: Record<string, unknown>; status: number }
  | (Omit<TransportFailure, 'attempts'> & { ok: false; retryAfterMs?: number | undefined });

/**
 * One signed JSON call to a Mastercard API, shared by the clients of Token
 * Connect and of MDES Customer Service: every attempt signed afresh, bounded
 * by a timeout, network failures and answers Mastercard marks recoverable
 * (and 5xx, 429) retried with full-jitter backoff and the very same body, so
 * that a request Mastercard did receive is not processed twice.
 */
export class SignedJsonTransport {
  readonly #signer: RequestSigner;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #fetch: typeof globalThis.fetch;
  readonly #hooks: TransportHooks;

  constructor(options: TransportOptions) {
    this.#signer = options.signer;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#hooks = options.hooks ?? {};
  }

  async send(request: SignedRequest): Promise<TransportResult> {
    const { signal } = request;
    for (let attempt = 1; ; attempt++) {
      const started = { operation: request.operation, requestId: request.requestId, attempt };
      // Signed before the attempt and outside its try: a signer that fails (its HSM gone) is no
      // failure of Mastercard's and nothing was sent, so its own error goes to the caller as it is.
      const authorization = this.#signer.authorizationHeader(request.method, request.url, request.body ?? '');
      this.#emit('onRequest', started);
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        outcome = await this.#attempt(request, authorization);
      } catch (error) {
        // The caller cancelled: stop without retrying, with the caller's reason.
        if (signal?.aborted) throw signal.reason;
        outcome = networkFailure(error);
      }
      const retrying = !outcome.ok && outcome.recoverable && attempt < this.#retry.maxAttempts;
      this.#emit('onResponse', {
        ...started,
        durationMs: Math.round(performance.now() - t0),
        status: outcome.status,
        failure: outcome.ok ? undefined : outcome.kind,
        reasonCode: outcome.ok ? undefined : outcome.errors[0]?.reasonCode,
        retrying,
      });
      if (outcome.ok) return { ...outcome, attempts: attempt };
      if (!retrying) {
        const { retryAfterMs: _, ...failure } = outcome;
        return { ...failure, attempts: attempt };
      }
      await abortable(sleep(backoffDelay(attempt, this.#retry, outcome.retryAfterMs)), signal);
    }
  }

  async #attempt(request: SignedRequest, authorization: string): Promise<Outcome> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', authorization };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      signal,
    });
    // The body is read under the same timeout: a stalled body is a timeout too.
    return classify(response, parseBody(await response.text()), request.holdsResult);
  }

  #emit<K extends keyof TransportHooks>(hook: K, event: Parameters<NonNullable<TransportHooks[K]>>[0]): void {
    try {
      (this.#hooks[hook] as ((e: typeof event) => void) | undefined)?.(event);
    } catch {
      // Observability must not change the outcome of a call.
    }
  }
}

function classify(response: Response, parsed: unknown, holdsResult: SignedRequest['holdsResult']): Outcome {
  const status = response.status;
  const errors = errorsOf(parsed);
  const flagged = errors.some((e) => e.recoverable === true);
  const failure = {
    ok: false as const,
    status,
    errors,
    responseId: isRecord(parsed) && typeof parsed.responseId === 'string' ? parsed.responseId : undefined,
    correlationId: response.headers.get('correlation-id') ?? undefined,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    cause: undefined,
  };
  if (response.ok) {
    if (!isRecord(parsed)) return { ...failure, kind: 'unexpected', recoverable: false };
    if (errors.length > 0 && !holdsResult(parsed)) {
      return { ...failure, kind: 'rejected', recoverable: flagged };
    }
    return { ok: true, value: parsed, status };
  }
  const recoverable = flagged || status >= 500 || status === 429;
  return { ...failure, kind: errors.length > 0 ? 'rejected' : 'unexpected', recoverable };
}

function networkFailure(error: unknown): Outcome {
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return {
    ok: false,
    kind: timedOut ? 'timeout' : 'unreachable',
    recoverable: timedOut || isTransientNetworkError(error),
    status: undefined,
    errors: [],
    responseId: undefined,
    correlationId: undefined,
    cause: error,
  };
}

/**
 * The errors of either envelope: MDES's `{ errors: [...] }` (Token Connect,
 * Digital Enablement) or `{ Errors: { Error: [...] } }` (the API gateway, and
 * MDES Customer Service, whose `Recoverable` is the string "true"/"false"),
 * the latter mapped to MDES's names.
 */
function errorsOf(body: unknown): MdesError[] {
  if (!isRecord(body)) return [];
  if (Array.isArray(body.errors)) return body.errors.flatMap(toMdesError);
  const wrapped = isRecord(body.Errors) ? body.Errors.Error : undefined;
  if (!Array.isArray(wrapped)) return [];
  return wrapped.flatMap((e) =>
    isRecord(e)
      ? toMdesError({
          source: e.Source,
          reasonCode: e.ReasonCode,
          description: e.Description,
          errorCode: e.ErrorCode,
          recoverable: e.Recoverable,
        })
      : [],
  );
}

function toMdesError(e: unknown): MdesError[] {
  if (!isRecord(e) || typeof e.reasonCode !== 'string') return [];
  const recoverable =
    typeof e.recoverable === 'boolean'
      ? e.recoverable
      : typeof e.recoverable === 'string' && /^(true|false)$/i.test(e.recoverable)
        ? e.recoverable.toLowerCase() === 'true'
        : undefined;
  return [
    {
      source: typeof e.source === 'string' ? e.source : 'UNKNOWN',
      reasonCode: e.reasonCode,
      ...(typeof e.description === 'string' && { description: e.description }),
      ...(typeof e.errorCode === 'string' && e.errorCode !== '' && { errorCode: e.errorCode }),
      ...(recoverable !== undefined && { recoverable }),
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
