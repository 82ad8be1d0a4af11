import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';

/**
 * Which field of a message is in error, and which of the MDES API family's
 * field codes names the problem. Token Connect and the Pre-Digitization web
 * services share these four codes and their "{description} - {fieldName}"
 * wording (docs/mastercard/token-connect.md §4, pre-digitization.md §5).
 */
const FIELD_ERROR_CODES = [
  'MISSING_REQUIRED_FIELD',
  'INVALID_FIELD_FORMAT',
  'INVALID_FIELD_LENGTH',
  'INVALID_FIELD_VALUE',
] as const;
type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

export interface FieldError {
  code: FieldErrorCode;
  /** The field's own name, as MDES's messages give it ("Invalid Field Length - accountRanges"). */
  field: string;
  /** Its JSON pointer, items of arrays folded into the array. */
  path: string;
}

/** The first field of `value` that `schema` refuses, or undefined when it is valid. */
export function firstInvalidField<T extends TSchema>(schema: T, value: unknown): FieldError | undefined {
  return firstFieldError(Value.Errors(schema, value));
}

// Within one field the most telling problem wins: a missing field over a
// wrong type, a wrong type over a length, a length over a pattern, so ten
// digits where eleven are needed is a length and not a format error.
const PRIORITY: ReadonlyArray<[FieldErrorCode, ReadonlySet<ValueErrorType>]> = [
  ['MISSING_REQUIRED_FIELD', new Set([ValueErrorType.ObjectRequiredProperty])],
  [
    'INVALID_FIELD_FORMAT',
    new Set([
      ValueErrorType.String,
      ValueErrorType.Number,
      ValueErrorType.Integer,
      ValueErrorType.Boolean,
      ValueErrorType.Object,
      ValueErrorType.Array,
    ]),
  ],
  [
    'INVALID_FIELD_LENGTH',
    new Set([
      ValueErrorType.StringMinLength,
      ValueErrorType.StringMaxLength,
      ValueErrorType.ArrayMinItems,
      ValueErrorType.ArrayMaxItems,
    ]),
  ],
  ['INVALID_FIELD_FORMAT', new Set([ValueErrorType.StringPattern, ValueErrorType.StringFormat])],
];

function firstFieldError(errors: Iterable<ValueError>): FieldError | undefined {
  let path: string | undefined;
  const found: ValueError[] = [];
  for (const error of errors) {
    const at = fieldPath(error.path);
    path ??= at;
    if (at === path) found.push(error);
  }
  if (path === undefined) return undefined;
  const field = fieldName(path);
  for (const [code, types] of PRIORITY) {
    if (found.some((e) => types.has(e.type))) return { code, field, path };
  }
  // Enumerations, numeric bounds, unions: the value is well formed but not allowed.
  return { code: 'INVALID_FIELD_VALUE', field, path };
}

// Items of an array are reported under the array's name, as MDES does
// ("Invalid Field Length - accountRanges").
const fieldPath = (path: string): string => path.replace(/(\/\d+)+$/, '');

const fieldName = (path: string): string => {
  const segments = path.split('/').filter((s) => s !== '' && !/^\d+$/.test(s));
  return segments.at(-1) ?? 'body';
};
