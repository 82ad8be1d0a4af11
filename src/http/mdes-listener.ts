import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { AuthError, ForbiddenError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createServer } from '../core/server.js';
import { issuerReadiness } from '../store/store.js';

/**
 * The issuer's listener for MDES: the Pre-Digitization web services that
 * MDES calls (docs/mastercard/pre-digitization.md §3), on their own port,
 * apart from the bank's cardholder API so that neither can reach the
 * other's routes. HTTPS with mutually authenticated TLS: a client must
 * present a certificate that chains to one of the configured CAs (and to
 * no other: `ca` replaces Node's default trust store), else the handshake
 * fails before any request is read. Everything is served under the context
 * root the issuer registered with Mastercard; for now only the probes
 * (`<context root>/healthz`, `<context root>/readyz`).
 */
export interface MdesListenerOptions {
  db: Kysely<unknown>;
  logger: Logger;
  /** As parseContextRoot returns it: `/` or a path without a trailing slash. */
  contextRoot: string;
  tls: {
    /** PEM: the CA certificate(s) MDES's client certificate must chain to. */
    ca: string;
    /** PEM: the listener's certificate, then any intermediates. */
    cert: string;
    /** PEM: its private key. */
    key: string;
  };
  /**
   * SHA-256 fingerprints (upper-case hex, no colons) of the client
   * certificates let in: trusting a CA lets in every certificate it issued,
   * which in production may be more than Mastercard's. Refused with 403
   * MDES_CLIENT_NOT_PINNED before any route runs. Unset: any of the CA's.
   */
  pinnedClients?: readonly string[];
  /** Route plugins, registered under the context root. */
  plugins?: readonly FastifyPluginAsync[];
  /** Readiness beyond the database's (the HSM's): a problem each, none when ready. */
  probes?: () => string[];
}

/**
 * Room for the largest message the spec allows: `encryptedData` of up to 256k
 * hex characters, and the clear members beside it.
 */
const BODY_LIMIT = 512 * 1024;

export async function createMdesListener(options: MdesListenerOptions): Promise<FastifyInstance> {
  const prefix = options.contextRoot === '/' ? '' : options.contextRoot;
  const app = createServer({
    name: 'mdes',
    logger: options.logger,
    readiness: () => issuerReadiness(options.db, options.probes),
    bodyLimit: BODY_LIMIT,
    https: {
      ...options.tls,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    probePrefix: prefix,
  });

  // A refused handshake never becomes a request; say so in the log, with the
  // reason and the peer's address (never a certificate's content). A client
  // certificate that fails verification is refused by Node once the
  // handshake is done, which OpenSSL sees as a reset: its reason is the
  // socket's authorizationError (CERT_HAS_EXPIRED, UNABLE_TO_GET_ISSUER_CERT, …).
  app.server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const verification = socket.authorizationError;
    app.log.warn(
      {
        tls: {
          code: error.code,
          reason: verification ? String(verification) : tlsReason(error),
        },
        remoteAddress: socket.remoteAddress,
      },
      'MDES listener refused a TLS connection',
    );
  });

  // rejectUnauthorized already ends every connection without a trusted
  // client certificate; this refuses a request should that setting ever be
  // lost, before any route sees it.
  // A pinned listener refuses a (CA-verified) certificate that is not one of the pinned ones, before any route.
  const pinned = options.pinnedClients && new Set(options.pinnedClients);
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    if (socket.authorized !== true) {
      throw new AuthError('MDES_CLIENT_CERTIFICATE_REQUIRED', 'a trusted client certificate is required');
    }
    if (pinned) {
      const fingerprint = socket.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase();
      if (!fingerprint || !pinned.has(fingerprint)) {
        request.log.warn(
          { tls: { reason: 'client certificate not pinned' } },
          'MDES listener refused a client',
        );
        throw new ForbiddenError('MDES_CLIENT_NOT_PINNED', 'this client certificate is not one MDES uses');
      }
    }
  });

  for (const plugin of options.plugins ?? []) await app.register(plugin, { prefix });
  return app;
}

// "…:SSL routines:tls_process_client_certificate:peer did not return a certificate:…" → the reason alone.
function tlsReason(error: Error): string {
  const match = /SSL routines:[^:]*:([^:]+)/.exec(error.message);
  return (match?.[1] ?? error.message).trim().slice(0, 200);
}
