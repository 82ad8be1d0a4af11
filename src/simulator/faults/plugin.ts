import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { TOKENIZE_PATH } from '../../mastercard/digital-enablement/tokenize.js';
import { TOKEN_CONNECT_PATHS } from '../../mastercard/token-connect/endpoints.js';
import { errorWrapper, mdesError } from '../token-connect/failure.js';
import type { SimulatorSchema } from '../token-connect/tables.js';
import { type Fault, type FaultInjector, type FaultOperation, FaultPlanSchema } from './injector.js';

export interface FaultOptions {
  injector: FaultInjector;
  db: Kysely<unknown>;
  /** Serve `GET|POST|DELETE /_faults` to change the plan at run time. Never on a shared deployment. */
  admin: boolean;
}

/** Route URLs (as Fastify names them) of the operations a fault can target. */
const OPERATIONS = new Map<string, FaultOperation>([
  ...Object.entries(TOKEN_CONNECT_PATHS).map(
    ([operation, path]) =>
      [`/mdes${path.replace('{AssetId}', ':AssetId')}`, operation as FaultOperation] as const,
  ),
  [`/mdes${TOKENIZE_PATH}`, 'tokenize'],
]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies the injector's faults to the simulator's MDES routes. Faults that
 * strike before the work (latency, error, reset) run when the request
 * arrives; those that strike after it (timeout, malformed, lost, expiry)
 * run once the handler has committed and the answer is about to leave.
 * Register before the routes, so the hooks cover them.
 */
export function installFaults(app: FastifyInstance, options: FaultOptions): void {
  const { injector } = options;
  const db = options.db as Kysely<SimulatorSchema>;
  const chosen = new WeakMap<FastifyRequest, Fault>();

  app.addHook('onRequest', async (request, reply) => {
    const operation = OPERATIONS.get(request.routeOptions.url ?? '');
    const fault = operation && injector.decide(operation);
    if (!fault) return;
    chosen.set(request, fault);
    request.log.warn({ fault: { operation, kind: fault.fault } }, 'simulated fault');
    switch (fault.fault) {
      case 'latency':
        await sleep(fault.ms ?? 1_000);
        return;
      case 'error':
        return reply
          .code(fault.status ?? 503)
          .type('application/json; charset=utf-8')
          .send(errorWrapper([{ ...mdesError('INTERNAL_SERVICE_FAILURE'), recoverable: true }]));
      case 'reset':
        reply.hijack();
        request.raw.socket.destroy();
        return;
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = chosen.get(request);
    if (!fault) return payload;
    switch (fault.fault) {
      case 'timeout':
        await sleep(fault.ms ?? 15_000);
        return payload;
      case 'malformed':
        return typeof payload === 'string' ? payload.slice(0, Math.floor(payload.length / 2)) : payload;
      case 'lost_after_commit':
        request.raw.socket.destroy();
        return payload;
      case 'expire_receipts': {
        const requestId = reply.statusCode === 200 ? requestIdOf(request.body) : undefined;
        if (requestId === undefined) return payload;
        await db
          .updateTable('mc_receipts')
          .set({ expires_at: sql<Date>`created_at + ${fault.validitySeconds ?? 0} * interval '1 second'` })
          .where('request_id', '=', requestId)
          .execute();
        return payload;
      }
      default:
        return payload;
    }
  });

  if (options.admin) {
    const admin = app.withTypeProvider<TypeBoxTypeProvider>();
    admin.get('/_faults', async () => injector.status());
    admin.post('/_faults', { schema: { body: FaultPlanSchema } }, async (request) => {
      injector.configure(request.body);
      return injector.status();
    });
    admin.delete('/_faults', async (_request, reply) => {
      injector.clear();
      return reply.code(204).send();
    });
  }
}

function requestIdOf(body: unknown): string | undefined {
  if (!Buffer.isBuffer(body)) return undefined;
  try {
    const requestId = (JSON.parse(body.toString('utf8')) as { requestId?: unknown } | null)?.requestId;
    return typeof requestId === 'string' ? requestId : undefined;
  } catch {
    return undefined;
  }
}
