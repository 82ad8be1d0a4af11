import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { buildIssuer } from '../../src/app/issuer.js';
import { ensureDevKeys } from '../../src/cli/keys.js';
import { systemClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { createLogger } from '../../src/core/logger.js';
import type { DevKeys } from '../../src/mastercard/keys/generate.js';
import { testDatabase } from '../support/database.js';
import { withDevKeys } from '../support/dev-keys.js';

export const OPS_KEY = 'ops-key-for-security-tests-0123456789';

export interface TestIssuer {
  app: FastifyInstance;
  /** The MDES listener (mutual TLS), listening on a free port of 127.0.0.1. */
  mdes: FastifyInstance;
  /** Where its development PKI and keys are. */
  keysDir: string;
  database: Database<unknown>;
  keys: DevKeys;
  publicUrl: string;
  close(): Promise<void>;
}

/**
 * The issuer exactly as `pushprov start` builds it (demo data, real auth,
 * vault, routes) on a fresh database, driven by `app.inject`: no socket, and
 * each request may claim its own client address.
 */
export async function buildTestIssuer(): Promise<TestIssuer> {
  const dataDir = withDevKeys(mkdtempSync(join(tmpdir(), 'pushprov-security-')));
  const config = loadConfig({
    PUSHPROV_DATA_DIR: dataDir,
    PUSHPROV_ISSUER_PORT: '0',
    PUSHPROV_MDES_PORT: '0',
    PUSHPROV_OPS_API_KEYS: OPS_KEY,
  });
  const database = await testDatabase();
  const logger = createLogger({ level: 'silent' });
  const keys = await ensureDevKeys(config, () => {});
  const issuer = await buildIssuer({
    config,
    db: database.db,
    logger,
    clock: systemClock,
    keys,
    say: () => {},
  });
  const mdes = issuer.mdes;
  if (!mdes) throw new Error('the MDES listener runs in the simulator');
  await mdes.listen({ host: '127.0.0.1', port: 0 });
  return {
    app: issuer.app,
    mdes,
    keysDir: join(dataDir, 'keys'),
    database,
    keys,
    publicUrl: config.issuerPublicUrl,
    close: async () => {
      await issuer.stop();
      await mdes.close();
      await issuer.app.close();
      await database.close();
    },
  };
}

export interface DumpOptions {
  /** Tables left out entirely. */
  skipTables?: readonly string[];
  /** Columns left out of every table (bookkeeping that a read legitimately moves). */
  skipColumns?: readonly string[];
}

/** Every row of every table of the current schema, byte columns as latin1 text, rows sorted. */
export async function dumpTables(
  db: Kysely<unknown>,
  options: DumpOptions = {},
): Promise<Record<string, string[]>> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const dump: Record<string, string[]> = {};
  for (const { table_name: table } of tables) {
    if (options.skipTables?.includes(table)) continue;
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    dump[table] = rows
      .map((row) => {
        const kept: Record<string, unknown> = {};
        for (const [column, value] of Object.entries(row))
          if (!options.skipColumns?.includes(column))
            kept[column] = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value;
        return JSON.stringify(kept);
      })
      .sort();
  }
  return dump;
}

const INJECTIONS = [
  "' OR '1'='1",
  '1; DROP TABLE cards; --',
  "crd_x' UNION SELECT pan_sealed FROM cards --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..\\..\\windows\\win.ini',
  '\u0000',
  '%00',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${7*7}',
  '{{constructor.constructor("return process")()}}',
  '__proto__',
  'constructor',
  'prototype',
  '\u202eevil',
  '\ud800',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ 你好 🙂',
  'NaN',
  '-1',
  '1e309',
  '5555555555554444',
  '',
  ' ',
];

