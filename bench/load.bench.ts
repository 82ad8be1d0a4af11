/**
 * `npm run bench:load`: the issuer API under load, each part in its own
 * process as production runs them — this process is only the load client;
 * the issuer (one, or PUSHPROV_LOAD_INSTANCES of them on one PostgreSQL),
 * the simulated MDES and the demo merchant are each `pushprov start --only
 * <part>`. Signed-in, stepped-up cardholders push to the demo merchant
 * (Secure Card on File) and to Click to Pay alternately, each Click to Pay
 * push with a card never pushed there before (imported for the run), at each
 * concurrency for a fixed time. Per phase it prints pushes/s, p50/p99, the
 * issuer's statements and transactions per push (per use case, from its
 * /metrics), CPU ms per push of every process (from /proc, PostgreSQL's
 * backends included), the Click to Pay pushes completed vs still open at the
 * end, and the ratio to the crypto floor measured in the same run.
 *
 * Environment:
 * - PUSHPROV_LOAD_SECONDS (default 10), PUSHPROV_LOAD_CONCURRENCY (default "8,32");
 * - PUSHPROV_LOAD_DATABASE_URL=postgres://…/name: PostgreSQL (a fresh database
 *   name_load_<tree>_<n> on that server, dropped at the end); PGlite otherwise;
 * - PUSHPROV_LOAD_MIX=merchant: merchant pushes only;
 * - PUSHPROV_LOAD_INSTANCES (default 1): issuer processes (PostgreSQL only), load spread;
 * - PUSHPROV_LOAD_COMPARE=/path/to/other/tree: the same bench on that tree
 *   (`npm ci` done there), phase by phase interleaved with this one, ratios printed.
 * Rate limits are lifted: this measures pushes, not the limiter.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants, generateKeyPairSync, publicEncrypt, randomBytes, sign } from 'node:crypto';
import { cpSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from 'otplib';
import pg from 'pg';
import { atTokenRequestor } from '../test/support/token-requestor-browser.js';
import { measure } from './harness.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';
const ALICE = {
  username: 'alice',
  password: 'alice-demo-password',
  totpSecret: 'YHFTOQKKZRG4NAWCIFR6WIRYXMJXIPON',
};
const HERE = resolve(import.meta.dirname, '..');
// A deployment's ports: eight from PORT_BASE + 8 × its slot (PUSHPROV_LOAD_PORT_BASE, default 18480).
const PORT_BASE = Number(process.env.PUSHPROV_LOAD_PORT_BASE ?? 18480);
const TICKS_PER_SECOND = 100;
// PUSHPROV_LOAD_MIX=merchant: merchant pushes only (the issuer's own path, without Click to Pay's enrolment).
const MIX = process.env.PUSHPROV_LOAD_MIX ?? 'both';

export interface LoadResult {
  pushes: number;
  errors: number;
  pushesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  floorPushesPerSecond: number;
}

interface Tree {
  name: string;
  root: string;
}

interface Part {
  name: string;
  child: ChildProcess;
  url: string;
}

export interface Deployment {
  tree: Tree;
  parts: Part[];
  issuers: string[];
  opsKey: string;
  session: { token: string; grant: string };
  merchantCard: string;
  freshCards: string[];
  database?: { admin: string; name: string; url: string };
  dirs: string[];
}

interface Snapshot {
  cpuTicks: Map<string, number>;
  postgresTicks: Map<number, number>;
  statements: Map<string, number>;
}

export interface Phase {
  tree: string;
  concurrency: number;
  seconds: number;
  pushes: number;
  byUseCase: Record<'merchant' | 'click_to_pay', number>;
  errors: Map<string, number>;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerPush: Map<string, number>;
  perPush: Map<string, number>;
  clickToPay: Map<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, in clock ticks; 0 once it is gone. */
