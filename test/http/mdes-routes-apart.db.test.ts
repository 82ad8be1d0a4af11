import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { buildIssuer, type IssuerPart } from '../../src/app/issuer.js';
import { ensureDevKeys } from '../../src/cli/keys.js';
import { systemClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import {
  DEFAULT_CONTEXT_ROOT,
  PRE_DIGITIZATION_PATHS,
  type PreDigitizationOperation,
  preDigitizationPath,
} from '../../src/mastercard/pre-digitization/paths.js';
import { testDatabase } from '../support/database.js';
import { withDevKeys } from '../support/dev-keys.js';

/**
 * The issuer as `pushprov start` builds it: the bank's cardholder app never
 * serves what belongs to the MDES listener, and the MDES listener refuses
 * any request that did not come over a verified client certificate
 * (`inject` has no TLS socket, as a listener without mutual TLS would have none).
 */

let database: Database<unknown>;
let issuer: IssuerPart;

beforeAll(async () => {
  const config = loadConfig({
    PUSHPROV_DATA_DIR: withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-mdes-apart-'))),
    PUSHPROV_ISSUER_PORT: '0',
    PUSHPROV_MDES_PORT: '0',
  });
  database = await testDatabase();
  issuer = await buildIssuer({
    config,
    db: database.db,
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
    keys: await ensureDevKeys(config, () => {}),
    say: () => {},
  });
});

afterAll(async () => {
  await issuer?.stop();
  await issuer?.app.close();
  await issuer?.mdes?.close();
  await database?.close();
});

const operations = Object.keys(PRE_DIGITIZATION_PATHS) as PreDigitizationOperation[];

describe('the bank’s cardholder port', () => {
  it.each(operations)('does not serve %s, under the context root or at the root', async (operation) => {
    for (const url of [
      preDigitizationPath(DEFAULT_CONTEXT_ROOT, operation),
      PRE_DIGITIZATION_PATHS[operation],
    ]) {
      for (const method of ['GET', 'POST'] as const) {
        const response = await issuer.app.inject({
          method,
          url,
          payload: method === 'POST' ? {} : undefined,
        });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
      }
    }
  });

  it('does not serve the MDES listener’s probes', async () => {
    for (const probe of ['healthz', 'readyz']) {
      const response = await issuer.app.inject({ method: 'GET', url: `${DEFAULT_CONTEXT_ROOT}/${probe}` });
      expect(response.statusCode).toBe(404);
    }
  });
});

describe('the MDES listener', () => {
  it('is built with the issuer in the simulator, on the development PKI', () => {
    expect(issuer.mdes).toBeDefined();
  });

  it('refuses a request that came without a verified client certificate, before any route', async () => {
    const response = await issuer.mdes!.inject({ method: 'GET', url: `${DEFAULT_CONTEXT_ROOT}/healthz` });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'MDES_CLIENT_CERTIFICATE_REQUIRED' } });
  });

  it('does not serve the bank’s routes', async () => {
    for (const url of ['/v1/session', '/app', '/ops', '/docs', '/healthz', '/metrics']) {
      // Refused before routing: nothing of the bank's is reachable even with a certificate (see mdes-listener.db.test.ts).
      const response = await issuer.mdes!.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
    }
    expect(issuer.mdes!.hasRoute({ method: 'GET', url: '/healthz' })).toBe(false);
    expect(issuer.mdes!.hasRoute({ method: 'POST', url: '/v1/session' })).toBe(false);
    expect(issuer.mdes!.hasRoute({ method: 'GET', url: `${DEFAULT_CONTEXT_ROOT}/healthz` })).toBe(true);
  });
});
