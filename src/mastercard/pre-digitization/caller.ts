import type { KeyObject, X509Certificate } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Clock, systemClock } from '../../core/clock.js';
import { PushprovError } from '../../core/errors.js';
import { type DecryptionKey, EnvelopeDecrypter } from '../encryption/envelope-decrypter.js';
import { firstInvalidField } from '../field-errors.js';
import { FieldLevelPayloadEncrypter } from '../token-connect/encrypter.js';
import { PRE_DIGITIZATION_PATHS, type PreDigitizationOperation } from './paths.js';
import {
  type ActivatedFundingAccountData,
  ActivatedFundingAccountDataSchema,
  type AuthorizeServiceRequest,
  type AuthorizeServiceResponse,
  type AuthorizeServiceResponseData,
  AuthorizeServiceResponseDataSchema,
  type DeliverActivationCodeRequest,
  type DeliverActivationCodeResponse,
  type EncryptedPayload,
  type ErrorsResponse,
  ErrorsResponseSchema,
  type FundingAccountData,
  FundingAccountDataSchema,
  type ImplementedOperation,
  type NotifyServiceActivatedRequest,
  type NotifyServiceActivatedResponse,
  type NotifySuspiciousEventsRequest,
  type NotifySuspiciousEventsResponse,
  type NotifyTokenUpdatedRequest,
  type NotifyTokenUpdatedResponse,
  OPERATION_SCHEMAS,
  type RequestActivationMethodsRequest,
  type RequestActivationMethodsResponse,
  type UpdatedFundingAccountData,
  UpdatedFundingAccountDataSchema,
  type UpdatedToken,
  type ValidateActivationCodeRequest,
  type ValidateActivationCodeResponse,
} from './schemas.js';

/**
 * MDES's client of an issuer's Pre-Digitization web services
 * (docs/mastercard/pre-digitization.md): a POST of JSON per operation below
 * the issuer's registered base URL, over mutually authenticated TLS, card
 * data and PII in an `encryptedPayload` encrypted to the issuer's encryption
 * key with Mastercard's MDES presets (hex, OAEP SHA-512, the certificate's
 * SHA-256 as fingerprint, `iv` and `oaepHashingAlgorithm` written). Each
 * outgoing message is checked against the spec first: a failure there is
 * the caller's bug and throws. Everything the issuer or the network does
 * wrong is an answer, a typed failure, so MDES can stand in or retry.
 */

export interface PreDigitizationTls {
  /** MDES's client certificate (PEM, intermediates after it). */
  cert: string | Buffer;
  /** Its private key (PEM). */
  key: string | Buffer;
  /** The CA(s) that issued the issuer's server certificate (PEM); no other CA is trusted. */
  ca: string | Buffer;
}

export interface PreDigitizationCallerOptions {
  /** The issuer's https base URL including its context root, e.g. `https://bank.example/issuerServices/1/0`. */
  baseUrl: string;
  tls: PreDigitizationTls;
  /** The issuer's encryption certificate (its SHA-256 names it) or bare public key (then the key's SHA-256). */
  issuerEncryptionKey: X509Certificate | KeyObject;
  /** Mastercard's own key(s), to open the AuthorizeService answer's `encryptedPayload`. */
  mastercardDecryptionKeys?: readonly DecryptionKey[];
  /** How long the issuer has to answer each call; default 5 s. */
  timeoutMs?: number;
  clock?: Clock;
}

export type PreDigitizationFailure =
  /** No answer within the timeout. */
  | { kind: 'timeout' }
  /** No answer at all: refused or reset connection, DNS, a TLS handshake refused by either side. */
  | { kind: 'network'; code: string }
  /** A non-2xx answer, with the spec's ErrorsResponse when the body is one. */
  | { kind: 'http'; status: number; error: ErrorsResponse | undefined }
  /** A 2xx answer MDES cannot use: not JSON, not the operation's schema, another `responseId`, a payload that does not open. */
  | { kind: 'invalid-answer'; reason: string };

export type PreDigitizationResult<T> =
  | { ok: true; status: number; answer: T }
  | { ok: false; failure: PreDigitizationFailure };

/** A request as the caller is given it: its `fundingAccountInfo` without the envelope, which the caller makes. */
type Clear<T extends { fundingAccountInfo: { encryptedPayload: EncryptedPayload } }> = Omit<
  T,
  'fundingAccountInfo'
> & { fundingAccountInfo: Omit<T['fundingAccountInfo'], 'encryptedPayload'> };

