import type { KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { TSchema } from '@sinclair/typebox';
import type { Clock } from '../../src/core/clock.js';
import { type DevPki, generateDevPki, loadDevPki } from '../../src/mastercard/keys/dev-pki.js';
import type { PreDigitizationTls } from '../../src/mastercard/pre-digitization/caller.js';
import { PreDigitizationPayloads } from '../../src/mastercard/pre-digitization/payload.js';
import {
  ActivatedFundingAccountDataSchema,
  type EncryptedPayload,
  FundingAccountDataSchema,
  UpdatedFundingAccountDataSchema,
} from '../../src/mastercard/pre-digitization/schemas.js';
import { recipient } from '../fixtures/encryption/keys.js';

/**
 * An issuer's Pre-Digitization web services, as small as a test needs:
 * an https server with the development PKI's server certificate requiring a
 * client certificate of its CA (mutual TLS, as pushprov's MDES listener),
 * under the context root `/issuerServices/1/0`. It records each request,
 * opens its encrypted payloads with the issuer's key (the `recipient`
 * fixture) through pushprov's issuer-side PreDigitizationPayloads, and
 * answers what the test says (by default: APPROVED, or an acknowledgement).
 */

const ISSUER_CONTEXT_ROOT = '/issuerServices/1/0';
/** The key MDES encrypts to: its certificate is what the issuer registers. */
export const ISSUER_ENCRYPTION = recipient;

interface Received {
  operation: string;
  body: Record<string, unknown>;
  /** The decrypted payload(s): one for AS, RAM and NSA; one per token for NTU. */
  opened: unknown[];
  clientAuthorized: boolean;
}

export interface Answer {
  status: number;
  body: unknown;
  delayMs?: number;
}

export interface FakeIssuer {
  baseUrl: string;
  /** MDES's client identity for the simulator's `mdesTls`. */
  mdesTls: PreDigitizationTls;
  pki: DevPki;
  received: Received[];
  /** What to answer; the default approves and acknowledges. */
  answer: (operation: string, body: Record<string, unknown>) => Answer;
  close(): Promise<void>;
}

const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

export const defaultAnswer = (operation: string, body: Record<string, unknown>): Answer => ({
  status: 200,
  body: {
    responseId: body.requestId,
    ...(operation === 'authorizeService' && { decision: 'APPROVED', services: ['DIGITIZATION'] }),
    ...(operation === 'requestActivationMethods' && { activationMethods: [] }),
  },
});

/** Authorize Service answered "hold the token until activated", with these activation methods. */
export const holdForActivation = (body: Record<string, unknown>, activationMethods: unknown[]): Answer => ({
  status: 200,
  body: { responseId: body.requestId, decision: 'REQUIRE_ADDITIONAL_AUTHENTICATION', activationMethods },
});

export async function startFakeIssuer(clock: Clock): Promise<FakeIssuer> {
  const dir = mkdtempSync(join(tmpdir(), 'pushprov-fake-issuer-'));
  await generateDevPki(dir);
  const pki = await loadDevPki(dir);
  const payloads = new PreDigitizationPayloads({
    decryptionKeys: [{ privateKey: recipient.privateKey, certificate: recipient.certificate }],
    clock,
  });
  const open = (envelope: unknown, schema: TSchema) => {
    try {
      return payloads.open(envelope as EncryptedPayload, schema, '/encryptedPayload');
    } catch (error) {
      return { notOpened: (error as Error).message };
    }
  };
  const openedOf = (operation: string, body: Record<string, unknown>): unknown[] => {
    const info = body.fundingAccountInfo as { encryptedPayload?: unknown } | undefined;
    if (operation === 'authorizeService' || operation === 'requestActivationMethods') {
      return [open(info?.encryptedPayload, FundingAccountDataSchema)];
    }
    if (operation === 'notifyServiceActivated')
      return [open(info?.encryptedPayload, ActivatedFundingAccountDataSchema)];
    if (operation === 'notifyTokenUpdated') {
      return ((body.tokens ?? []) as { fundingAccountInfo?: { encryptedPayload: unknown } }[])
        .filter((t) => t.fundingAccountInfo)
        .map((t) => open(t.fundingAccountInfo?.encryptedPayload, UpdatedFundingAccountDataSchema));
    }
    return [];
  };
  const issuer: FakeIssuer = {
    baseUrl: '',
    mdesTls: {
      cert: pki.client.certificate.toString(),
      key: pem(pki.client.privateKey),
      ca: pki.ca.certificate.toString(),
    },
    pki,
    received: [],
    answer: defaultAnswer,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer(
    {
      cert: pki.server.certificate.toString(),
      key: pem(pki.server.privateKey),
      ca: pki.ca.certificate.toString(),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
      });
      req.on('end', () => {
        const operation = (req.url ?? '').slice(ISSUER_CONTEXT_ROOT.length + 1);
        const body = JSON.parse(text) as Record<string, unknown>;
        issuer.received.push({
          operation,
          body,
          opened: openedOf(operation, body),
          clientAuthorized: (req.socket as TLSSocket).authorized,
        });
        const next = issuer.answer(operation, body);
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(next.status, { 'content-type': 'application/json' });
          res.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body));
        }, next.delayMs ?? 0);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer.baseUrl = `https://localhost:${(server.address() as AddressInfo).port}${ISSUER_CONTEXT_ROOT}`;
  return issuer;
}
