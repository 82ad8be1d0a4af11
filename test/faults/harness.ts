import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { type Clock, systemClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { isFinal } from '../../src/domain/provisioning.js';
import { OAuthSigner } from '../../src/mastercard/oauth/signer.js';
import { TokenConnectClient } from '../../src/mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../../src/mastercard/token-connect/encrypter.js';
import type { OwnedCard } from '../../src/service/ports.js';
import { ProvisioningService } from '../../src/service/provisioning/index.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';
import {
  createSimulatorApp,
  FaultInjector,
  prepareSimulatorStore,
  registerClient,
} from '../../src/simulator/app.js';
import { MDES_ACCOUNT_RANGES } from '../../src/simulator/token-connect/catalogue.js';
import { AuditLog } from '../../src/store/audit.js';
import { IdempotencyStore } from '../../src/store/idempotency.js';
import { ProvisioningJobRepository } from '../../src/store/provisioning-jobs.js';
import { ProvisioningRepository } from '../../src/store/provisionings.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import type { Sealer } from '../../src/store/vault/sealer.js';
import {
  ISSUER_KEY,
  KEYS,
  MASTERCARD_ENCRYPTION,
  SIMULATOR_KEYS,
} from '../simulator/token-connect-harness.js';
import { fakeCardSource } from '../support/card-source.js';
import { testDatabase } from '../support/database.js';
import { ALICE_PROFILE } from '../support/provisioning-fixtures.js';
import { testSealer } from '../support/sealer.js';

export const CLICK_TO_PAY = '50123197928';
export const DEMO_MERCHANT = '50182375119';
/** The client gives up on an attempt after this long; a `timeout` fault holds longer. */
export const CLIENT_TIMEOUT_MS = 600;

// A Mastercard test card in an enrolled range, owned by one cardholder.
const CARD: OwnedCard = {
  id: 'crd_faults',
  cardholderId: 'chd_faults',
  lastFour: '4444',
  expiryMonth: 12,
  expiryYear: 2030,
  country: 'GB',
  status: 'active',
  productName: 'World',
};
const PAN = '5555555555554444';

export interface FaultStack {
  database: Database<unknown>;
  simulator: FastifyInstance;
  simulatorUrl: string;
  faults: FaultInjector;
  service: ProvisioningService;
  repository: ProvisioningRepository;
  /** Pushes the card (with a fresh Idempotency-Key unless given); the provisioning's id, or the error the service threw. */
  push(tokenRequestorId: string, idempotencyKey?: string): Promise<string>;
  /** Runs reconcile until nothing is pending or `rounds` runs are done. */
  reconcileAll(rounds?: number): Promise<void>;
  /** Every provisioning with what the simulator holds for its requestId. */
  ledger(): Promise<Ledger[]>;
  close(): Promise<void>;
}

export interface Ledger {
  id: string;
  state: string;
  errorCode: string | null;
  requestId: string;
  /** Push requests the simulator answered under this requestId (its table's key makes it 0 or 1). */
  simulatorRequests: number;
  /** Receipts the simulator issued under this requestId. */
  simulatorReceipts: number;
}

/** Stand-ins for the issuer's stores, to make a step of a push fail (a crash, say). */
export interface FaultStackOptions {
  idempotency?: (db: IssuerDb, clock: Clock) => IdempotencyStore;
  repository?: (db: IssuerDb, sealer: Sealer) => ProvisioningRepository;
}

/**
 * The issuer's real TokenConnectClient and ProvisioningService against the
 * real simulator over HTTP, with a fault injector in the simulator and a
 * short client timeout, on one fresh database.
 */
export async function startFaultStack(options: FaultStackOptions = {}): Promise<FaultStack> {
  const database = await testDatabase();
  await prepareSimulatorStore(database.db);
  await registerClient(database.db, {
    consumerKey: ISSUER_KEY,
    role: 'issuer',
    publicKey: KEYS.issuerSigning.publicKey,
    displayName: 'pushprov Bank',
  });
  const faults = new FaultInjector();
  const simulator = await createSimulatorApp({
    db: database.db,
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
    keys: SIMULATOR_KEYS,
    background: false,
    faults,
    faultAdmin: true,
  });
  await simulator.listen({ host: '127.0.0.1', port: 0 });
  const simulatorUrl = `http://127.0.0.1:${(simulator.server.address() as AddressInfo).port}`;

  const clock = systemClock;
  const client = new TokenConnectClient({
    environment: { baseUrl: `${simulatorUrl}/mdes` },
    signer: new OAuthSigner({ consumerKey: ISSUER_KEY, signingKey: KEYS.issuerSigning.privateKey, clock }),
    encrypter: new FieldLevelPayloadEncrypter({ encryptionKey: MASTERCARD_ENCRYPTION.certificate }),
    timeoutMs: CLIENT_TIMEOUT_MS,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
  const db = await prepareIssuerStore(database.db);
  const accountRanges = MDES_ACCOUNT_RANGES.map((r) => r.prefix);
  const repository = options.repository?.(db, testSealer()) ?? new ProvisioningRepository(db, testSealer());
  const service = new ProvisioningService({
    repository,
    claims: new ProvisioningJobRepository(db, 60_000),
    audit: new AuditLog(db, clock),
    idempotency: options.idempotency?.(db, clock) ?? new IdempotencyStore(db, clock),
    cards: fakeCardSource({
      ownedCard: async (holder, id) => (id === CARD.id && holder === CARD.cardholderId ? CARD : undefined),
      listCards: async (holder) => (holder === CARD.cardholderId ? [CARD] : []),
      revealCardData: async () => ({ pan: PAN }),
      profile: async () => ALICE_PROFILE,
    }),
    directory: new TokenRequestorDirectory({
      client,
      accountRanges,
      clickToPayTokenRequestorId: CLICK_TO_PAY,
      clock,
    }),
    client,
    clock,
    issuerUrl: 'https://bank.test',
    accountRanges,
  });

  let key = 0;
  const stack: FaultStack = {
    database,
    simulator,
    simulatorUrl,
    faults,
    service,
    repository,
    async push(tokenRequestorId, idempotencyKey = `faults-${++key}`) {
      const { view } = await service.push({
        cardholderId: CARD.cardholderId,
        cardIds: [CARD.id],
        tokenRequestorId,
        consent: true,
        idempotencyKey,
      });
      return view.id;
    },
    async reconcileAll(rounds = 6) {
      for (let i = 0; i < rounds; i++) {
        await service.reconcile(0);
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from provisionings
          where state = 'pending'`.execute(db);
        if (rows[0]?.n === 0) return;
      }
    },
    async ledger() {
      const { rows } = await sql<{
        id: string;
        state: string;
        error_code: string | null;
        request_id: string;
        simulator_requests: number;
        simulator_receipts: number;
      }>`
        select p.id, p.state, p.error_code, p.request_id,
          (select count(*)::int from mc_push_requests r where r.request_id = p.request_id) as simulator_requests,
          (select count(*)::int from mc_receipts r where r.request_id = p.request_id) as simulator_receipts
        from provisionings p order by p.created_at, p.id`.execute(database.db);
      return rows.map((r) => ({
        id: r.id,
        state: r.state,
        errorCode: r.error_code,
        requestId: r.request_id,
        simulatorRequests: r.simulator_requests,
        simulatorReceipts: r.simulator_receipts,
      }));
    },
    async close() {
      await simulator.close();
      await database.close();
    },
  };
  return stack;
}

/** States a push may rest in: final, or waiting for the cardholder or MDES (never an unknown outcome). */
export const settled = (state: string): boolean =>
  isFinal(state as Parameters<typeof isFinal>[0]) || state === 'receipt_issued';
