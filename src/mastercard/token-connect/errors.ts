import { ERROR_CODES } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';
import type { MdesError, TokenConnectOperation } from './types.js';

/**
 * What went wrong, as a stable code:
 * - TOKEN_CONNECT_REJECTED: Mastercard (MDES or its API gateway) answered with an error.
 * - TOKEN_CONNECT_UNEXPECTED_RESPONSE: the answer was not Token Connect's format (a proxy page, say).
 * - TOKEN_CONNECT_UNREACHABLE: no answer: connection refused or reset, DNS, TLS.
 * - TOKEN_CONNECT_TIMEOUT: no complete answer within the per-request timeout.
 */
export type TokenConnectErrorCode =
  | 'TOKEN_CONNECT_REJECTED'
  | 'TOKEN_CONNECT_UNEXPECTED_RESPONSE'
  | 'TOKEN_CONNECT_UNREACHABLE'
  | 'TOKEN_CONNECT_TIMEOUT';

export interface TokenConnectErrorInit {
  operation: TokenConnectOperation;
  /** pushprov's requestId of the call (the same on every attempt); absent for getAsset. */
  requestId: string | undefined;
  attempts: number;
  recoverable: boolean;
  /** Mastercard's HTTP status, when there was a response. */
  httpStatus?: number;
  /** The errors Mastercard returned, gateway errors mapped to the same shape. */
  errors?: readonly MdesError[];
  responseId?: string;
  /** The gateway's `correlation-id` response header, when present. */
  correlationId?: string;
  cause?: unknown;
}

/**
 * A Token Connect call that failed, with Mastercard's own account of why.
 * The message names the operation and reason code only: Mastercard's
 * descriptions stay in `description`, and no request data is ever included.
 */
export class TokenConnectError extends PushprovError {
  declare readonly code: TokenConnectErrorCode;
  readonly operation: TokenConnectOperation;
  readonly httpStatus: number | undefined;
  /** The first error's reason code, e.g. INVALID_FIELD_LENGTH. */
  readonly reasonCode: string | undefined;
  readonly description: string | undefined;
  /** INPUT, MDES, or Gateway. */
  readonly source: string | undefined;
  /** Whether retrying the same request may succeed. */
  readonly recoverable: boolean;
  readonly requestId: string | undefined;
  readonly responseId: string | undefined;
  readonly correlationId: string | undefined;
  readonly attempts: number;
  readonly errors: readonly MdesError[];

  constructor(code: TokenConnectErrorCode, init: TokenConnectErrorInit) {
    const first = init.errors?.[0];
    const reason = first?.reasonCode ?? code;
    const http = init.httpStatus === undefined ? '' : ` (HTTP ${init.httpStatus})`;
    super(code, `Token Connect ${init.operation} failed: ${reason}${http}`, {
      // Mastercard failing is a bad or absent gateway at our edge, not the caller's fault.
      status: ERROR_CODES[code].status,
      cause: init.cause,
      details: {
        operation: init.operation,
        reasonCode: first?.reasonCode,
        httpStatus: init.httpStatus,
        requestId: init.requestId,
        recoverable: init.recoverable,
      },
    });
    this.operation = init.operation;
    this.httpStatus = init.httpStatus;
    this.reasonCode = first?.reasonCode;
    this.description = first?.description;
    this.source = first?.source;
    this.recoverable = init.recoverable;
    this.requestId = init.requestId;
    this.responseId = init.responseId;
    this.correlationId = init.correlationId;
    this.attempts = init.attempts;
    this.errors = init.errors ?? [];
  }
}
