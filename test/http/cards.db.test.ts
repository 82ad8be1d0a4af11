import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Database } from '../../src/core/db.js';
import { AuthError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { createIssuerApp } from '../../src/http/app.js';
import { cardRoutes } from '../../src/http/routes/cards.js';
import { CardService } from '../../src/service/cards/cards.js';
import { DEMO_CARDS_FILE } from '../../src/service/cards/seed.js';
import { AuditLog } from '../../src/store/audit.js';
import { CardholderCardRepository } from '../../src/store/cards/cardholder-cards.js';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';
import { captureStream } from '../support/capture.js';
import { onPostgres, testDatabase } from '../support/database.js';

const OPS = { authorization: 'Bearer ops-key-for-tests' };
const fixture = JSON.parse(readFileSync(DEMO_CARDS_FILE, 'utf8')) as {
  cardholders: {
    externalRef: string;
    email: string;
    phone: string;
    cards: { pan: string }[];
  }[];
};
const demoImport = fixture;
const pans = fixture.cardholders.flatMap((h) => h.cards.map((c) => c.pan));

/** Stands in for the auth service's ops guard: an ops key, recorded on the request. */
async function requireOps(request: FastifyRequest): Promise<void> {
  if (request.headers.authorization !== OPS.authorization) {
    throw new AuthError('OPS_AUTH_REQUIRED', 'send an ops API key as Authorization: Bearer');
  }
  (request as FastifyRequest & { ops?: { keyId: string } }).ops = { keyId: 'key_1' };
}

describe(`ops card API on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  let db: IssuerDb;
  let app: FastifyInstance;
  let store: CardholderCardRepository;
  const logs = captureStream();

  beforeAll(async () => {
    database = await testDatabase();
    db = await prepareIssuerStore(database.db);
    const clock = new ManualClock(new Date('2026-03-01T00:00:00Z'));
    store = new CardholderCardRepository(db, new Vault(Keyring.generate(clock.now())));
    const service = new CardService({ db, store, audit: new AuditLog(db, clock), clock });
    app = await createIssuerApp({
      db: database.db,
      clock,
      publicUrl: 'https://bank.example',
      logger: createLogger({ level: 'info', format: 'json', destination: logs.stream }),
    });
    await app.register(cardRoutes(service, { requireOps }));
    await app.ready();
  });
  afterAll(async () => {
    // Whatever happened above, no card number or contact detail reached a log line.
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [...pans, ...fixture.cardholders.flatMap((h) => [h.email, h.phone])]) {
      expect(text).not.toContain(secret);
    }
    await app.close();
    await database.close();
  });

  const importBatch = (payload: unknown, headers: Record<string, string> = OPS) =>
    app.inject({ method: 'POST', url: '/v1/ops/cards/import', headers, payload: payload as object });

  it('refuses callers without ops credentials', async () => {
    const res = await importBatch(demoImport, {});
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('OPS_AUTH_REQUIRED');
    const list = await app.inject({ method: 'GET', url: '/v1/ops/cardholders/chd_x/cards' });
    expect(list.statusCode).toBe(401);
  });

  it('imports a batch, then again with nothing to change; audits who imported', async () => {
    const first = await importBatch(demoImport);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json()).toEqual({
      cardholders: { created: 4, updated: 0, unchanged: 0 },
      cards: { created: 8, updated: 0, unchanged: 0 },
      tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
    });
    const again = await importBatch(demoImport);
    expect(again.json()).toEqual({
      cardholders: { created: 0, updated: 0, unchanged: 4 },
      cards: { created: 0, updated: 0, unchanged: 8 },
      tokenFollowUps: { replaced: 0, closed: 0, blocked: 0, unblocked: 0 },
    });
    const audit = await db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'cards.imported')
      .execute();
    expect(audit).toEqual([{ actor: 'ops:key_1' }]);
  });

  it('answers IMPORT_INVALID with every problem by path, and no value', async () => {
    const bad = structuredClone(demoImport) as { cardholders: Record<string, unknown>[] };
    const alice = bad.cardholders[0] as { cards: Record<string, unknown>[]; email: string };
    alice.email = 'alice-at-example';
    alice.cards[0]!.pan = '5555555555554443';
    alice.cards[1]!.expiryMonth = 13;
    const res = await importBatch(bad);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('IMPORT_INVALID');
    expect(
      body.error.details.problems.map((p: { path: string; code: string }) => `${p.path} ${p.code}`),
    ).toEqual([
      'cardholders[0].email EMAIL_FORMAT',
      'cardholders[0].cards[0].pan PAN_LUHN',
      'cardholders[0].cards[1].expiryMonth EXPIRY_MONTH',
    ]);
    expect(res.body).not.toContain('5555555555554443');
    expect(res.body).not.toContain('alice-at-example');
  });

  it('refuses a card verification code by name (CVC_NOT_ACCEPTED), stores nothing and never echoes it', async () => {
    const withCvc = structuredClone(demoImport) as {
      cardholders: { externalRef: string; cards: Record<string, unknown>[] }[];
    };
    withCvc.cardholders[0]!.cards[0]!.cvc = '731';
    withCvc.cardholders[0]!.externalRef = 'someone-new';
    const cardholders = async () =>
      (
        await db
          .selectFrom('cardholders')
          .select((e) => e.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await cardholders();
    const res = await importBatch(withCvc);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'IMPORT_INVALID',
      details: {
        problems: [
          {
            path: 'cardholders[0].cards[0].cvc',
            code: 'CVC_NOT_ACCEPTED',
            message: expect.stringContaining('card verification codes are not taken'),
          },
        ],
      },
    });
    expect(res.body).not.toContain('731');
    expect(await cardholders()).toBe(before);
  });

  it("lists a cardholder's cards masked, and 404s an unknown cardholder", async () => {
    const [alice] = await store.cardholders.findByEmail('alice@example.com');
    const res = await app.inject({
      method: 'GET',
      url: `/v1/ops/cardholders/${alice!.id}/cards`,
      headers: OPS,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.cardholderId).toBe(alice!.id);
    expect(body.cards).toHaveLength(2);
    for (const card of body.cards) {
      expect(Object.keys(card).sort()).toEqual(
        ['country', 'expiryMonth', 'expiryYear', 'id', 'lastFour', 'productName', 'status'].sort(),
      );
    }
    expect(body.cards[0]).toMatchObject({ lastFour: '4444', country: 'GB', status: 'active' });
    for (const pan of pans) expect(res.body).not.toContain(pan);
    const missing = await app.inject({
      method: 'GET',
      url: '/v1/ops/cardholders/chd_nobodyatall00/cards',
      headers: OPS,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('CARDHOLDER_NOT_FOUND');
  });

  it('documents both routes in the OpenAPI description', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.paths['/v1/ops/cards/import'].post.requestBody).toBeDefined();
    expect(doc.paths['/v1/ops/cardholders/{id}/cards'].get.responses['200']).toBeDefined();
  });
});