export type ClearAuthorizeServiceRequest = Clear<AuthorizeServiceRequest>;
export type ClearRequestActivationMethodsRequest = Clear<RequestActivationMethodsRequest>;
export type ClearNotifyServiceActivatedRequest = Clear<NotifyServiceActivatedRequest>;
/** A token of NotifyTokenUpdated whose `fundingAccountData` (if any) the caller encrypts into `fundingAccountInfo`. */
type ClearUpdatedToken = Omit<UpdatedToken, 'fundingAccountInfo'> & {
  fundingAccountData?: UpdatedFundingAccountData;
};
export type ClearNotifyTokenUpdatedRequest = Omit<NotifyTokenUpdatedRequest, 'tokens'> & {
  tokens: ClearUpdatedToken[];
};

/** The AuthorizeService answer, with its `encryptedPayload` opened when it carried one. */
export interface AuthorizeServiceAnswer extends AuthorizeServiceResponse {
  data: AuthorizeServiceResponseData | undefined;
}

type AnswerOf<O extends ImplementedOperation> = Static<(typeof OPERATION_SCHEMAS)[O]['response']>;

/** "Mastercard recommends using a value of (Current Time + 30 minutes)" (`dataValidUntilTimestamp`). */
const PAYLOAD_VALIDITY_MS = 30 * 60_000;
/** An answer is a few hundred bytes; a megabyte is more than any the spec allows. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** One client per issuer endpoint: a keep-alive agent holding MDES's client identity. */
export class PreDigitizationCaller {
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #encrypter: FieldLevelPayloadEncrypter;
  readonly #mastercard: EnvelopeDecrypter | undefined;
  readonly #timeoutMs: number;
  readonly #clock: Clock;

