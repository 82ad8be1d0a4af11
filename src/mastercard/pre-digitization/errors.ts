import { wireCode } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';
import type { FieldError } from '../field-errors.js';
import type { ErrorsResponse } from './schemas.js';

/**
 * Why the issuer refuses a Pre-Digitization request. The codes and their
 * descriptions are those of the Pre-Digitization "Codes and Formats" page
 * (docs/mastercard/pre-digitization.md §5); a refusal travels back to MDES
 * as the spec's ErrorsResponse (`responseId`, `errorCode` of at most 32
 * characters, `errorDescription` of at most 256) under a non-200 status (the
 * spec's `default` response). The statuses are pushprov's choice.
 */
const PRE_DIGITIZATION_ERRORS = {
  INVALID_JSON: { status: 400, description: 'Invalid JSON' },
  MISSING_REQUIRED_FIELD: { status: 400, description: 'Missing Required Field - {fieldName}' },
  INVALID_FIELD_FORMAT: { status: 400, description: 'Invalid Field Format - {fieldName}' },
  INVALID_FIELD_LENGTH: { status: 400, description: 'Invalid Field Length - {fieldName}' },
  INVALID_FIELD_VALUE: { status: 400, description: 'Invalid Field Value - {fieldName}' },
  /** Every failure to open an encrypted payload, alike: telling them apart would be a padding oracle. */
  CRYPTOGRAPHY_ERROR: { status: 400, description: 'Cryptography Error' },
} as const satisfies Record<string, { status: number; description: string }>;

export type PreDigitizationErrorCode = keyof typeof PRE_DIGITIZATION_ERRORS;

/**
 * A refused request. `field` is the offending field's name and `path` its
 * JSON pointer (inside an encrypted payload: below `encryptedData`); neither
 * the message nor the details ever hold a value.
 */
export class PreDigitizationError extends PushprovError {
  readonly errorCode: PreDigitizationErrorCode;
  readonly field: string | undefined;

  constructor(
    errorCode: PreDigitizationErrorCode,
    where?: { field: string; path: string },
    options: { cause?: unknown } = {},
  ) {
    const { status, description } = PRE_DIGITIZATION_ERRORS[errorCode];
    super(wireCode(errorCode), description.replace('{fieldName}', where?.field ?? ''), {
      status,
      ...(where && { details: { field: where.field, path: where.path } }),
      ...(options.cause !== undefined && { cause: options.cause }),
    });
    this.errorCode = errorCode;
    this.field = where?.field;
  }

  /** The body MDES reads: the spec's ErrorsResponse, answering `requestId` when the request had one. */
  toErrorsResponse(responseId: string): ErrorsResponse {
    return { responseId, errorCode: this.errorCode, errorDescription: this.message.slice(0, 256) };
  }
}

/** The refusal of a field found in error (the field codes are the MDES family's, field-errors.ts). */
export function fieldRefusal(error: FieldError, below = ''): PreDigitizationError {
  return new PreDigitizationError(error.code, { field: error.field, path: `${below}${error.path}` });
}
