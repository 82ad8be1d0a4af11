/**
 * The error reason codes Token Connect is documented to return, with the HTTP
 * status, the `source` and the `recoverable` flag the simulator answers with.
 *
 * Provenance matters here, so each entry names the page it comes from:
 * - Token Connect's own table (code-and-formats) lists the processing errors.
 *   It says they come back "in the response payload" of an accepted call, so
 *   their status is 200 with `errors` in the body.
 * - The validation and cryptography codes are those of the MDES API family
 *   (same error object, same "Invalid Field Length - {field name}" wording as
 *   the Token Connect spec's own example). Their HTTP status is not stated in
 *   the pages pushprov could read: 400 for INPUT and 500 for MDES are pushprov's
 *   choice, flagged with `statusDocumented: false`.
 */
export interface ReasonCodeDefinition {
  readonly status: number;
  /** Whether `status` is stated by Mastercard or chosen by pushprov. */
  readonly statusDocumented: boolean;
  readonly source: 'INPUT' | 'MDES';
  readonly recoverable: boolean;
  /** Mastercard's description; `{fieldName}` is replaced with the offending field. */
  readonly description: string;
  readonly documentedAt: string;
}

const TOKEN_CONNECT_CODES =
  'https://developer.mastercard.com/mdes-token-connect/documentation/code-and-formats/';
const MDES_CODES = 'https://developer.mastercard.com/mdes-pre-digitization/documentation/code-formats/';

export const REASON_CODES = {
  ACCOUNT_INELIGIBLE: {
    status: 200,
    statusDocumented: true,
    source: 'MDES',
    recoverable: false,
    description: 'The card or financial account is not eligible.',
    documentedAt: TOKEN_CONNECT_CODES,
  },
  AUTHORIZATION_FAILED: {
    status: 200,
    statusDocumented: true,
    source: 'MDES',
    recoverable: false,
    description: 'Authorization failed.',
    documentedAt: TOKEN_CONNECT_CODES,
  },
  INVALID_JSON: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid JSON',
    documentedAt: MDES_CODES,
  },
  MISSING_REQUIRED_FIELD: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Missing Required Field - {fieldName}',
    documentedAt: MDES_CODES,
  },
  INVALID_FIELD_FORMAT: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid Field Format - {fieldName}',
    documentedAt: MDES_CODES,
  },
  INVALID_FIELD_LENGTH: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid Field Length - {fieldName}',
    documentedAt: MDES_CODES,
  },
  INVALID_FIELD_VALUE: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Invalid Field Value - {fieldName}',
    documentedAt: MDES_CODES,
  },
  CRYPTOGRAPHY_ERROR: {
    status: 400,
    statusDocumented: false,
    source: 'INPUT',
    recoverable: false,
    description: 'Cryptography Error',
    documentedAt: MDES_CODES,
  },
  INTERNAL_SERVICE_FAILURE: {
    status: 500,
    statusDocumented: false,
    source: 'MDES',
    recoverable: true,
    description: 'The system had an internal exception',
    documentedAt: MDES_CODES,
  },
} as const satisfies Record<string, ReasonCodeDefinition>;

export type ReasonCode = keyof typeof REASON_CODES;

export function isReasonCode(value: string): value is ReasonCode {
  return Object.hasOwn(REASON_CODES, value);
}

/** Mastercard's description of a code, with the field name filled in where it takes one. */
export function describeReasonCode(code: ReasonCode, fieldName = ''): string {
  return REASON_CODES[code].description.replace('{fieldName}', fieldName);
}
