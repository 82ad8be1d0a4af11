import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { StatementCounter, StatementTally } from '../core/statements.js';

/**
 * Prometheus metrics for one server: request counts and latency per route
 * (the route pattern, never the concrete URL, so ids cannot explode the
 * label set), plus the process defaults. Each app owns its registry so tests
 * and several servers in one process do not collide. `guard` keeps
 * `/metrics` for operators (the issuer's: its ops API key as a bearer token,
 * which Prometheus sends with `authorization.credentials`).
 */
export function registerMetrics(
  app: FastifyInstance,
  options: {
    prefix?: string;
    guard?: onRequestHookHandler;
    /** The database's statement counter: statements per route and use case, and those outside any request. */
    statements?: StatementCounter;
  } = {},
): Registry {
  const prefix = options.prefix ?? 'pushprov_';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: `${prefix}http_requests_total`,
    help: 'HTTP requests answered, by route and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}http_request_duration_seconds`,
    help: 'HTTP request latency, by route and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const db = options.statements && databaseMetrics(prefix, registry, options.statements);

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    const tally = request.statements;
    if (db && tally && tally.statements > 0) {
      db.add({ method: labels.method, route: labels.route, use_case: tally.useCase ?? '' }, tally);
    }
  });

  app.get('/metrics', { ...(options.guard && { onRequest: options.guard }) }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

/**
 * Statements and transactions on the database, per request route and use
 * case; what ran outside any request (jobs, start-up) under route "none",
 * brought up to date at each scrape.
 */
function databaseMetrics(prefix: string, registry: Registry, counter: StatementCounter) {
  const labelNames = ['method', 'route', 'use_case'] as const;
  type Labels = Record<(typeof labelNames)[number], string>;
  const outside: Labels = { method: '', route: 'none', use_case: '' };
  const seen = { statements: 0, transactions: 0 };
  const catchUp = () => {
    add(outside, {
      statements: counter.outside.statements - seen.statements,
      transactions: counter.outside.transactions - seen.transactions,
    });
    seen.statements = counter.outside.statements;
    seen.transactions = counter.outside.transactions;
  };
  const statements = new Counter({
    name: `${prefix}db_statements_total`,
    help: 'SQL statements run (each round trip, begin and commit included), by request route and use case',
    labelNames,
    registers: [registry],
    collect: catchUp,
  });
  const transactions = new Counter({
    name: `${prefix}db_transactions_total`,
    help: 'Database transactions opened, by request route and use case',
    labelNames,
    registers: [registry],
  });
  const add = (labels: Labels, tally: StatementTally) => {
    statements.inc(labels, tally.statements);
    transactions.inc(labels, tally.transactions);
  };
  return { add };
}
