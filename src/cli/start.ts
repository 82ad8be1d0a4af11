import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../app/config.js';
import { buildIssuer } from '../app/issuer.js';
import {
  buildMerchant,
  buildSimulator,
  devIssuerServicesUrl,
  registerDevIssuer,
} from '../app/mastercard-side.js';
import { systemClock } from '../core/clock.js';
import { type Database, type DatabaseTarget, openDatabase } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import { ensureDevKeys } from './keys.js';

export const PARTS = ['issuer', 'simulator', 'merchant'] as const;
export type Part = (typeof PARTS)[number];

export interface Running {
  urls: Partial<Record<Part, string>>;
  /** The MDES listener's base URL (its context root), when the issuer runs one. */
  mdesUrl?: string;
  database: Database<unknown>;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), closes the database. */
  stop(): Promise<void>;
}

/** A secret goes to a person at a terminal, never into a log that may be shipped elsewhere. */
function toTerminal(line: string): void {
  if (process.stdout.isTTY) process.stdout.write(`${line}\n`);
}

export function databaseTarget(config: Config): DatabaseTarget {
  if (config.databaseUrl) return { url: config.databaseUrl };
  if (config.memory) return { memory: true };
  const dir = resolve(config.dataDir, 'db');
  mkdirSync(dir, { recursive: true });
  return { dataDir: dir };
}

/** Starts the chosen parts in this process, sharing one database. */
export async function start(
  config: Config,
  logger: Logger,
  parts: readonly Part[] = PARTS,
  /** An already open database to run on (tests); by default the configured one. */
  database: Database<unknown> | undefined = undefined,
  /** Where secrets meant for a person go (ops key, development activation codes); tests read them here. */
  reveal: (line: string) => void = toTerminal,
): Promise<Running> {
  database ??= await openDatabase<unknown>(databaseTarget(config));
  const { db } = database;
  const clock = systemClock;
  const servers: [Part, FastifyInstance, number][] = [];
  const stops: (() => Promise<void>)[] = [];
  let mdes: FastifyInstance | undefined;
  try {
    const keys = await ensureDevKeys(config, (line) => logger.info(line));
    const context = { config, db, logger, clock, keys };
    if (parts.includes('simulator'))
      servers.push(['simulator', await buildSimulator(context), config.simulatorPort]);
    if (parts.includes('merchant'))
      servers.push(['merchant', await buildMerchant(context), config.merchantPort]);
    if (parts.includes('issuer')) {
      const issuer = await buildIssuer({
        ...context,
        say: (line) => logger.info(line),
        reveal,
      });
      stops.push(issuer.stop);
      servers.push(['issuer', issuer.app, config.issuerPort]);
      mdes = issuer.mdes;
      if (!mdes) {
        logger.warn(
          'MDES listener off: set PUSHPROV_MDES_TLS_CA, PUSHPROV_MDES_TLS_CERT and PUSHPROV_MDES_TLS_KEY to serve the Pre-Digitization web services',
        );
      }
    }
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const urls: Partial<Record<Part, string>> = {};
    for (const [part, app, port] of servers) {
      urls[part] = `http://${host}:${await listen(app, config.host, port)}`;
    }
    let mdesUrl: string | undefined;
    if (mdes) {
      const port = await listen(mdes, config.host, config.mdesPort, 'https:');
      mdesUrl = `https://${host}:${port}${config.mdesContextRoot === '/' ? '' : config.mdesContextRoot}`;
      // A listener on any free port (0) is known only now: the simulated MDES is told where it is.
      if (parts.includes('simulator') && port !== config.mdesPort) {
        await registerDevIssuer(context, devIssuerServicesUrl(config, port));
      }
    }
    const all = [...servers.map(([, app]) => app), ...(mdes ? [mdes] : [])];
    return {
      urls,
      ...(mdesUrl && { mdesUrl }),
      database,
      stop: async () => {
        // The jobs finish (and settle) what they claimed while the servers drain; the database closes after both.
        const closing = Promise.all([...stops.map((stop) => stop()), ...all.map((app) => app.close())]);
        const timeout = new Promise<'timeout'>((r) =>
          setTimeout(r, config.shutdownTimeoutMs, 'timeout').unref(),
        );
        if ((await Promise.race([closing, timeout])) === 'timeout') {
          logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time');
        }
        await database.close();
      },
    };
  } catch (error) {
    await Promise.allSettled([
      ...stops.map((stop) => stop()),
      ...servers.map(([, app]) => app.close()),
      mdes?.close(),
    ]);
    await database.close();
    throw error;
  }
}

/** Listens and answers the port it got (the one asked for, or the free one picked for 0). */
async function listen(app: FastifyInstance, host: string, port: number, protocol = 'http:'): Promise<number> {
  // Fastify cannot tell a server made by a factory is HTTPS; its log line should.
  await app.listen({
    host,
    port,
    listenTextResolver: (url) => `Server listening at ${url.replace(/^http:/, protocol)}`,
  });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
