import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { migrate, migrationReadiness } from '../core/db.js';
import { DerivedKeySealer, deriveSealingKey } from '../core/derived-key-sealer.js';
import { WorkLoop } from '../core/jobs/loop.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import { OAuthSigner } from '../mastercard/oauth/signer.js';
import type { PreDigitizationTls } from '../mastercard/pre-digitization/caller.js';
import type { PayloadEncrypter } from '../mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../mastercard/token-connect/encrypter.js';
import { PushSignatureKeys, PushSigner } from '../mastercard/token-connect/push-signature.js';
import { MDES_CONSUMER_KEY as MDES_NOTIFICATION_CONSUMER_KEY } from '../mastercard/token-requestor-notifications.js';
import { ClickToPay } from './click-to-pay/enrolment.js';
import { deriveIdentityKey } from './click-to-pay/identity.js';
import { clickToPayPages } from './click-to-pay/pages.js';
import { clickToPayRoutes } from './click-to-pay/routes.js';
import { Payments } from './digital-enablement/payments.js';
import { digitalEnablementRoutes } from './digital-enablement/routes.js';
import { TokenRequestorService } from './digital-enablement/service.js';
import type { FaultInjector } from './faults/injector.js';
import { installFaults } from './faults/plugin.js';
import { Gateway } from './gateway/gateway.js';
import { SIMULATOR_MIGRATION_TABLE, simulatorMigrations } from './migrations/index.js';
import { NotificationOutbox } from './notifications/outbox.js';
import { TokenizationAuthorizer } from './pre-digitization/authorize.js';
import { IssuerServices } from './pre-digitization/issuers.js';
import { IssuerNotifier } from './pre-digitization/notifier.js';
import { productAssets, tokenRequestorLogos } from './token-connect/assets.js';
import { Catalogue } from './token-connect/catalogue.js';
import { FieldLevelDecrypter } from './token-connect/decrypt.js';
import { tokenRequestorPages } from './token-connect/pages.js';
import { PushService } from './token-connect/push.js';
import { mdesRoutes } from './token-connect/routes.js';
import { simulatorSigningKey } from './token-connect/signature.js';
import { type TokenCreatedEvent, TokenizeService } from './token-connect/tokenize.js';

export { MDES_CONSUMER_KEY as MDES_NOTIFICATION_CONSUMER_KEY } from '../mastercard/token-requestor-notifications.js';

export { FaultInjector, type FaultRule } from './faults/injector.js';
export { registerClient } from './gateway/clients.js';

export type { TokenCreatedEvent } from './token-connect/tokenize.js';

/** Mastercard's own keys, as `loadDevKeys` returns them (or real ones in a test of the simulator). */
export interface SimulatorKeys {
  /** Issuers encrypt pushed accounts to this key's certificate; MDES decrypts with the private key. */
  mastercardEncryption: { privateKey: KeyObject; certificate?: X509Certificate };
  /** MDES signs pushMultipleAccounts answers with it; token requestors download its public half as a key asset. */
  mastercardSigning: { privateKey: KeyObject; publicKey: KeyObject };
}

export interface SimulatorOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  /** Without keys the simulator serves only its probes: Token Connect needs them. */
  keys?: SimulatorKeys;
  /** The demo merchant as browsers reach it; its WEB push URI is `<merchantUrl>/push`. */
  merchantUrl?: string;
  /** The simulator as browsers reach it, for the pages of the other token requestors. */
  publicUrl?: string;
  /** 32 bytes sealing the card data the simulator stores; derived from the encryption key by default. */
  sealingKey?: Uint8Array;
  /** Called once per token created, beside recording the issuer's notification. */
  onTokenCreated?: (event: TokenCreatedEvent) => void | Promise<void>;
  /** The consumer key MDES signs its notifications to token requestors with; default `mastercard-mdes`. */
  notificationConsumerKey?: string;
  /**
   * Whether Click to Pay enrolments and notifications to issuers are worked
   * on in the background once the app is ready (default true). Tests that
   * want each step in hand turn it off and drive `simulatorWorkers(app)`.
   */
  background?: boolean;
  /**
   * MDES's decision when an issuer with Pre-Digitization web services does
   * not answer Authorize Service in time, cannot be reached, or answers an
   * error or nonsense; default DECLINED.
   */
  authorizationStandIn?: 'APPROVED' | 'DECLINED';
  /**
   * MDES's mutual TLS client identity for calling issuers' Pre-Digitization
   * web services: `cert` and `key` (PEM), and `ca`, the CA(s) that issued
   * the issuers' server certificates. Without it no issuer is reached (MDES stands in).
   */
  mdesTls?: PreDigitizationTls;
  /** How long an issuer has to answer one Pre-Digitization call; default 5 s. */
  preDigitizationTimeoutMs?: number;
  /** Faults to inject into MDES's answers (tests, drills); none by default. */
  faults?: FaultInjector;
  /** Serve `/_faults` to change the faults at run time (needs `faults`). */
  faultAdmin?: boolean;
}

