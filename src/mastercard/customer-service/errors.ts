import { ERROR_CODES } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';
import type { FailureKind } from '../http/transport.js';
import type { MdesError } from '../token-connect/types.js';
import type { CustomerServiceOperation } from './endpoints.js';

/**
 * What went wrong, as a stable code (the kinds of src/mastercard/http/transport.ts):
 * - CUSTOMER_SERVICE_REJECTED: MDES or its API gateway answered with an error.
 * - CUSTOMER_SERVICE_UNEXPECTED_RESPONSE: the answer was not the API's format.
 * - CUSTOMER_SERVICE_UNREACHABLE: no answer.
 * - CUSTOMER_SERVICE_TIMEOUT: no complete answer within the per-request timeout.
 */
export type CustomerServiceErrorCode =
  | 'CUSTOMER_SERVICE_REJECTED'
  | 'CUSTOMER_SERVICE_UNEXPECTED_RESPONSE'
  | 'CUSTOMER_SERVICE_UNREACHABLE'
  | 'CUSTOMER_SERVICE_TIMEOUT';

export const CUSTOMER_SERVICE_ERROR_CODES: Record<FailureKind, CustomerServiceErrorCode> = {
  rejected: 'CUSTOMER_SERVICE_REJECTED',
  unexpected: 'CUSTOMER_SERVICE_UNEXPECTED_RESPONSE',
  unreachable: 'CUSTOMER_SERVICE_UNREACHABLE',
  timeout: 'CUSTOMER_SERVICE_TIMEOUT',
};

export interface CustomerServiceErrorInit {
  operation: CustomerServiceOperation;
  attempts: number;
  recoverable: boolean;
  httpStatus?: number | undefined;
  errors?: readonly MdesError[];
  correlationId?: string | undefined;
  cause?: unknown;
}

/**
 * A Customer Service call that failed. The message names the operation and
 * MDES's reason code only; no request data (a card number, the AuditInfo) is
 * ever in it.
 */
export class CustomerServiceError extends PushprovError {
  declare readonly code: CustomerServiceErrorCode;
  readonly operation: CustomerServiceOperation;
  readonly httpStatus: number | undefined;
  /** The first error's reason code. */
  readonly reasonCode: string | undefined;
  /** The first error's `Source`: the field MDES refused, or "System". */
  readonly source: string | undefined;
  readonly recoverable: boolean;
  readonly correlationId: string | undefined;
  readonly attempts: number;
  readonly errors: readonly MdesError[];

  constructor(code: CustomerServiceErrorCode, init: CustomerServiceErrorInit) {
    const first = init.errors?.[0];
    const http = init.httpStatus === undefined ? '' : ` (HTTP ${init.httpStatus})`;
    super(code, `MDES Customer Service ${init.operation} failed: ${first?.reasonCode ?? code}${http}`, {
      status: ERROR_CODES[code].status,
      cause: init.cause,
      details: {
        operation: init.operation,
        reasonCode: first?.reasonCode,
        source: first?.source,
        httpStatus: init.httpStatus,
        recoverable: init.recoverable,
      },
    });
    this.operation = init.operation;
    this.httpStatus = init.httpStatus;
    this.reasonCode = first?.reasonCode;
    this.source = first?.source;
    this.recoverable = init.recoverable;
    this.correlationId = init.correlationId;
    this.attempts = init.attempts;
    this.errors = init.errors ?? [];
  }
}
