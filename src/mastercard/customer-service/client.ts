import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValidationError } from '../../core/errors.js';
import { SignedJsonTransport, type TransportOptions } from '../http/transport.js';
import {
  CUSTOMER_SERVICE_PATHS,
  type CustomerServiceEnvironment,
  type CustomerServiceOperation,
  customerServiceBaseUrl,
} from './endpoints.js';
import { CUSTOMER_SERVICE_ERROR_CODES, CustomerServiceError } from './errors.js';
import {
  type ACTIVATE_REASONS,
  type ActivationMethod,
  type AuditInfo,
  type DELETE_REASONS,
  SearchRequestSchema,
  type SearchResponse,
  SearchResponseSchema,
  type SearchToken,
  type SimpleToken,
  type Status,
  type SUSPEND_REASONS,
  TokenActivateRequestSchema,
  TokenActivateResponseSchema,
  TokenActivationMethodsRequestSchema,
  TokenActivationMethodsResponseSchema,
  TokenDeleteRequestSchema,
  TokenDeleteResponseSchema,
  TokenResendActivationCodeRequestSchema,
  TokenResendActivationCodeResponseSchema,
  TokenStatusHistoryRequestSchema,
  TokenStatusHistoryResponseSchema,
  TokenSuspendRequestSchema,
  TokenSuspendResponseSchema,
  TokenUnsuspendRequestSchema,
  TokenUnsuspendResponseSchema,
  TokenUpdateRequestSchema,
  TokenUpdateResponseSchema,
  type UNSUSPEND_REASONS,
} from './schemas.js';

/** The transport's options (signer, timeout, retries, fetch, hooks) and where the API is. */
export interface CustomerServiceClientOptions extends TransportOptions {
  environment: CustomerServiceEnvironment;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export type SearchCriterion = { tokenUniqueReference: string } | { accountPan: string };

/** A change of one token: which, why (the operation's ReasonCode), who, and an optional comment. */
export interface TokenChange<R extends string> {
  tokenUniqueReference: string;
  reasonCode: R;
  auditInfo: AuditInfo;
  commentText?: string;
}

/** A card replaced: the token's new account mapping; any of the three. */
export interface FundingAccountUpdate {
  tokenUniqueReference: string;
  /** The full new card number, in the same account range. */
  newAccountPan?: string;
  /** MMYY. */
  expirationDate?: string;
  accountPanSequenceNumber?: string;
  auditInfo: AuditInfo;
  commentText?: string;
}

/**
 * The issuer's client for MDES Customer Service (2.0.7): one token per call,
 * PascalCase requests checked against the spec's schema before they leave,
 * signed and retried by the shared transport; failures come back as
 * CustomerServiceError with MDES's reason code and the field it names. A
 * card number in a request (search by account, token update) is never in an
 * error, a log line or an event.
 */
export class CustomerServiceClient {
  readonly #baseUrl: string;
  readonly #transport: SignedJsonTransport;

  constructor(options: CustomerServiceClientOptions) {
    this.#baseUrl = customerServiceBaseUrl(options.environment);
    this.#transport = new SignedJsonTransport(options);
  }

  /** The tokens of one token unique reference, or of one card number, with their status and suspenders. */
  async search(
    criterion: SearchCriterion,
    auditInfo: AuditInfo,
    options: CallOptions & { excludeDeleted?: boolean } = {},
  ): Promise<SearchToken[]> {
    const request = {
      SearchRequest: {
        ...('tokenUniqueReference' in criterion
          ? { TokenUniqueReference: criterion.tokenUniqueReference }
          : { AccountPan: criterion.accountPan }),
        ...(options.excludeDeleted !== undefined && {
          ExcludeDeletedIndicator: String(options.excludeDeleted) as 'true' | 'false',
        }),
        AuditInfo: auditInfo,
      },
    };
    const answer = await this.#call<SearchResponse>(
      'search',
      SearchRequestSchema,
      request,
      SearchResponseSchema,
      options,
    );
    return answer.SearchResponse.Accounts.Account.flatMap((account) => account.Tokens.Token);
  }

