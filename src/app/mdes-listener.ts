import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { isPkcs11Uri } from '../core/hsm/uri.js';
import type { Logger } from '../core/logger.js';
import { createMdesListener } from '../http/mdes-listener.js';
import type { DecryptionKey } from '../mastercard/encryption/envelope-decrypter.js';
import type { DevKeys } from '../mastercard/keys/generate.js';
import { loadPrivateKey, loadPublicKey } from '../mastercard/keys/load.js';
import { type Config, SETTINGS } from './config.js';
import { hsmDecryptionKeyFor, hsmReadiness } from './hsm.js';

/**
 * The issuer's MDES listener as configured: off when no TLS files are
 * configured (only possible outside the simulator), else built on the
 * files, each checked now so that a wrong one stops the start with the
 * variable that names it rather than failing MDES's first handshake.
 */
export async function buildMdesListener(context: {
  config: Config;
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  /** The Pre-Digitization web services, made once the listener is known to run. */
  routes: () => Promise<FastifyPluginAsync>;
}): Promise<FastifyInstance | undefined> {
  const { config } = context;
  if (!config.mdesTlsCa || !config.mdesTlsCert || !config.mdesTlsKey) return undefined;
  const tls = mdesTls(config, context.clock);
  const probes = hsmReadiness(config);
  return createMdesListener({
    db: context.db,
    logger: context.logger,
    contextRoot: config.mdesContextRoot,
    tls,
    ...(config.mdesClientFingerprints && { pinnedClients: config.mdesClientFingerprints }),
    plugins: [await context.routes()],
    ...(probes && { probes }),
  });
}

/**
 * The issuer's Pre-Digitization decryption key: the development issuer
 * encryption key in the simulator, else the configured one (and its
 * certificate, when given, so that a fingerprint of the certificate finds it).
 */
export async function mdesDecryptionKey(config: Config, keys: DevKeys): Promise<DecryptionKey> {
  if (config.mastercardEnv === 'simulator') {
    const { privateKey, certificate } = keys.issuerEncryption;
    return { privateKey, ...(certificate && { certificate }) };
  }
  const path = config.mdesEncryptionKeyPath ?? '';
  const privateKey = isPkcs11Uri(path)
    ? hsmDecryptionKeyFor(config, path)
    : await loadPrivateKey({ path }).catch(() => {
        throw new ConfigError([`${SETTINGS.mdesEncryptionKeyPath.env}: not a readable private key`]);
      });
  if (!config.mdesEncryptionCertPath) return { privateKey };
  const { certificate } = await loadPublicKey({ path: config.mdesEncryptionCertPath }).catch(() => {
    throw new ConfigError([`${SETTINGS.mdesEncryptionCertPath.env}: not a readable certificate`]);
  });
  return { privateKey, ...(certificate && { certificate }) };
}

/** The listener's TLS files, read and checked: every problem at once, each under its variable. */
export function mdesTls(config: Config, clock: Clock): { ca: string; cert: string; key: string } {
  const problems: string[] = [];
  const named = (key: 'mdesTlsCa' | 'mdesTlsCert' | 'mdesTlsKey') =>
    `${SETTINGS[key].env}=${JSON.stringify(config[key])}`;
  const read = (key: 'mdesTlsCa' | 'mdesTlsCert' | 'mdesTlsKey'): string | undefined => {
    try {
      return readFileSync(config[key] ?? '', 'utf8');
    } catch {
      problems.push(`${named(key)}: cannot be read`);
      return undefined;
    }
  };
  const ca = read('mdesTlsCa');
  const cert = read('mdesTlsCert');
  const key = read('mdesTlsKey');

  const cas = ca === undefined ? [] : certificates(ca, named('mdesTlsCa'), problems);
  const chain = cert === undefined ? [] : certificates(cert, named('mdesTlsCert'), problems);
  let privateKey: KeyObject | undefined;
  if (key !== undefined) {
    try {
      privateKey = createPrivateKey(key);
    } catch {
      problems.push(`${named('mdesTlsKey')}: not a PEM private key (or an encrypted one)`);
    }
  }
  const [leaf] = chain;
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.push(`${named('mdesTlsKey')}: not the key of ${SETTINGS.mdesTlsCert.env}'s certificate`);
  }
  const now = clock.now().getTime();
  for (const [which, found] of [
    ['mdesTlsCert', leaf ? [leaf] : []],
    ['mdesTlsCa', cas],
  ] as const) {
    for (const certificate of found) {
      if (Date.parse(certificate.validTo) <= now || Date.parse(certificate.validFrom) > now) {
        problems.push(
          `${named(which)}: a certificate is not valid now (${certificate.validFrom} – ${certificate.validTo})`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ca: ca ?? '', cert: cert ?? '', key: key ?? '' };
}

/** The certificates of a PEM bundle, in order; a problem when there is none or one does not parse. */
function certificates(pem: string, name: string, problems: string[]): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) problems.push(`${name}: no PEM certificate in it`);
  const parsed: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      parsed.push(new X509Certificate(block));
    } catch {
      problems.push(`${name}: a certificate in it does not parse`);
    }
  }
  return parsed;
}
