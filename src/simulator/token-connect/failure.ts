import type { TSchema } from '@sinclair/typebox';
import { wireCode } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';
import { holdsNul } from '../../core/nul.js';
import { firstInvalidField } from '../../mastercard/field-errors.js';
import {
  describeReasonCode,
  isReasonCode,
  REASON_CODES,
  type ReasonCode,
  type ReasonCodeDefinition,
} from '../../mastercard/token-connect/reason-codes.js';
import type { ErrorWrapper, MdesError } from '../../mastercard/token-connect/types.js';

/**
 * Refusals of a receipt by MDES's tokenize (Secure Card on File creating a
 * token from a pushAccountReceipt). The pages pushprov could read name no
 * reason codes for them; these are pushprov's, flagged in docs/simulator.md.
 */
export const RECEIPT_REASON_CODES = {
  PUSH_ACCOUNT_RECEIPT_EXPIRED: {
    status: 400,
    source: 'INPUT',
    recoverable: false,
    description: 'Push Account Receipt Expired',
  },
  PUSH_ACCOUNT_RECEIPT_ALREADY_USED: {
    status: 400,
    source: 'INPUT',
    recoverable: false,
    description: 'Push Account Receipt Already Used',
  },
  PUSH_ACCOUNT_RECEIPT_TOKEN_REQUESTOR_MISMATCH: {
    status: 400,
    source: 'INPUT',
    recoverable: false,
    description: 'Push Account Receipt Not Issued To This Token Requestor',
  },
} as const satisfies Record<
  string,
  Pick<ReasonCodeDefinition, 'status' | 'source' | 'recoverable' | 'description'>
>;

/**
 * Refusals of the token requestor's other Digital Enablement operations.
 * INVALID_TOKEN_UNIQUE_REFERENCE is the 1.3.3 spec's own example
 * (ErrorsResponse.errorCode); INVALID_TOKEN_STATUS (a deleted token asked
 * to transact or change) is pushprov's (docs/mastercard/digital-enablement.md).
 */
const DIGITAL_ENABLEMENT_REASON_CODES = {
  INVALID_TOKEN_UNIQUE_REFERENCE: {
    status: 400,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid Token Unique Reference',
  },
  INVALID_TOKEN_STATUS: {
    status: 400,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid Token Status',
  },
} as const satisfies Record<
  string,
  Pick<ReasonCodeDefinition, 'status' | 'source' | 'recoverable' | 'description'>
>;

const OWN_REASON_CODES = { ...RECEIPT_REASON_CODES, ...DIGITAL_ENABLEMENT_REASON_CODES };

export type SimulatorReasonCode = ReasonCode | keyof typeof OWN_REASON_CODES;

const definitionOf = (code: SimulatorReasonCode) =>
  isReasonCode(code) ? REASON_CODES[code] : OWN_REASON_CODES[code];

const describe = (code: SimulatorReasonCode, field: string | undefined): string =>
  isReasonCode(code) ? describeReasonCode(code, field) : OWN_REASON_CODES[code].description;

/**
 * A request MDES refuses, answered with Mastercard's ErrorWrapper. The code
 * is a documented reason code; the description is Mastercard's wording with
 * the offending field's name, never its value.
 */
export class TokenConnectFailure extends PushprovError {
  readonly reasonCode: SimulatorReasonCode;
  readonly field: string | undefined;

  /** `status` overrides the code's usual HTTP status where Mastercard's pages give another. */
  constructor(
    reasonCode: SimulatorReasonCode,
    field?: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(wireCode(reasonCode), describe(reasonCode, field), {
      status: options.status ?? definitionOf(reasonCode).status,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reasonCode = reasonCode;
    this.field = field;
  }

  toMdesError(): MdesError {
    return mdesError(this.reasonCode, this.field);
  }
}

export function mdesError(reasonCode: SimulatorReasonCode, field?: string): MdesError {
  const definition = definitionOf(reasonCode);
  return {
    source: definition.source,
    reasonCode,
    description: describe(reasonCode, field),
    recoverable: definition.recoverable,
  };
}

export const errorWrapper = (errors: MdesError[], responseId?: string): ErrorWrapper => ({
  ...(responseId === undefined ? {} : { responseId }),
  errors,
});

/** Parses a JSON body; anything else, or text holding U+0000 (which PostgreSQL cannot store), is INVALID_JSON. */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenConnectFailure('INVALID_JSON', undefined, { cause: error });
  }
  if (holdsNul(value)) throw new TokenConnectFailure('INVALID_JSON');
  return value;
}

/**
 * Checks a value against a Token Connect schema and throws the reason code
 * MDES gives for the first field in error: a missing field, a wrong type or
 * pattern (format), a length outside its bounds, or a value outside its set.
 */
export function assertValid<T extends TSchema>(schema: T, value: unknown): void {
  const first = invalidFieldReason(schema, value);
  if (first) throw new TokenConnectFailure(first.reasonCode, first.field);
}

/** The first field in error and MDES's reason code for it; `path` is its JSON pointer (arrays folded). */
export function invalidFieldReason<T extends TSchema>(
  schema: T,
  value: unknown,
): { reasonCode: ReasonCode; field: string; path: string } | undefined {
  const found = firstInvalidField(schema, value);
  return found && { reasonCode: found.code, field: found.field, path: found.path };
}
