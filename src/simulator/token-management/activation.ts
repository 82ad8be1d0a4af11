import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, PushprovError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import {
  type ACTIVATION_METHOD_CODES,
  type ActivationMethod as CustomerServiceActivationMethod,
  TokenActivationMethodsRequestSchema,
  TokenResendActivationCodeRequestSchema,
} from '../../mastercard/customer-service/schemas.js';
import type {
  ActivationMethod,
  ActivationMethodType,
  ValidationResult,
} from '../../mastercard/pre-digitization/schemas.js';
import type { Client } from '../gateway/clients.js';
import type { IssuerServices } from '../pre-digitization/issuers.js';
import type { PreDigitizationSchema } from '../pre-digitization/tables.js';
import { CustomerServiceFailure } from './failure.js';
import { readCustomerServiceRequest, unknownToken } from './service.js';

/** The Pre-Digitization activation method types as Customer Service codes them (`ActivationMethodType`). */
const CODES: Readonly<Record<ActivationMethodType, (typeof ACTIVATION_METHOD_CODES)[number]>> = {
  TEXT_TO_CARDHOLDER_NUMBER: 'SMS',
  EMAIL_TO_CARDHOLDER_ADDRESS: 'EMA',
  CARDHOLDER_TO_CALL_AUTOMATED_NUMBER: 'ACC',
  CARDHOLDER_TO_CALL_MANNED_NUMBER: 'CLC',
  CARDHOLDER_TO_VISIT_WEBSITE: 'WEB',
  CARDHOLDER_TO_USE_MOBILE_APP: 'BAP',
  ISSUER_TO_CALL_CARDHOLDER_NUMBER: 'OBC',
};
/** The methods that carry a code to the cardholder: text, e-mail, a call to the cardholder. */
const DISTRIBUTES_A_CODE = new Set<string>(['SMS', 'EMA', 'OBC']);
/** Assumption: an activation code MDES makes is 6 digits and valid 30 minutes; no source gives either. */
const CODE_DIGITS = 6;
const CODE_VALIDITY_MS = 30 * 60_000;
/** "it can only be done up to 30 days after the token was created" (Customer Service, /token/resendactivationcode). */
const RESEND_WINDOW_MS = 30 * 86_400_000;

export interface TokenActivationOptions {
  db: Kysely<unknown>;
  clock: Clock;
  issuers: Pick<IssuerServices, 'of'>;
  /** The token requestor's consumer-facing name, for the issuer. */
  nameOf: (tokenRequestorId: string) => string | undefined;
  /**
   * Who makes and checks activation codes: MDES (default; Deliver Activation
   * Code carries the code), or the issuer (Deliver Activation Code without a
   * code, and the code the cardholder enters goes to Validate Activation Code).
   */
  codesBy?: 'mdes' | 'issuer';
  /** Makes a token awaiting activation ACTIVE once its code was right (Customer Service's activateWithCode). */
  activate: (issuerConsumerKey: string, tokenUniqueReference: string) => Promise<void>;
}

/** What entering an activation code came to, and who checked it. */
export interface EnteredCode {
  result: ValidationResult;
  checkedBy: 'MDES' | 'ISSUER';
}

type Db = Kysely<PreDigitizationSchema>;

/**
 * Customer Service's view of a token awaiting activation (MDES Customer
 * Service 2.0.7 `/token/activationmethods`, `/token/resendactivationcode`):
 * the activation methods the issuer gave with its decision, and a new
 * activation code made by MDES and handed to the issuer with Deliver
 * Activation Code for it to send ("activationCode … only present if
 * Mastercard generates the activationCode"). MDES keeps only the code's hash.
 */
export class TokenActivation {
  readonly #db: Db;
  readonly #options: TokenActivationOptions;

  constructor(options: TokenActivationOptions) {
    this.#db = options.db as Db;
    this.#options = options;
  }

  async methods(client: Client, raw: Buffer): Promise<Record<string, unknown>> {
    const request = readCustomerServiceRequest<{
      TokenActivationMethodsRequest: { TokenUniqueReference: string };
    }>(TokenActivationMethodsRequestSchema, raw).TokenActivationMethodsRequest;
    const token = await this.#token(client, request.TokenUniqueReference, 'TokenActivationMethodsRequest');
    return {
      TokenActivationMethodsResponse: {
        ActivationMethods: {
          ActivationMethod: customerServiceMethods(keptMethods(token.activation_methods)),
        },
      },
    };
  }