/** The simulator's background work, reachable for tests and tools. */
export interface SimulatorWorkers {
  clickToPay: ClickToPay;
  notifications: NotificationOutbox;
  /** Notify Service Activated and Notify Token Updated to issuers, through `notifications`. */
  issuerNotifier: IssuerNotifier;
  /** The issuers' Pre-Digitization web services as MDES calls them. */
  issuers: IssuerServices;
  /** A token requestor's consumer-facing name. */
  tokenRequestorName: (tokenRequestorId: string) => string | undefined;
  /** Seals the funding accounts of tokens; Customer Service opens and reseals them. */
  sealer: DerivedKeySealer;
}

const workers = new WeakMap<FastifyInstance, SimulatorWorkers>();

/** The workers of an app built with keys; undefined otherwise. */
export const simulatorWorkers = (app: FastifyInstance): SimulatorWorkers | undefined => workers.get(app);

/** Prepares the simulator's tables; call once before serving. */
export async function prepareSimulatorStore(db: Kysely<unknown>): Promise<void> {
  await migrate(db, simulatorMigrations, SIMULATOR_MIGRATION_TABLE);
}

/** Mastercard's side of the world, as the issuer sees it over HTTP. */
export async function createSimulatorApp(options: SimulatorOptions): Promise<FastifyInstance> {
  const app = createServer({
    name: 'simulator',
    logger: options.logger,
    readiness: () => migrationReadiness(options.db, simulatorMigrations, SIMULATOR_MIGRATION_TABLE),
  });
  const apis: string[] = [];
  if (options.faults) {
    installFaults(app, { injector: options.faults, db: options.db, admin: options.faultAdmin === true });
  }
  if (options.keys) {
    await registerTokenConnect(app, { ...options, keys: options.keys });
    apis.push(
      'MDES Token Connect',
      'MDES tokenize (Secure Card on File)',
      'Click to Pay enrolment',
      'MDES Pre-Digitization calls to issuers',
      'MDES Digital Enablement for token requestors',
    );
  }
  app.get('/', async () => ({ name: 'pushprov Mastercard simulator', apis }));
  return app;
}

