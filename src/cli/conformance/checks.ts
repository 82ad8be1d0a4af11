import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { TokenConnectError } from '../../mastercard/token-connect/errors.js';
import { isReasonCode, REASON_CODES } from '../../mastercard/token-connect/reason-codes.js';
import { RECEIPT_PREFIXES } from '../../mastercard/token-connect/schemas.js';
import type { MdesError } from '../../mastercard/token-connect/types.js';
import type { HttpAnswer } from './context.js';

/**
 * A documented outcome the target did not produce. Messages say what
 * differed in terms of statuses, reason codes, field names and receipt
 * prefixes: never a card number, PII or a key.
 */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

/** The value matches the spec's schema; the message names the first path in error. */
export function conforms<T extends TSchema>(
  schema: T,
  value: unknown,
  what: string,
): asserts value is Static<T> {
  const first = Value.Errors(schema, value).First();
  if (first)
    throw new ConformanceFailure(`${what} does not match the spec at ${first.path || '/'}: ${first.message}`);
}

/** An error answer, however it arrived: thrown by pushprov's client, or read from a raw answer. */
export interface Refusal {
  status: number | undefined;
  source?: string | undefined;
  reasonCode?: string | undefined;
  description?: string | undefined;
  recoverable?: boolean | undefined;
}

/**
 * The errors a call of pushprov's client ended with: a TokenConnectError, or
 * a 200 answer whose payload carries `errors` (Token Connect reports
 * processing errors that way).
 */
export async function refusalFrom(call: Promise<{ errors?: MdesError[] } | object>): Promise<Refusal> {
  let answer: { errors?: MdesError[] };
  try {
    answer = await call;
  } catch (error) {
    if (!(error instanceof TokenConnectError)) throw error;
    const { httpStatus, source, reasonCode, description, recoverable } = error;
    return { status: httpStatus, source, reasonCode, description, recoverable };
  }
  const first = answer.errors?.[0];
  check(first, 'the call succeeded without errors; expected a refusal');
  return { status: 200, ...first };
}

/** The first error of a raw answer in MDES's ErrorWrapper (or a 200 payload with `errors`). */
export function refusalOf(answer: HttpAnswer): Refusal {
  const errors = isRecord(answer.body) && Array.isArray(answer.body.errors) ? answer.body.errors : [];
  const first: unknown = errors[0];
  if (!isRecord(first)) return { status: answer.status };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    status: answer.status,
    source: text(first.source),
    reasonCode: text(first.reasonCode),
    description: text(first.description),
    recoverable: typeof first.recoverable === 'boolean' ? first.recoverable : undefined,
  };
}

export interface ExpectedRefusal {
  reasonCode: string;
  /** The field MDES names at the end of the description ("Invalid Field Length - requestId"). */
  field?: string;
  /** Default: the status REASON_CODES gives the code. */
  status?: number;
}

/** `what` names the case when a scenario checks several. */
export function expectRefusal(actual: Refusal, expected: ExpectedRefusal, what?: string): void {
  const status =
    expected.status ??
    (isReasonCode(expected.reasonCode) ? REASON_CODES[expected.reasonCode].status : undefined);
  const field = fieldOf(actual.description);
  const matches =
    actual.reasonCode === expected.reasonCode &&
    (status === undefined || actual.status === status) &&
    (expected.field === undefined || field === expected.field);
  const describe = (reason: string | undefined, named: string | undefined, http: number | undefined) =>
    `${reason ?? 'no reason code'}${named ? ` (${named})` : ''} with HTTP ${http ?? '(none)'}`;
  check(
    matches,
    `${what ? `${what}: ` : ''}expected ${describe(expected.reasonCode, expected.field, status)}, got ${describe(actual.reasonCode, field, actual.status)}`,
  );
}

const fieldOf = (description: string | undefined): string | undefined =>
  description === undefined ? undefined : /\s-\s([A-Za-z0-9_.]+)$/.exec(description)?.[1];

const RECEIPT = new RegExp(`^(${Object.keys(RECEIPT_PREFIXES).join('|')})-[A-Za-z0-9-]+$`);

/** A receipt shaped as documented: a product prefix, a dash, an opaque identifier, at most 64 characters. */
export function checkReceipt(receipt: unknown, prefix?: keyof typeof RECEIPT_PREFIXES): string {
  check(
    typeof receipt === 'string' && receipt.length <= 64 && RECEIPT.test(receipt),
    'a receipt is not PREFIX-identifier',
  );
  const actual = receipt.slice(0, 3);
  check(prefix === undefined || actual === prefix, `expected a ${prefix}- receipt, got ${actual}-`);
  return receipt;
}

/** Equal as JSON values, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
