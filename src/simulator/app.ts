import type { KeyObject, X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { migrate, migrationReadiness } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import { Gateway } from './gateway/gateway.js';
import { SIMULATOR_MIGRATION_TABLE, simulatorMigrations } from './migrations/index.js';
import { productAssets, tokenRequestorLogos } from './token-connect/assets.js';
import { Catalogue } from './token-connect/catalogue.js';
import { FieldLevelDecrypter } from './token-connect/decrypt.js';
import { tokenRequestorPages } from './token-connect/pages.js';
import { PushService } from './token-connect/push.js';
import { mdesRoutes } from './token-connect/routes.js';
import { deriveSealingKey, Sealer } from './token-connect/sealing.js';
import { PushSigner } from './token-connect/signature.js';
import { type TokenCreatedEvent, TokenizeService } from './token-connect/tokenize.js';

export { type ClientRegistration, registerClient } from './gateway/clients.js';
export type { TokenCreatedEvent } from './token-connect/tokenize.js';

/** Mastercard's own keys, as `loadDevKeys` returns them (or real ones in a test of the simulator). */
export interface SimulatorKeys {
  /** Issuers encrypt pushed accounts to this key's certificate; MDES decrypts with the private key. */
  mastercardEncryption: { privateKey: KeyObject; certificate?: X509Certificate };
  /** MDES signs pushMultipleAccounts answers with it; its public half is in the JWKS. */
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
  /** Called once per token created from a receipt (for the issuer notifications to come). */
  onTokenCreated?: (event: TokenCreatedEvent) => void | Promise<void>;
}

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
  if (options.keys) {
    await registerTokenConnect(app, { ...options, keys: options.keys });
    apis.push('MDES Token Connect', 'MDES tokenize (Secure Card on File)');
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
  const sealer = new Sealer(options.sealingKey ?? deriveSealingKey(keys.mastercardEncryption.privateKey));
  const signer = new PushSigner(keys.mastercardSigning.privateKey, keys.mastercardSigning.publicKey);
  const push = new PushService({
    db,
    clock,
    catalogue,
    decrypter: new FieldLevelDecrypter([keys.mastercardEncryption]),
    sealer,
    signer,
  });
  const tokenize = new TokenizeService({
    db,
    clock,
    sealer,
    onTokenCreated: options.onTokenCreated ?? (() => {}),
    onHookError: (error) => app.log.error({ err: error }, 'onTokenCreated failed'),
  });
  await app.register(
    mdesRoutes({
      gateway: new Gateway({ db, clock }),
      catalogue,
      push,
      tokenize,
      signer,
      tokenRequestorLogos: tokenRequestorLogos(catalogue),
      productAssets: productAssets(),
    }),
    { prefix: '/mdes' },
  );
  await app.register(tokenRequestorPages(catalogue));
}
