import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { generate } from 'otplib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openVault } from '../../src/app/vault.js';
import { sealedValueCounts } from '../../src/store/vault/rotation.js';
import { onPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { withDevKeys } from '../support/dev-keys.js';
import { type Cli, freePort, runCli } from '../support/process.js';

const DEMO = JSON.parse(readFileSync('fixtures/demo-cards.json', 'utf8')) as {
  cardholders: { demo?: { username: string; password: string; totpSecret: string } }[];
};
const DEMO_SHOP = '50182375119';

/**
 * The issuers' way to Mastercard, which the test can cut: while down, every
 * connection (open or new) is reset, as a network failure would.
 */
async function cuttableLink(port: number, to: number) {
  const sockets = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(to, '127.0.0.1');
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', end).on('close', end);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    cut: () => {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    mend: () => {
      up = true;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

interface Instance {
  cli: Cli;
  base: string;
  origin: string;
  alive: boolean;
}

/**
 * pushprov scaled out as an operator would run it: three issuer processes,
 * the simulated Mastercard and the demo merchant, each a process of its own,
 * all on one PostgreSQL database. Cardholders push through any instance; one
 * instance is killed (SIGKILL) mid-run; Mastercard goes away for a while, so
 * pushes are left pending for the two survivors' reconciliation to race for.
 * Afterwards every push has ended once, each job's work was done once, the
 * audit trail verifies and every sealed value opens under the shared keyring.
 */
describe.skipIf(!onPostgres())(
  'three issuer instances, the simulator and the merchant as processes on one PostgreSQL database (PostgreSQL only: a PGlite directory serves one process)',
  { timeout: 180_000 },
  () => {
    const running: Cli[] = [];
    const closing: (() => Promise<unknown>)[] = [];
    let database: TestDatabase | undefined;
    let dataDir = '';
    afterAll(async () => {
      for (const cli of running) cli.child.kill('SIGKILL');
      await Promise.all(running.map((cli) => cli.exited));
      for (const close of closing) await close();
      await database?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('ends every push exactly once, runs each job once, keeps the audit chain and one keyring', async () => {
      const t0 = Date.now();
      const mark = (what: string) =>
        process.stderr.write(`three instances: ${what} at ${Date.now() - t0} ms\n`);
      database = await testDatabase();
      dataDir = withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-three-')));
      const [simulatorPort, merchantPort, nowhere, linkPort, ...issuerPorts] = await Promise.all(
        Array.from({ length: 7 }, () => freePort()),
      );
      const link = await cuttableLink(linkPort as number, simulatorPort as number);
      closing.push(link.close);
      const common = {
        PUSHPROV_DATA_DIR: dataDir,
        DATABASE_URL: database.url ?? '',
        PUSHPROV_SIMULATOR_PORT: String(simulatorPort),
        PUSHPROV_MERCHANT_PORT: String(merchantPort),
        PUSHPROV_RECONCILE_SECONDS: '1',
        PUSHPROV_RATE_LIMIT_PER_IP: '100000/100000',
        PUSHPROV_RATE_LIMIT_PER_CARDHOLDER: '100000/100000',
        PUSHPROV_SCA_GRANT_SECONDS: '600',
        LOG_LEVEL: 'warn',
      };
      const start = (part: string, env: Record<string, string>) => {
        const cli = runCli(['start', '--only', part], { ...common, ...env });
        running.push(cli);
        return cli;
      };
      // The simulator's notion of the issuer's MDES listener: a port nothing listens on (no tokenization here).
      const startSimulator = () => start('simulator', { PUSHPROV_MDES_PORT: String(nowhere) });
      const simulator = startSimulator();
      const merchant = start('merchant', {});
      // One public URL for the three, as behind a balancer: a push's callback URL (which MDES holds
      // it to under its requestId) is the same whichever instance sends it again.
      const publicUrl = `http://localhost:${issuerPorts[0]}`;
      const instances: Instance[] = (issuerPorts as number[]).map((port) => ({
        cli: start('issuer', {
          PUSHPROV_ISSUER_PORT: String(port),
          PUSHPROV_ISSUER_URL: publicUrl,
          PUSHPROV_MDES_PORT: '0',
          PUSHPROV_SIMULATOR_URL: `http://127.0.0.1:${linkPort}`,
        }),
        base: `http://127.0.0.1:${port}`,
        origin: publicUrl,
        alive: true,
      }));
      await Promise.all(
        [simulator, merchant, ...instances.map((i) => i.cli)].map((cli) => cli.waitFor('pushprov is up')),
      );
      mark('all up');

      const call = async (
        instance: Instance,
        method: string,
        path: string,
        token: string,
        body?: unknown,
        headers = {},
      ) => {
        const response = await fetch(`${instance.base}${path}`, {
          method,
          headers: {
            origin: instance.origin,
            ...(token && { authorization: `Bearer ${token}` }),
            ...(body !== undefined && { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      // Each demo cardholder signs in and steps up at an instance of their own; sessions live in the database.
      const people = DEMO.cardholders.flatMap((c) => (c.demo ? [c.demo] : [])).slice(0, 3);
      const pushers: { token: string; grant: string; cardId: string }[] = [];
      for (const [i, who] of people.entries()) {
        const at = instances[i % instances.length] as Instance;
        const session = await call(at, 'POST', '/v1/session', '', {
          username: who.username,
          password: who.password,
        });
        expect(session.status).toBe(201);
        const token = session.body.token as string;
        const stepUp = await call(at, 'POST', '/v1/sca/totp/verify', token, {
          code: await generate({ secret: who.totpSecret }),
        });
        expect(stepUp.status).toBe(201);
        const cards = (await call(at, 'GET', '/v1/cards', token)).body.cards as {
          id: string;
          eligible: boolean;
        }[];
        for (const card of cards.filter((c) => c.eligible)) {
          const where = (await call(at, 'GET', `/v1/cards/${card.id}/destinations`, token)).body
            .destinations as { tokenRequestorId: string }[];
          if (where.some((d) => d.tokenRequestorId === DEMO_SHOP)) {
            pushers.push({ token, grant: stepUp.body.grant as string, cardId: card.id });
          }
        }
      }
      expect(pushers.length).toBeGreaterThanOrEqual(3);

      let sent = 0;
      /** One push through the next live instance; a dead one's push is tried once more elsewhere, with its key. */
      const push = async (expected: readonly string[]) => {
        const n = sent++;
        const who = pushers[n % pushers.length] as (typeof pushers)[number];
        const key = `three-${String(n).padStart(6, '0')}`;
        for (let tries = 0; tries < 3; tries++) {
          const live = instances.filter((i) => i.alive);
          const at = live[(n + tries) % live.length] as Instance;
          try {
            const r = await call(
              at,
              'POST',
              '/v1/provisionings',
              who.token,
              { cardIds: [who.cardId], tokenRequestorId: DEMO_SHOP, consent: true },
              { 'idempotency-key': key, 'pushprov-sca-grant': who.grant },
            );
            // 409: the dead instance still holds the key; what it wrote (if anything) is reconciled.
            if (r.status === 409) return;
            // 200: a replay, the push having been made by the instance that died.
            expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
            expect(expected).toContain(r.body.state);
            return;
          } catch (error) {
            if (at.alive) throw error;
          }
        }
      };
      const pushMany = async (count: number, concurrency: number, expected: readonly string[]) => {
        let left = count;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (left-- > 0) await push(expected);
          }),
        );
      };

      mark('signed in');
      // Pushes spread across the three; the third instance is killed while pushes reach it.
      const phase1 = pushMany(24, 6, ['receipt_issued', 'pending']);
      while (sent < 9) await new Promise((resolve) => setTimeout(resolve, 10));
      const victim = instances[2] as Instance;
      victim.alive = false;
      victim.cli.child.kill('SIGKILL');
      await phase1;

      mark('phase 1 done');
      // Mastercard out of reach for a moment: pushes stay pending, then the survivors' reconciliation races for them.
      link.cut();
      await pushMany(6, 6, ['pending']);
      link.mend();
      mark('link mended');
      mark('waiting');
      const db = database.db;
      const pendingLeft = async () =>
        (
          await sql<{
            n: number;
          }>`select count(*)::int as n from provisionings where state = 'pending'`.execute(db)
        ).rows[0]?.n;
      for (let waited = 0; (await pendingLeft()) !== 0 && waited < 30_000; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(await pendingLeft()).toBe(0);

      const { rows: pushes } = await sql<{
        id: string;
        state: string;
        attempts: number;
        request_id: string;
        receipts: number;
        pushed: number;
        requested: number;
        sends: Date[];
        error_code: string | null;
      }>`select p.id, p.state, p.attempts, p.request_id, p.error_code,
          array(select a.at from audit_log a where a.subject = p.id
            and a.action in ('provisioning.pushed', 'provisioning.push_uncertain') order by a.at) as sends,
          (select count(*)::int from mc_receipts r where r.request_id = p.request_id) as receipts,
          (select count(*)::int from audit_log a where a.subject = p.id and a.action = 'provisioning.pushed') as pushed,
          (select count(*)::int from audit_log a where a.subject = p.id and a.action = 'provisioning.requested') as requested
        from provisionings p`.execute(db);
      expect(pushes.length).toBeGreaterThanOrEqual(26);
      for (const p of pushes) {
        // One final state, reached once; one receipt per request at Mastercard.
        expect(p, JSON.stringify(p)).toMatchObject({
          state: 'receipt_issued',
          receipts: 1,
          pushed: 1,
          requested: 1,
        });
        // Each send ended once, and the sends of a push were apart (one reconciliation
        // at a time, 2 s after the last): never two instances asking at once.
        const sends = p.sends.map((at) => new Date(at).getTime());
        expect(sends.length, p.id).toBeLessThanOrEqual(p.attempts);
        for (let i = 1; i < sends.length; i++) {
          expect((sends[i] ?? 0) - (sends[i - 1] ?? 0), p.id).toBeGreaterThan(1000);
        }
      }
      // The pushes made while Mastercard was out of reach were reconciled, by one instance each.
      expect(pushes.filter((p) => p.attempts >= 2).length).toBeGreaterThanOrEqual(6);
      const { rows: strays } = await sql<{ n: number }>`select count(*)::int as n from mc_receipts r
        where not exists (select 1 from provisionings p where p.request_id = r.request_id)`.execute(db);
      expect(strays[0]?.n).toBe(0);

      mark('all settled');
      // The survivors sealed the dead instance's audit entries too: the chain verifies.
      const verify = runCli(['audit', 'verify'], common);
      expect(await verify.exited, verify.stdout() + verify.stderr()).toBe(0);
      expect(verify.stdout()).toMatch(/audit trail intact: \d+ entries verified/);

      // Every vault-sealed value is under a key of the one keyring all instances share.
      const keyring = openVault(loadConfig({ PUSHPROV_DATA_DIR: dataDir })).keyring.ids;
      const kekIds = [...(await sealedValueCounts(db)).keys()].filter((id) => id !== 'other');
      expect(kekIds.length).toBeGreaterThan(0);
      expect(kekIds.filter((id) => !keyring.includes(id))).toEqual([]);
    });
  },
);
