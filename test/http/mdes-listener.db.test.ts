import { generateKeyPairSync, type KeyObject, type X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import { createMdesListener } from '../../src/http/mdes-listener.js';
import { certificateAuthority, tlsCertificate } from '../../src/mastercard/keys/certificate.js';
import { type DevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import { prepareIssuerStore } from '../../src/store/store.js';
import { captureStream } from '../support/capture.js';
import { testDatabase } from '../support/database.js';
import { withDevKeys } from '../support/dev-keys.js';

/**
 * The MDES listener over real TLS on an ephemeral port: the development
 * PKI's client certificate (the simulated MDES's) is served; no
 * certificate, a certificate of another CA, an expired one, or a server
 * certificate used as a client's are refused at the handshake, before any
 * route runs.
 */

const CONTEXT_ROOT = '/issuerServices/1/0';
const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const HOUR = 3_600_000;

let database: Database<unknown>;
let pki: DevPki;
let listener: FastifyInstance;
let port: number;
const log = captureStream();
/** What reached the probe route: a refused connection must never add to it. */
const reached: string[] = [];

const probeRoute: FastifyPluginAsync = async (app) => {
  app.post('/authorizeService', async (req) => {
    reached.push(req.id);
    return { responseId: 'probe' };
  });
};

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

/** One request on a fresh connection, presenting `client` (or no certificate). */
function call(
  path: string,
  client?: { certificate: X509Certificate; privateKey: KeyObject },
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        servername: 'localhost',
        // The client trusts the development CA for the listener's own certificate.
        ca: pki.ca.certificate.toString(),
        agent: false,
        ...(client && { cert: client.certificate.toString(), key: pem(client.privateKey) }),
        headers: method === 'POST' ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error: Error & { code?: string }) => resolve({ error: error.code ?? error.message }));
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

function clientOf(
  issuer: { certificate: X509Certificate; privateKey: KeyObject },
  validity: { notBefore: Date; notAfter: Date },
) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = tlsCertificate(publicKey, issuer, {
    commonName: 'someone else',
    usage: 'tls-client',
    ...validity,
  });
  return { certificate, privateKey };
}

const now = () => Date.now();

beforeAll(async () => {
  const dir = withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-mdes-listener-')));
  pki = await loadDevPki(join(dir, 'keys'));
  database = await testDatabase();
  await prepareIssuerStore(database.db);
  listener = await createMdesListener({
    db: database.db,
    logger: createLogger({ level: 'info', format: 'json', destination: log.stream }),
    contextRoot: CONTEXT_ROOT,
    tls: {
      ca: pki.ca.certificate.toString(),
      cert: pki.server.certificate.toString(),
      key: pem(pki.server.privateKey),
    },
    plugins: [probeRoute],
  });
  await listener.listen({ host: '127.0.0.1', port: 0 });
  const address = listener.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  expect(port).toBeGreaterThan(0);
  expect([8080, 8081, 8082, 8083]).not.toContain(port);
});

afterAll(async () => {
  await listener?.close();
  await database?.close();
});

