import type { Static, TSchema } from '@sinclair/typebox';
import { jsonTooDeep } from '../../core/json-depth.js';
import { holdsNul } from '../../core/nul.js';
import { firstInvalidField } from '../field-errors.js';
import { fieldRefusal, PreDigitizationError } from './errors.js';
import type { PreDigitizationPayloads } from './payload.js';
import {
  type ActivatedFundingAccountData,
  ActivatedFundingAccountDataSchema,
  type AuthorizeServiceRequest,
  AuthorizeServiceRequestSchema,
  type DeliverActivationCodeRequest,
  DeliverActivationCodeRequestSchema,
  type FundingAccountData,
  FundingAccountDataSchema,
  type ImplementedOperation,
  missingAtcStatus,
  type NotifyServiceActivatedRequest,
  NotifyServiceActivatedRequestSchema,
  type NotifySuspiciousEventsRequest,
  NotifySuspiciousEventsRequestSchema,
  type NotifyTokenUpdatedRequest,
  NotifyTokenUpdatedRequestSchema,
  type RequestActivationMethodsRequest,
  RequestActivationMethodsRequestSchema,
  type UpdatedFundingAccountData,
  UpdatedFundingAccountDataSchema,
  type UpdatedToken,
  type ValidateActivationCodeRequest,
  ValidateActivationCodeRequestSchema,
} from './schemas.js';

/**
 * Reading a request MDES sent: its JSON, then its fields against the spec,
 * then its encrypted payload(s), decrypted with the issuer's key and checked
 * in turn. The first problem refuses the request with the spec's error code
 * and the field's name (never its value); what comes back is the request
 * and the plaintext it carried, which holds card data and PII: keep it in
 * memory only, out of logs and answers.
 */

/** Each operation's request and what its encrypted parts decrypted to. */
export interface OpenedRequests {
  authorizeService: { request: AuthorizeServiceRequest; fundingAccount: FundingAccountData };
  requestActivationMethods: { request: RequestActivationMethodsRequest; fundingAccount: FundingAccountData };
  deliverActivationCode: { request: DeliverActivationCodeRequest };
  notifyServiceActivated: {
    request: NotifyServiceActivatedRequest;
    fundingAccount: ActivatedFundingAccountData;
  };
  notifyTokenUpdated: {
    request: NotifyTokenUpdatedRequest;
    /** In the request's order; `fundingAccount` where the token carried an encrypted payload. */
    tokens: { token: UpdatedToken; fundingAccount?: UpdatedFundingAccountData }[];
  };
  validateActivationCode: { request: ValidateActivationCodeRequest };
  notifySuspiciousEvents: { request: NotifySuspiciousEventsRequest };
}

/** A request body as text: INVALID_JSON unless it parses, or when it holds U+0000. */
export function parseRequestBody(text: string): unknown {
  // Mastercard's codes are a closed list: a body nesting past the bound is JSON MDES would not send, INVALID_JSON.
  if (jsonTooDeep(text)) throw new PreDigitizationError('INVALID_JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PreDigitizationError('INVALID_JSON', undefined, { cause });
  }
  if (holdsNul(value)) throw new PreDigitizationError('INVALID_JSON');
  return value;
}

/** Checks and opens the parsed body of `operation`'s request. */
export function readRequest<O extends ImplementedOperation>(
  operation: O,
  body: unknown,
  payloads: PreDigitizationPayloads,
): OpenedRequests[O] {
  return READERS[operation](body, payloads) as OpenedRequests[O];
}

const FUNDING_ACCOUNT = '/fundingAccountInfo/encryptedPayload';

const READERS: {
  [O in ImplementedOperation]: (body: unknown, payloads: PreDigitizationPayloads) => OpenedRequests[O];
} = {
  authorizeService(body, payloads) {
    const request = checked(AuthorizeServiceRequestSchema, body);
    const envelope = request.fundingAccountInfo.encryptedPayload;
    return { request, fundingAccount: payloads.open(envelope, FundingAccountDataSchema, FUNDING_ACCOUNT) };
  },
  requestActivationMethods(body, payloads) {
    const request = checked(RequestActivationMethodsRequestSchema, body);
    const envelope = request.fundingAccountInfo.encryptedPayload;
    return { request, fundingAccount: payloads.open(envelope, FundingAccountDataSchema, FUNDING_ACCOUNT) };
  },
  deliverActivationCode(body) {
    return { request: checked(DeliverActivationCodeRequestSchema, body) };
  },
  notifyServiceActivated(body, payloads) {
    const request = checked(NotifyServiceActivatedRequestSchema, body);
    const envelope = request.fundingAccountInfo.encryptedPayload;
    return {
      request,
      fundingAccount: payloads.open(envelope, ActivatedFundingAccountDataSchema, FUNDING_ACCOUNT),
    };
  },
  notifyTokenUpdated(body, payloads) {
    const request = checked(NotifyTokenUpdatedRequestSchema, body);
    for (const [i, token] of request.tokens.entries()) {
      checkConditionalMembers(request.reasonCode, token, `/tokens/${i}`);
    }
    const tokens = request.tokens.map((token, i) => {
      const envelope = token.fundingAccountInfo?.encryptedPayload;
      if (!envelope) return { token };
      const at = `/tokens/${i}${FUNDING_ACCOUNT}`;
      return { token, fundingAccount: payloads.open(envelope, UpdatedFundingAccountDataSchema, at) };
    });
    return { request, tokens };
  },
  validateActivationCode(body) {
    return { request: checked(ValidateActivationCodeRequestSchema, body) };
  },
  notifySuspiciousEvents(body) {
    const request = checked(NotifySuspiciousEventsRequestSchema, body);
    const missing = missingAtcStatus(request.events);
    if (missing) {
      throw new PreDigitizationError('MISSING_REQUIRED_FIELD', {
        field: missing,
        path: `/events/${missing}`,
      });
    }
    return { request };
  },
};

function checked<T extends TSchema>(schema: T, body: unknown): Static<T> {
  const invalid = firstInvalidField(schema, body);
  if (invalid) throw fieldRefusal(invalid);
  return body as Static<T>;
}

/**
 * What the spec marks "Conditional" in a NotifyTokenUpdated token: `status`
 * with STATUS_UPDATE, `suspendedBy` with status SUSPENDED, `tokenExpiry` and
 * `fundingAccountInfo` with REDIGITIZATION_COMPLETE.
 */
function checkConditionalMembers(reasonCode: string, token: UpdatedToken, at: string): void {
  const missing = (field: keyof UpdatedToken) =>
    new PreDigitizationError('MISSING_REQUIRED_FIELD', { field, path: `${at}/${field}` });
  if (reasonCode === 'STATUS_UPDATE' && token.status === undefined) throw missing('status');
  if (token.status === 'SUSPENDED' && token.suspendedBy === undefined) throw missing('suspendedBy');
  if (reasonCode === 'REDIGITIZATION_COMPLETE') {
    if (token.tokenExpiry === undefined) throw missing('tokenExpiry');
    if (token.fundingAccountInfo === undefined) throw missing('fundingAccountInfo');
  }
}
