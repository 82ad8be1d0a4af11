import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { type Clock, systemClock } from '../../core/clock.js';
import { CustomerServiceClient } from '../../mastercard/customer-service/client.js';
import { pushedCardTokenizeRequest, TOKENIZE_PATH } from '../../mastercard/digital-enablement/tokenize.js';
import { EnvelopeDecrypter } from '../../mastercard/encryption/envelope-decrypter.js';
import { parseJsonLosslessly } from '../../mastercard/http/json.js';
import type { RetryPolicy } from '../../mastercard/http/retry.js';
import { OAuthSigner } from '../../mastercard/oauth/signer.js';
import {
  type PayloadEncrypter,
  type RequestSigner,
  TokenConnectClient,
} from '../../mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../../mastercard/token-connect/encrypter.js';
import type { Handover } from '../../mastercard/token-connect/handover.js';
import { PushSignatureKeys } from '../../mastercard/token-connect/push-signature.js';
import type { MediaContent, PushMultipleFundingAccount } from '../../mastercard/token-connect/types.js';
import type { ConformanceData, TestCardData } from './data.js';
import type { ConformanceTarget } from './target.js';

/** One HTTP answer as received: status, text, and the text parsed (undefined if it is not JSON). */
export interface HttpAnswer {
  status: number;
  text: string;
  body: unknown;
}

export interface ClientOverrides {
  signer?: RequestSigner;
  encrypter?: PayloadEncrypter;
  fetch?: typeof globalThis.fetch;
  retry?: Partial<RetryPolicy>;
}

export interface RequestOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent exactly as given, for bodies that are not JSON. */
  text?: string;
  /** Default true: an unsigned request exercises the gateway. */
  signed?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * What a scenario works with: pushprov's own Token Connect client, signed and
 * encrypting exactly as the issuer uses it; raw signed requests for the input
 * that client refuses to send; the token requestor's tokenize; the target's
 * clock and published keys.
 */
export class ScenarioContext {
  readonly data: ConformanceData;
  readonly clock: Clock;
  readonly encrypter: FieldLevelPayloadEncrypter;
  readonly #target: ConformanceTarget;
  readonly #signer: OAuthSigner;
  readonly #timeoutMs: number;

  constructor(target: ConformanceTarget) {
    this.#target = target;
    this.data = target.data;
    this.clock = target.clock ?? systemClock;
    this.#timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#signer = new OAuthSigner({ ...target.issuer, clock: this.clock });
    this.encrypter = new FieldLevelPayloadEncrypter({
      encryptionKey: target.encryptionKey,
      ...(target.fingerprintOf ? { fingerprintOf: target.fingerprintOf } : {}),
    });
  }

  get baseUrl(): string {
    return this.#target.baseUrl.replace(/\/+$/, '');
  }

  /** The issuer's consumer key, for a signer of the scenario's own making. */
  get consumerKey(): string {
    return this.#target.issuer.consumerKey;
  }

  /** pushprov's client as the issuer uses it, but without retries: every answer checked is the first. */
  client(overrides: ClientOverrides = {}): TokenConnectClient {
    return new TokenConnectClient({
      environment: { baseUrl: this.baseUrl },
      signer: overrides.signer ?? this.#signer,
      encrypter: overrides.encrypter ?? this.encrypter,
      timeoutMs: this.#timeoutMs,
      retry: { maxAttempts: 1, ...overrides.retry },
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    });
  }

  /** A request of any shape, signed as the issuer (unless told otherwise), to a path below the base URL. */
  request(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const body = options.text ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    return this.#send(method, path, body, options.signed === false ? undefined : this.#signer);
  }