function cpuTicks(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function call(
  base: string,
  method: string,
  path: string,
  { body, token, headers = {} }: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(base + path, {
    method,
    headers: {
      origin: base,
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  return { status: response.status, body: parsed };
}

async function waitReady(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name} not ready after 180 s`);
}

/** A Luhn-valid PAN on the demo cards' account range, distinct per `n`. */
function panFor(prefix: string, n: number): string {
  const body = `${prefix}${String(n).padStart(15 - prefix.length, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

export async function deploy(
  tree: Tree,
  index: number,
  instances: number,
  adminUrl: string | undefined,
  cards: number,
) {
  const base = PORT_BASE + index * 8;
  const port = { simulator: base, merchant: base + 1, issuer: (i: number) => base + 2 + 2 * i };
  const mdes = (i: number) => base + 3 + 2 * i;
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pushprov-load-'));
    dirs.push(d);
    return d;
  };
  let database: Deployment['database'];
  if (adminUrl) {
    const name = `${new URL(adminUrl).pathname.slice(1)}_load_${index}_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    database = { admin: adminUrl, name, url: url.toString() };
  }
  const shared = database ? dir() : undefined;
  const env = (dataDir: string, i = 0): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PUSHPROV_DATA_DIR: dataDir,
    PUSHPROV_LOG_FORMAT: 'json',
    PUSHPROV_HOST: '127.0.0.1',
    PUSHPROV_ISSUER_PORT: String(port.issuer(i)),
    PUSHPROV_MDES_PORT: String(mdes(i)),
    PUSHPROV_SIMULATOR_PORT: String(port.simulator),
    PUSHPROV_MERCHANT_PORT: String(port.merchant),
    PUSHPROV_ISSUER_URL: `http://127.0.0.1:${port.issuer(0)}`,
    PUSHPROV_SIMULATOR_URL: `http://127.0.0.1:${port.simulator}`,
    PUSHPROV_MERCHANT_URL: `http://127.0.0.1:${port.merchant}`,
    PUSHPROV_SCA_GRANT_SECONDS: '3600',
    PUSHPROV_RATE_LIMIT_PER_IP: '1000000/1000000',
    PUSHPROV_RATE_LIMIT_PER_CARDHOLDER: '1000000/1000000',
    ...(database && { DATABASE_URL: database.url }),
  });
  const parts: Part[] = [];
  const startPart = async (name: string, only: string, dataDir: string, url: string, i = 0) => {
    // PUSHPROV_LOAD_LOGS=<dir>: each part's log there, to see why a push did not settle.
    const logs = process.env.PUSHPROV_LOAD_LOGS;
    const log = logs ? openSync(join(logs, `${index}-${name.replace(/\s/g, '')}.log`), 'w') : 'ignore';
    const child = spawn(process.execPath, [join(tree.root, 'bin', 'pushprov.js'), 'start', '--only', only], {
      cwd: tree.root,
      env: env(dataDir, i),
      stdio: ['ignore', log, log],
    });
    parts.push({ name, child, url });
    await waitReady(url, child, `${tree.name} ${name}`);
  };
  const issuers: string[] = [];
  try {
    // One after another: the first generates the development keys the others read.
    const simulatorDir = shared ?? dir();
    await startPart('simulator', 'simulator', simulatorDir, `http://127.0.0.1:${port.simulator}`);
    const withKeys = () => {
      if (shared) return shared;
      const d = dir();
      cpSync(join(simulatorDir, 'keys'), join(d, 'keys'), { recursive: true });
      return d;
    };
    await startPart('merchant', 'merchant', withKeys(), `http://127.0.0.1:${port.merchant}`);
    const issuerDir = withKeys();
    for (let i = 0; i < instances; i++) {
      const url = `http://127.0.0.1:${port.issuer(i)}`;
      await startPart(instances > 1 ? `issuer ${i + 1}` : 'issuer', 'issuer', issuerDir, url, i);
      issuers.push(url);
    }
    const opsKey = readFileSync(join(issuerDir, 'keys', 'ops-api-key'), 'utf8').trim();
    const first = issuers[0] as string;

    // Cards for Click to Pay pushes, each pushed there once: on alice's account range.
    const signedIn = await call(first, 'POST', '/v1/session', { body: ALICE });
    const token = signedIn.body.token as string;
    const listed = await call(first, 'GET', '/v1/cards', { token });
    const eligible = (listed.body.cards as { id: string; eligible: boolean; lastFour: string }[]).filter(
      (c) => c.eligible,
    );
    const merchantCard = eligible[0]?.id;
    if (!merchantCard) throw new Error('no eligible demo card');
    const demo = JSON.parse(readFileSync(join(HERE, 'fixtures', 'demo-cards.json'), 'utf8')) as {
      cardholders: { externalRef: string; cards: { pan: string }[] }[];
    };
    const holder = demo.cardholders.find((h) => h.externalRef === 'demo-alice');
    const prefix = (holder?.cards[0]?.pan ?? '5204740000001').slice(0, 9);
    const profile = holder as unknown as Record<string, unknown>;
    for (let from = 0; from < cards; from += 500) {
      const batch = Array.from({ length: Math.min(500, cards - from) }, (_, k) => ({
        externalRef: `load-${from + k}`,
        pan: panFor(prefix, 100_000 + from + k),
        expiryMonth: 12,
        expiryYear: 2031,
        country: 'GB',
        status: 'active',
        productName: 'Load test',
      }));
      const imported = await call(first, 'POST', '/v1/ops/cards/import', {
        token: opsKey,
        body: { cardholders: [{ ...profile, cards: batch }] },
      });
      if (imported.status >= 300) throw new Error(`card import: ${JSON.stringify(imported.body)}`);
    }
    const all = await call(first, 'GET', '/v1/cards', { token });
    const freshCards = (all.body.cards as { id: string; eligible: boolean }[])
      .filter((c) => c.eligible && !eligible.some((e) => e.id === c.id))
      .map((c) => c.id);
    const stepped = await call(first, 'POST', '/v1/sca/totp/verify', {
      token,
      body: { code: await generate({ secret: ALICE.totpSecret }) },
    });
    if (stepped.status !== 201) throw new Error(`step-up refused: ${JSON.stringify(stepped.body)}`);
    return {
      tree,
      parts,
      issuers,
      opsKey,
      session: { token, grant: stepped.body.grant as string },
      merchantCard,
      freshCards,
      ...(database && { database }),
      dirs,
    } satisfies Deployment;
  } catch (error) {
    await stop({ parts, dirs, ...(database && { database }) });
    throw error;
  }
}

export async function stop(d: Pick<Deployment, 'parts' | 'dirs' | 'database'>): Promise<void> {
  await Promise.all(
    d.parts.map(
      ({ child }) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  if (d.database) {
    const admin = new pg.Client({ connectionString: d.database.admin });
    await admin.connect();
    await admin.query(`drop database if exists ${d.database.name} with (force)`).catch(() => {});
    await admin.end();
  }
  for (const dir of d.dirs) rmSync(dir, { recursive: true, force: true });
}

/** The issuer's statement counters (summed over instances), absent on a tree without them. */
async function statements(d: Deployment): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const issuer of d.issuers) {
    const text = await fetch(`${issuer}/metrics`, { headers: { authorization: `Bearer ${d.opsKey}` } }).then(
      (r) => r.text(),
    );
    for (const line of text.split('\n')) {
      const m = /^pushprov_db_(statements|transactions)_total\{(.*)\} (\d+)$/.exec(line);
      if (!m) continue;
      const useCase = /use_case="([^"]*)"/.exec(m[2] ?? '')?.[1] || 'other';
      for (const key of [`${m[1]} all`, `${m[1]} ${useCase}`])
        out.set(key, (out.get(key) ?? 0) + Number(m[3]));
    }
  }
  return out;
}

async function postgresBackends(d: Deployment): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!d.database) return out;
  const client = new pg.Client({ connectionString: d.database.url });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  await client.end();
  for (const { pid } of rows) out.set(pid, cpuTicks(pid));
  return out;
}

