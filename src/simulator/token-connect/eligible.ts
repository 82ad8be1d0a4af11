import { GetEligibleTokenRequestorsRequestSchema } from '../../mastercard/token-connect/schemas.js';
import type {
  GetEligibleTokenRequestorsRequest,
  GetEligibleTokenRequestorsResponse,
  MdesError,
  TokenRequestor,
} from '../../mastercard/token-connect/types.js';
import { type Catalogue, rangeByStart, rangeStart } from './catalogue.js';
import { assertValid, mdesError, parseJson } from './failure.js';
import { stringifyWithInt64 } from './json.js';

/**
 * getEligibleTokenRequestors: MDES zero-pads each account range to 19 digits
 * and matches it exactly against the issuer's enrolled ranges. Each token
 * requestor enabled for at least one of them is returned with the requested
 * ranges it accepts; a range MDES does not know is reported as
 * ACCOUNT_INELIGIBLE in the 200 payload.
 */
export function getEligibleTokenRequestors(catalogue: Catalogue, rawBody: Buffer): string {
  const request = parseJson(rawBody.toString('utf8'));
  assertValid(GetEligibleTokenRequestorsRequestSchema, request);
  const body = request as GetEligibleTokenRequestorsRequest;
  const requested = [...new Set(body.accountRanges.map(rangeStart))];
  const known = requested.filter((start) => rangeByStart(start) !== undefined);
  const errors: MdesError[] = known.length < requested.length ? [mdesError('ACCOUNT_INELIGIBLE')] : [];

  const response: GetEligibleTokenRequestorsResponse = { responseId: body.requestId };
  if (known.length > 0) {
    response.tokenRequestors = catalogue.entries.flatMap((entry): TokenRequestor[] => {
      const enabled = known.filter((start) => entry.record.enabledAccountRanges.includes(start));
      return enabled.length > 0 ? [{ ...entry.record, enabledAccountRanges: enabled }] : [];
    });
  }
  if (errors.length > 0) response.errors = errors;
  return stringifyWithInt64(response, INT64_FIELDS);
}

const INT64_FIELDS = new Set(['enabledAccountRanges']);
