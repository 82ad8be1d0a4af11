import type { KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { MDES_AUTHORIZATIONS_PATH, MDES_NOTIFICATIONS_PATH } from '../../http/routes/mdes.js';
import type { DevKeys } from '../../mastercard/keys/generate.js';
import { MemoryNonceStore } from '../../mastercard/oauth/nonce-store.js';
import { OAuthSigner } from '../../mastercard/oauth/signer.js';
import { OAuthVerifier } from '../../mastercard/oauth/verifier.js';
import {
  createSimulatorApp,
  MDES_NOTIFICATION_CONSUMER_KEY,
  prepareSimulatorStore,
  registerClient,
} from '../../simulator/app.js';
import { createMerchantApp, prepareMerchantStore } from '../../simulator/merchant/app.js';
import { PushSignatureVerifier } from '../../simulator/merchant/push-request.js';
import { MdesTokenClient } from '../../simulator/merchant/token-client.js';
import { MERCHANT_NTU_PATH } from '../../simulator/merchant/token-updates.js';
import { DEMO_MERCHANT_TOKEN_REQUESTOR_ID } from '../../simulator/token-connect/catalogue.js';
import { registerTokenManagement } from '../../simulator/token-management/register.js';
import type { Config } from '../config.js';

/**
 * The keys the issuer checks MDES's notifications with, by consumer key: in
 * development, the simulator's signing key. Mastercard's network carries
 * these messages over ISO 8583, so outside the simulator there are none.
 */
export const mdesNotificationKeys = (keys: DevKeys): Record<string, KeyObject> => ({
  [MDES_NOTIFICATION_CONSUMER_KEY]: keys.mastercardSigning.publicKey,
});

/** The demo merchant's consumer key at the simulated Mastercard gateway (development only). */
export const DEMO_MERCHANT_CONSUMER_KEY = 'pushprov-demo-merchant';

/**
 * The issuer identity `pushprov conformance` pushes as at the simulator: the
 * development issuer's key under another consumer key, taking no
 * authorization requests or notifications, so MDES decides its tokens on its
 * behalf. Under the issuer's own consumer key the issuer would rightly
 * decline tokens of pushes it never made.
 */
export const CONFORMANCE_ISSUER_CONSUMER_KEY = 'pushprov-conformance-issuer';

export interface PartContext {
  config: Config;
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  keys: DevKeys;
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
  await registerClient(
    db,
    {
      consumerKey: keys.consumerKey,
      role: 'issuer',
      publicKey: keys.issuerSigning.publicKey,
      displayName: 'pushprov demo issuer',
      notificationUrl: `${config.issuerPublicUrl}${MDES_NOTIFICATIONS_PATH}`,
      authorizationUrl: `${config.issuerPublicUrl}${MDES_AUTHORIZATIONS_PATH}`,
    },
    clock,
  );
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
  });
  await registerTokenManagement(app, { db, clock });
  return app;
}

/** The demo merchant, verifying pushes with MDES's published key and creating tokens at MDES. */
export async function buildMerchant({
  config,
  db,
  logger,
  clock,
  keys,
}: PartContext): Promise<FastifyInstance> {
  await prepareMerchantStore(db);
  const mdes = `${config.simulatorPublicUrl}/mdes`;
  return createMerchantApp({
    db,
    logger,
    clock,
    signatures: new PushSignatureVerifier(`${mdes}/.well-known/jwks.json`),
    tokens: new MdesTokenClient({
      baseUrl: mdes,
      tokenRequestorId: DEMO_MERCHANT_TOKEN_REQUESTOR_ID,
      signer: new OAuthSigner({
        consumerKey: DEMO_MERCHANT_CONSUMER_KEY,
        signingKey: keys.merchantSigning.privateKey,
        clock,
      }),
    }),
    secureCookies: config.merchantPublicUrl.startsWith('https:'),
    tokenUpdates: {
      verifier: new OAuthVerifier({
        resolveKey: (consumerKey) => mdesNotificationKeys(keys)[consumerKey],
        nonces: new MemoryNonceStore(),
        clock,
      }),
      publicUrl: config.merchantPublicUrl,
    },
  });
}