describe('the MDES listener (mutual TLS)', () => {
  it('serves the simulated MDES’s client certificate: health and readiness under the context root', async () => {
    const health = await call(`${CONTEXT_ROOT}/healthz`, pki.client);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body ?? '')).toEqual({ status: 'alive', server: 'mdes' });
    const ready = await call(`${CONTEXT_ROOT}/readyz`, pki.client);
    expect(JSON.parse(ready.body ?? '')).toEqual({ status: 'ready', server: 'mdes' });
    const posted = await call(`${CONTEXT_ROOT}/authorizeService`, pki.client, 'POST');
    expect(posted.status).toBe(200);
    expect(reached).toHaveLength(1);
  });

  it('serves nothing outside the context root, the bank’s routes least of all', async () => {
    for (const path of ['/healthz', '/readyz', '/v1/cards', '/app', '/docs', '/authorizeService']) {
      const answer = await call(path, pki.client);
      expect(answer.status, path).toBe(404);
    }
  });

  describe('refuses at the handshake, and nothing reaches a route', () => {
    type Client = { certificate: X509Certificate; privateKey: KeyObject } | undefined;
    const refused: [string, () => Client, string][] = [
      ['no client certificate', () => undefined, 'peer did not return a certificate'],
      [
        'a certificate from an unknown CA',
        () => {
          const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
          const validity = { notBefore: new Date(now() - HOUR), notAfter: new Date(now() + HOUR) };
          const stranger = certificateAuthority(keys, { commonName: 'not the MDES CA', ...validity });
          return clientOf({ certificate: stranger, privateKey: keys.privateKey }, validity);
        },
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      ],
      [
        'an expired certificate of the trusted CA',
        () =>
          clientOf(pki.ca, { notBefore: new Date(now() - 48 * HOUR), notAfter: new Date(now() - 24 * HOUR) }),
        'CERT_HAS_EXPIRED',
      ],
      [
        'a certificate of the trusted CA not yet valid',
        () =>
          clientOf(pki.ca, { notBefore: new Date(now() + 24 * HOUR), notAfter: new Date(now() + 48 * HOUR) }),
        'CERT_NOT_YET_VALID',
      ],
      // Signed by the CA, but for servers only (extended key usage serverAuth).
      ['the listener’s own server certificate', () => pki.server, 'INVALID_PURPOSE'],
    ];

    it.each(refused)('%s', async (_name, makeClient, reason) => {
      const client = makeClient();
      const before = reached.length;
      const lines = log.lines().length;
      const logged = () =>
        log
          .lines()
          .slice(lines)
          .map((line) => JSON.parse(line) as { msg: string; tls?: { reason: string } });
      for (const [path, method] of [
        [`${CONTEXT_ROOT}/healthz`, 'GET'],
        [`${CONTEXT_ROOT}/authorizeService`, 'POST'],
      ] as const) {
        const answer = await call(path, client, method);
        expect(answer.status, path).toBeUndefined();
        expect(answer.error, path).toMatch(/^(ECONNRESET|EPIPE|ERR_SSL_[A-Z0-9_]+)$/);
      }
      // The server's side of a refused handshake may end after the client's.
      await vi.waitFor(() =>
        expect(logged().filter((l) => l.msg === 'MDES listener refused a TLS connection')).toHaveLength(2),
      );
      expect(reached).toHaveLength(before);
      expect(logged().map((l) => l.tls?.reason)).toEqual([reason, reason]);
      // Nothing else: no request was ever read on those connections.
      expect(logged().filter((l) => l.msg !== 'MDES listener refused a TLS connection')).toEqual([]);
    });
  });
});

describe('a listener pinned to MDES’s certificate', () => {
  let pinned: FastifyInstance;
  let pinnedPort: number;
  const pinnedLog = captureStream();

  beforeAll(async () => {
    pinned = await createMdesListener({
      db: database.db,
      logger: createLogger({ level: 'info', format: 'json', destination: pinnedLog.stream }),
      contextRoot: CONTEXT_ROOT,
      tls: {
        ca: pki.ca.certificate.toString(),
        cert: pki.server.certificate.toString(),
        key: pem(pki.server.privateKey),
      },
      pinnedClients: [pki.client.certificate.fingerprint256.replace(/:/g, '')],
      plugins: [probeRoute],
    });
    await pinned.listen({ host: '127.0.0.1', port: 0 });
    pinnedPort = (pinned.server.address() as { port: number }).port;
  });
  afterAll(async () => pinned?.close());

  it('lets the pinned certificate in, and refuses another of the same CA before any route runs', async () => {
    const saved = port;
    port = pinnedPort;
    try {
      expect((await call(`${CONTEXT_ROOT}/healthz`, pki.client)).status).toBe(200);
      const before = reached.length;
      const other = clientOf(pki.ca, { notBefore: new Date(now() - HOUR), notAfter: new Date(now() + HOUR) });
      const answer = await call(`${CONTEXT_ROOT}/authorizeService`, other, 'POST');
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body ?? '')).toMatchObject({ error: { code: 'MDES_CLIENT_NOT_PINNED' } });
      expect(reached).toHaveLength(before);
      await vi.waitFor(() =>
        expect(
          pinnedLog
            .lines()
            .map((line) => JSON.parse(line) as { tls?: { reason: string } })
            .filter((l) => l.tls?.reason === 'client certificate not pinned'),
        ).toHaveLength(1),
      );
    } finally {
      port = saved;
    }
  });
});