async function snapshot(d: Deployment): Promise<Snapshot> {
  return {
    cpuTicks: new Map(d.parts.map((p) => [p.name, cpuTicks(p.child.pid)])),
    postgresTicks: await postgresBackends(d),
    statements: await statements(d),
  };
}

export async function runPhase(d: Deployment, concurrency: number, seconds: number): Promise<Phase> {
  const before = await snapshot(d);
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  const byUseCase = { merchant: 0, click_to_pay: 0 };
  const clickToPayIds: string[] = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const n = sent++;
        const issuer = d.issuers[n % d.issuers.length] as string;
        const fresh = n % 2 === 1 && MIX !== 'merchant' ? d.freshCards.pop() : undefined;
        const useCase = fresh ? 'click_to_pay' : 'merchant';
        const t0 = performance.now();
        const response = await call(issuer, 'POST', '/v1/provisionings', {
          token: d.session.token,
          body: {
            cardIds: [fresh ?? d.merchantCard],
            tokenRequestorId: fresh ? CLICK_TO_PAY : DEMO_SHOP,
            consent: true,
          },
          headers: {
            'idempotency-key': `load-${d.tree.name.replace(/\W/g, '')}-${concurrency}-${n}-${randomBytes(4).toString('hex')}`,
            'pushprov-sca-grant': d.session.grant,
          },
        }).catch(() => undefined);
        latencies.push(performance.now() - t0);
        byUseCase[useCase]++;
        const state = response?.body.state as string | undefined;
        if (response?.status === 201 && fresh) {
          clickToPayIds.push(response.body.id as string);
          // The cardholder follows the link to Click to Pay and confirms, as the bank's page sends them:
          // only then does Click to Pay enrol the card. Not part of the push's latency.
          const link = response.body.redirectUrl;
          if (typeof link === 'string') await atTokenRequestor(link, 'accept').catch(() => undefined);
        }
        if (response?.status !== 201 || (state !== 'receipt_issued' && state !== 'enrolling')) {
          const code = (response?.body.error as { code?: string } | undefined)?.code;
          const why = response ? `${response.status} ${state ?? code ?? 'unreadable'}` : 'network';
          errors.set(why, (errors.get(why) ?? 0) + 1);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const after = await snapshot(d);
  // Where the Click to Pay pushes of this phase stand when it ends, then how long the rest take.
  const stateOf = async (id: string) =>
    String(
      (await call(d.issuers[0] as string, 'GET', `/v1/provisionings/${id}`, { token: d.session.token })).body
        .state ?? 'unreadable',
    );
  const clickToPay = new Map<string, number>();
  let open: string[] = [];
  for (const id of clickToPayIds) {
    const state = await stateOf(id);
    clickToPay.set(state, (clickToPay.get(state) ?? 0) + 1);
    if (state === 'pending' || state === 'receipt_issued') open.push(id);
  }
  const drainStarted = performance.now();
  while (open.length > 0 && performance.now() - drainStarted < 60_000) {
    await sleep(1000);
    const still: string[] = [];
    for (const id of open) {
      const state = await stateOf(id);
      if (state === 'pending' || state === 'receipt_issued') still.push(id);
    }
    open = still;
  }
  clickToPay.set(
    open.length === 0
      ? `all settled ${((performance.now() - drainStarted) / 1000).toFixed(0)} s after the phase`
      : `still open 60 s after the phase`,
    open.length,
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const pushes = latencies.length;
  const cpuMsPerPush = new Map<string, number>();
  for (const [name, ticks] of after.cpuTicks)
    cpuMsPerPush.set(name, (((ticks - (before.cpuTicks.get(name) ?? 0)) / TICKS_PER_SECOND) * 1000) / pushes);
  if (d.database) {
    let ticks = 0;
    for (const [pid, t] of after.postgresTicks) ticks += t - (before.postgresTicks.get(pid) ?? 0);
    cpuMsPerPush.set('PostgreSQL', ((ticks / TICKS_PER_SECOND) * 1000) / pushes);
  }
  const perPush = new Map<string, number>();
  const delta = (key: string) => (after.statements.get(key) ?? 0) - (before.statements.get(key) ?? 0);
  if (after.statements.size > 0) {
    for (const kind of ['statements', 'transactions']) {
      perPush.set(`${kind} (all issuer work)`, delta(`${kind} all`) / pushes);
      if (byUseCase.merchant > 0)
        perPush.set(`${kind} merchant POST`, delta(`${kind} push.merchant`) / byUseCase.merchant);
      if (byUseCase.click_to_pay > 0)
        perPush.set(`${kind} Click to Pay POST`, delta(`${kind} push.click_to_pay`) / byUseCase.click_to_pay);
    }
  }
  return {
    tree: d.tree.name,
    concurrency,
    seconds: elapsed,
    pushes,
    byUseCase,
    errors,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuMsPerPush,
    perPush,
    clickToPay,
  };
}

/** Pushes per second if a push cost only one raw RSA-2048 signature and one OAEP encryption. */
export async function cryptoFloor(): Promise<number> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(700, 'x');
  const sessionKey = randomBytes(32);
  const oaep = { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
  const signUs = (await measure({ group: 'floor', name: 'sign', fn: () => sign('sha256', data, privateKey) }))
    .medianUs;
  const encryptUs = (
    await measure({ group: 'floor', name: 'encrypt', fn: () => publicEncrypt(oaep, sessionKey) })
  ).medianUs;
  return 1e6 / (signUs + encryptUs);
}

export function printPhase(p: Phase, floor: number, reference?: Phase): void {
  const rate = p.pushes / p.seconds;
  const ratio = reference
    ? `  (${(rate / (reference.pushes / reference.seconds)).toFixed(2)}× ${reference.tree})`
    : '';
  console.log(
    `\n-- ${p.tree}, concurrency ${p.concurrency}: ${p.pushes} pushes in ${p.seconds.toFixed(1)} s`,
  );
  console.log(
    `  throughput     ${rate.toFixed(1)} pushes/s${ratio}; ${((rate / floor) * 100).toFixed(1)}% of the crypto floor`,
  );
  console.log(
    `  latency        p50 ${p.p50Ms.toFixed(0)} ms, p99 ${p.p99Ms.toFixed(0)} ms` +
      (reference
        ? `  (p50 ${(p.p50Ms / reference.p50Ms).toFixed(2)}×, p99 ${(p.p99Ms / reference.p99Ms).toFixed(2)}×)`
        : ''),
  );
  console.log(`  use cases      ${p.byUseCase.merchant} merchant, ${p.byUseCase.click_to_pay} Click to Pay`);
  const errors = [...p.errors.values()].reduce((a, b) => a + b, 0);
  console.log(
    `  errors         ${errors}${errors ? ` (${[...p.errors].map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''}`,
  );
  console.log(
    `  CPU per push   ${[...p.cpuMsPerPush].map(([k, v]) => `${k} ${v.toFixed(2)} ms`).join(', ')}` +
      `; total ${[...p.cpuMsPerPush.values()].reduce((a, b) => a + b, 0).toFixed(2)} ms`,
  );
  console.log(
    p.perPush.size > 0
      ? `  per push       ${[...p.perPush].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`
      : '  per push       (no statement counter on this tree)',
  );
  console.log(
    `  Click to Pay   at the end: ${[...p.clickToPay].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`,
  );
}

export async function runLoadBench({
  seconds = Number(process.env.PUSHPROV_LOAD_SECONDS ?? 10),
  concurrencies = (process.env.PUSHPROV_LOAD_CONCURRENCY ?? '8,32').split(',').map(Number),
  instances = Number(process.env.PUSHPROV_LOAD_INSTANCES ?? 1),
  adminUrl = process.env.PUSHPROV_LOAD_DATABASE_URL,
  compare = process.env.PUSHPROV_LOAD_COMPARE,
} = {}): Promise<LoadResult> {
  if (instances > 1 && !adminUrl) throw new Error('several issuer instances need PUSHPROV_LOAD_DATABASE_URL');
  const trees: Tree[] = [
    { name: 'this tree', root: HERE },
    ...(compare ? [{ name: `tree at ${compare}`, root: resolve(compare) }] : []),
  ];
  // Enough fresh cards for every Click to Pay push of every phase, generously.
  const cards = MIX === 'merchant' ? 0 : Math.ceil(concurrencies.reduce((a, c) => a + c, 0) * seconds * 12);
  const floorBefore = await cryptoFloor();
  const deployments: Deployment[] = [];
  try {
    for (const [i, tree] of trees.entries())
      deployments.push(await deploy(tree, i, instances, adminUrl, cards));
    const engine = adminUrl ? 'PostgreSQL' : 'PGlite';
    console.log(
      `load: ${instances} issuer process${instances > 1 ? 'es' : ''}, simulator, merchant and this load client each in its own process, on ${engine}; ${seconds} s per phase; ${MIX === 'merchant' ? 'merchant pushes only' : 'merchant and Click to Pay pushes alternately'}`,
    );
    const phases: Phase[] = [];
    for (const concurrency of concurrencies) {
      // Tree by tree within a concurrency: both meet the same machine load, and ratios are taken between them.
      for (const d of deployments) phases.push(await runPhase(d, concurrency, seconds));
    }
    const floor = (floorBefore + (await cryptoFloor())) / 2;
    console.log(
      `crypto floor: ${floor.toFixed(0)} pushes/s (one raw RSA-2048 sign + one OAEP encrypt per push, one core, measured before and after in this run)`,
    );
    for (const p of phases) {
      const reference =
        p.tree === trees[0]?.name
          ? undefined
          : phases.find((q) => q.concurrency === p.concurrency && q.tree === trees[0]?.name);
      printPhase(p, floor, reference);
    }
    if (trees.length > 1) {
      console.log('\nthis tree / other tree, per concurrency:');
      for (const concurrency of concurrencies) {
        const [mine, other] = trees.map((t) =>
          phases.find((p) => p.tree === t.name && p.concurrency === concurrency),
        );
        if (!mine || !other) continue;
        const rate = (p: Phase) => p.pushes / p.seconds;
        const cpu = (p: Phase) => [...p.cpuMsPerPush.values()].reduce((a, b) => a + b, 0);
        console.log(
          `  c${concurrency}: pushes/s ${(rate(mine) / rate(other)).toFixed(2)}×, p50 ${(mine.p50Ms / other.p50Ms).toFixed(2)}×, p99 ${(mine.p99Ms / other.p99Ms).toFixed(2)}×, CPU per push ${(cpu(mine) / cpu(other)).toFixed(2)}×`,
        );
      }
    }
    const mine = phases.filter((p) => p.tree === trees[0]?.name);
    const first = mine[0];
    const errors = mine.reduce((a, p) => a + [...p.errors.values()].reduce((x, y) => x + y, 0), 0);
    return {
      pushes: mine.reduce((a, p) => a + p.pushes, 0),
      errors,
      pushesPerSecond: first ? first.pushes / first.seconds : 0,
      p50Ms: first?.p50Ms ?? 0,
      p99Ms: first?.p99Ms ?? 0,
      floorPushesPerSecond: floor,
    };
  } finally {
    for (const d of deployments) await stop(d);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runLoadBench();
  if (result.errors > 0) process.exitCode = 1;
}