  /** MDES Customer Service's base URL at the target. */
  get customerServiceUrl(): string {
    return (this.#target.customerServiceUrl ?? `${this.baseUrl}/csapi/v2`).replace(/\/+$/, '');
  }

  /** pushprov's Customer Service client as the issuer uses it, without retries. */
  customerService(): CustomerServiceClient {
    return new CustomerServiceClient({
      environment: { baseUrl: this.customerServiceUrl },
      signer: this.#signer,
      timeoutMs: this.#timeoutMs,
      retry: { maxAttempts: 1 },
    });
  }

  /** A Customer Service request of any shape, signed as the issuer, for what the client refuses to send. */
  customerServiceRequest(path: string, json: unknown): Promise<HttpAnswer> {
    return this.#send('POST', path, JSON.stringify(json), this.#signer, this.customerServiceUrl);
  }

  /** MDES tokenize with a receipt, signed as the token requestor (Secure Card on File's redemption). */
  redeem(receipt: string): Promise<HttpAnswer> {
    const tokenRequestor = this.#target.tokenRequestor;
    if (!tokenRequestor)
      throw new Error('no token requestor key: the runner should have skipped this scenario');
    const body = JSON.stringify(
      pushedCardTokenizeRequest({
        requestId: randomUUID(),
        taskId: randomUUID(),
        tokenRequestorId: tokenRequestor.tokenRequestorId,
        receipt,
        encrypter: this.encrypter,
      }),
    );
    return this.#send('POST', TOKENIZE_PATH, body, new OAuthSigner({ ...tokenRequestor, clock: this.clock }));
  }

  /**
   * What MDES encrypted to the token requestor (`tokenDetail`), opened with
   * its key; undefined when the target has no such key or it does not open.
   */
  openForTokenRequestor(envelope: unknown): unknown {
    const key = this.#target.tokenRequestor?.decryptionKey;
    if (!key || typeof envelope !== 'object' || envelope === null) return undefined;
    try {
      return JSON.parse(
        new EnvelopeDecrypter([key]).decrypt(envelope as Parameters<EnvelopeDecrypter['decrypt']>[0]),
      );
    } catch {
      return undefined;
    }
  }

  /** The token requestor whose key redeems receipts. */
  get redeemingTokenRequestorId(): string {
    const id = this.#target.tokenRequestor?.tokenRequestorId;
    if (!id) throw new Error('no token requestor key: the runner should have skipped this scenario');
    return id;
  }

  async advanceClock(ms: number): Promise<void> {
    if (!this.#target.advanceClock)
      throw new Error('the target clock cannot be moved: the runner should have skipped this scenario');
    await this.#target.advanceClock(ms);
  }

  /**
   * Verifies MDES's push signature as a token requestor would (MDESRQ p.
   * 41–45) and returns the handover it signs: with the key file given, or
   * else with the key asset named by `--signing-key` (default: the JWS's
   * own kid), downloaded once through getAsset. Throws if it does not verify.
   */
  async verifyPush(jws: string): Promise<Handover> {
    const given = this.#target.mdesSigningKey;
    const keys = new PushSignatureKeys((assetId) => this.#asset(assetId));
    if (given && 'publicKey' in given) {
      keys.add(given.assetId ?? String(decodeProtectedHeader(jws).kid), given.publicKey);
    } else {
      await keys.load([given?.assetId ?? String(decodeProtectedHeader(jws).kid)]);
    }
    return keys.verify(jws);
  }

  /** getAsset as a token requestor downloads MDES's key (Digital Enablement API), as the issuer without one. */
  async #asset(assetId: string): Promise<MediaContent[]> {
    const tokenRequestor = this.#target.tokenRequestor;
    const signer = tokenRequestor ? new OAuthSigner({ ...tokenRequestor, clock: this.clock }) : this.#signer;
    const answer = await this.#send(
      'GET',
      `/assets/static/1/0/asset/${encodeURIComponent(assetId)}`,
      undefined,
      signer,
    );
    if (answer.status !== 200) throw new Error(`getAsset ${assetId} answered HTTP ${answer.status}`);
    return (answer.body as { mediaContents?: MediaContent[] } | undefined)?.mediaContents ?? [];
  }

  /** Whether the target serves token requestors' pages (the simulator does; Mastercard's are real people's). */
  get servesTokenRequestorPages(): boolean {
    return this.#target.tokenRequestorPages === true;
  }

  /** A GET of a page at the target's own origin (the simulator's token requestor pages), not followed. */
  async page(url: string, init: RequestInit = {}): Promise<Response> {
    const at = new URL(url);
    const local = new URL(`${at.pathname}${at.search}`, new URL(this.baseUrl).origin);
    return fetch(local, { redirect: 'manual', ...init, signal: AbortSignal.timeout(this.#timeoutMs) });
  }

  /** One account to push: a test card, valid for years unless the data gives its expiry. */
  account(
    pushAccountId: string,
    card: TestCardData,
    extra: Omit<PushMultipleFundingAccount['fundingAccountData'], 'cardAccountData'> = {},
  ): PushMultipleFundingAccount {
    const { accountNumber, expiryMonth, expiryYear } = card;
    const expiry =
      expiryMonth !== undefined && expiryYear !== undefined
        ? { expiryMonth, expiryYear }
        : {
            expiryMonth: '12',
            expiryYear: String((this.clock.now().getUTCFullYear() + 3) % 100).padStart(2, '0'),
          };
    return {
      pushAccountId,
      fundingAccountData: { ...extra, cardAccountData: { accountNumber, ...expiry } },
    };
  }

  async #send(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signer: OAuthSigner | undefined,
    base = this.baseUrl,
  ): Promise<HttpAnswer> {
    const url = base + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (signer) headers.authorization = signer.authorizationHeader(method, url, body ?? '');
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = parseJsonLosslessly(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed };
  }
}
