import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { migrate, migrationReadiness } from '../../core/db.js';
import type { Logger } from '../../core/logger.js';
import { createServer } from '../../core/server.js';
import { MERCHANT_MIGRATION_TABLE, merchantMigrations } from './migrations/index.js';

export interface MerchantOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
}

export async function prepareMerchantStore(db: Kysely<unknown>): Promise<void> {
  await migrate(db, merchantMigrations, MERCHANT_MIGRATION_TABLE);
}

/** The demo merchant: a Secure Card on File integrator receiving pushed cards. */
export async function createMerchantApp(options: MerchantOptions): Promise<FastifyInstance> {
  const app = createServer({
    name: 'merchant',
    logger: options.logger,
    readiness: () => migrationReadiness(options.db, merchantMigrations, MERCHANT_MIGRATION_TABLE),
  });
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>Demo merchant</title><h1>Demo merchant</h1>'),
  );
  return app;
}
