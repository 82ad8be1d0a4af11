import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { ensureDevKeys } from '../../src/cli/keys.js';
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import {
  createSimulatorApp,
  FaultInjector,
  prepareSimulatorStore,
  registerClient,
} from '../../src/simulator/app.js';
import type { SimulatorSchema } from '../../src/simulator/token-connect/tables.js';
import { withMigratedDataDir } from '../support/data-dir.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { withDevKeys } from '../support/dev-keys.js';
import { freePort } from '../support/process.js';
import { CardholderClient, DEMO } from '../support/stack.js';

const DEMO_SHOP = '50182375119';
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * `pushprov start --only issuer` in one process (node with tsx's loader, not
 * the tsx wrapper, whose child would outlive a SIGKILL of the wrapper).
 */
function startPushprov(env: Record<string, string>): { child: ChildProcess; up: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--only', 'issuer'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PUSHPROV_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const up = new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('pushprov is up')) resolve();
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', seen);
    child.once('exit', (code) => reject(new Error(`pushprov exited ${code}: ${output.slice(-2000)}`)));
  });
  return { child, up };
}

interface ProvisioningBody {
  id: string;
  state: string;
  error: { code: string } | null;
}

/**
 * The issuer as `pushprov start --only issuer` (a child process on a
 * file-backed PGlite database, or on PostgreSQL the test's), SIGKILLed at chosen points of a push and
 * started again on the same data, against the simulator in this process
 * (so faults can hold a push in flight and its tables can be counted).
 */
describe('issuer killed during pushes', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  let simulator: FastifyInstance;
  const faults = new FaultInjector();
  const dataDir = withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-crash-')));
  let env: Record<string, string>;
  let issuerUrl: string;
  let child: ChildProcess | undefined;
  const mc = () => database.db as Kysely<SimulatorSchema>;
  const count = async (table: 'mc_push_requests' | 'mc_receipts') =>
    Number(
      (
        await mc()
          .selectFrom(table)
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    const [issuerPort, simulatorPort] = [await freePort(), await freePort()];
    issuerUrl = `http://127.0.0.1:${issuerPort}`;
    database = await testDatabase();
    await withMigratedDataDir(dataDir);
    env = {
      // On PostgreSQL the issuer shares the simulator's database, as `pushprov start` does.
      ...(database.url && { DATABASE_URL: database.url }),
      PUSHPROV_DATA_DIR: dataDir,
      PUSHPROV_ISSUER_PORT: String(issuerPort),
      PUSHPROV_ISSUER_URL: issuerUrl,
      PUSHPROV_SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}`,
      // The issuer's MDES listener on any free port, never its fixed default.
      PUSHPROV_MDES_PORT: '0',
      LOG_LEVEL: 'warn',
    };
    // The development keys the child will load, and Mastercard's side knowing its issuer.
    const config = loadConfig(env);
    const keys = await ensureDevKeys(config, () => {});
    await prepareSimulatorStore(database.db);
    await registerClient(database.db, {
      consumerKey: keys.consumerKey,
      role: 'issuer',
      publicKey: keys.issuerSigning.publicKey,
      displayName: 'pushprov demo issuer',
    });
    simulator = await createSimulatorApp({
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      clock: systemClock,
      keys,
      background: false,
      faults,
    });
    await simulator.listen({ host: '127.0.0.1', port: simulatorPort });
  }, 120_000);

  afterAll(async () => {
    await kill();
    await simulator?.close();
    await database?.close();
  });

  async function startIssuer(reconcileSeconds: number): Promise<void> {
    const started = startPushprov({ ...env, PUSHPROV_RECONCILE_SECONDS: String(reconcileSeconds) });
    child = started.child;
    await started.up;
  }

  async function kill(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  it('recovers every in-flight push after SIGKILL: none pending forever, none pushed twice', async () => {
    // First life: no reconcile of its own, so each push stays where the kill left it.
    await startIssuer(3600);
    const alice = new CardholderClient(issuerUrl);
    await alice.signIn(DEMO.alice);
    await alice.stepUp(DEMO.alice.totpSecret);
    const cards = await alice.call('GET', '/v1/cards');
    const cardId =
      (cards.body.cards as { id: string; eligible: boolean }[]).find((c) => c.eligible)?.id ?? '';

    // Kill point 1: after the issuer recorded MDES's receipt.
    const recorded = (await alice.push([cardId], DEMO_SHOP)).body as unknown as ProvisioningBody;
    expect(recorded.state).toBe('receipt_issued');

    // Kill point 2: while MDES is down; the issuer keeps the push pending.
    faults.configure({ rules: [{ operation: 'pushMultipleAccounts', fault: 'error', status: 503 }] });
    const unanswered = (await alice.push([cardId], DEMO_SHOP)).body as unknown as ProvisioningBody;
    expect(unanswered.state).toBe('pending');

    // Kill point 3: MDES has issued the receipt and holds its answer; the issuer dies waiting.
    faults.configure({ rules: [{ operation: 'pushMultipleAccounts', fault: 'timeout', ms: 5_000 }] });
    const inFlight = alice.push([cardId], DEMO_SHOP).catch(() => undefined);
    await vi.waitFor(async () => expect(await count('mc_push_requests')).toBe(2), {
      timeout: 30_000,
      interval: 100,
    });
    await kill();
    await inFlight;
    faults.clear();

    // Second life on the same data, reconciling every second.
    await startIssuer(1);
    await alice.signIn(DEMO.alice);
    const list = async () =>
      (await alice.call('GET', '/v1/provisionings')).body.provisionings as unknown as ProvisioningBody[];
    await vi.waitFor(async () => expect((await list()).map((p) => p.state)).not.toContain('pending'), {
      timeout: 60_000,
      interval: 100,
    });
    const after = await list();
    expect(after).toHaveLength(3);
    const byId = new Map(after.map((p) => [p.id, p]));
    const lost = after.find((p) => p.id !== recorded.id && p.id !== unanswered.id);

    expect(byId.get(recorded.id)?.state).toBe('receipt_issued');
    // MDES never saw it before the crash: reconcile pushed it after the restart.
    expect(byId.get(unanswered.id)?.state).toBe('receipt_issued');
    // Its answer was lost with the process: reconcile settles it explicitly, never leaving it pending.
    expect(['receipt_issued', 'failed']).toContain(lost?.state);
    // MDES answered each requestId once and issued one receipt per push: nothing was pushed twice.
    expect(await count('mc_push_requests')).toBe(3);
    expect(await count('mc_receipts')).toBe(3);
    console.info(`crash point "answer lost with the process": ${lost?.state} ${lost?.error?.code ?? ''}`);
  });
});