  async suspend(change: TokenChange<(typeof SUSPEND_REASONS)[number]>, options: CallOptions = {}) {
    const answer = await this.#call<{ TokenSuspendResponse: { Token: SimpleToken } }>(
      'suspend',
      TokenSuspendRequestSchema,
      { TokenSuspendRequest: changeBody(change) },
      TokenSuspendResponseSchema,
      options,
    );
    return answer.TokenSuspendResponse.Token;
  }

  async unsuspend(change: TokenChange<(typeof UNSUSPEND_REASONS)[number]>, options: CallOptions = {}) {
    const answer = await this.#call<{ TokenUnsuspendResponse: { Token: SimpleToken } }>(
      'unsuspend',
      TokenUnsuspendRequestSchema,
      { TokenUnsuspendRequest: changeBody(change) },
      TokenUnsuspendResponseSchema,
      options,
    );
    return answer.TokenUnsuspendResponse.Token;
  }

  async delete(change: TokenChange<(typeof DELETE_REASONS)[number]>, options: CallOptions = {}) {
    const answer = await this.#call<{ TokenDeleteResponse: { Token: SimpleToken } }>(
      'delete',
      TokenDeleteRequestSchema,
      { TokenDeleteRequest: changeBody(change) },
      TokenDeleteResponseSchema,
      options,
    );
    return answer.TokenDeleteResponse.Token;
  }

  async activate(change: TokenChange<(typeof ACTIVATE_REASONS)[number]>, options: CallOptions = {}) {
    const answer = await this.#call<{ TokenActivateResponse: { Token: SimpleToken } }>(
      'activate',
      TokenActivateRequestSchema,
      { TokenActivateRequest: changeBody(change) },
      TokenActivateResponseSchema,
      options,
    );
    return answer.TokenActivateResponse.Token;
  }

  /** After a card replacement; MDES updates ACTIVE and SUSPENDED tokens only. */
  async update(update: FundingAccountUpdate, options: CallOptions = {}): Promise<SimpleToken[]> {
    const request = {
      TokenUpdateRequest: {
        TokenUniqueReference: update.tokenUniqueReference,
        ...(update.newAccountPan !== undefined && { NewAccountPan: update.newAccountPan }),
        ...(update.expirationDate !== undefined && { ExpirationDate: update.expirationDate }),
        ...(update.accountPanSequenceNumber !== undefined && {
          AccountPanSequenceNumber: update.accountPanSequenceNumber,
        }),
        ...(update.commentText !== undefined && { CommentText: update.commentText }),
        AuditInfo: update.auditInfo,
      },
    };
    const { newAccountPan, expirationDate, accountPanSequenceNumber } = update;
    if (
      newAccountPan === undefined &&
      expirationDate === undefined &&
      accountPanSequenceNumber === undefined
    ) {
      throw invalid('update', '/TokenUpdateRequest', 'names nothing to update');
    }
    const answer = await this.#call<{ TokenUpdateResponse: { Tokens: { Token: SimpleToken[] } } }>(
      'update',
      TokenUpdateRequestSchema,
      request,
      TokenUpdateResponseSchema,
      options,
    );
    return answer.TokenUpdateResponse.Tokens.Token;
  }

  /** The token's statuses, oldest first as MDES lists them, with who changed it and why. */
  async statusHistory(
    tokenUniqueReference: string,
    auditInfo: AuditInfo,
    options: CallOptions = {},
  ): Promise<Status[]> {
    const answer = await this.#call<{ TokenStatusHistoryResponse: { Statuses: { Status: Status[] } } }>(
      'statusHistory',
      TokenStatusHistoryRequestSchema,
      { TokenStatusHistoryRequest: { TokenUniqueReference: tokenUniqueReference, AuditInfo: auditInfo } },
      TokenStatusHistoryResponseSchema,
      options,
    );
    return answer.TokenStatusHistoryResponse.Statuses.Status;
  }

  /** How the cardholder may activate a token awaiting activation; empty when the issuer gave none. */
  async activationMethods(
    tokenUniqueReference: string,
    auditInfo: AuditInfo,
    options: CallOptions = {},
  ): Promise<ActivationMethod[]> {
    const answer = await this.#call<{
      TokenActivationMethodsResponse: { ActivationMethods: { ActivationMethod: ActivationMethod[] } };
    }>(
      'activationMethods',
      TokenActivationMethodsRequestSchema,
      { TokenActivationMethodsRequest: { TokenUniqueReference: tokenUniqueReference, AuditInfo: auditInfo } },
      TokenActivationMethodsResponseSchema,
      options,
    );
    return answer.TokenActivationMethodsResponse.ActivationMethods.ActivationMethod;
  }

  /** Has MDES make a new activation code and send it by the method `activationMethodId` names. */
  async resendActivationCode(
    resend: { tokenUniqueReference: string; activationMethodId: string; auditInfo: AuditInfo },
    options: CallOptions = {},
  ): Promise<{ TokenUniqueReference: string }> {
    const answer = await this.#call<{
      TokenResendActivationCodeResponse: { Token: { TokenUniqueReference: string } };
    }>(
      'resendActivationCode',
      TokenResendActivationCodeRequestSchema,
      {
        TokenResendActivationCodeRequest: {
          TokenUniqueReference: resend.tokenUniqueReference,
          ActivationMethodId: resend.activationMethodId,
          AuditInfo: resend.auditInfo,
        },
      },
      TokenResendActivationCodeResponseSchema,
      options,
    );
    return answer.TokenResendActivationCodeResponse.Token;
  }

  async #call<T>(
    operation: CustomerServiceOperation,
    requestSchema: TSchema,
    request: unknown,
    answerSchema: TSchema,
    options: CallOptions,
  ): Promise<T> {
    const problem = Value.Errors(requestSchema, request).First();
    if (problem) throw invalid(operation, problem.path, problem.message);
    const result = await this.#transport.send({
      operation,
      method: 'POST',
      url: this.#baseUrl + CUSTOMER_SERVICE_PATHS[operation],
      body: JSON.stringify(request),
      holdsResult: (answer) => Value.Check(answerSchema, answer),
      signal: options.signal,
    });
    if (!result.ok) {
      throw new CustomerServiceError(CUSTOMER_SERVICE_ERROR_CODES[result.kind], {
        operation,
        attempts: result.attempts,
        recoverable: result.recoverable,
        httpStatus: result.status,
        errors: result.errors,
        correlationId: result.correlationId,
        cause: result.cause,
      });
    }
    if (!Value.Check(answerSchema, result.value)) {
      throw new CustomerServiceError('CUSTOMER_SERVICE_UNEXPECTED_RESPONSE', {
        operation,
        attempts: result.attempts,
        recoverable: false,
        httpStatus: result.status,
      });
    }
    return result.value as T;
  }
}

function changeBody<R extends string>(change: TokenChange<R>) {
  return {
    TokenUniqueReference: change.tokenUniqueReference,
    ReasonCode: change.reasonCode,
    ...(change.commentText !== undefined && { CommentText: change.commentText }),
    AuditInfo: change.auditInfo,
  };
}

/** Refuses a request before it is sent; the message names the field, never its value. */
const invalid = (operation: CustomerServiceOperation, path: string, problem: string) =>
  new ValidationError(
    'CUSTOMER_SERVICE_INVALID_REQUEST',
    `MDES Customer Service ${operation} request is invalid at ${path || '/'}: ${problem}`,
    { details: { operation, path } },
  );