  async resend(client: Client, raw: Buffer): Promise<Record<string, unknown>> {
    const wrapper = 'TokenResendActivationCodeRequest';
    const request = readCustomerServiceRequest<{
      TokenResendActivationCodeRequest: { TokenUniqueReference: string; ActivationMethodId: string };
    }>(TokenResendActivationCodeRequestSchema, raw)[wrapper];
    const token = await this.#token(client, request.TokenUniqueReference, wrapper);
    const now = this.#options.clock.now();
    if (token.status !== 'INACTIVE' || now.getTime() - token.created_at.getTime() > RESEND_WINDOW_MS) {
      throw new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.TokenUniqueReference`);
    }
    const methods = keptMethods(token.activation_methods);
    const index = Number(request.ActivationMethodId) - 1;
    const method = Number.isInteger(index) ? methods[index] : undefined;
    if (!method || !DISTRIBUTES_A_CODE.has(codeOf(method))) {
      throw new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.ActivationMethodId`);
    }
    const issuer = await this.#options.issuers.of(token.issuer_consumer_key);
    if (!issuer) throw new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.TokenUniqueReference`);

    // MDES's own code, unless the issuer makes its codes ("only present if Mastercard generates the activationCode").
    const mdesCode =
      this.#options.codesBy === 'issuer'
        ? undefined
        : {
            code: String(randomInt(10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0'),
            expires: new Date(now.getTime() + CODE_VALIDITY_MS),
          };
    // The new code replaces the last one before anyone hears of it.
    await this.#db
      .updateTable('mc_tokens')
      .set({
        activation_code_hash: mdesCode ? codeHash(token.token_unique_reference, mdesCode.code) : null,
        activation_code_expires_at: mdesCode?.expires ?? null,
      })
      .where('token_unique_reference', '=', token.token_unique_reference)
      .execute();
    const name = this.#options.nameOf(token.token_requestor_id);
    const delivered = await issuer.deliverActivationCode({
      requestId: newId('dac'),
      tokenUniqueReference: token.token_unique_reference,
      correlationId: correlationOf(token),
      activationMethod: method,
      ...(mdesCode && { activationCode: mdesCode.code, expirationDateTime: mdesCode.expires.toISOString() }),
      ...(name && { consumerFacingEntityName: name }),
    });
    // Assumption: an issuer that does not take the code makes the resend fail, recoverably.
    if (!delivered.ok) throw new CustomerServiceFailure('INTERNAL_SERVICE_FAILURE', 'System');
    return {
      TokenResendActivationCodeResponse: { Token: { TokenUniqueReference: token.token_unique_reference } },
    };
  }

  /**
   * The cardholder typed the activation code into the token requestor's app.
   * MDES checks a code it made itself; a code the issuer made goes to the
   * issuer's Validate Activation Code ("when activation is requested with
   * activationCode and Issuer have chosen the option to validate the code
   * self"). A right code activates the token (Notify Service Activated
   * follows). MDES's own check counts no tries (the issuer's does).
   */
  async enterCode(tokenUniqueReference: string, code: string): Promise<EnteredCode> {
    const token = await this.#db
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference)
      .executeTakeFirst();
    if (!token) throw new NotFoundError('SIMULATED_TOKEN_NOT_FOUND', 'MDES holds no such token');
    if (token.status !== 'INACTIVE') {
      throw new ConflictError('SIMULATED_TOKEN_NOT_INACTIVE', 'the token does not wait for activation');
    }
    let entered: EnteredCode;
    if (this.#options.codesBy === 'issuer') {
      const issuer = await this.#options.issuers.of(token.issuer_consumer_key);
      const answer = await issuer?.validateActivationCode({
        requestId: newId('vac'),
        tokenUniqueReference,
        correlationId: correlationOf(token),
        activationCode: code,
      });
      if (!answer?.ok || answer.answer.result === undefined) {
        throw new PushprovError(
          'ACTIVATION_CODE_VALIDATION_UNAVAILABLE',
          'the issuer did not answer Validate Activation Code',
          { status: 502, ...(answer && !answer.ok && { details: { failure: answer.failure.kind } }) },
        );
      }
      entered = { result: answer.answer.result, checkedBy: 'ISSUER' };
    } else {
      entered = { result: this.#mdesCheck(token, code), checkedBy: 'MDES' };
    }
    if (entered.result === 'SUCCESS')
      await this.#options.activate(token.issuer_consumer_key, tokenUniqueReference);
    return entered;
  }

  #mdesCheck(
    token: {
      token_unique_reference: string;
      activation_code_hash: string | null;
      activation_code_expires_at: Date | null;
    },
    code: string,
  ): ValidationResult {
    const kept = token.activation_code_hash;
    const expires = token.activation_code_expires_at;
    if (kept === null || expires === null || expires.getTime() <= this.#options.clock.now().getTime()) {
      return 'EXPIRED_CODE';
    }
    const given = Buffer.from(codeHash(token.token_unique_reference, code), 'hex');
    return timingSafeEqual(given, Buffer.from(kept, 'hex')) ? 'SUCCESS' : 'INCORRECT_CODE';
  }

  async #token(client: Client, reference: string, wrapper: string) {
    const token = await this.#db
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', reference)
      .where('issuer_consumer_key', '=', client.consumerKey)
      .executeTakeFirst();
    if (!token) throw unknownToken(wrapper);
    return token;
  }
}

/** The methods kept with a token created after REQUIRE_ADDITIONAL_AUTHENTICATION; none for any other. */
function keptMethods(json: string | null): ActivationMethod[] {
  return json === null ? [] : (JSON.parse(json) as ActivationMethod[]);
}

const codeOf = (method: ActivationMethod): string =>
  CODES[method.type as ActivationMethodType] ?? method.type.slice(0, 3);

/** Each method with its id, its position from 1 (**Assumption**: MDES's ids are its own; the simulator numbers them). */
function customerServiceMethods(methods: ActivationMethod[]): CustomerServiceActivationMethod[] {
  return methods.map((method, i) => ({
    ActivationMethodId: String(i + 1),
    ActivationMethodType: codeOf(method),
    ActivationMethodValue: method.value,
    ResendIndicator: DISTRIBUTES_A_CODE.has(codeOf(method)) ? 'TRUE' : 'FALSE',
  }));
}

/** The token's correlationId ("linking pre-digitization messages"), the same in every message about it. */
const correlationOf = (token: { correlation_id: string | null; token_unique_reference: string }) =>
  token.correlation_id ?? token.token_unique_reference.slice(-14);

/** The code is kept only as SHA-256 over the token reference and the code. */
function codeHash(tokenUniqueReference: string, code: string): string {
  return createHash('sha256').update(`${tokenUniqueReference}:${code}`).digest('hex');
}