async function registerTokenConnect(
  app: FastifyInstance,
  options: SimulatorOptions & { keys: SimulatorKeys },
): Promise<void> {
  const { db, clock, keys } = options;
  const catalogue = new Catalogue({
    merchantUrl: options.merchantUrl ?? 'http://localhost:8082',
    simulatorUrl: options.publicUrl ?? 'http://localhost:8081',
  });
  const sealingKey = options.sealingKey ?? deriveSealingKey(keys.mastercardEncryption.privateKey);
  const sealer = new DerivedKeySealer(sealingKey);
  const signer = new PushSigner([
    simulatorSigningKey(keys.mastercardSigning.privateKey, keys.mastercardSigning.publicKey),
  ]);
  const decrypter = new FieldLevelDecrypter([keys.mastercardEncryption]);
  const mdesSigner = new OAuthSigner({
    consumerKey: options.notificationConsumerKey ?? MDES_NOTIFICATION_CONSUMER_KEY,
    signingKey: keys.mastercardSigning.privateKey,
    clock,
  });
  const push = new PushService({
    db,
    clock,
    catalogue,
    decrypter,
    sealer,
    signer,
  });
  const issuers = new IssuerServices({
    db,
    clock,
    tls: options.mdesTls,
    mastercardKeys: [keys.mastercardEncryption],
    ...(options.preDigitizationTimeoutMs !== undefined && { timeoutMs: options.preDigitizationTimeoutMs }),
    ...(options.faults && { faults: options.faults }),
  });
  const notifications = new NotificationOutbox({
    db,
    clock,
    signer: mdesSigner,
    sealer,
    issuers,
    onAttempt: (attempt) =>
      app.log[attempt.outcome === 'delivered' ? 'info' : 'warn']({ attempt }, 'MDES notification'),
  });
  const deliveries = new WorkLoop({
    step: () => notifications.step(),
    pollMs: 1_000,
    onError: (error) => app.log.error({ err: error }, 'notification delivery failed'),
  });
  // The name a cardholder knows the token requestor by: consumerFacingEntityName in every Pre-Digitization call.
  const nameOf = (tokenRequestorId: string) =>
    catalogue.find(tokenRequestorId)?.record.consumerFacingEntityName;
  const issuerNotifier = new IssuerNotifier({
    db,
    clock,
    sealer,
    outbox: notifications,
    nameOf,
  });
  const tokenize = new TokenizeService({
    db,
    clock,
    sealer,
    decrypter,
    authorizer: new TokenizationAuthorizer({
      db,
      clock,
      issuers,
      sealer,
      ...(options.authorizationStandIn && { standIn: options.authorizationStandIn }),
      // Ids and outcomes only: never card data.
      // A stand-in is a warning: the issuer did not answer as it should have.
      onDecision: ({ activationMethods: _methods, ...decision }) =>
        decision.decidedBy === 'STAND_IN'
          ? app.log.warn({ decision }, 'tokenization decided in stand-in: the issuer did not answer')
          : app.log.info({ decision }, 'tokenization decision'),
    }),
    tokenRequestorName: nameOf,
    onTokenCreated: async (event) => {
      // Either may fail (the other still runs); a hook that throws at once counts as failing.
      const done = await Promise.allSettled([
        (event.status === 'ACTIVE'
          ? issuerNotifier.activated(event.tokenUniqueReference)
          : Promise.resolve()
        ).then(() => deliveries.wake()),
        (async () => options.onTokenCreated?.(event))(),
      ]);
      const failed = done.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
    onHookError: (error) => app.log.error({ err: error }, 'onTokenCreated failed'),
  });
  const clickToPay = new ClickToPay({
    db,
    clock,
    sealer,
    identityKey: deriveIdentityKey(sealingKey),
    tokenize,
    publicKey: keys.mastercardSigning.publicKey,
    mastercardKey: mastercardEncrypter(keys),
    onOutcome: (enrolment) =>
      app.log[enrolment.state === 'enrolled' ? 'info' : 'warn']({ enrolment }, 'Click to Pay enrolment'),
  });
  workers.set(app, {
    clickToPay,
    notifications,
    issuerNotifier,
    issuers,
    tokenRequestorName: nameOf,
    sealer,
  });
  // Enrolments a cardholder's request left unfinished (a failure, a worker that died), tried again.
  const enrolments = new WorkLoop({
    step: () => clickToPay.step(),
    pollMs: 5_000,
    onError: (error) => app.log.error({ err: error }, 'Click to Pay enrolment failed'),
  });
  app.addHook('onReady', async () => {
    await issuerNotifier.recover();
    if (options.background === false) return;
    deliveries.start();
    enrolments.start();
  });
  app.addHook('onClose', async () => {
    await Promise.all([deliveries.stop(), enrolments.stop()]);
    issuers.close();
  });
  const gateway = new Gateway({ db, clock });
  await app.register(
    digitalEnablementRoutes({
      gateway,
      tokens: new TokenRequestorService({
        db,
        clock,
        sealer,
        decrypter,
        // Notify Token Updated to the issuer, written with the change.
        announceToIssuer: (change, trx) => issuerNotifier.statusUpdated(change.tokenUniqueReference, trx),
        onChange: () => deliveries.wake(),
      }),
      payments: new Payments({ db, clock, sealer, decrypter }),
    }),
  );
  await app.register(
    mdesRoutes({
      gateway,
      catalogue,
      push,
      tokenize,
      signer,
      tokenRequestorLogos: tokenRequestorLogos(catalogue),
      productAssets: productAssets(),
    }),
    { prefix: '/mdes' },
  );
  // Click to Pay and the stand-in pages run inside Mastercard: they hold MDES's key already.
  const ownKey = new PushSignatureKeys(async () => []);
  ownKey.add(signer.kid, keys.mastercardSigning.publicKey);
  await app.register(tokenRequestorPages(catalogue, ownKey));
  await app.register(clickToPayRoutes(clickToPay.profiles));
  await app.register(
    clickToPayPages({
      clickToPay,
      signatures: ownKey,
      secureCookies: (options.publicUrl ?? '').startsWith('https:'),
    }),
  );
}

/** Encryption to Mastercard's key as token requestors are given it: its certificate's fingerprint when there is one. */
export function mastercardEncrypter(keys: SimulatorKeys): PayloadEncrypter {
  const { privateKey, certificate } = keys.mastercardEncryption;
  return new FieldLevelPayloadEncrypter({ encryptionKey: certificate ?? createPublicKey(privateKey) });
}