  constructor(options: PreDigitizationCallerOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'https:') {
      throw new PushprovError(
        'PRE_DIGITIZATION_URL_INVALID',
        'the issuer’s Pre-Digitization URL must be https',
      );
    }
    this.#base = base;
    // Only the given CA: an issuer's certificate from any other is refused at the handshake.
    this.#agent = new Agent({
      keepAlive: true,
      cert: options.tls.cert,
      key: options.tls.key,
      ca: options.tls.ca,
      minVersion: 'TLSv1.2',
    });
    this.#encrypter = new FieldLevelPayloadEncrypter({
      encryptionKey: options.issuerEncryptionKey,
      oaepHashingAlgorithm: 'SHA512',
    });
    this.#mastercard =
      options.mastercardDecryptionKeys && options.mastercardDecryptionKeys.length > 0
        ? new EnvelopeDecrypter(options.mastercardDecryptionKeys, {
            encodings: ['hex'],
            sha1Fingerprints: true,
          })
        : undefined;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Authorize Service: the issuer's decision on a tokenization. */
  async authorizeService(
    request: ClearAuthorizeServiceRequest,
    data: FundingAccountData,
  ): Promise<PreDigitizationResult<AuthorizeServiceAnswer>> {
    const message = {
      ...request,
      fundingAccountInfo: {
        ...request.fundingAccountInfo,
        encryptedPayload: this.#seal(FundingAccountDataSchema, data),
      },
    };
    const result = await this.#call('authorizeService', message);
    if (!result.ok) return result;
    const answer = result.answer as AuthorizeServiceResponse;
    let opened: AuthorizeServiceResponseData | undefined;
    if (answer.encryptedPayload) {
      const data = this.#open(answer.encryptedPayload);
      if (!data)
        return invalid('the answer’s encryptedPayload does not open to AuthorizeServiceResponseData');
      opened = data;
    }
    return { ok: true, status: result.status, answer: { ...answer, data: opened } };
  }

  /** Request Activation Methods: how the cardholder can authenticate. */
  async requestActivationMethods(
    request: ClearRequestActivationMethodsRequest,
    data: FundingAccountData,
  ): Promise<PreDigitizationResult<RequestActivationMethodsResponse>> {
    const message = {
      ...request,
      fundingAccountInfo: {
        ...request.fundingAccountInfo,
        encryptedPayload: this.#seal(FundingAccountDataSchema, data),
      },
    };
    return this.#call('requestActivationMethods', message) as Promise<
      PreDigitizationResult<RequestActivationMethodsResponse>
    >;
  }

  /** Deliver Activation Code: the issuer sends the code (MDES's, when `activationCode` is given) to the cardholder. */
  async deliverActivationCode(
    request: DeliverActivationCodeRequest,
  ): Promise<PreDigitizationResult<DeliverActivationCodeResponse>> {
    return this.#call('deliverActivationCode', request);
  }

  /** Notify Service Activated: a token is active. */
  async notifyServiceActivated(
    request: ClearNotifyServiceActivatedRequest,
    data: ActivatedFundingAccountData,
  ): Promise<PreDigitizationResult<NotifyServiceActivatedResponse>> {
    const message = {
      ...request,
      fundingAccountInfo: {
        ...request.fundingAccountInfo,
        encryptedPayload: this.#seal(ActivatedFundingAccountDataSchema, data),
      },
    };
    return this.#call('notifyServiceActivated', message);
  }

  /** Notify Token Updated: tokens changed (status, re-digitization, …). */
  async notifyTokenUpdated(
    request: ClearNotifyTokenUpdatedRequest,
  ): Promise<PreDigitizationResult<NotifyTokenUpdatedResponse>> {
    const message: NotifyTokenUpdatedRequest = {
      ...request,
      tokens: request.tokens.map(({ fundingAccountData, ...token }) => ({
        ...token,
        ...(fundingAccountData && {
          fundingAccountInfo: {
            encryptedPayload: this.#seal(UpdatedFundingAccountDataSchema, fundingAccountData),
          },
        }),
      })),
    };
    return this.#call('notifyTokenUpdated', message);
  }

  /** Validate Activation Code: is the code the cardholder entered the one the issuer sent? */
  async validateActivationCode(
    request: ValidateActivationCodeRequest,
  ): Promise<PreDigitizationResult<ValidateActivationCodeResponse>> {
    return this.#call('validateActivationCode', request);
  }

  /** Notify Suspicious Events: what MDES saw go wrong with a token's replenishment. */
  async notifySuspiciousEvents(
    request: NotifySuspiciousEventsRequest,
  ): Promise<PreDigitizationResult<NotifySuspiciousEventsResponse>> {
    return this.#call('notifySuspiciousEvents', request);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** Checks the plaintext, stamps its validity (now + 30 min unless given) and encrypts it to the issuer's key. */
  #seal(schema: TSchema, data: object): EncryptedPayload {
    const stamped = {
      ...data,
      dataValidUntilTimestamp:
        (data as { dataValidUntilTimestamp?: string }).dataValidUntilTimestamp ??
        new Date(this.#clock.now().getTime() + PAYLOAD_VALIDITY_MS).toISOString(),
    };
    assertSpec(schema, stamped, 'encrypted payload');
    return this.#encrypter.encrypt(JSON.stringify(stamped));
  }

  #open(envelope: EncryptedPayload): AuthorizeServiceResponseData | undefined {
    if (!this.#mastercard) return undefined;
    try {
      const data: unknown = JSON.parse(this.#mastercard.decrypt(envelope));
      return Value.Check(AuthorizeServiceResponseDataSchema, data) ? data : undefined;
    } catch {
      return undefined;
    }
  }

  async #call<O extends ImplementedOperation>(
    operation: O,
    message: { requestId: string },
  ): Promise<PreDigitizationResult<AnswerOf<O>>> {
    const { request: requestSchema, response: responseSchema } = OPERATION_SCHEMAS[operation];
    assertSpec(requestSchema, message, operation);
    const exchange = await this.#post(operation, JSON.stringify(message));
    if ('failure' in exchange) return { ok: false, failure: exchange.failure };
    const { status, text } = exchange;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status < 200 || status > 299) {
      const error = Value.Check(ErrorsResponseSchema, body) ? body : undefined;
      return { ok: false, failure: { kind: 'http', status, error } };
    }
    if (body === undefined) return invalid('the answer is not JSON');
    const problem = firstInvalidField(responseSchema, body);
    if (problem) return invalid(`${problem.code} ${problem.path}`);
    const answer = body as AnswerOf<O>;
    // An answer to another request is no answer to this one.
    if (answer.responseId !== message.requestId) return invalid('responseId is not the requestId');
    return { ok: true, status, answer };
  }

  #post(
    operation: PreDigitizationOperation,
    body: string,
  ): Promise<{ status: number; text: string } | { failure: PreDigitizationFailure }> {
    const url = new URL(this.#base.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${PRE_DIGITIZATION_PATHS[operation]}`;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: { status: number; text: string } | { failure: PreDigitizationFailure }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const req = httpsRequest(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy();
              settle({ failure: { kind: 'invalid-answer', reason: 'the answer is too large' } });
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            settle({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error: NodeJS.ErrnoException) =>
            settle({ failure: { kind: 'network', code: error.code ?? 'RESPONSE_ERROR' } }),
          );
        },
      );
      const timer = setTimeout(() => {
        settle({ failure: { kind: 'timeout' } });
        req.destroy();
      }, this.#timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle({ failure: { kind: 'network', code: error.code ?? 'NETWORK_ERROR' } }),
      );
      req.end(body);
    });
  }
}

const invalid = (reason: string): { ok: false; failure: PreDigitizationFailure } => ({
  ok: false,
  failure: { kind: 'invalid-answer', reason },
});

/** A message pushprov makes that breaks the spec is pushprov's bug: it is never sent. */
function assertSpec(schema: TSchema, value: unknown, what: string): void {
  const problem = firstInvalidField(schema, value);
  if (problem) {
    throw new PushprovError(
      'PRE_DIGITIZATION_REQUEST_INVALID',
      `the ${what} MDES was about to send breaks the spec: ${problem.code} ${problem.path}`,
    );
  }
}
