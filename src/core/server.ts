import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
} from 'fastify';
import type { Logger } from 'pino';
import type { ErrorCode, WireCode } from './error-codes.js';
import { PushprovError, ValidationError } from './errors.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.js';
import { holdsNul } from './nul.js';
import { emptyTally, type StatementScope, withStatementScope } from './statements.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The statements this request ran on the database (src/core/statements.ts). */
    statements?: StatementScope;
  }
}

/**
 * What every pushprov HTTP server shares: request ids, the two probes, the
 * error envelope (`{ error: { code, message, requestId, details? } }`, the
 * codes of src/core/error-codes.ts), and body limits. Each part (issuer,
 * simulator, merchant) adds its own routes on top.
 */
export interface ServerOptions {
  name: string;
  logger: Logger;
  /** Readiness: resolves to a list of problems, empty when ready. */
  readiness: () => Promise<string[]>;
  bodyLimit?: number;
  /** Behind a proxy: its hop count or addresses, so `request.ip` is the client's (Fastify's `trustProxy`). */
  trustProxy?: false | number | string[];
  /** Serve HTTPS with these TLS settings (certificate, key, and for mutual TLS the client CAs). */
  https?: HttpsOptions;
  /** Where the two probes live (`<prefix>/healthz`, `<prefix>/readyz`); default the root. */
  probePrefix?: string;
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

// A hop count as Fastify applies it (its types take only a function for it).
function trusted(trustProxy: ServerOptions['trustProxy']) {
  const hops = trustProxy;
  return typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : (hops ?? false);
}

// An https.Server is an http.Server to Fastify's types, and serves the same handler.
const httpsFactory =
  (tls: HttpsOptions): FastifyServerFactory =>
  (handler) =>
    createHttpsServer(tls, handler);

export function createServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ server: options.name }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: trusted(options.trustProxy),
    // Honour a caller's correlation id only when it looks like one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{8,64}$/.test(given) ? given : randomUUID();
    },
    // The router's own refusals (malformed or over-long URL) in the same envelope, without echoing the URL.
    frameworkErrors: (error, request, reply) => {
      const code = FASTIFY_CODES[error.code] ?? 'BAD_REQUEST';
      (reply as FastifyReply)
        .code(error.statusCode ?? 400)
        .send(errorBody(request, code, 'the request URL is not valid'));
    },
    // What Node's HTTP parser refuses before Fastify sees a request (headers over
    // its 16 kB limit, a malformed request line) still answers in the envelope.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const tooLarge = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
      const [status, reason, code, message] = tooLarge
        ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'Bad Request', 'BAD_REQUEST', 'the request could not be read'];
      const body = JSON.stringify({ error: { code, message, requestId: randomUUID() } });
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Fastify's Ajv coerces by default: `"true"`, `1` or `[true]` would pass as
    // `true`, a bare string as a one-item array, a number as a string. A JSON
    // body is taken as typed or refused (VALIDATION_FAILED); query strings and
    // paths, text on the wire, are declared as the text they are.
    ajv: { customOptions: { coerceTypes: false } },
    // A factory rather than Fastify's `https` option keeps one instance type for every server
    // (Fastify then logs its address as http://; pass `listenTextResolver` to listen() to say otherwise).
    ...(options.https && { serverFactory: httpsFactory(options.https) }),
  });

  // First of all hooks, and callback-style, so that every later hook and the handler run inside the
  // request's scope: what a request costs the database is counted against it, whichever part serves it.
  app.addHook('onRequest', (request, _reply, done) => {
    const scope: StatementScope = emptyTally();
    request.statements = scope;
    withStatementScope(scope, done);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Fastify's own JSON parser (prototype poisoning refused), behind a bound on nesting read before parsing.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonTooDeep(body as string)) {
      done(new ValidationError('JSON_TOO_DEEP', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    parseJson(request, body as string, done);
  });
  // PostgreSQL text cannot hold U+0000 (PGlite quietly can): refused here, once, for every route,
  // rather than becoming a 500 deep in whichever query first stores the value.
  app.addHook('preValidation', async (request) => {
    if (holdsNul(request.params) || holdsNul(request.query) || holdsNul(request.body))
      throw new ValidationError('VALIDATION_FAILED', 'text may not contain the NUL character (U+0000)');
  });

  const probes = options.probePrefix ?? '';
  app.get(`${probes}/healthz`, async () => ({ status: 'alive', server: options.name }));
  app.get(`${probes}/readyz`, async (_request, reply) => {
    let problems: string[];
    try {
      problems = await options.readiness();
    } catch (error) {
      app.log.warn({ err: error }, 'readiness check failed');
      problems = ['database unreachable'];
    }
    if (problems.length > 0)
      return reply.code(503).send({ status: 'not ready', server: options.name, problems });
    return { status: 'ready', server: options.name };
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      // The path is not echoed: whatever a caller mistyped into a URL (a card number, say) stays out of answers.
      .send(errorBody(request, 'NOT_FOUND', `no such ${request.method} route`));
  });
  return app;
}

const errorBody = (
  request: FastifyRequest,
  code: ErrorCode | WireCode,
  message: string,
  details?: Record<string, unknown>,
): ErrorBody => ({ error: { code, message, requestId: request.id, ...(details ? { details } : {}) } });

/** Maps every failure to the stable envelope; unknown errors become INTERNAL without their text. */
function errorHandler(error: FastifyError | PushprovError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof PushprovError) {
    if (error.status >= 500) request.log.error({ err: error }, error.message);
    return reply.code(error.status).send(errorBody(request, error.code, error.message, error.details));
  }
  if (error.validation) {
    // The field in error by name (never its value), so that pages can word it for people.
    const first = error.validation[0];
    const missing = (first?.params as { missingProperty?: unknown } | undefined)?.missingProperty;
    const field =
      typeof missing === 'string' ? missing : (first?.instancePath ?? '').split('/').filter(Boolean).at(-1);
    const where = error.validationContext;
    return reply.code(400).send(
      errorBody(request, 'VALIDATION_FAILED', error.message, {
        ...(where && { in: where }),
        ...(field && /^[A-Za-z0-9_-]{1,64}$/.test(field) && { field }),
      }),
    );
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    const code = FASTIFY_CODES[error.code] ?? 'BAD_REQUEST';
    return reply.code(status).send(errorBody(request, code, error.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply
    .code(500)
    .send(errorBody(request, 'INTERNAL', 'internal error; quote the requestId to support'));
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URL_TOO_LONG',
};
