import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { migrate, migrationReadiness } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import { SIMULATOR_MIGRATION_TABLE, simulatorMigrations } from './migrations/index.js';

export interface SimulatorOptions {
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
}

/** Prepares the simulator's tables; call once before serving. */
export async function prepareSimulatorStore(db: Kysely<unknown>): Promise<void> {
  await migrate(db, simulatorMigrations, SIMULATOR_MIGRATION_TABLE);
}

/** Mastercard's side of the world, as the issuer sees it over HTTP. */
export async function createSimulatorApp(options: SimulatorOptions): Promise<FastifyInstance> {
  const app = createServer({
    name: 'simulator',
    logger: options.logger,
    readiness: () => migrationReadiness(options.db, simulatorMigrations, SIMULATOR_MIGRATION_TABLE),
  });
  app.get('/', async () => ({ name: 'pushprov Mastercard simulator', apis: [] }));
  return app;
}
