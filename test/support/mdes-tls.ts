import { Agent, request } from 'node:https';
import type { DevPki } from '../../src/mastercard/keys/dev-pki.js';

/**
 * The simulated MDES's side of the issuer's listener in tests: requests over
 * mutual TLS with the development PKI's client certificate, trusting its CA
 * for the listener's own certificate (issued for localhost).
 */
export function mdesAgent(pki: DevPki): Agent {
  return new Agent({
    keepAlive: true,
    ca: pki.ca.certificate.toString(),
    cert: pki.client.certificate.toString(),
    key: pki.client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    servername: 'localhost',
  });
}

/** One JSON POST as MDES; resolves the status and the body as text. */
export function postAsMdes(
  agent: Agent,
  port: number,
  path: string,
  payload: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
