import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { DerivedKeySealer, deriveSealingKey } from '../core/derived-key-sealer.js';
import { WorkLoop } from '../core/jobs/loop.js';
import type { Logger } from '../core/logger.js';
import { EnvelopeDecrypter } from '../mastercard/encryption/envelope-decrypter.js';
import type { EncryptionIdentity } from '../mastercard/keys/dev-encryption-identity.js';
import { devPkiFiles } from '../mastercard/keys/dev-pki.js';
import type { DevKeys } from '../mastercard/keys/generate.js';
import { MemoryNonceStore } from '../mastercard/oauth/nonce-store.js';
import { OAuthSigner } from '../mastercard/oauth/signer.js';
import { OAuthVerifier } from '../mastercard/oauth/verifier.js';
import type { PreDigitizationTls } from '../mastercard/pre-digitization/caller.js';
import { PushSignatureKeys } from '../mastercard/token-connect/push-signature.js';
import { createMerchantApp, prepareMerchantStore } from '../merchant/app.js';
import { MdesTokenClient } from '../merchant/token-client.js';
import { MERCHANT_NTU_PATH } from '../merchant/token-updates.js';
import {
  createSimulatorApp,
  FaultInjector,
  MDES_NOTIFICATION_CONSUMER_KEY,
  mastercardEncrypter,
  prepareSimulatorStore,
  registerClient,
} from '../simulator/app.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../simulator/token-connect/catalogue.js';
import { simulatorSigningKey } from '../simulator/token-connect/signature.js';
import { registerTokenManagement } from '../simulator/token-management/register.js';
import type { Config } from './config.js';

/**
 * The keys the issuer checks MDES's notifications with, by consumer key: in
 * development, the simulator's signing key. Mastercard's network carries
 * these messages over ISO 8583, so outside the simulator there are none.
 */
const mdesNotificationKeys = (keys: DevKeys): Record<string, KeyObject> => ({
  [MDES_NOTIFICATION_CONSUMER_KEY]: keys.mastercardSigning.publicKey,
});

/** The demo merchant's consumer key at the simulated Mastercard gateway (development only). */
export const DEMO_MERCHANT_CONSUMER_KEY = 'pushprov-demo-merchant';

/**
 * The issuer identity `pushprov conformance` pushes as at the simulator: the
 * development issuer's key under another consumer key, with no
 * Pre-Digitization web services, so MDES decides its tokens on its
 * behalf. Under the issuer's own consumer key the issuer would rightly
 * decline tokens of pushes it never made.
 */
export const CONFORMANCE_ISSUER_CONSUMER_KEY = 'pushprov-conformance-issuer';

/** The development keys `pushprov start` runs with: the key set, and the demo merchant's encryption identity. */
export type StartKeys = DevKeys & { merchantEncryption: EncryptionIdentity };

export interface PartContext {
  config: Config;
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  keys: StartKeys;
}

/**
 * Mastercard's side: Token Connect, tokenize, Click to Pay and notifications
 * to the issuer, knowing the development issuer and merchant as API clients.
 */
export async function buildSimulator({
  config,
  db,
  logger,
  clock,
  keys,
}: PartContext): Promise<FastifyInstance> {
  await prepareSimulatorStore(db);
  await registerDevIssuer({ db, keys, clock }, devIssuerServicesUrl(config, config.mdesPort));
  await registerClient(
    db,
    {
      consumerKey: CONFORMANCE_ISSUER_CONSUMER_KEY,
      role: 'issuer',
      publicKey: keys.issuerSigning.publicKey,
      displayName: 'pushprov conformance runner',
    },
    clock,
  );
  await registerClient(
    db,
    {
      consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
      role: 'token_requestor',
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      publicKey: keys.merchantSigning.publicKey,
      // MDES encrypts the token details and notifications to the shop's certificate.
      encryptionPublicKey: keys.merchantEncryption.certificate,
      displayName: 'pushprov Demo Shop',
      // MDES tells the merchant when its tokens change (Notify Token Updated).
      notificationUrl: `${config.merchantPublicUrl}${MERCHANT_NTU_PATH}`,
    },
    clock,
  );
  const app = await createSimulatorApp({
    db,
    logger,
    clock,
    keys,
    merchantUrl: config.merchantPublicUrl,
    publicUrl: config.simulatorPublicUrl,
    authorizationStandIn: config.simulatorAuthorizationStandIn,
    mdesTls: await mdesClientIdentity(config),
    ...(config.simulatorFaults && { faults: new FaultInjector(), faultAdmin: true }),
  });
  // The drills' `/_ops` go with the fault injector's `/_faults`: development and tests only.
  await registerTokenManagement(app, {
    db,
    clock,
    activationCodesBy: config.simulatorActivationCodes,
    ops: config.simulatorFaults,
  });
  return app;
}

