/**
 * `npm run bench:load`: the issuer API under load. Issuer, simulator and demo
 * merchant run in this process over real HTTP (as `npm start` runs them, on
 * an in-memory database); signed-in, stepped-up cardholders push cards to
 * the demo merchant (Secure Card on File) and to Click to Pay at a fixed
 * concurrency for a fixed time. Prints throughput, latency percentiles,
 * errors and memory, and the push rate beside the crypto floor measured in
 * the same run: what one core could do if a push cost only one raw RSA-2048
 * signature and one OAEP encryption.
 *
 * PUSHPROV_LOAD_SECONDS (default 10) and PUSHPROV_LOAD_CONCURRENCY (default 8);
 * PUSHPROV_TEST_DATABASE_URL=postgres://… runs it on a fresh PostgreSQL
 * database instead of PGlite. Rate limits are lifted: this measures pushes,
 * not the limiter.
 */
import { constants, generateKeyPairSync, publicEncrypt, randomBytes, sign } from 'node:crypto';
import { CardholderClient, DEMO, startStack } from '../test/support/stack.js';
import { measure } from './harness.js';

const CLICK_TO_PAY = '50123197928';
const DEMO_SHOP = '50182375119';

export interface LoadResult {
  pushes: number;
  errors: number;
  pushesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  floorPushesPerSecond: number;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Pushes per second if a push cost only one raw RSA-2048 signature and one OAEP encryption. */
async function cryptoFloor(): Promise<number> {
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

export async function runLoadBench({
  seconds = Number(process.env.PUSHPROV_LOAD_SECONDS ?? 10),
  concurrency = Number(process.env.PUSHPROV_LOAD_CONCURRENCY ?? 8),
} = {}): Promise<LoadResult> {
  const rssStart = process.memoryUsage().rss;
  // Grants outlive the run; nothing else differs from `npm start`.
  const stack = await startStack({
    PUSHPROV_SCA_GRANT_SECONDS: String(Math.max(300, seconds * 4)),
    PUSHPROV_RATE_LIMIT_PER_IP: '1000000/1000000',
    PUSHPROV_RATE_LIMIT_PER_CARDHOLDER: '1000000/1000000',
  });
  const engine = process.env.PUSHPROV_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  try {
    // Every cardholder with an eligible card, each signed in and stepped up once.
    const pushers: { client: CardholderClient; cardId: string }[] = [];
    for (const who of [DEMO.alice, DEMO.bob]) {
      const client = new CardholderClient(stack.issuer);
      await client.signIn(who);
      await client.stepUp(who.totpSecret);
      const cards = (await client.call('GET', '/v1/cards')).body.cards as { id: string; eligible: boolean }[];
      for (const card of cards.filter((c) => c.eligible)) pushers.push({ client, cardId: card.id });
    }
    if (pushers.length === 0) throw new Error('no eligible demo card to push');

    const latencies: number[] = [];
    const failures = new Map<string, number>();
    let sent = 0;
    const rssReady = process.memoryUsage().rss;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const n = sent++;
          const { client, cardId } = pushers[n % pushers.length] as (typeof pushers)[number];
          const destination = n % 2 === 0 ? DEMO_SHOP : CLICK_TO_PAY;
          const t0 = performance.now();
          const response = await client
            .push([cardId], destination, `load-push-${String(n).padStart(8, '0')}`)
            .catch(() => undefined);
          latencies.push(performance.now() - t0);
          const state = (response?.body as { state?: string } | undefined)?.state;
          if (response?.status !== 201 || (state !== 'receipt_issued' && state !== 'enrolling')) {
            const code = (response?.body as { error?: { code?: string } } | undefined)?.error?.code;
            const why = response ? `${response.status} ${state ?? code ?? 'unreadable'}` : 'network';
            failures.set(why, (failures.get(why) ?? 0) + 1);
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const rssEnd = process.memoryUsage().rss;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    const errors = [...failures.values()].reduce((a, b) => a + b, 0);
    const floor = await cryptoFloor();
    const result: LoadResult = {
      pushes: latencies.length,
      errors,
      pushesPerSecond: latencies.length / elapsed,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      floorPushesPerSecond: floor,
    };

    console.log(
      `${result.pushes} pushes (Secure Card on File and Click to Pay alternately) in ${elapsed.toFixed(1)} s at concurrency ${concurrency}, ${pushers.length} cards, on ${engine}`,
    );
    console.log(`throughput       ${result.pushesPerSecond.toFixed(1)} pushes/s`);
    console.log(`latency          p50 ${result.p50Ms.toFixed(0)} ms, p99 ${result.p99Ms.toFixed(0)} ms`);
    console.log(
      `errors           ${errors}${errors ? ` (${[...failures].map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''}`,
    );
    console.log(
      `memory (RSS)     ${mb(rssStart)} at start, ${mb(rssReady)} with the stack up, ${mb(rssEnd)} at the end (${rssEnd >= rssReady ? '+' : ''}${mb(rssEnd - rssReady)} during the run)`,
    );
    console.log(
      `crypto floor     ${floor.toFixed(0)} pushes/s (one raw RSA-2048 sign + one OAEP encrypt each, one core); measured = ${((result.pushesPerSecond / floor) * 100).toFixed(1)}% of it`,
    );
    console.log(
      '                 (each push here also runs the simulated MDES in the same process: OAuth verify, OAEP decrypt, a JWS signature, and the database writes of both sides)',
    );
    return result;
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runLoadBench();
  if (result.errors > 0) process.exitCode = 1;
}
