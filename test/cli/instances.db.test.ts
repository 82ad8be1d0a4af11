import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyTestDatabase, onPostgres, type TestDatabase } from '../support/database.js';
import { type Cli, freePort, runCli } from '../support/process.js';

const DEMO = JSON.parse(readFileSync('fixtures/demo-cards.json', 'utf8')) as {
  cardholders: { demo?: { username: string; password: string; totpSecret: string } }[];
};

// Starting real processes (PGlite or PostgreSQL, key generation) is slow on a loaded machine.
describe('several instances started together', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  const running: Cli[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-instances-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await Promise.all(running.map((cli) => cli.exited));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const startIssuer = async (env: Record<string, string>) => {
    const port = await freePort();
    const cli = runCli(['start', '--only', 'issuer'], {
      PUSHPROV_ISSUER_PORT: String(port),
      PUSHPROV_MDES_PORT: '0',
      ...env,
    });
    running.push(cli);
    // The bank's pages are served as http://localhost:<port>: the origin the issuer checks.
    return { cli, base: `http://127.0.0.1:${port}`, origin: `http://localhost:${port}` };
  };

  it.skipIf(onPostgres())('on one PGlite directory: the second is refused, naming the first', async () => {
    const dataDir = freshDataDir();
    const first = await startIssuer({ PUSHPROV_DATA_DIR: dataDir });
    await first.cli.waitFor('pushprov is up');
    const second = await startIssuer({ PUSHPROV_DATA_DIR: dataDir });
    expect(await second.cli.exited).toBe(1);
    expect(second.cli.stdout() + second.cli.stderr()).toContain(`in use by process ${first.cli.child.pid}`);
  });

  it.runIf(onPostgres())(
    'on one PostgreSQL database and a fresh data directory: one key set, one vault keyring, seeded once, each serving every cardholder',
    async () => {
      const database: TestDatabase = await emptyTestDatabase(); // empty: the instances migrate it together too
      try {
        const dataDir = freshDataDir();
        const env = { PUSHPROV_DATA_DIR: dataDir, DATABASE_URL: database.url ?? '' };
        const instances = await Promise.all([startIssuer(env), startIssuer(env), startIssuer(env)]);
        await Promise.all(instances.map(({ cli }) => cli.waitFor('pushprov is up')));

        expect(readdirSync(join(dataDir, 'keys')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
        const generated = instances.filter(({ cli }) => cli.stdout().includes('generating development keys'));
        expect(generated).toHaveLength(1);
        const keyrings = instances.filter(({ cli }) =>
          cli.stdout().includes('creating a development vault keyring'),
        );
        expect(keyrings.length).toBeGreaterThanOrEqual(1);

        const { rows } = await sql<{ n: number }>`select count(*)::int as n from cardholders`.execute(
          database.db,
        );
        expect(rows[0]?.n).toBe(DEMO.cardholders.length);

        // Each demo TOTP secret was sealed by whichever instance seeded: every instance opens them.
        const people = DEMO.cardholders.flatMap((c) => (c.demo ? [c.demo] : []));
        expect(people.length).toBeGreaterThanOrEqual(instances.length);
        for (const [i, { base, origin }] of instances.entries()) {
          const who = people[i]!;
          const headers = { origin, 'content-type': 'application/json' };
          const signIn = await fetch(`${base}/v1/session`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ username: who.username, password: who.password }),
          });
          expect(signIn.status).toBe(201);
          const { token } = (await signIn.json()) as { token: string };
          const stepUp = await fetch(`${base}/v1/sca/totp/verify`, {
            method: 'POST',
            headers: { ...headers, authorization: `Bearer ${token}` },
            body: JSON.stringify({ code: await generate({ secret: who.totpSecret }) }),
          });
          expect(stepUp.status).toBe(201);
        }
      } finally {
        for (const cli of running.splice(0)) cli.child.kill('SIGTERM');
        await database.close();
      }
    },
  );
});