/** Strings a hostile caller sends: injection payloads, odd unicode, lone surrogates, oversized text. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 20_000 }).map((n) => 'A'.repeat(n)) },
);

/** Values no schema field of ours accepts, even with Ajv's type coercion: objects and nested arrays. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.integer(), fc.constant(null)), { maxKeys: 3 }),
  fc.array(fc.array(fc.integer(), { maxLength: 2 }), { minLength: 1, maxLength: 2 }).map((a) => [a]),
  fc.constant({ $gt: '' }),
);

/** Extra members, prototype-pollution keys among them, written as JSON text so they stay own keys. */
const extraMembers: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.constant('"__proto__":{"polluted":true,"isAdmin":true}'),
  fc.constant('"constructor":{"prototype":{"polluted":true}}'),
  fc.tuple(hostileString, hostileString).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`),
);

/** Bodies that are not JSON objects at all. */
export const malformedBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '{', '{"a":', 'null', '[]', '"text"', '42', 'true', '{"a":1}}', "{'a':1}", '\u0000'),
  hostileString,
  fc
    .jsonValue()
    .map((v) => JSON.stringify(v))
    .filter((s) => !s.startsWith('{')),
);

/**
 * A body that is certainly invalid for a route whose valid body is `valid`:
 * one field dropped, given a wrong type, or given a hostile value when
 * `hostileOk` says that field refuses unknown values; possibly plus extra
 * members; or no JSON object at all.
 */
export function invalidBody(
  valid: Record<string, unknown>,
  hostileOk: readonly string[] = [],
): fc.Arbitrary<string> {
  const fields = Object.keys(valid);
  const mutated = fc
    .tuple(
      fc.constantFrom(...fields),
      fc.oneof(
        fc.constant<{ drop: true }>({ drop: true }),
        wrongType.map((value) => ({ value })),
        ...(hostileOk.length > 0 ? [hostileString.map((value) => ({ value, hostile: true }))] : []),
      ),
      extraMembers,
    )
    .map(([field, change, extra]) => {
      const body: Record<string, unknown> = { ...valid };
      if ('drop' in change) delete body[field];
      else if ('hostile' in change && hostileOk.includes(field)) body[field] = change.value;
      else if ('hostile' in change) delete body[field];
      else body[field] = change.value;
      const text = JSON.stringify(body);
      return extra === '' ? text : `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${extra}}`;
    });
  return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: malformedBody });
}

/** The issuer's refusal: a 4xx in the error envelope with a stable UPPER_SNAKE code. */
export function expectRefusal(response: LightMyRequestResponse, where: string): string {
  expect(response.statusCode, `${where}: ${response.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, `${where}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
  const code = (response.json() as { error?: { code?: unknown } }).error?.code;
  expect(code, where).toMatch(/^[A-Z][A-Z0-9_]+$/);
  return code as string;
}

/** Nothing polluted Object.prototype. */
export function expectPrototypeClean(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
}

const passkey = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', clientExtensionResults: {} };

/** A body of the right shape for each issuer route that takes one, so only what is under test refuses it. */
export function validBodies(ids: {
  cardId: string;
  tokenRequestorId: string;
}): Record<string, Record<string, unknown>> {
  return {
    'POST /v1/session': { username: 'nobody-here', password: 'not-a-password' },
    'POST /v1/sca/totp/verify': { code: '000000' },
    'POST /v1/sca/webauthn/registration/verify': {
      ...passkey,
      response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' },
    },
    'POST /v1/sca/webauthn/authentication/verify': {
      ...passkey,
      response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
    },
    'POST /v1/provisionings': {
      cardIds: [ids.cardId],
      tokenRequestorId: ids.tokenRequestorId,
      consent: true,
    },
    'POST /v1/ops/cards/import': { cardholders: [] },
  };
}

/** The rows only in `before` and only in `after`, by table; empty when nothing changed. */
export function dumpDifference(
  before: Record<string, string[]>,
  after: Record<string, string[]>,
): Record<string, { gone: string[]; added: string[] }> {
  const difference: Record<string, { gone: string[]; added: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = before[table] ?? [];
    const is = after[table] ?? [];
    const gone = was.filter((row) => !is.includes(row));
    const added = is.filter((row) => !was.includes(row));
    if (gone.length + added.length > 0) difference[table] = { gone, added };
  }
  return difference;
}