/** The development issuer's Pre-Digitization services: its MDES listener on `port`, below its context root. */
export const devIssuerServicesUrl = (config: Config, port: number): string =>
  `https://localhost:${port}${config.mdesContextRoot === '/' ? '' : config.mdesContextRoot}`;

/**
 * Registers the development issuer at the simulated MDES: its signing key,
 * and the Pre-Digitization services MDES calls (the issuer's MDES listener,
 * as an issuer registers host, port and context root with Mastercard
 * Developers) with the encryption certificate MDES encrypts their payloads to.
 * Called again once a listener on port 0 has its port.
 */
export async function registerDevIssuer(
  { db, keys, clock }: Pick<PartContext, 'db' | 'keys' | 'clock'>,
  preDigitizationUrl: string,
): Promise<void> {
  await registerClient(
    db,
    {
      consumerKey: keys.consumerKey,
      role: 'issuer',
      publicKey: keys.issuerSigning.publicKey,
      displayName: 'pushprov demo issuer',
      preDigitizationUrl,
      encryptionPublicKey: keys.issuerEncryption.certificate ?? keys.issuerEncryption.publicKey,
    },
    clock,
  );
}

/**
 * The simulated MDES's mutual TLS client identity: the development PKI's
 * `mdes-client` certificate and key, and its CA, which also issued the
 * issuer listener's certificate (`<dataDir>/keys`, made with the other development keys).
 */
async function mdesClientIdentity(config: Config): Promise<PreDigitizationTls> {
  const pki = devPkiFiles(join(config.dataDir, 'keys'));
  const [cert, key, ca] = await Promise.all([
    readFile(pki.client.certificate),
    readFile(pki.client.privateKey),
    readFile(pki.ca.certificate),
  ]);
  return { cert, key, ca };
}

/**
 * The demo merchant: a token requestor of the simulated MDES, encrypting to
 * Mastercard's certificate, and verifying pushes with MDES's signing key,
 * which it downloads as an asset once MDES answers (MDESRQ p. 43–45), never
 * while verifying.
 */
export async function buildMerchant({
  config,
  db,
  logger,
  clock,
  keys,
}: PartContext): Promise<FastifyInstance> {
  await prepareMerchantStore(db);
  const decrypter = new EnvelopeDecrypter([keys.merchantEncryption]);
  const tokens = new MdesTokenClient({
    baseUrl: `${config.simulatorPublicUrl}/mdes`,
    networkUrl: config.simulatorPublicUrl,
    decrypter,
    tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
    signer: new OAuthSigner({
      consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
      signingKey: keys.merchantSigning.privateKey,
      clock,
    }),
    mastercardKey: mastercardEncrypter(keys),
  });
  const signatures = new PushSignatureKeys((assetId) => tokens.asset(assetId));
  const assetIds = [
    simulatorSigningKey(keys.mastercardSigning.privateKey, keys.mastercardSigning.publicKey).assetId,
  ];
  const app = await createMerchantApp({
    db,
    logger,
    clock,
    signatures,
    tokens,
    sealer: new DerivedKeySealer(
      deriveSealingKey(keys.merchantEncryption.privateKey, {
        salt: 'pushprov-demo-merchant',
        info: 'saved token sealing v1',
      }),
    ),
    secureCookies: config.merchantPublicUrl.startsWith('https:'),
    tokenUpdates: {
      verifier: new OAuthVerifier({
        resolveKey: (consumerKey) => mdesNotificationKeys(keys)[consumerKey],
        nonces: new MemoryNonceStore(),
        clock,
      }),
      decrypter,
      publicUrl: config.merchantPublicUrl,
    },
  });
  const download = new WorkLoop({
    // The simulator may start after the shop: ask until the keys are in, then once a day for rotations.
    step: async () => {
      await signatures.load(assetIds);
      return 0;
    },
    pollMs: 24 * 60 * 60 * 1000,
    onError: (error) => {
      app.log.warn({ err: error }, 'MDES signing key not downloaded yet');
      setTimeout(() => download.wake(), 2_000).unref();
    },
  });
  app.addHook('onReady', async () => download.start());
  app.addHook('onClose', async () => download.stop());
  return app;
}
