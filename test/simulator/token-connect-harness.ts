import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { pushedCardTokenizeRequest } from '../../src/mastercard/digital-enablement/tokenize.js';
import { EnvelopeDecrypter } from '../../src/mastercard/encryption/envelope-decrypter.js';
import { encryptFieldLevel } from '../../src/mastercard/encryption/field-level.js';
import { publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import type { EncryptedPayload } from '../../src/mastercard/token-connect/types.js';
import {
  createSimulatorApp,
  mastercardEncrypter,
  prepareSimulatorStore,
  registerClient,
  type SimulatorKeys,
  type SimulatorOptions,
  type TokenCreatedEvent,
} from '../../src/simulator/app.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../src/simulator/token-connect/catalogue.js';
import { testDatabase } from '../support/database.js';

/**
 * The simulator on a fresh database, with an issuer and two token
 * requestors registered, and a client for each that signs with pushprov's
 * real OAuthSigner and encrypts with its real field-level encryption.
 */

const fixture = (name: string) => new URL(`../fixtures/encryption/${name}`, import.meta.url);

/** Mastercard's encryption key: the payload-encryption test fixture, with its certificate. */
export const MASTERCARD_ENCRYPTION = {
  privateKey: createPrivateKey(readFileSync(fixture('recipient.key.pem'))),
  certificate: new X509Certificate(readFileSync(fixture('recipient.crt.pem'))),
  files: {
    encryptionCertificate: fixture('recipient.crt.pem').pathname,
    privateKey: fixture('recipient.key.pem').pathname,
  },
};

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

export const KEYS = {
  mastercardSigning: rsa(),
  issuerSigning: rsa(),
  merchantSigning: rsa(),
  merchantEncryption: rsa(),
  otherMerchantSigning: rsa(),
  otherMerchantEncryption: rsa(),
};

export const SIMULATOR_KEYS: SimulatorKeys = {
  mastercardEncryption: MASTERCARD_ENCRYPTION,
  mastercardSigning: KEYS.mastercardSigning,
};

export const ISSUER_KEY = 'issuer-consumer-key!0001';
export const MERCHANT_KEY = 'merchant-consumer-key!0001';
/** Northwind Streaming's credentials: another token requestor. */
const OTHER_MERCHANT_KEY = 'northwind-consumer-key!0001';
export const OTHER_MERCHANT_TRID = '50161234563';
export const MERCHANT_URL = 'http://merchant.test';
export const START = Date.UTC(2026, 0, 15, 12, 0, 0);

type Caller = 'issuer' | 'merchant' | 'otherMerchant';

export interface Harness {
  database: Database<unknown>;
  clock: ManualClock;
  app: FastifyInstance;
  events: TokenCreatedEvent[];
  signers: Record<Caller, OAuthSigner>;
  /** A signed request as `as` (the issuer by default); `body` objects are sent as JSON. */
  call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options?: { as?: Caller; raw?: string },
  ): Promise<LightMyRequestResponse>;
  /** Builds a new app on the same database, as after a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const database = await testDatabase();
  const clock = new ManualClock(START);
  await prepareSimulatorStore(database.db);
  await registerClient(database.db, {
    consumerKey: ISSUER_KEY,
    role: 'issuer',
    publicKey: KEYS.issuerSigning.publicKey,
    displayName: 'pushprov Bank',
  });
  await registerClient(database.db, {
    consumerKey: MERCHANT_KEY,
    role: 'token_requestor',
    tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    publicKey: KEYS.merchantSigning.publicKey,
    encryptionPublicKey: KEYS.merchantEncryption.publicKey,
    displayName: 'Demo Shop',
  });
  await registerClient(database.db, {
    consumerKey: OTHER_MERCHANT_KEY,
    role: 'token_requestor',
    tokenRequestorId: OTHER_MERCHANT_TRID,
    publicKey: KEYS.otherMerchantSigning.publicKey,
    encryptionPublicKey: KEYS.otherMerchantEncryption.publicKey,
    displayName: 'Northwind Streaming',
  });
  const events: TokenCreatedEvent[] = [];
  const build = () =>
    createSimulatorApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock,
      keys: SIMULATOR_KEYS,
      merchantUrl: MERCHANT_URL,
      publicUrl: 'http://simulator.test',
      onTokenCreated: (event) => {
        events.push(event);
      },
      ...overrides,
    });
  const signer = (consumerKey: string, signingKey: KeyObject) =>
    new OAuthSigner({ consumerKey, signingKey, clock });
  const harness: Harness = {
    database,
    clock,
    app: await build(),
    events,
    signers: {
      issuer: signer(ISSUER_KEY, KEYS.issuerSigning.privateKey),
      merchant: signer(MERCHANT_KEY, KEYS.merchantSigning.privateKey),
      otherMerchant: signer(OTHER_MERCHANT_KEY, KEYS.otherMerchantSigning.privateKey),
    },
    async call(method, path, body, options = {}) {
      const url = `http://localhost${path}`;
      const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const authorization = harness.signers[options.as ?? 'issuer'].authorizationHeader(method, url, payload);
      return harness.app.inject({
        method,
        url,
        headers: { authorization, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { payload }),
      });
    },
    async restart() {
      await harness.app.close();
      harness.app = await build();
    },
    async close() {
      await harness.app.close();
      await database.close();
    },
  };
  return harness;
}

/** Field-level encryption of a value's JSON to Mastercard's key, as pushprov's issuer does it. */
export const encrypt = (value: unknown): EncryptedPayload => encryptText(JSON.stringify(value));

export function encryptText(plaintext: string): EncryptedPayload {
  const sealed = encryptFieldLevel(plaintext, MASTERCARD_ENCRYPTION.certificate.publicKey, {
    encoding: 'hex',
    oaepHashingAlgorithm: 'SHA256',
  });
  return {
    encryptedData: sealed.encryptedValue,
    encryptedKey: sealed.encryptedKey,
    iv: sealed.iv,
    oaepHashingAlgorithm: sealed.oaepHashingAlgorithm,
    publicKeyFingerprint: publicKeyFingerprint(MASTERCARD_ENCRYPTION.certificate.publicKey),
  };
}

/** One funding account with a card valid for years. */
export const account = (pushAccountId: string, pan: string, extra: Record<string, unknown> = {}) => ({
  pushAccountId,
  fundingAccountData: {
    cardAccountData: { accountNumber: pan, expiryMonth: '12', expiryYear: '29' },
    ...extra,
  },
});

let counter = 0;
export const requestId = (): string => `req-${Date.now()}-${++counter}`;

export const PATHS = {
  eligible: '/mdes/connect/1/0/getEligibleTokenRequestors',
  push: '/mdes/connect/1/0/pushMultipleAccounts',
  pushAccount: '/mdes/connect/1/0/pushAccount',
  asset: (id: string) => `/mdes/issuer-assets/1/0/asset/tokenrequestor/${id}`,
  tokenize: '/mdes/digitization/static/1/0/tokenize',
  staticAsset: (id: string) => `/mdes/assets/static/1/0/asset/${id}`,
} as const;

/** A pushMultipleAccounts body for `accounts`, to the demo merchant unless told otherwise. */
export const pushBody = (accounts: unknown[], extra: Record<string, unknown> = {}) => ({
  requestId: requestId(),
  tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
  pushFundingAccounts: { encryptedPayload: encrypt(accounts) },
  ...extra,
});

/** A token requestor's tokenize after a push, as MDESRQ requires it: `source` encrypted to Mastercard's key. */
export const tokenizeBody = (receipt: string, tokenRequestorId = DEMO_MERCHANT_TOKEN_REQUESTOR_ID) =>
  pushedCardTokenizeRequest({
    requestId: requestId(),
    taskId: `task-${++counter}`,
    tokenRequestorId,
    receipt,
    encrypter: mastercardEncrypter(SIMULATOR_KEYS),
  });

export const firstError = (response: LightMyRequestResponse) =>
  (response.json() as { errors: { reasonCode: string; description: string }[] }).errors[0];

/**
 * What MDES encrypted to a token requestor (`tokenDetail`, Transact's and
 * Notify Token Updated's `encryptedPayload`), opened with that token
 * requestor's key as it would: the demo merchant's by default.
 */
export function openForTokenRequestor<T = Record<string, unknown>>(
  envelope: unknown,
  key: KeyObject = KEYS.merchantEncryption.privateKey,
  certificate?: X509Certificate,
): T {
  return JSON.parse(
    new EnvelopeDecrypter([{ privateKey: key, ...(certificate && { certificate }) }]).decrypt(
      envelope as Parameters<EnvelopeDecrypter['decrypt']>[0],
    ),
  ) as T;
}
