import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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
  options: { prefix?: string; guard?: onRequestHookHandler } = {},
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

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { ...(options.guard && { onRequest: options.guard }) }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}
